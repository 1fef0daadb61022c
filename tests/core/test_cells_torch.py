"""Parity with PyTorch (skipped when torch is not installed; torch is never a dependency of rnn-tutor)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn_tutor.core import cells  # noqa: E402
from rnn_tutor.core.params import count_params  # noqa: E402
from rnn_tutor.core.weights import load_weights, save_weights  # noqa: E402

TORCH_CLASS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def _torch_module(cell, d, h, params, nonlinearity="tanh"):
    kw = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    m = TORCH_CLASS[cell](d, h, batch_first=True, **kw).double()
    m.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in params.items()})
    return m


CASES = [
    (cell, d, h, t, b, seed)
    for cell in cells.CELLS
    for (d, h, t, b, seed) in [(1, 1, 1, 1, 0), (3, 4, 5, 2, 1), (2, 7, 9, 3, 2)]
]


@pytest.mark.parametrize("cell,d,h,t,b,seed", CASES)
def test_forward_and_gradients_match_torch(cell, d, h, t, b, seed):
    rng = np.random.default_rng(seed)
    p = cells.init_params(cell, d, h, seed=seed)
    x = rng.normal(size=(b, t, d))
    h0 = rng.normal(size=(b, h)) * 0.5
    c0 = rng.normal(size=(b, h)) * 0.5 if cell == "lstm" else None
    dh = rng.normal(size=(b, t, h))
    dh_last = rng.normal(size=(b, h))
    dc_last = rng.normal(size=(b, h)) if cell == "lstm" else None

    fwd = cells.forward(cell, p, x, h0, c0)
    ours = cells.backward(cell, p, fwd, dh=dh, dh_last=dh_last, dc_last=dc_last)

    m = _torch_module(cell, d, h, p)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    if cell == "lstm":
        c0t = torch.tensor(c0[None], requires_grad=True)
        out, (hn, cn) = m(xt, (h0t, c0t))
        loss = (out * torch.tensor(dh)).sum() + (hn[0] * torch.tensor(dh_last)).sum()
        loss = loss + (cn[0] * torch.tensor(dc_last)).sum()
        np.testing.assert_allclose(fwd.c_last, cn[0].detach().numpy(), atol=1e-12)
    else:
        out, hn = m(xt, h0t)
        loss = (out * torch.tensor(dh)).sum() + (hn[0] * torch.tensor(dh_last)).sum()
    loss.backward()
    np.testing.assert_allclose(fwd.h, out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fwd.h_last, hn[0].detach().numpy(), atol=1e-12)
    for name, prm in m.named_parameters():
        np.testing.assert_allclose(ours[name], prm.grad.numpy(), atol=1e-10, err_msg=name)
    np.testing.assert_allclose(ours["x"], xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours["h0"], h0t.grad.numpy()[0], atol=1e-10)
    if cell == "lstm":
        np.testing.assert_allclose(ours["c0"], c0t.grad.numpy()[0], atol=1e-10)


def test_relu_rnn_matches_torch():
    rng = np.random.default_rng(9)
    p = cells.init_params("rnn", 2, 4, seed=9)
    x = rng.normal(size=(2, 6, 2))
    fwd = cells.forward("rnn", p, x, nonlinearity="relu")
    g = cells.backward("rnn", p, fwd, dh=np.ones((2, 6, 4)))
    m = _torch_module("rnn", 2, 4, p, "relu")
    xt = torch.tensor(x, requires_grad=True)
    out, _ = m(xt)
    out.sum().backward()
    np.testing.assert_allclose(fwd.h, out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(g["weight_hh_l0"], m.weight_hh_l0.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(g["x"], xt.grad.numpy(), atol=1e-10)


def test_float32_close_to_torch_float32():
    rng = np.random.default_rng(0)
    p = cells.init_params("lstm", 3, 8, dtype=np.float32)
    x = rng.normal(size=(4, 10, 3)).astype(np.float32)
    fwd = cells.forward("lstm", p, x)
    m = torch.nn.LSTM(3, 8, batch_first=True)
    m.load_state_dict({k: torch.from_numpy(v) for k, v in p.items()})
    out, _ = m(torch.from_numpy(x))
    assert fwd.h.dtype == np.float32
    np.testing.assert_allclose(fwd.h, out.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "cell,d,h,layers,bi,bias",
    list(itertools.product(cells.CELLS, (1, 5), (1, 6), (1, 2, 3), (False, True), (True, False))),
)
def test_param_counts_match_torch(cell, d, h, layers, bi, bias):
    m = TORCH_CLASS[cell](d, h, num_layers=layers, bidirectional=bi, bias=bias)
    pc = count_params(cell, d, h, layers, bi, bias)
    assert pc.total == sum(p.numel() for p in m.parameters())
    assert [(t.name, t.shape) for t in pc.tensors] == [(n, tuple(p.shape)) for n, p in m.named_parameters()]


@pytest.mark.parametrize("d,h,p,layers,bi,bias", [(1, 2, 1, 1, False, True), (5, 6, 3, 2, True, True),
                                                (3, 7, 2, 3, False, False), (4, 5, 4, 2, True, False)])
def test_lstm_projection_counts_match_torch(d, h, p, layers, bi, bias):
    m = torch.nn.LSTM(d, h, num_layers=layers, bidirectional=bi, bias=bias, proj_size=p)
    pc = count_params("lstm", d, h, layers, bi, bias, proj_size=p)
    assert pc.total == sum(q.numel() for q in m.parameters())
    assert [(t.name, t.shape) for t in pc.tensors] == [(n, tuple(q.shape)) for n, q in m.named_parameters()]


@pytest.mark.parametrize("cell", cells.CELLS)
def test_our_file_loads_into_torch(tmp_path, cell):
    p = cells.init_params(cell, 2, 3, seed=4)
    save_weights(tmp_path / "w.npz", cell, p)
    # the README's three lines
    m = TORCH_CLASS[cell](input_size=2, hidden_size=3, batch_first=True).double()
    state = {k: torch.from_numpy(v) for k, v in np.load(tmp_path / "w.npz").items() if not k.startswith("meta_")}
    m.load_state_dict(state)  # strict: exactly the right names and shapes
    x = np.random.default_rng(1).normal(size=(1, 4, 2))
    out = m(torch.from_numpy(x))[0].detach().numpy()
    np.testing.assert_allclose(out, cells.forward(cell, p, x).h, atol=1e-12)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_torch_state_dict_loads_into_us(tmp_path, cell):
    torch.manual_seed(0)
    m = TORCH_CLASS[cell](input_size=3, hidden_size=5, batch_first=True)
    np.savez(tmp_path / "t.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    w = load_weights(tmp_path / "t.npz", cell=cell)
    assert (w.input_size, w.hidden_size) == (3, 5)
    x = np.random.default_rng(2).normal(size=(2, 4, 3))
    ours = cells.forward(cell, w.params, x).h
    theirs = m.double()(torch.from_numpy(x))[0].detach().numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)  # float32 weights, float64 compute on both sides


@pytest.mark.parametrize("cell", cells.CELLS)
def test_multi_layer_torch_state_dict_loads_into_us(tmp_path, cell):
    torch.manual_seed(1)
    m = TORCH_CLASS[cell](input_size=3, hidden_size=4, num_layers=3, batch_first=True)
    np.savez(tmp_path / "t.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    w = load_weights(tmp_path / "t.npz", cell=cell)
    assert (w.input_size, w.hidden_size, w.num_layers) == (3, 4, 3)
    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    fwd = cells.forward(cell, w.params, x)
    out, hn = m.double()(torch.from_numpy(x))
    np.testing.assert_allclose(fwd.h, out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fwd.h_n, (hn[0] if cell == "lstm" else hn).detach().numpy(), atol=1e-12)


def test_bidirectional_torch_file_is_refused(tmp_path):
    from rnn_tutor.errors import RnnTutorError

    m = torch.nn.GRU(2, 3, num_layers=2, bidirectional=True)
    np.savez(tmp_path / "t.npz", **{k: v.detach().numpy() for k, v in m.state_dict().items()})
    with pytest.raises(RnnTutorError, match="bidirectional"):
        load_weights(tmp_path / "t.npz")
