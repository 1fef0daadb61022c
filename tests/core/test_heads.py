"""Heads, losses and whole-model gradients, each checked against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import heads
from rnn_tutor.core.tasks import TASKS, get_task

EPS = 1e-6


def numeric_grad(f, arr, idx):
    old = arr[idx]
    arr[idx] = old + EPS
    up = f()
    arr[idx] = old - EPS
    down = f()
    arr[idx] = old
    return (up - down) / (2 * EPS)


def test_linear_backward():
    rng = np.random.default_rng(0)
    W, b, h = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(2, 5, 4))
    dy = rng.normal(size=(2, 5, 3))
    dW, db, dh = heads.linear_backward(W, h, dy)

    def f():
        return float(np.sum(heads.linear(W, b, h) * dy))

    for arr, g in ((W, dW), (b, db), (h, dh)):
        for idx in np.ndindex(arr.shape):
            assert numeric_grad(f, arr, idx) == pytest.approx(g[idx], rel=1e-6, abs=1e-8)


def test_mse_and_cross_entropy_gradients():
    rng = np.random.default_rng(1)
    pred, target = rng.normal(size=(6, 1)), rng.normal(size=(6, 1))
    loss, d = heads.mse(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2))
    for idx in np.ndindex(pred.shape):
        assert numeric_grad(lambda: heads.mse(pred, target)[0], pred, idx) == pytest.approx(d[idx], rel=1e-6)
    logits, labels = rng.normal(size=(3, 4, 5)), rng.integers(0, 5, size=(3, 4))
    loss, d = heads.cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(np.take_along_axis(p, labels[..., None], -1))))
    for idx in list(np.ndindex(logits.shape))[::7]:
        num = numeric_grad(lambda: heads.cross_entropy(logits, labels)[0], logits, idx)
        assert num == pytest.approx(d[idx], rel=1e-5, abs=1e-9)


def test_cross_entropy_is_stable_for_huge_logits():
    loss, d = heads.cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert np.isfinite(loss) and loss > 100 and np.all(np.isfinite(d))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("task_name", list(TASKS))
def test_model_gradients_match_finite_differences(cell, task_name):
    task = get_task(task_name)
    T = max(task.min_length, 5)
    model = heads.init_model(cell, task, 4, seed=3, length=T)
    batch = task.batch(np.random.default_rng(5), 3, T)
    loss, grads, _ = heads.loss_and_grads(model, batch.x, batch.y)
    assert set(grads) == set(model.params)

    def f():
        return heads.loss_and_grads(model, batch.x, batch.y)[0]

    assert f() == pytest.approx(loss)
    rng = np.random.default_rng(9)
    for key, arr in model.params.items():
        flat = list(np.ndindex(arr.shape))
        for j in rng.choice(len(flat), size=min(5, len(flat)), replace=False):
            idx = flat[j]
            num = numeric_grad(f, arr, idx)
            assert num == pytest.approx(grads[key][idx], rel=1e-4, abs=1e-8), (key, idx)


def test_encoder_decoder_context_is_the_only_path():
    """The decoder sees the input only through the encoder's final state: changing the encoder's weights
    changes the loss, and zeroing the context's gradient path leaves the encoder without gradient."""
    task = get_task("reverse")
    model = heads.init_model("gru", task, 5, seed=0, length=4)
    b = task.batch(np.random.default_rng(0), 4, 4)
    _, grads, _ = heads.loss_and_grads(model, b.x, b.y)
    assert np.abs(grads["weight_ih_l0"]).max() > 0
    assert grads["decoder.weight_ih_l0"].shape == (3 * 5, task.output_size + 1)


def test_chrono_init_sets_the_memory_gates():
    task = get_task("adding")
    m = heads.init_model("lstm", task, 8, seed=0, length=100)
    bf = m.params["bias_ih_l0"][8:16] + m.params["bias_hh_l0"][8:16]
    bi = m.params["bias_ih_l0"][:8] + m.params["bias_hh_l0"][:8]
    assert np.all(bf >= 0) and np.all(bf <= np.log(99) + 1e-12)
    assert np.allclose(bi, -bf)
    plain = heads.init_model("lstm", task, 8, seed=0, gate_init="plain")
    assert np.abs(plain.params["bias_ih_l0"]).max() <= 1 / np.sqrt(8)
    g = heads.init_model("gru", task, 8, seed=0, length=100)
    assert np.all(g.params["bias_ih_l0"][8:16] >= 0)


def test_evaluate_and_predict_shapes():
    for name in TASKS:
        task = get_task(name)
        T = task.default_length
        m = heads.init_model("lstm", task, 6, seed=0, length=T)
        b = task.batch(np.random.default_rng(0), 5, T)
        e = heads.evaluate(m, b.x, b.y)
        assert np.isfinite(e.loss) and 0 <= e.accuracy <= 1
        p = heads.predict(m, b.x)
        if task.kind == "sequence-regression":
            assert p.shape == (5,)
        elif task.kind == "sequence-class":
            assert p.shape == (5, task.output_size) and np.allclose(p.sum(-1), 1)
        elif task.kind == "step-regression":  # the next reading after every step
            assert p.shape == (5, T)
        else:
            assert p.shape == (5, T, task.output_size) and np.allclose(p.sum(-1), 1)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("task_name", sorted(TASKS))
def test_evaluation_in_chunks_equals_one_pass(cell, task_name, monkeypatch):
    """evaluate() runs over chunks of EVAL_CHUNK sequences (bounded memory); the numbers are those of one pass,
    including a shorter last chunk. Trained a little first, so that accuracy is not 0 or 1."""
    task = get_task(task_name)
    T = min(task.default_length, 12)
    m = heads.init_model(cell, task, 6, seed=1, length=T)
    rng = np.random.default_rng(2)
    for _ in range(3):
        b = task.batch(rng, 16, T)
        _, grads, _ = heads.loss_and_grads(m, b.x, b.y)
        for k, g in grads.items():
            m.params[k] -= 0.5 * g
    b = task.batch(np.random.default_rng(3), 23, T)
    monkeypatch.setattr(heads, "EVAL_CHUNK", 1000)
    whole = heads.evaluate(m, b.x, b.y)
    monkeypatch.setattr(heads, "EVAL_CHUNK", 5)  # 5, 5, 5, 5, 3
    chunked = heads.evaluate(m, b.x, b.y)
    assert chunked.loss == pytest.approx(whole.loss, rel=1e-12)
    assert chunked.accuracy == whole.accuracy


def test_greedy_decoding_equals_teacher_forcing_when_predictions_are_right():
    """Feeding back the model's own argmax gives the same logits as teacher forcing with those symbols."""
    task = get_task("reverse")
    m = heads.init_model("lstm", task, 6, seed=2, length=5)
    b = task.batch(np.random.default_rng(1), 3, 5)
    symbols, logits = heads.greedy_decode(m, b.x)
    _, _, out = heads.loss_and_grads(m, b.x, symbols)
    assert np.allclose(out, logits)


# --------------------------------------------------------------------------------------- PyTorch as the oracle


def _torch_loss(model, x, y):
    """The same model built from torch modules: loss for every task kind, with its own teacher forcing."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    make = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[model.cell]
    t = model.task
    H = model.hidden_size

    def module(prefix, d_in):
        m = make(d_in, H, batch_first=True).double()
        for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(m, k).data = torch.tensor(model.params[prefix + k])
        return m

    head = torch.nn.Linear(H, t.output_size).double()
    head.weight.data = torch.tensor(model.params["head.weight"])
    head.bias.data = torch.tensor(model.params["head.bias"])
    enc = module("", t.input_size)
    xt = torch.tensor(x)
    h, last = enc(xt)
    mods = [enc, head]
    if t.kind == heads.SEQ2SEQ:
        yt = torch.tensor(y)
        B, T = yt.shape
        u = torch.zeros(B, T, t.output_size + 1, dtype=torch.float64)
        u[:, 0, -1] = 1.0  # start flag, then the previous right symbol
        u[:, 1:, :-1] = F.one_hot(yt[:, :-1], t.output_size).double()
        dec = module(heads.DECODER_PREFIX, t.output_size + 1)
        mods.append(dec)
        h, _ = dec(u, last)
        out = head(h)
        loss = F.cross_entropy(out.reshape(-1, t.output_size), yt.reshape(-1))
    elif t.kind == heads.STEP_CLASS:
        loss = F.cross_entropy(head(h).reshape(-1, t.output_size), torch.tensor(y).reshape(-1))
    elif t.kind == heads.SEQ_CLASS:
        loss = F.cross_entropy(head(h[:, -1]), torch.tensor(y))
    else:
        loss = F.mse_loss(head(h[:, -1]), torch.tensor(y))
    loss.backward()
    grads = {}
    for prefix, m in (("", enc), ("head.", None), (heads.DECODER_PREFIX, mods[2] if len(mods) > 2 else None)):
        if prefix == "head.":
            grads["head.weight"], grads["head.bias"] = head.weight.grad.numpy(), head.bias.grad.numpy()
        elif m is not None:
            for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                grads[prefix + k] = getattr(m, k).grad.numpy()
    return loss.item(), grads


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("task_name", ["adding", "recall", "tagging", "reverse"])
def test_loss_and_gradients_match_pytorch(cell, task_name):
    """Every task kind (one number, one class, a class per step, encoder-decoder) and every cell, float64."""
    pytest.importorskip("torch")
    task = get_task(task_name)
    T = 7 if task_name != "reverse" else 4
    model = heads.init_model(cell, task, 5, seed=3, length=T)
    batch = task.batch(np.random.default_rng(4), 3, T)
    loss, grads, _ = heads.loss_and_grads(model, batch.x, batch.y)
    ref_loss, ref = _torch_loss(model, batch.x, batch.y)
    assert loss == pytest.approx(ref_loss, rel=1e-10)
    assert set(ref) <= set(grads)
    for k, g in ref.items():
        np.testing.assert_allclose(grads[k], g, rtol=1e-7, atol=1e-10, err_msg=k)
