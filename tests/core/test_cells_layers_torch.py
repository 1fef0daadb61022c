"""Stacked cells against torch.nn.RNN/GRU/LSTM(D, H, num_layers=L, batch_first=True): outputs, h_n, c_n and every
gradient (skipped when torch is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn_tutor.core import cells, fastlstm  # noqa: E402

TORCH_CLASS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def _torch_stack(cell, d, h, layers, params, nonlinearity="tanh"):
    kw = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    m = TORCH_CLASS[cell](d, h, num_layers=layers, batch_first=True, **kw).double()
    m.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in params.items()})
    return m


def _torch_run(cell, m, x, h0, c0, dh, dhn, dcn):
    """Forward and backward in torch with loss = <dh, out> + <dhn, h_n> (+ <dcn, c_n>)."""
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    if cell == "lstm":
        c0t = torch.tensor(c0, requires_grad=True)
        out, (hn, cn) = m(xt, (h0t, c0t))
        loss = (out * torch.tensor(dh)).sum() + (hn * torch.tensor(dhn)).sum() + (cn * torch.tensor(dcn)).sum()
    else:
        c0t = cn = None
        out, hn = m(xt, h0t)
        loss = (out * torch.tensor(dh)).sum() + (hn * torch.tensor(dhn)).sum()
    loss.backward()
    return out, hn, cn, xt, h0t, c0t


def _data(cell, d, h, layers, t, b, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(b, t, d))
    state = (layers, b, h)
    h0 = rng.normal(size=state) * 0.5
    c0 = rng.normal(size=state) * 0.5 if cell == "lstm" else None
    dh = rng.normal(size=(b, t, h))
    dhn = rng.normal(size=state)
    dcn = rng.normal(size=state) if cell == "lstm" else None
    return x, h0, c0, dh, dhn, dcn


CASES = [(cell, d, h, layers, t, b, seed) for cell in cells.CELLS
         for (d, h, layers, t, b, seed) in [(3, 4, 2, 5, 2, 1), (2, 5, 3, 7, 3, 2), (1, 1, 2, 1, 1, 0)]]


@pytest.mark.parametrize("cell,d,h,layers,t,b,seed", CASES)
def test_stack_matches_torch(cell, d, h, layers, t, b, seed):
    p = cells.init_params(cell, d, h, seed=seed, num_layers=layers)
    x, h0, c0, dh, dhn, dcn = _data(cell, d, h, layers, t, b, seed)
    fwd = cells.forward(cell, p, x, h0, c0)
    ours = cells.backward(cell, p, fwd, dh=dh, dh_last=dhn, dc_last=dcn)
    m = _torch_stack(cell, d, h, layers, p)
    out, hn, cn, xt, h0t, c0t = _torch_run(cell, m, x, h0, c0, dh, dhn, dcn)
    np.testing.assert_allclose(fwd.h, out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fwd.h_n, hn.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fwd.h_last, hn[-1].detach().numpy(), atol=1e-12)
    if cell == "lstm":
        np.testing.assert_allclose(fwd.c_n, cn.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(ours["c0"], c0t.grad.numpy(), atol=1e-10)
    names = [n for n, _ in m.named_parameters()]
    assert names == list(cells.param_keys(layers))
    for name, prm in m.named_parameters():
        np.testing.assert_allclose(ours[name], prm.grad.numpy(), atol=1e-10, err_msg=name)
    np.testing.assert_allclose(ours["x"], xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours["h0"], h0t.grad.numpy(), atol=1e-10)


def test_relu_stack_matches_torch():
    p = cells.init_params("rnn", 2, 4, seed=9, num_layers=2)
    x, h0, _, dh, dhn, _ = _data("rnn", 2, 4, 2, 6, 2, 9)
    fwd = cells.forward("rnn", p, x, h0, nonlinearity="relu")
    ours = cells.backward("rnn", p, fwd, dh=dh, dh_last=dhn)
    m = _torch_stack("rnn", 2, 4, 2, p, "relu")
    out, hn, _, xt, h0t, _ = _torch_run("rnn", m, x, h0, None, dh, dhn, None)
    np.testing.assert_allclose(fwd.h_n, hn.detach().numpy(), atol=1e-12)
    for name, prm in m.named_parameters():
        np.testing.assert_allclose(ours[name], prm.grad.numpy(), atol=1e-10, err_msg=name)
    np.testing.assert_allclose(ours["x"], xt.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("h", [5, 30, 96])  # fastlstm's three backward paths
def test_fastlstm_stack_matches_torch(h):
    d, layers, t, b = 3, 2, 6, 2
    p = cells.init_params("lstm", d, h, seed=3, num_layers=layers)
    x, h0, c0, dh, dhn, dcn = _data("lstm", d, h, layers, t, b, 3)
    fwd = fastlstm.forward(p, x, h0, c0)
    ours = fastlstm.backward(p, fwd, dh=dh, dh_last=dhn, dc_last=dcn)
    m = _torch_stack("lstm", d, h, layers, p)
    out, hn, cn, xt, h0t, c0t = _torch_run("lstm", m, x, h0, c0, dh, dhn, dcn)
    np.testing.assert_allclose(fwd.h, out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fwd.h_n, hn.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fwd.c_n, cn.detach().numpy(), atol=1e-12)
    for name, prm in m.named_parameters():
        np.testing.assert_allclose(ours[name], prm.grad.numpy(), atol=1e-10, err_msg=name)
    np.testing.assert_allclose(ours["x"], xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours["h0"], h0t.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours["c0"], c0t.grad.numpy(), atol=1e-10)
