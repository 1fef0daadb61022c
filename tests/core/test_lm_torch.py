"""PyTorch as the oracle for the language model (skipped where torch is not installed): a saved model loaded into
torch.nn.LSTM/GRU/RNN(V, H, num_layers=L, batch_first=True) plus torch.nn.Linear(H, V) gives the same logits, and
truncated BPTT written the PyTorch way (``.detach()`` at every chunk boundary) gives the same gradients."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import lm, train
from rnn_tutor.core.train import TrainConfig

torch = pytest.importorskip("torch")

TORCH_CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def torch_model(params, cell, V, H, L):
    net = getattr(torch.nn, TORCH_CELLS[cell])(V, H, num_layers=L, batch_first=True).double()
    head = torch.nn.Linear(H, V).double()
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(np.asarray(params[name], dtype=np.float64)))
        head.weight.copy_(torch.from_numpy(params["head.weight"]))
        head.bias.copy_(torch.from_numpy(params["head.bias"]))
    return net, head


@pytest.mark.parametrize("cell, layers", [("rnn", 1), ("gru", 2), ("lstm", 1), ("lstm", 3)])
def test_saved_model_gives_torchs_logits(cell, layers, tmp_path):
    cfg = TrainConfig(cell=cell, task="text", text="brackets", max_chars=5000, hidden=6, layers=layers, steps=3,
                      batch=4, length=12, eval_every=3)
    result = train.train(cfg)
    path = train.save_model(tmp_path / "m.npz", result)
    saved = train.load_model(path)
    arrays = dict(np.load(path))
    L = lm.num_layers(saved.model)
    assert L == layers
    params = {k: arrays[k] for k in arrays if not k.startswith("meta_")}
    params.update({k[5:]: arrays[k] for k in ("meta_head.weight", "meta_head.bias")})
    V = saved.model.task.input_size
    net, head = torch_model(params, cell, V, 6, L)
    ids = np.random.default_rng(0).integers(0, V, size=(2, 30))
    x = lm.one_hot(ids, V)
    _, _, ours = lm.loss_and_grads(saved.model, x, ids, train=False)
    with torch.no_grad():
        theirs = head(net(torch.from_numpy(x))[0]).numpy()
    assert np.allclose(ours, theirs, atol=1e-10)


@pytest.mark.parametrize("cell, layers", [("gru", 1), ("lstm", 1), ("lstm", 2), ("rnn", 2)])
def test_truncated_bptt_equals_torch_with_detach(cell, layers):
    from rnn_tutor.core import heads
    from rnn_tutor.core.corpus import Vocab

    V, H, B, T, K = 5, 4, 3, 6, 3
    model = heads.init_model(cell, lm.vocab_task(Vocab(tuple("abcde"))), H, seed=2, num_layers=layers)
    net, head = torch_model(model.params, cell, V, H, layers)
    ids = np.random.default_rng(1).integers(0, V, size=(B, K * T + 1))
    x, y = lm.one_hot(ids[:, :-1], V), ids[:, 1:]
    state: dict = {}
    ours = {}
    for k in range(K):
        s = slice(k * T, (k + 1) * T)
        _, g, _ = lm.loss_and_grads(model, x[:, s], y[:, s], state=state)
        for key, v in g.items():
            ours[key] = ours.get(key, 0) + v
    hidden = None
    for k in range(K):
        s = slice(k * T, (k + 1) * T)
        out, hidden = net(torch.from_numpy(x[:, s]), hidden)
        logits = head(out)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.from_numpy(y[:, s]).reshape(-1))
        loss.backward()
        hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
    for name, p in net.named_parameters():
        assert np.allclose(ours[name], p.grad.numpy(), atol=1e-10), name
    assert np.allclose(ours["head.weight"], head.weight.grad.numpy(), atol=1e-10)
