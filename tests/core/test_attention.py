"""The attention decoder: gradients against finite differences (and torch), weights that sum to 1, a forward pass
equal to a PyTorch reference, and the plain decoder left exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import attention, heads
from rnn_tutor.core import train as core
from rnn_tutor.core.tasks import get_task
from rnn_tutor.errors import BadValueError
from tests.core.test_heads import numeric_grad

CELLS = ("rnn", "gru", "lstm")
SCORES = attention.SCORES


def _model(cell, score, task="reverse", H=4, T=5, seed=3):
    t = get_task(task)
    m = heads.init_model(cell, t, H, seed=seed, length=T, decoder="attention", score=score)
    b = t.batch(np.random.default_rng(5), 3, T)
    return m, b


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("score", SCORES)
def test_gradients_match_finite_differences_through_both_rnns(cell, score):
    """Every parameter (encoder, decoder, attention, readout) on a sample of entries: central differences."""
    m, b = _model(cell, score)
    loss, grads, _ = heads.loss_and_grads(m, b.x, b.y)
    assert set(grads) == set(m.params)
    assert any(k.startswith("attention.") for k in grads)
    assert "weight_hh_l0" in grads and "decoder.weight_hh_l0" in grads

    def f():
        return heads.loss_and_grads(m, b.x, b.y, train=False)[0]

    assert f() == pytest.approx(loss, rel=1e-12)
    rng = np.random.default_rng(9)
    for key, arr in m.params.items():
        flat = list(np.ndindex(arr.shape))
        for j in rng.choice(len(flat), size=min(6, len(flat)), replace=False):
            idx = flat[j]
            num = numeric_grad(f, arr, idx)
            assert abs(num - grads[key][idx]) <= 1e-6 * max(abs(num), abs(grads[key][idx]), 1e-3), (key, idx)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("score", SCORES)
def test_gradients_through_stacked_cells(cell, score):
    """Two layers in the encoder and the decoder: attention reads the top encoder layer, the top decoder layer
    asks, and every layer's final state starts the decoder's."""
    t = get_task("reverse")
    m = heads.init_model(cell, t, 3, seed=1, length=4, num_layers=2, decoder="attention", score=score)
    assert m.num_layers == 2 and "decoder.weight_ih_l1" in m.params
    b = t.batch(np.random.default_rng(2), 2, 4)
    loss, grads, _ = heads.loss_and_grads(m, b.x, b.y)
    assert set(grads) == set(m.params)
    rng = np.random.default_rng(3)
    for key in ("weight_hh_l0", "weight_ih_l1", "decoder.weight_hh_l0", "decoder.bias_ih_l1",
                "attention.combine.weight" if score == "dot" else "attention.key.weight", "head.weight"):
        arr = m.params[key]
        for j in rng.choice(arr.size, size=3, replace=False):
            idx = np.unravel_index(j, arr.shape)
            num = numeric_grad(lambda: heads.loss_and_grads(m, b.x, b.y, train=False)[0], arr, idx)
            assert abs(num - grads[key][idx]) <= 1e-6 * max(abs(num), abs(grads[key][idx]), 1e-3), (key, idx)


@pytest.mark.parametrize("score", SCORES)
def test_weights_sum_to_one_over_the_inputs(score):
    m, b = _model("gru", score, task="reorder", H=5, T=7)
    out = attention.greedy_decode(m, b.x)
    assert out.weights.shape == (3, 7, 7)  # (B, T_out, T_in)
    assert np.all(out.weights >= 0)
    np.testing.assert_allclose(out.weights.sum(-1), 1.0, rtol=0, atol=1e-12)
    # greedy decoding feeds back its own symbols: teacher forcing with them gives the same numbers
    _, _, logits = heads.loss_and_grads(m, b.x, out.symbols, train=False)
    np.testing.assert_allclose(logits, out.logits, atol=1e-12)


def test_attention_length_limit_and_choices():
    with pytest.raises(BadValueError) as e:
        core.TrainConfig(task="reverse", decoder="attention", length=attention.MAX_LENGTH + 1).checked()
    assert e.value.option == "--length" and "1,000" in e.value.message
    with pytest.raises(BadValueError) as e:
        core.TrainConfig(task="adding", decoder="attention").checked()
    assert e.value.option == "--decoder" and "reverse" in e.value.message
    with pytest.raises(BadValueError) as e:
        core.TrainConfig(task="reverse", decoder="transformer").checked()
    assert e.value.option == "--decoder"
    with pytest.raises(BadValueError) as e:
        core.TrainConfig(task="reverse", decoder="attention", score="cosine").checked()
    assert e.value.option == "--score"
    assert core.TrainConfig(task="reverse", decoder="attention").checked().score == "additive"
    with pytest.raises(BadValueError):
        heads.init_model("lstm", get_task("order"), 4, decoder="attention")


def test_memory_estimate_counts_the_weights_matrix():
    plain = core.memory_estimate("lstm", "seq2seq", 25, 32, 512, 500, "float64")
    att = core.memory_estimate("lstm", "seq2seq", 25, 32, 512, 500, "float64", decoder="attention")
    assert att > plain + 500 * 500 * 32 * 8


# ------------------------------------------------------------------------------------------- PyTorch reference


def _torch_forward(model, x, y, grad=False):
    """The attention decoder written with torch operations (torch's RNN cells with our weights), teacher-forced.
    Returns (logits (B, T, O), weights (B, T, S), loss) as torch tensors."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    p = {k: torch.tensor(v, requires_grad=grad) for k, v in model.params.items()}
    t = model.task
    H, O = model.hidden_size, t.output_size
    enc = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[model.cell](t.input_size, H,
                                                                                          batch_first=True).double()
    enc.load_state_dict({k: p[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")})
    cell = {"rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}[model.cell](
        O + 1 + H, H).double()
    cell.load_state_dict({k.replace("_l0", ""): p["decoder." + k]
                          for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")})
    xt, yt = torch.tensor(x), torch.tensor(y)
    E, last = enc(xt)  # (B, S, H)
    if model.cell == "lstm":
        s, c = last[0][0], last[1][0]
    else:
        s, c = last[0], None
    B, T = yt.shape
    u = torch.zeros(B, T, O + 1, dtype=torch.float64)
    u[:, 0, O] = 1.0
    u[:, 1:, :O] = F.one_hot(yt[:, :-1], O).double()
    feed = torch.zeros(B, H, dtype=torch.float64)
    logits, weights = [], []
    for step in range(T):
        if model.score == "additive":
            e = torch.tanh((s @ p["attention.query.weight"].T)[:, None, :] + E @ p["attention.key.weight"].T)
            a = torch.softmax(e @ p["attention.score.weight"][0], dim=-1)  # (B, S)
            ctx = torch.einsum("bs,bsh->bh", a, E)
            inp = torch.cat([u[:, step], ctx], dim=-1)
            if c is None:
                s = cell(inp, s)
            else:
                s, c = cell(inp, (s, c))
            out = torch.cat([s, ctx], dim=-1) @ p["head.weight"].T + p["head.bias"]
        else:
            inp = torch.cat([u[:, step], feed], dim=-1)
            if c is None:
                s = cell(inp, s)
            else:
                s, c = cell(inp, (s, c))
            a = torch.softmax(torch.einsum("bsh,bh->bs", E, s), dim=-1)
            ctx = torch.einsum("bs,bsh->bh", a, E)
            feed = torch.tanh(torch.cat([ctx, s], dim=-1) @ p["attention.combine.weight"].T)
            out = feed @ p["head.weight"].T + p["head.bias"]
        logits.append(out)
        weights.append(a)
    logits, weights = torch.stack(logits, 1), torch.stack(weights, 1)
    loss = F.cross_entropy(logits.reshape(-1, O), yt.reshape(-1))
    return logits, weights, loss, p, enc, cell


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("score", SCORES)
def test_forward_and_gradients_equal_a_pytorch_reference(cell, score):
    m, b = _model(cell, score, H=5, T=6)
    loss, grads, logits = heads.loss_and_grads(m, b.x, b.y, train=False)
    u = heads._teacher_inputs(m.task, b.y, b.x.dtype)
    enc = heads._forward(m, b.x)
    ours = attention.decode(m, np.array(enc.h), enc.h_n, enc.c_n, u=u)
    t_logits, t_weights, t_loss, p, t_enc, t_cell = _torch_forward(m, b.x, b.y)
    np.testing.assert_allclose(logits, t_logits.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.weights, t_weights.detach().numpy(), rtol=0, atol=1e-12)
    assert loss == pytest.approx(float(t_loss.detach()), rel=1e-12)
    # and the gradients, by torch's autograd
    t_logits, t_weights, t_loss, p, t_enc, t_cell = _torch_forward(m, b.x, b.y, grad=True)
    t_loss.backward()
    for k, g in t_enc.named_parameters():
        np.testing.assert_allclose(grads[k], g.grad.numpy(), rtol=1e-9, atol=1e-12)
    for k, g in t_cell.named_parameters():
        np.testing.assert_allclose(grads["decoder." + k + "_l0"], g.grad.numpy(), rtol=1e-9, atol=1e-12)
    for k, v in p.items():
        if k.startswith(("attention.", "head.")):
            np.testing.assert_allclose(grads[k], v.grad.numpy(), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------- the plain decoder


def _todays_plain(model, x, y):
    """heads.loss_and_grads and heads.greedy_decode for the encoder-decoder as they were before attention came
    (copied from the code of that commit): the plain decoder must still compute exactly this."""
    W, b = model.params["head.weight"], model.params["head.bias"]
    enc = heads._forward(model, x, ws_key=None)
    c_last = getattr(enc, "c_last", None)
    u = heads._teacher_inputs(model.task, y, x.dtype)
    dec = heads._forward(model, u, heads.DECODER_PREFIX, h0=np.array(enc.h_last),
                         c0=None if c_last is None else np.array(c_last))
    h = np.asarray(dec.h)
    out = heads.linear(W, b, h)
    loss, dout = heads.cross_entropy(out, y)
    dW, db, dh = heads.linear_backward(W, h, dout)
    gd = heads._backward(model, dec, heads.DECODER_PREFIX, dh=dh)
    g = heads._backward(model, enc, dh_last=gd["h0"], dc_last=gd.get("c0") if model.cell == "lstm" else None)
    g.update({heads.DECODER_PREFIX + k: gd[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")})
    grads = {k: g[k] for k in model.params if k in g}
    grads["head.weight"], grads["head.bias"] = dW, db
    B, T, _ = x.shape
    O = model.task.output_size
    hs = np.array(enc.h_last)
    cs = None if c_last is None else np.array(c_last)
    v = np.zeros((B, 1, O + 1), dtype=x.dtype)
    v[:, 0, O] = 1.0
    symbols = np.empty((B, T), dtype=np.int64)
    logits = np.empty((B, T, O), dtype=x.dtype)
    for t in range(T):
        step = heads._forward(model, v, heads.DECODER_PREFIX, h0=hs, c0=cs)
        hs = np.array(step.h_last)
        cs = None if getattr(step, "c_last", None) is None else np.array(step.c_last)
        logits[:, t] = heads.linear(W, b, hs)
        symbols[:, t] = logits[:, t].argmax(axis=-1)
        v[:] = 0.0
        v[np.arange(B), 0, symbols[:, t]] = 1.0
    return loss, grads, out, symbols, logits


@pytest.mark.parametrize("cell", CELLS)
def test_the_plain_decoder_computes_exactly_what_it_did(cell):
    t = get_task("reverse")
    m = heads.init_model(cell, t, 5, seed=4, length=6)
    assert m.decoder == "plain" and not any(k.startswith("attention.") for k in m.params)
    assert m.params["decoder.weight_ih_l0"].shape[1] == t.output_size + 1
    b = t.batch(np.random.default_rng(2), 4, 6)
    loss, grads, out = heads.loss_and_grads(m, b.x, b.y, train=False)
    symbols, logits = heads.greedy_decode(m, b.x)
    r_loss, r_grads, r_out, r_symbols, r_logits = _todays_plain(m, b.x, b.y)
    assert loss == r_loss and np.array_equal(out, r_out)
    assert set(grads) == set(r_grads) and all(np.array_equal(grads[k], r_grads[k]) for k in grads)
    assert np.array_equal(symbols, r_symbols) and np.array_equal(logits, r_logits)


# Losses at every evaluation of a short run per cell and dtype, printed by the code before attention came
# (main at 58cf550): cell, dtype -> (final accuracy, losses at steps 0, 10, 20, 30).
TODAY = {
    ("rnn", "float64"): (0.1875, (2.0959034242853156, 2.0493748604763584, 1.97724062890167, 1.9450885644001634)),
    ("rnn", "float32"): (0.1875, (2.0959036350250244, 2.04937481880188, 1.977240800857544, 1.9450886249542236)),
    ("gru", "float64"): (0.25, (2.1360864418234895, 2.0708489982965235, 2.0477660172932994, 1.9784154025586926)),
    ("gru", "float32"): (0.25, (2.1360864639282227, 2.0708489418029785, 2.0477662086486816, 1.9784154891967773)),
    ("lstm", "float64"): (0.2375, (2.125099051492314, 2.080868716867686, 2.0494304334609006, 1.972772317711256)),
    ("lstm", "float32"): (0.2375, (2.1250991821289062, 2.080868721008301, 2.0494303703308105, 1.972772240638733)),
}


@pytest.mark.parametrize("cell,dtype", sorted(TODAY))
def test_plain_reverse_training_gives_todays_numbers(cell, dtype):
    r = core.train(core.TrainConfig(cell=cell, task="reverse", length=5, hidden=6, steps=30, eval_every=10,
                                    eval_size=16, dtype=dtype))
    accuracy, losses = TODAY[(cell, dtype)]
    assert r.accuracy == accuracy
    # float64 to the last digits; a machine whose BLAS rounds differently may move the 15th
    rel = 1e-12 if dtype == "float64" else 1e-6
    assert [rec.loss for rec in r.records] == pytest.approx(list(losses), rel=rel)
    assert r.config.decoder == "plain" and r.config.score is None


# ------------------------------------------------------------------------------------------- a trained model


def test_a_trained_reverse_model_round_trips_and_looks_at_the_mirror(tmp_path):
    """A short run (stopped once 99% of symbols are right): saved, loaded and run again it gives the same numbers,
    and its attention already leans on the anti-diagonal (the full bar is the slow test below)."""
    r = core.train(core.TrainConfig(task="reverse", decoder="attention", stop_at=0.99, eval_size=128))
    assert r.accuracy >= 0.99
    path = core.save_model(tmp_path / "rev.npz", r)
    saved = core.load_model(path)
    m = saved.model
    assert (m.decoder, m.score) == ("attention", "additive")
    for k, v in r.params.items():
        assert np.array_equal(m.params[k], v), k
    x = m.task.batch(np.random.default_rng([123, 4]), 200, 6).x  # a stream neither training nor evaluation uses
    assert attention.mirrored_share(m, x) >= 0.8
    amap = attention.attention_map(m, "a b c d e f")
    assert amap.outputs == tuple("fedcba") and amap.expected == tuple("fedcba")
    assert core.predict_one(saved, "a b c d e f").prediction == "f e d c b a"
    np.testing.assert_allclose(np.sum(amap.weights, axis=1), 1.0, atol=1e-12)


@pytest.mark.slow
def test_with_trains_defaults_the_largest_weight_is_on_the_mirrored_position():
    """Issue 14's bar: `train --task reverse --decoder attention` (its defaults: 1,000 steps, length 6, hidden 16,
    seed 0) puts its largest weight on the mirrored input position for >= 95% of output steps on held-out
    inputs."""
    r = core.train(core.TrainConfig(task="reverse", decoder="attention", steps=1000))
    m = heads.Model("lstm", get_task("reverse"), 16, r.params, "attention", "additive")
    x = m.task.batch(np.random.default_rng([123, 4]), 1000, 6).x
    assert attention.mirrored_share(m, x) >= 0.95


def test_saved_files_name_the_decoder_and_keep_pytorch_names(tmp_path):
    r = core.train(core.TrainConfig(cell="gru", task="reorder", decoder="attention", score="dot", steps=3,
                                    eval_every=3, eval_size=8, hidden=4))
    path = core.save_model(tmp_path / "m.npz", r)
    with np.load(path) as z:
        names = set(z.files)
        assert str(z["meta_decoder_kind"]) == "attention" and str(z["meta_attention_score"]) == "dot"
    assert {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "meta_decoder.weight_ih_l0",
            "meta_attention.combine.weight", "meta_head.weight"} <= names
    from rnn_tutor.core.weights import load_weights

    assert load_weights(path).cell == "gru"  # trace --weights reads the encoder cell of the same file
    m = core.load_model(path).model
    assert (m.decoder, m.score) == ("attention", "dot")


def test_damaged_attention_files_are_refused(tmp_path):
    from rnn_tutor.errors import RnnTutorError

    r = core.train(core.TrainConfig(task="reverse", decoder="attention", steps=2, eval_every=2, eval_size=8,
                                    hidden=4))
    good = core.save_model(tmp_path / "m.npz", r)
    with np.load(good) as z:
        arrays = dict(z)
    cases = {
        "no-weights": {k: v for k, v in arrays.items() if k != "meta_attention.query.weight"},
        "shape": {**arrays, "meta_attention.key.weight": np.zeros((3, 4))},
        "nan": {**arrays, "meta_attention.score.weight": np.full((1, 4), np.nan)},
        "score": {**arrays, "meta_attention_score": np.array("cosine")},
        "kind": {**arrays, "meta_decoder_kind": np.array("transformer")},
        "plain-shapes": {k: v for k, v in arrays.items() if k != "meta_decoder_kind"},  # decoder input too wide
    }
    for name, bad in cases.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, **bad)
        with pytest.raises(RnnTutorError) as e:
            core.load_model(path)
        assert "model file" in e.value.message, name
