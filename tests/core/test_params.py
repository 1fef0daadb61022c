"""Parameter counts: closed forms, layer/direction layout, and bad values."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnn_tutor.core import cells
from rnn_tutor.core.params import compare_cells, count_params
from rnn_tutor.errors import BadValueError


def test_lesson_example_gru_has_three_quarters_of_lstm():
    rnn, gru, lstm = compare_cells(1, 8)
    assert [c.cell for c in (rnn, gru, lstm)] == ["rnn", "gru", "lstm"]
    # G*H*(D + H + 2) = G * 8 * 11
    assert (rnn.total, gru.total, lstm.total) == (88, 264, 352)
    assert gru.total * 4 == lstm.total * 3


def test_tensor_names_and_shapes_two_layers_bidirectional():
    pc = count_params("lstm", 10, 20, layers=2, bidirectional=True)
    names = [t.name for t in pc.tensors]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4:8] == [n + "_reverse" for n in names[:4]]
    assert len(names) == 16
    shapes = {t.name: t.shape for t in pc.tensors}
    assert shapes["weight_ih_l0"] == (80, 10)
    assert shapes["weight_ih_l1"] == (80, 40)  # layer 1 reads both directions of layer 0
    assert shapes["weight_hh_l1_reverse"] == (80, 20)
    assert pc.total == 2 * 80 * (10 + 20 + 2) + 2 * 80 * (40 + 20 + 2)
    assert pc.per_layer == (2 * 80 * 32, 2 * 80 * 62)


def test_no_bias():
    pc = count_params("gru", 3, 4, bias=False)
    assert [t.name for t in pc.tensors] == ["weight_ih_l0", "weight_hh_l0"]
    assert pc.total == 12 * 3 + 12 * 4


@given(
    cell=st.sampled_from(cells.CELLS),
    d=st.integers(1, 300),
    h=st.integers(1, 300),
    layers=st.integers(1, 5),
    bi=st.booleans(),
    bias=st.booleans(),
)
def test_closed_form(cell, d, h, layers, bi, bias):
    g = cells.GATES[cell]
    k = 2 if bi else 1
    b = 2 if bias else 0
    expected = k * g * h * (d + h + b) + (layers - 1) * k * g * h * (k * h + h + b)
    pc = count_params(cell, d, h, layers, bi, bias)
    assert pc.total == expected
    assert sum(pc.per_layer) == pc.total


def test_layer_zero_matches_init_params():
    for cell, d, h in itertools.product(cells.CELLS, (1, 3), (2, 5)):
        p = cells.init_params(cell, d, h)
        pc = count_params(cell, d, h)
        assert {t.name: t.shape for t in pc.tensors} == {k: v.shape for k, v in p.items()}


@pytest.mark.parametrize(
    "kwargs,option",
    [
        (dict(cell="lstm", input_size=0, hidden_size=3), "--input-size"),
        (dict(cell="lstm", input_size=2, hidden_size=-1), "--hidden-size"),
        (dict(cell="lstm", input_size=2, hidden_size=3, layers=0), "--layers"),
        (dict(cell="lstm", input_size=2, hidden_size=2_000_000), "--hidden-size"),
        (dict(cell="lstm", input_size=2.5, hidden_size=3), "--input-size"),
        (dict(cell="attention", input_size=2, hidden_size=3), "--cell"),
        (dict(cell="gru", input_size=2, hidden_size=3, proj_size=1), "--proj-size"),
        (dict(cell="lstm", input_size=2, hidden_size=3, proj_size=3), "--proj-size"),
        (dict(cell="lstm", input_size=2, hidden_size=3, proj_size=-1), "--proj-size"),
    ],
)
def test_bad_values(kwargs, option):
    with pytest.raises(BadValueError) as e:
        count_params(**kwargs)
    assert e.value.option == option


@given(d=st.integers(1, 50), h=st.integers(2, 50), layers=st.integers(1, 4), bi=st.booleans(), bias=st.booleans(),
       data=st.data())
def test_lstm_projection_closed_form(d, h, layers, bi, bias, data):
    p = data.draw(st.integers(1, h - 1))
    k, b = (2 if bi else 1), (2 if bias else 0)
    # layer 0 reads D inputs, later layers the k projected outputs; every layer-direction adds W_hr (P, H)
    expected = k * (4 * h * (d + p + b) + p * h) + (layers - 1) * k * (4 * h * (k * p + p + b) + p * h)
    pc = count_params("lstm", d, h, layers, bi, bias, proj_size=p)
    assert pc.total == expected and pc.proj_size == p
    shapes = {t.name: t.shape for t in pc.tensors}
    assert shapes["weight_hh_l0"] == (4 * h, p) and shapes["weight_hr_l0"] == (p, h)
