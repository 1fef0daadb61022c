"""The language model: its loss and gradient, truncated BPTT with the state carried across chunks, evaluation over
tracks, the one-step stepper, sampling, and the bracket measures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_tutor.core import corpus, heads, lm
from rnn_tutor.core.corpus import Text, Vocab
from rnn_tutor.errors import BadValueError
from tests.core.test_heads import numeric_grad

CELLS = ["rnn", "gru", "lstm"]


def small_model(cell, V=5, H=4, seed=3, dtype=np.float64, layers=1):
    task = lm.vocab_task(Vocab(tuple("abcde"[:V])))
    return heads.init_model(cell, task, H, seed=seed, dtype=dtype, length=10, num_layers=layers)


def stream_ids(n, V=5, seed=0):
    return np.random.default_rng(seed).integers(0, V, size=n)


@pytest.mark.parametrize("cell, layers", [(c, 1) for c in CELLS] + [("lstm", 2), ("gru", 2)])
def test_gradient_matches_finite_differences_from_a_carried_state(cell, layers):
    m = small_model(cell, layers=layers)
    B, T, V = 3, 6, 5
    rng = np.random.default_rng(1)
    x = lm.one_hot(rng.integers(0, V, size=(B, T)), V)
    y = rng.integers(0, V, size=(B, T))
    h = rng.normal(size=(layers, B, 4)) * 0.5
    state = {"h": h, "c": rng.normal(size=(layers, B, 4)) * 0.5} if cell == "lstm" else {"h": h}

    def f():
        return lm.loss_and_grads(m, x, y, state={k: v.copy() for k, v in state.items()})[0]

    loss, grads, logits = lm.loss_and_grads(m, x, y, state={k: v.copy() for k, v in state.items()})
    assert logits.shape == (B, T, V) and set(grads) == set(m.params)
    for key, arr in m.params.items():
        for idx in list(np.ndindex(arr.shape))[:: max(1, arr.size // 7)]:
            assert grads[key][idx] == pytest.approx(numeric_grad(f, arr, idx), rel=1e-5, abs=1e-9), (key, idx)


@pytest.mark.parametrize("cell, layers", [(c, 1) for c in CELLS] + [("lstm", 2), ("rnn", 3)])
def test_chunks_with_carried_state_equal_one_long_pass_and_truncated_bptt(cell, layers):
    """Three chunks with the state carried (every layer's) give the logits of one forward pass over all of them;
    the sum of their gradients is the gradient of the three losses with each chunk's starting state held fixed
    (truncated BPTT), which is not full BPTT's."""
    m = small_model(cell, layers=layers)
    B, T, V, K = 2, 5, 5, 3
    ids = stream_ids(K * T + 1).reshape(1, -1).repeat(B, 0)
    ids[1] = stream_ids(K * T + 1, seed=4)
    xs, ys = lm.one_hot(ids[:, :-1], V), ids[:, 1:]
    state: dict = {}
    logits, total, starts = [], {}, []
    for k in range(K):
        s = slice(k * T, (k + 1) * T)
        starts.append({key: v.copy() for key, v in state.items()})
        loss, g, out = lm.loss_and_grads(m, xs[:, s], ys[:, s], state=state)
        logits.append(out)
        for key, v in g.items():
            total[key] = total.get(key, 0) + v
    _, full_grads, full_logits = lm.loss_and_grads(m, xs, ys)  # one pass over K T steps, from zeros
    assert np.allclose(np.concatenate(logits, axis=1), full_logits, atol=1e-12)

    def truncated():  # each chunk from its recorded starting state, a constant
        return sum(lm.loss_and_grads(m, xs[:, k * T : (k + 1) * T], ys[:, k * T : (k + 1) * T],
                                     state={key: v.copy() for key, v in starts[k].items()})[0] for k in range(K))

    assert all(s["h"].shape == (layers, B, 4) for s in starts[1:])
    key = f"weight_hh_l{layers - 1}"
    for k in ("weight_hh_l0", key):
        for idx in [(0, 0), (1, 2), (3, 1)]:
            assert total[k][idx] == pytest.approx(numeric_grad(truncated, m.params[k], idx), rel=1e-5, abs=1e-9)
    # full BPTT of the same total loss (mean over K T = (1/K) sum of the chunk means) differs: older steps add
    assert not np.allclose(K * full_grads[key], total[key], rtol=1e-3)


def test_stream_tracks_chunks_and_restart():
    ids = np.arange(2 * 10 + 1) % 7
    st = lm.Stream(ids, batch=2, length=4, V=7)
    assert st.n == 10
    x0, y0, s0 = st.next()
    assert x0.shape == (2, 4, 7) and list(x0[1].argmax(-1)) == [10 % 7, 11 % 7, 12 % 7, 13 % 7]
    assert list(y0[0]) == [1, 2, 3, 4]
    s0["h"] = np.ones((1, 2, 3))
    x1, _, s1 = st.next()
    assert s1 is s0 and list(x1[0].argmax(-1)) == [4, 5, 6, 0]
    st.next()  # positions 8, 9 remain: less than a chunk, so the next chunk starts a new pass from zeros
    assert st.passes == 1 and st.state == {} and st.pos == 4
    with pytest.raises(BadValueError):
        lm.Stream(ids, batch=2, length=11, V=7)


@pytest.mark.parametrize("cell", CELLS)
def test_evaluation_over_tracks_equals_one_pass(cell, monkeypatch):
    m = small_model(cell)
    x = stream_ids(2 * 40).reshape(2, 40)
    y = stream_ids(2 * 40, seed=2).reshape(2, 40)
    whole = lm.score(m, x, y, chunk=40)
    parts = lm.score(m, x, y, chunk=7)
    assert np.allclose(whole.log2p, parts.log2p, atol=1e-12) and np.array_equal(whole.right, parts.right)
    _, _, logits = lm.loss_and_grads(m, lm.one_hot(x, 5), y)
    p = heads.softmax(logits)
    assert np.allclose(whole.log2p, np.log2(np.take_along_axis(p, y[..., None], -1)[..., 0]))
    e = lm.evaluate(m, x, y)
    assert e.loss == pytest.approx(-whole.log2p.mean() * math.log(2))


@pytest.mark.parametrize("cell, layers", [(c, 1) for c in CELLS] + [("lstm", 2)])
def test_stepper_equals_the_batch_forward(cell, layers):
    m = small_model(cell, layers=layers)
    ids = stream_ids(12)
    st = lm.Stepper(m)
    stepped = np.stack([st.step([i])[0] for i in ids])
    _, _, logits = lm.loss_and_grads(m, lm.one_hot(ids[None], 5), np.zeros((1, 12), dtype=int))
    assert np.allclose(stepped, heads.softmax(logits[0]), atol=1e-12)


def test_sampling_is_deterministic_and_temperature_zero_is_argmax():
    m = small_model("lstm")

    def text(**kw):
        return "".join(c[0].char for c in lm.sample(m, 40, **kw))

    assert text(seed=1) == text(seed=1) and text(seed=1) != text(seed=2)
    greedy = [c[0] for c in lm.sample(m, 15, temperature=0, prime="ab")]
    assert text(temperature=0, prime="ab", seed=5) == text(temperature=0, prime="ab", seed=6)
    st = lm.Stepper(m)  # the argmax, step by step, by hand
    for i in [0, 1]:
        p = st.step([i])
    for c in greedy:
        assert c.id == int(p[0].argmax()) and c.sampled_probability == 1.0
        assert c.probability == pytest.approx(p[0].max())
        p = st.step([c.id])
    with pytest.raises(BadValueError, match="'z' is not a character the model knows"):
        list(lm.sample(m, 5, prime="az"))
    for bad in (-1, float("nan"), 101, True):
        with pytest.raises(BadValueError):
            list(lm.sample(m, 5, temperature=bad))


def test_temperature_reshapes_the_distribution():
    logits = np.array([[2.0, 1.0, 0.0]])
    p1 = lm.tempered(logits, 1.0)
    assert np.allclose(p1, heads.softmax(logits))
    cold, hot = lm.tempered(logits, 0.5), lm.tempered(logits, 2.0)
    assert cold[0, 0] > p1[0, 0] > hot[0, 0]
    assert np.allclose(cold, heads.softmax(2 * logits))
    assert list(lm.tempered(logits, 0)[0]) == [1.0, 0.0, 0.0]


def test_bracket_depth_and_closers():
    text = "x)]\n(((a) [[b]]))\n"  # the first line began before the text: skipped
    assert lm.closer_targets(text, 3) == [(8, ")"), (13, "]"), (14, "]")]
    assert lm.balanced("(a [b] c)") and not lm.balanced("(a ]") and not lm.balanced("((a)")
    assert lm.balanced("no brackets") and not lm.balanced(")(")


def test_bracket_memory_counts_model_and_ngram():
    text = Text("brackets", corpus.brackets_text(30_000), False)
    data = lm.prepare(text, batch=4, length=20)
    m = heads.init_model("lstm", lm.vocab_task(data.vocab), 4, seed=0)
    bm = lm.bracket_memory(m, data)
    x, y = data.eval_tracks()
    expected = sum(len(lm.closer_targets(data.vocab.decode(np.r_[x[e, :1], y[e]]))) for e in range(len(x)))
    assert bm.closers == expected > 0
    assert 0 <= bm.model_right <= bm.closers and 0 <= bm.ngram_right <= bm.closers
    assert lm.bracket_memory(m, lm.prepare(Text("t", "ab cd\n" * 500, False), batch=2, length=5)) is None


def test_ngram_report_of_text_data_scores_the_eval_tracks():
    data = lm.prepare(Text("t", corpus.brackets_text(20_000), False), batch=4, length=20)
    rep = data.ngram(3)
    x, y = data.eval_tracks()
    assert rep.valid_chars == y.size and rep.uniform_bpc == math.log2(data.V)
    assert set(rep.bpc) == {1, 2, 3} and rep.bpc[3] < rep.bpc[1] < rep.uniform_bpc


def test_tracks_start_at_a_newline_and_have_one_length():
    text = "ab\ncde\nf\nghij\nkl\nmnop\nqr\n"
    vocab, _ = corpus.build_vocab(text)
    ids, _ = vocab.encode(text)
    nl = vocab.chars.index("\n")
    x, y = lm.tracks(ids, 3, nl)
    assert [vocab.decode(row)[0] for row in x] == ["\n"] * 3  # the zero state meets a line start, as in sampling
    assert x.shape == y.shape and np.array_equal(x[:, 1:], y[:, :-1])
    plain_x, _ = lm.tracks(ids, 3)  # without newlines to align to: equal shares
    assert plain_x.shape == (3, (len(ids) - 1) // 3) and vocab.decode(plain_x[0]).startswith("ab")


def test_lesson_numbers_are_recomputed():
    from rnn_tutor.core.lessons import VALUES

    e = np.exp([2.0, 1.0, 0.0])
    assert VALUES["lm.temp_1"]() == ", ".join(f"{v:.3f}" for v in e / e.sum())
    e2 = np.exp([1.0, 0.5, 0.0])
    assert VALUES["lm.temp_2"]() == ", ".join(f"{v:.3f}" for v in e2 / e2.sum())
    assert lm.bptt_bytes("lstm", 128, 2_000_000) == 7 * 128 * 2_000_000 * 8
    assert VALUES["lm.chunk_bptt"]() == "21.9 MiB"  # 7 H numbers per step: i, f, g, o, c, tanh c, h
    assert VALUES["lm.brackets_v"]() == str(len(corpus.BRACKETS_VOCAB))
    assert float(VALUES["lm.brackets_uniform"]()) == pytest.approx(math.log2(len(corpus.BRACKETS_VOCAB)), abs=5e-4)
    bpc, ppl = float(VALUES["lm.brackets_ngram_bpc"]()), float(VALUES["lm.brackets_ngram_ppl"]())
    assert ppl == pytest.approx(2**bpc, abs=0.01) and 1 < bpc < math.log2(len(corpus.BRACKETS_VOCAB))
    share = float(VALUES["lm.brackets_ngram_closers"]().rstrip("%"))
    assert 50 < share < 90  # "only ... of the time": better than a coin, far from always
