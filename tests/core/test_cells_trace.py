"""The step-by-step cell trace behind ``trace --cell``: numbers equal the forward pass, summaries say true things."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rnn_tutor.core import cells, celltrace
from rnn_tutor.errors import BadValueError


@pytest.mark.parametrize("cell", cells.CELLS)
def test_trace_numbers_are_the_forward_pass(cell):
    p = cells.init_params(cell, 1, 3, seed=2)
    x = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    tr = celltrace.trace(cell, p, x, ["The", "quick", "brown", "fox", "jumps"])
    fwd = cells.forward(cell, p, x[None])
    assert (tr.cell, tr.input_size, tr.hidden_size) == (cell, 1, 3)
    assert [s.t for s in tr.steps] == [1, 2, 3, 4, 5]
    assert [s.token for s in tr.steps] == ["The", "quick", "brown", "fox", "jumps"]
    for k, s in enumerate(tr.steps):
        assert s.x == (x[k, 0],)
        np.testing.assert_array_equal(s.h, fwd.h[0, k])
        assert set(s.gates) == (set(cells.GATE_NAMES[cell]) if cell != "rnn" else set())
        for name, v in s.gates.items():
            np.testing.assert_array_equal(v, fwd.gates[name][0, k])
        if cell == "lstm":
            np.testing.assert_array_equal(s.c, fwd.c[0, k])
        else:
            assert s.c is None
        assert s.summary and s.summary[0].isupper()


def _pcts(text):
    return [int(v) for v in re.findall(r"(\d+)%", text)]


def test_lstm_summary_reports_gate_means():
    p = cells.init_params("lstm", 1, 4, seed=0)
    x = np.array([[1.0], [-2.0], [0.5]])
    tr = celltrace.trace("lstm", p, x)
    first, second = tr.steps[0], tr.steps[1]
    assert "started empty" in first.summary
    f_mean = np.mean(second.gates["f"])
    i_mean = np.mean(second.gates["i"])
    o_mean = np.mean(second.gates["o"])
    assert _pcts(second.summary)[:2] == [round(100 * f_mean), round(100 * i_mean)]
    assert _pcts(second.summary)[-1] == round(100 * o_mean)


def test_lstm_forget_gate_pinned_open_keeps_the_cell():
    # a huge forget bias pins f at 1, a huge negative input bias shuts i: the cell is all memory
    p = cells.init_params("lstm", 1, 2, seed=0)
    p["bias_ih_l0"][2:4] = 50.0   # f
    p["bias_ih_l0"][0:2] = -50.0  # i
    tr = celltrace.trace("lstm", p, np.ones((3, 1)), c0=np.array([0.7, -0.2]))
    assert "kept 100% of the old cell" in tr.steps[1].summary
    assert "(100% of the new cell is memory)" in tr.steps[1].summary
    np.testing.assert_allclose(tr.steps[-1].c, [0.7, -0.2], atol=1e-12)


def test_gru_summary_update_gate():
    p = cells.init_params("gru", 1, 3, seed=1)
    tr = celltrace.trace("gru", p, np.array([[1.0], [0.0]]))
    assert "started at zero" in tr.steps[0].summary
    z = np.mean(tr.steps[1].gates["z"])
    assert _pcts(tr.steps[1].summary)[:2] == [round(100 * z), round(100 * (1 - z))]


def test_rnn_summary_saturation():
    p = {"weight_ih_l0": np.array([[10.0], [0.01]]), "weight_hh_l0": np.zeros((2, 2)),
         "bias_ih_l0": np.zeros(2), "bias_hh_l0": np.zeros(2)}
    tr = celltrace.trace("rnn", p, np.array([[1.0]]))
    assert "1 of 2 units is saturated" in tr.steps[0].summary
    relu = celltrace.trace("rnn", p, np.array([[-1.0]]), nonlinearity="relu")
    assert "2 of 2 units are off" in relu.steps[0].summary


def test_trace_rejects_batched_input():
    with pytest.raises(BadValueError):
        celltrace.trace("rnn", cells.init_params("rnn", 1, 2), np.ones((1, 3, 1)))


def test_overflow_is_flagged_not_warned(recwarn):
    # step 1: W_ih x = +inf saturates h at 1; step 2: W_ih x = -inf meets W_hh h = +inf, and inf - inf is nan
    p = cells.init_params("rnn", 1, 2, seed=0)
    p["weight_ih_l0"][:] = 1e308
    p["weight_hh_l0"][:] = 1e308
    tr = celltrace.trace("rnn", p, np.array([[10.0], [-10.0]]))
    assert tr.overflow
    assert tr.steps[0].h == (1.0, 1.0) and "Overflow" not in tr.steps[0].summary
    assert np.isnan(tr.steps[1].h).all() and "Overflow" in tr.steps[1].summary
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    ok = celltrace.trace("lstm", cells.init_params("lstm", 1, 2), np.array([[1e308]]))
    assert not ok.overflow  # huge but finite inputs only saturate the gates


def test_an_empty_cell_after_the_first_step_is_not_said_to_have_started_empty():
    """Step 2 of an LSTM whose input gate stayed shut at step 1: the cell is still empty, it did not 'start' so."""
    p = cells.init_params("lstm", 1, 2, seed=0)
    p["bias_ih_l0"][:2] = -1e3  # input gate i = sigmoid(-1000) = 0: nothing is written at any step
    tr = celltrace.trace("lstm", p, np.array([[1.0], [2.0]]))
    assert "started empty" in tr.steps[0].summary
    assert "was still empty" in tr.steps[1].summary and "started empty" not in tr.steps[1].summary
