"""The one stepper: B streams side by side are B single streams; a language model's logits step by step are the
batch forward pass's; sampling and the character stream read through it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from rnn_tutor.core import cells, corpus, heads, lm, stepper, stream, tasks


def _stack(model, layers, seed=5):
    H = model.hidden_size
    for k in range(1, layers):
        extra = cells.init_params(model.cell, H, H, seed=seed + k)
        model.params.update({n.replace("_l0", f"_l{k}"): v for n, v in extra.items()})
    return model


def _text_model(cell, layers=2, chars="\n ()ab", dtype=np.float64, H=5):
    task = lm.vocab_task(chars if isinstance(chars, corpus.Vocab) else corpus.Vocab(tuple(chars)))
    model = _stack(heads.init_model(cell, task, H, seed=1), layers)
    for n in model.params:
        model.params[n] = (model.params[n] * 2.0).astype(dtype)
    return model


@pytest.mark.parametrize("cell", cells.CELLS)
def test_b_streams_side_by_side_are_b_single_streams(cell):
    model = _stack(heads.init_model(cell, tasks.get_task("adding"), 6, seed=3), 2)
    x = np.random.default_rng(0).normal(size=(3, 25, 2))  # (B, T, D)
    together = stepper.Stepper(model, batch=3)
    alone = [stepper.Stepper(model) for _ in range(3)]
    for t in range(25):
        y = together.step(x[:, t].T).copy()  # (O, B)
        assert y.shape == (1, 3)
        for b, s in enumerate(alone):
            assert np.max(np.abs(s.step(x[b, t]) - y[:, b])) < 1e-13  # gemm and gemv may round apart
    assert together.h.shape == (2, 3, 6) and np.max(np.abs(together.h[:, 1] - alone[1].h)) < 1e-13
    if cell == "lstm":
        assert np.max(np.abs(together.c[:, 2] - alone[2].c)) < 1e-13
    else:
        assert together.c is None
    assert together.state_numbers == alone[0].state_numbers == 2 * 6 * (2 if cell == "lstm" else 1)
    with pytest.raises(Exception, match="at least one stream"):
        stepper.Stepper(model, batch=0)


@pytest.mark.parametrize("cell", cells.CELLS)
@pytest.mark.parametrize("batch", [None, 2])
def test_logits_step_by_step_are_the_batch_forward_pass(cell, batch):
    model = _text_model(cell)
    V = model.task.input_size
    ids = np.random.default_rng(cell == "gru").integers(0, V, size=(2, 30))
    fwd = heads._forward(model, lm.one_hot(ids, V))
    ref = heads.linear(model.params["head.weight"], model.params["head.bias"], np.asarray(fwd.h))  # (2, T, V)
    st = stepper.Stepper(model, batch=batch)
    for t in range(30):
        got = st.logits(ids[:, t] if batch else ids[0, t])
        assert got.dtype == np.float64
        want = ref[:, t] if batch else ref[0, t]
        assert got.shape == want.shape and np.max(np.abs(got - want)) < 1e-12
    h_n = np.asarray(fwd.h_n)  # (L, 2, H)
    assert np.max(np.abs(st.h - (h_n if batch else h_n[:, 0]))) < 1e-12
    st.reset()  # the zero state again, and the one-hot slot holds only the new id
    first = st.logits(ids[:, 0] if batch else ids[0, 0])
    assert np.max(np.abs(first - (ref[:, 0] if batch else ref[0, 0]))) < 1e-12


def test_logits_after_a_vector_step_read_only_the_id():
    """step(x) and logits(ids) write the same input slot: logits clears whatever step left there."""
    model = _text_model("lstm", layers=1)
    a, b = stepper.Stepper(model), stepper.Stepper(model)
    a.step(np.full(model.task.input_size, 0.3))
    a.reset()
    assert np.array_equal(a.logits(2), b.logits(2)) and np.array_equal(a.logits(4), b.logits(4))


def test_text_stepper_is_lm_stepper_and_gives_distributions():
    model = _text_model("gru", dtype=np.float32)
    assert lm.Stepper is stepper.TextStepper
    st = lm.Stepper(model)
    p = st.step([3])
    assert p.shape == (1, model.task.input_size) and st.dtype == np.float32
    assert p.sum() == pytest.approx(1.0) and np.all(p > 0)
    st2 = stepper.Stepper(model, batch=1)
    assert np.array_equal(p, st2.probs([3]))


def test_the_character_stream_reads_each_character_as_itself():
    """A vocabulary with both cases: 'A' is read as 'A', not as 'a'; a character the model lacks falls back to its
    other case, then to the unknown symbol, else is skipped."""
    model = _text_model("lstm", layers=1, chars="\naAb", H=4)
    st = stream.open_stream(SimpleNamespace(model=model, meta={}))
    assert isinstance(st, stream.CharStream)
    assert [st.parse(c) for c in "aAb\n"] == [1, 2, 3, 0]
    assert st.parse("B") == 3
    with pytest.raises(stream.Skip, match="not in the model's alphabet"):
        st.parse("z")
    unk = _text_model("lstm", layers=1, chars=corpus.Vocab(tuple("\nab"), unknown=True), H=4)
    su = stream.open_stream(SimpleNamespace(model=unk, meta={}))
    assert su.parse("z") == 3 and su.parse("A") == 1
