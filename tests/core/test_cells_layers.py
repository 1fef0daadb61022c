"""Stacked layers: names and shapes, a stack equals its layers chained by hand, states per layer, and BPTT
through the stack against finite differences for every layer of every cell."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import cells, celltrace
from rnn_tutor.core.gradcheck import gradcheck
from rnn_tutor.errors import BadValueError


def test_param_keys_follow_pytorch_order():
    assert cells.param_keys() == cells.PARAM_KEYS
    assert cells.param_keys(2) == (
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
    )


@pytest.mark.parametrize("cell,g", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_shapes_and_init_of_a_stack(cell, g):
    shapes = cells.param_shapes(cell, 5, 3, num_layers=3)
    assert list(shapes) == list(cells.param_keys(3))
    assert shapes["weight_ih_l0"] == (g * 3, 5)
    assert shapes["weight_ih_l1"] == shapes["weight_ih_l2"] == (g * 3, 3)  # layers above read H numbers
    assert shapes["weight_hh_l2"] == (g * 3, 3) and shapes["bias_hh_l2"] == (g * 3,)
    p = cells.init_params(cell, 5, 3, seed=4, num_layers=3)
    assert {k: v.shape for k, v in p.items()} == shapes
    assert cells.num_layers(p) == 3 and cells.sizes_of(cell, p) == (5, 3)
    one = cells.init_params(cell, 5, 3, seed=4)
    for k in cells.PARAM_KEYS:  # layer 0 is drawn first: the same whatever the depth
        np.testing.assert_array_equal(p[k], one[k])
    assert not np.array_equal(p["weight_hh_l1"], p["weight_hh_l0"])
    assert not np.array_equal(p["weight_hh_l2"], p["weight_hh_l1"])


@pytest.mark.parametrize("suffix", ["\u00b2", "\u0663", "\u0661\u0660", "\uff11"])  # ², Arabic-Indic 3 and 10, fullwidth 1
def test_num_layers_refuses_a_layer_number_in_non_ascii_digits(suffix):
    # str.isdigit() is true for these, and int() then raises ValueError ('²') or reads them as a layer ('٣' -> 3)
    p = cells.init_params("rnn", 2, 3)
    for stem in ("weight_ih", "bias_hh"):
        with pytest.raises(BadValueError, match=f"{stem}_l{suffix}.*ASCII digits"):
            cells.num_layers({**p, f"{stem}_l{suffix}": np.zeros(3)})
    assert cells.num_layers({**p, "weight_ih_l0_reverse": np.zeros(3)}) == 1  # not a layer number: still ignored


def test_num_layers_refuses_gaps_and_half_layers():
    p = cells.init_params("gru", 2, 3, num_layers=3)
    assert cells.num_layers({**p, "head.weight": np.zeros((1, 3))}) == 3  # other keys are not layers
    gap = {k: v for k, v in p.items() if not k.endswith("_l1")}
    with pytest.raises(BadValueError, match="without a gap"):
        cells.num_layers(gap)
    half = {k: v for k, v in p.items() if k != "bias_hh_l2"}
    with pytest.raises(BadValueError, match="bias_hh_l2"):
        cells.num_layers(half)
    with pytest.raises(BadValueError, match="weight_ih_l0"):
        cells.num_layers({})
    bad = dict(p, weight_ih_l1=np.zeros((9, 2)))  # layer 1 must read H = 3 numbers
    with pytest.raises(BadValueError, match="weight_ih_l1"):
        cells.sizes_of("gru", bad)
    with pytest.raises(BadValueError) as e:
        cells.init_params("gru", 2, 3, num_layers=0)
    assert e.value.option == "--layers"


def _chained(cell, p, x, h0, c0, nonlinearity="tanh"):
    """The stack by hand: layer k's one-layer pass over layer k-1's h."""
    out = []
    for k in range(cells.num_layers(p)):
        f = cells.forward(cell, cells.layer_params(p, k), x, h0[k], None if c0 is None else c0[k],
                          nonlinearity=nonlinearity)
        out.append(f)
        x = f.h
    return out


@pytest.mark.parametrize("cell", cells.CELLS)
def test_a_stack_is_its_layers_chained(cell):
    rng = np.random.default_rng(1)
    L, B, T, D, H = 3, 2, 5, 4, 3
    p = cells.init_params(cell, D, H, seed=2, num_layers=L)
    x = rng.normal(size=(B, T, D))
    h0 = rng.normal(size=(L, B, H))
    c0 = rng.normal(size=(L, B, H)) if cell == "lstm" else None
    fwd = cells.forward(cell, p, x, h0, c0)
    ref = _chained(cell, p, x, h0, c0)
    assert len(fwd.layers) == L and fwd.layers[-1] is fwd
    for k, (got, want) in enumerate(zip(fwd.layers, ref)):
        np.testing.assert_array_equal(got.h, want.h)
        for name in want.gates:
            np.testing.assert_array_equal(got.gates[name], want.gates[name])
        if cell == "lstm":
            np.testing.assert_array_equal(got.c, want.c)
    np.testing.assert_array_equal(fwd.h, ref[-1].h)  # the result is the top layer's, as for one layer
    np.testing.assert_array_equal(fwd.h_last, ref[-1].h_last)
    assert fwd.h_n.shape == (L, B, H)
    np.testing.assert_array_equal(fwd.h_n, np.stack([f.h_last for f in ref]))
    if cell == "lstm":
        np.testing.assert_array_equal(fwd.c_last, ref[-1].c_last)
        np.testing.assert_array_equal(fwd.c_n, np.stack([f.c_last for f in ref]))
    else:
        assert fwd.c_n is None and fwd.c_last is None


@pytest.mark.parametrize("cell", cells.CELLS)
def test_state_carried_between_chunks_equals_one_pass(cell):
    """What a language model does between chunks: h_n (and c_n) of one chunk start the next."""
    rng = np.random.default_rng(3)
    p = cells.init_params(cell, 3, 4, seed=5, num_layers=2)
    x = rng.normal(size=(2, 9, 3))
    whole = cells.forward(cell, p, x)
    a = cells.forward(cell, p, x[:, :4])
    b = cells.forward(cell, p, x[:, 4:], a.h_n, a.c_n)
    np.testing.assert_allclose(np.concatenate([a.h, b.h], axis=1), whole.h, rtol=0, atol=1e-15)
    np.testing.assert_allclose(b.h_n, whole.h_n, rtol=0, atol=1e-15)
    for k in range(2):
        np.testing.assert_allclose(b.layers[k].h, whole.layers[k].h[:, 4:], rtol=0, atol=1e-15)


def test_state_shapes_in_and_out():
    p2 = cells.init_params("lstm", 2, 3, num_layers=2)
    x = np.ones((4, 3, 2))
    with pytest.raises(BadValueError, match=r"\(L, B, H\) = \(2, 4, 3\)"):
        cells.forward("lstm", p2, x, h0=np.zeros((4, 3)))  # one state for two layers
    with pytest.raises(BadValueError, match="c0"):
        cells.forward("lstm", p2, x, c0=np.zeros((3, 4, 3)))
    fwd = cells.forward("lstm", p2, x)
    g = cells.backward("lstm", p2, fwd, dh=np.ones((4, 3, 3)))
    assert set(g) == {*cells.param_keys(2), "x", "h0", "c0"}
    assert g["h0"].shape == g["c0"].shape == (2, 4, 3) and g["x"].shape == (4, 3, 2)
    assert g["weight_ih_l1"].shape == (12, 3)
    p1 = cells.init_params("gru", 2, 3)
    f3 = cells.forward("gru", p1, x, h0=np.zeros((1, 4, 3)))  # one layer given as (1, B, H) stays (1, B, H)
    assert cells.backward("gru", p1, f3, dh=np.ones((4, 3, 3)))["h0"].shape == (1, 4, 3)
    f2 = cells.forward("gru", p1, x, h0=np.zeros((4, 3)))
    assert cells.backward("gru", p1, f2, dh=np.ones((4, 3, 3)))["h0"].shape == (4, 3)
    np.testing.assert_array_equal(f3.h, f2.h)
    with pytest.raises(BadValueError, match="dh_last"):
        cells.backward("lstm", p2, fwd, dh_last=np.ones((3, 4, 3)))
    with pytest.raises(BadValueError, match="2-layer pass"):
        cells.backward("lstm", cells.init_params("lstm", 2, 3), fwd)


def test_top_state_gradient_equals_gradient_on_the_top_layer_of_all():
    p = cells.init_params("lstm", 2, 3, seed=1, num_layers=2)
    rng = np.random.default_rng(0)
    fwd = cells.forward("lstm", p, rng.normal(size=(2, 4, 2)))
    top = rng.normal(size=(2, 3))
    every = np.zeros((2, 2, 3))
    every[-1] = top
    a = cells.backward("lstm", p, fwd, dh_last=top, dc_last=top)
    b = cells.backward("lstm", p, fwd, dh_last=every, dc_last=every)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("cell", cells.CELLS)
@pytest.mark.parametrize("layers,d,h,t,b,seed", [(2, 2, 3, 4, 2, 0), (3, 3, 2, 5, 2, 1)])
def test_gradcheck_every_layer(cell, layers, d, h, t, b, seed):
    res = gradcheck(cell, hidden_size=h, input_size=d, length=t, batch=b, seed=seed, max_checks=None,
                    num_layers=layers)
    names = [r.name for r in res.rows]
    assert names == [*cells.param_keys(layers), "x", "h0"] + (["c0"] if cell == "lstm" else [])
    assert res.layers == layers
    for row in res.rows:
        assert row.checked == row.size
        assert row.max_rel_error <= 1e-6, row
    h0 = next(r for r in res.rows if r.name == "h0")
    assert h0.shape == (layers, b, h)


def test_gradcheck_relu_stack():
    res = gradcheck("rnn", hidden_size=3, input_size=2, length=4, seed=2, nonlinearity="relu", max_checks=None,
                    num_layers=2)
    assert res.passed, res.rows


@pytest.mark.parametrize("layer", [0, 1])
def test_gradcheck_catches_a_wrong_gradient_in_any_layer(layer, monkeypatch):
    real = cells._layer_backward

    # break the gradient of layer `layer` only: the stack visits layers top first
    def broken_layer(cell, params, fwd, *a):
        g = real(cell, params, fwd, *a)
        is_top = len(fwd._below) > 0
        if (layer == 1) == is_top:
            g = dict(g, weight_hh_l0=g["weight_hh_l0"] * 1.001)
        return g

    monkeypatch.setattr(cells, "_layer_backward", broken_layer)
    res = gradcheck("gru", hidden_size=2, input_size=2, length=3, seed=0, num_layers=2)
    assert [r.name for r in res.rows if not r.passed] == [f"weight_hh_l{layer}"]


def test_trace_shows_the_chosen_layer_of_a_stack():
    rng = np.random.default_rng(0)
    p = cells.init_params("lstm", 2, 3, seed=1, num_layers=2)
    x = rng.normal(size=(4, 2))
    h0, c0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))  # (L, H): one state per layer
    fwd = cells.forward("lstm", p, x[None], h0[:, None], c0[:, None])
    top = celltrace.trace("lstm", p, x, h0=h0, c0=c0)
    low = celltrace.trace("lstm", p, x, h0=h0, c0=c0, layer=0)
    assert (top.layer, top.layers, low.layer) == (1, 2, 0)
    assert (top.input_size, low.input_size) == (3, 2)
    for t in range(4):
        np.testing.assert_array_equal(top.steps[t].h, fwd.layers[1].h[0, t])
        np.testing.assert_array_equal(low.steps[t].h, fwd.layers[0].h[0, t])
        np.testing.assert_array_equal(top.steps[t].x, low.steps[t].h)  # layer 1 reads layer 0's h_t
        np.testing.assert_array_equal(low.steps[t].x, x[t])
        np.testing.assert_array_equal(top.steps[t].gates["f"], fwd.layers[1].gates["f"][0, t])
    one = celltrace.trace("gru", cells.init_params("gru", 2, 3), x)
    assert (one.layer, one.layers) == (0, 1)
    with pytest.raises(BadValueError) as e:
        celltrace.trace("lstm", p, x, layer=2)
    assert e.value.option == "--layer"
