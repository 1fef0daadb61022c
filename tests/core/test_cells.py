"""Recurrent cells: closed-form single steps, shapes, dtypes, and BPTT against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import cells
from rnn_tutor.core.gradcheck import gradcheck
from rnn_tutor.errors import BadValueError


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------- init_params


@pytest.mark.parametrize("cell,g", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_init_params_shapes_bounds_and_seed(cell, g):
    p = cells.init_params(cell, 3, 5, seed=7)
    assert set(p) == set(cells.PARAM_KEYS)
    assert p["weight_ih_l0"].shape == (g * 5, 3)
    assert p["weight_hh_l0"].shape == (g * 5, 5)
    assert p["bias_ih_l0"].shape == (g * 5,)
    assert p["bias_hh_l0"].shape == (g * 5,)
    bound = 1 / np.sqrt(5)
    for v in p.values():
        assert v.dtype == np.float64
        assert np.all(np.abs(v) <= bound)
    # the draws actually spread over the interval, not a constant
    assert p["weight_hh_l0"].std() > bound / 4
    again = cells.init_params(cell, 3, 5, seed=7)
    other = cells.init_params(cell, 3, 5, seed=8)
    assert all(np.array_equal(p[k], again[k]) for k in p)
    assert not np.array_equal(p["weight_hh_l0"], other["weight_hh_l0"])


def test_init_params_float32():
    p = cells.init_params("lstm", 2, 3, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in p.values())
    fwd = cells.forward("lstm", p, np.ones((1, 2, 2)))
    assert fwd.h.dtype == np.float32 and fwd.c.dtype == np.float32
    g = cells.backward("lstm", p, fwd, dh=np.ones((1, 2, 3)))
    assert all(v.dtype == np.float32 for v in g.values())


def test_bad_cell_and_sizes():
    with pytest.raises(BadValueError) as e:
        cells.init_params("transformer", 2, 3)
    assert e.value.option == "--cell" and "lstm" in e.value.message
    with pytest.raises(BadValueError) as e:
        cells.init_params("rnn", 2, 0)
    assert e.value.option == "--hidden-size"
    with pytest.raises(BadValueError):
        cells.forward("gru", cells.init_params("gru", 2, 3), np.zeros((1, 4, 3)))  # D mismatch
    with pytest.raises(BadValueError):
        cells.forward("gru", cells.init_params("lstm", 2, 3), np.zeros((1, 4, 2)))  # wrong cell's shapes
    with pytest.raises(BadValueError):
        cells.forward("lstm", cells.init_params("lstm", 2, 3), np.zeros((1, 4, 2)), nonlinearity="relu")


# ---------------------------------------------------------------- one step by hand


def _params(cell, d, h, seed=3):
    rng = np.random.default_rng(seed)
    g = cells.GATES[cell]
    return {
        "weight_ih_l0": rng.normal(size=(g * h, d)),
        "weight_hh_l0": rng.normal(size=(g * h, h)),
        "bias_ih_l0": rng.normal(size=(g * h,)),
        "bias_hh_l0": rng.normal(size=(g * h,)),
    }


def test_rnn_one_step_scalar_by_hand():
    # H = D = 1: h1 = tanh(w_ih*x + b_ih + w_hh*h0 + b_hh)
    p = {
        "weight_ih_l0": np.array([[0.5]]),
        "weight_hh_l0": np.array([[0.9]]),
        "bias_ih_l0": np.array([0.1]),
        "bias_hh_l0": np.array([-0.2]),
    }
    fwd = cells.forward("rnn", p, np.array([[[2.0]]]), h0=np.array([[0.3]]))
    assert fwd.h[0, 0, 0] == pytest.approx(np.tanh(0.5 * 2 + 0.1 + 0.9 * 0.3 - 0.2), abs=1e-15)
    relu = cells.forward("rnn", p, np.array([[[-2.0]]]), h0=np.array([[0.3]]), nonlinearity="relu")
    assert relu.h[0, 0, 0] == 0.0  # -1 + 0.1 + 0.27 - 0.2 < 0
    assert fwd.gates == {} and fwd.c is None


def test_lstm_one_step_closed_form():
    d, h = 2, 3
    p = _params("lstm", d, h)
    x = np.array([[[0.4, -1.2]]])
    h0 = np.array([[0.1, -0.2, 0.3]])
    c0 = np.array([[0.5, 0.0, -0.7]])
    pre = p["weight_ih_l0"] @ x[0, 0] + p["bias_ih_l0"] + p["weight_hh_l0"] @ h0[0] + p["bias_hh_l0"]
    i, f, g, o = sig(pre[:3]), sig(pre[3:6]), np.tanh(pre[6:9]), sig(pre[9:])
    c1 = f * c0[0] + i * g
    h1 = o * np.tanh(c1)
    fwd = cells.forward("lstm", p, x, h0, c0)
    np.testing.assert_allclose(fwd.c[0, 0], c1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(fwd.h[0, 0], h1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(fwd.gates["i"][0, 0], i, atol=1e-14)
    np.testing.assert_allclose(fwd.gates["f"][0, 0], f, atol=1e-14)
    np.testing.assert_allclose(fwd.gates["g"][0, 0], g, atol=1e-14)
    np.testing.assert_allclose(fwd.gates["o"][0, 0], o, atol=1e-14)
    np.testing.assert_array_equal(fwd.h_last, fwd.h[:, -1])
    np.testing.assert_array_equal(fwd.c_last, fwd.c[:, -1])


def test_gru_one_step_closed_form_reset_after_matmul():
    d, h = 2, 3
    p = _params("gru", d, h)
    x = np.array([[[0.4, -1.2]]])
    h0 = np.array([[0.1, -0.2, 0.3]])
    wi, wh, bi, bh = p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]
    gi = wi @ x[0, 0] + bi
    gh = wh @ h0[0] + bh
    r = sig(gi[:3] + gh[:3])
    z = sig(gi[3:6] + gh[3:6])
    n = np.tanh(gi[6:] + r * gh[6:])  # PyTorch: r multiplies (W_hn h + b_hn), b_hn included
    h1 = (1 - z) * n + z * h0[0]
    fwd = cells.forward("gru", p, x, h0)
    np.testing.assert_allclose(fwd.h[0, 0], h1, rtol=0, atol=1e-14)
    for name, val in (("r", r), ("z", z), ("n", n)):
        np.testing.assert_allclose(fwd.gates[name][0, 0], val, atol=1e-14)


def test_sequence_equals_repeated_single_steps():
    rng = np.random.default_rng(0)
    for cell in cells.CELLS:
        p = cells.init_params(cell, 2, 4, seed=1)
        x = rng.normal(size=(3, 6, 2))
        full = cells.forward(cell, p, x)
        h = c = None
        for t in range(6):
            one = cells.forward(cell, p, x[:, t : t + 1], h, c)
            h, c = one.h_last, one.c_last
            np.testing.assert_allclose(full.h[:, t], h, atol=1e-14)
        # batch rows are independent
        single = cells.forward(cell, p, x[1:2])
        np.testing.assert_allclose(full.h[1:2], single.h, atol=1e-14)


def test_large_inputs_saturate_without_warnings():
    p = cells.init_params("lstm", 1, 2, seed=0)
    with np.errstate(all="raise"):
        fwd = cells.forward("lstm", p, np.full((1, 3, 1), 1e6))
    assert np.all(np.isfinite(fwd.h)) and np.all(np.abs(fwd.h) <= 1)


# ---------------------------------------------------------------- BPTT


@pytest.mark.parametrize("cell", cells.CELLS)
@pytest.mark.parametrize(
    "d,h,t,b,seed", [(1, 1, 1, 1, 0), (2, 3, 4, 2, 1), (3, 4, 6, 3, 2), (1, 5, 9, 1, 3)]
)
def test_gradcheck_all_cells(cell, d, h, t, b, seed):
    res = gradcheck(cell, hidden_size=h, input_size=d, length=t, batch=b, seed=seed, max_checks=None)
    names = {r.name for r in res.rows}
    assert names >= {*cells.PARAM_KEYS, "x", "h0"}
    assert ("c0" in names) == (cell == "lstm")
    for row in res.rows:
        assert row.checked == row.size
        assert row.max_rel_error <= 1e-6, row
    assert res.passed


def test_gradcheck_relu_rnn():
    res = gradcheck("rnn", hidden_size=4, input_size=2, length=5, seed=4, nonlinearity="relu", max_checks=None)
    assert res.passed, res.rows


@pytest.mark.parametrize("cell", cells.CELLS)
def test_gradcheck_catches_a_wrong_backward(cell, monkeypatch):
    real = cells.backward

    def broken(*a, **k):
        g = real(*a, **k)
        g["weight_hh_l0"] = g["weight_hh_l0"] * 1.001
        return g

    monkeypatch.setattr(cells, "backward", broken)
    res = gradcheck(cell, hidden_size=2, length=3, seed=0)
    assert not res.passed
    failed = [r.name for r in res.rows if not r.passed]
    assert failed == ["weight_hh_l0"]


def test_backward_dh_last_equals_dh_on_last_step():
    p = cells.init_params("gru", 2, 3, seed=5)
    x = np.random.default_rng(1).normal(size=(2, 4, 2))
    fwd = cells.forward("gru", p, x)
    up = np.random.default_rng(2).normal(size=(2, 3))
    dh = np.zeros((2, 4, 3))
    dh[:, -1] = up
    a = cells.backward("gru", p, fwd, dh=dh)
    b = cells.backward("gru", p, fwd, dh_last=up)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], atol=1e-15)
    zero = cells.backward("gru", p, fwd)
    assert all(not np.any(v) for v in zero.values())


def test_backward_returns_every_key():
    for cell in cells.CELLS:
        p = cells.init_params(cell, 2, 3)
        fwd = cells.forward(cell, p, np.ones((2, 3, 2)))
        g = cells.backward(cell, p, fwd, dh=np.ones((2, 3, 3)))
        expected = {*cells.PARAM_KEYS, "x", "h0"} | ({"c0"} if cell == "lstm" else set())
        assert set(g) == expected
        for k in cells.PARAM_KEYS:
            assert g[k].shape == p[k].shape
        assert g["x"].shape == (2, 3, 2) and g["h0"].shape == (2, 3)
