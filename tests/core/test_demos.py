"""The demos' maths: order, cost and bottleneck, each checked against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_tutor.core.demos import (
    ORDER_DEFAULTS,
    bottleneck_demo,
    bottleneck_lengths,
    cost_demo,
    order_demo,
)
from rnn_tutor.errors import BadValueError


def _linear_states(xs, w=0.5, u=0.5):
    h, out = 0.0, []
    for x in xs:
        h = w * h + u * x
        out.append(h)
    return out


# --- order ---------------------------------------------------------------------------------------------------


def test_order_default_sentences_same_bag_different_states():
    r = order_demo(*ORDER_DEFAULTS)
    assert r.vocabulary == {"the": 1, "dog": 2, "bit": 3, "man": 4}
    assert r.ids_a == (1, 2, 3, 1, 4) and r.ids_b == (1, 4, 3, 1, 2)
    assert r.same_bag and r.sum_a == r.sum_b == 11 and r.bag_distance == 0.0
    assert [s.h_a for s in r.steps] == _linear_states(r.ids_a)
    assert [s.h_b for s in r.steps] == _linear_states(r.ids_b)
    assert r.final_a == 2.78125 and r.final_b == 1.90625
    assert r.steps[0].diff == 0.0 and r.steps[0].vector_distance == 0.0  # both start with "the"
    assert r.steps[1].diff == 1.25 - 2.25
    assert r.vector_distance > 0.1
    assert not r.overflow


def test_order_identical_sentences_identical_states():
    r = order_demo("a cat sat", "A cat, sat!")
    assert r.same_bag and all(s.diff == 0 and s.vector_distance == 0 for s in r.steps)
    assert r.vector_distance == 0.0


def test_order_different_lengths_pad_with_none():
    r = order_demo("one two", "three four five")
    assert not r.same_bag and r.bag_distance > 0
    assert len(r.steps) == 3
    last = r.steps[-1]
    assert last.token_a is None and last.h_a is None and last.diff is None and last.vector_distance is None
    assert last.token_b == "five" and last.x_b == 5.0


def test_order_vector_rnn_is_seeded():
    a = order_demo(*ORDER_DEFAULTS, seed=3)
    b = order_demo(*ORDER_DEFAULTS, seed=3)
    c = order_demo(*ORDER_DEFAULTS, seed=4)
    assert a.vector_final_a == b.vector_final_a
    assert a.vector_final_a != c.vector_final_a


def test_order_overflow_is_reported_not_raised():
    r = order_demo("a b c d e", "e d c b a", weight=1e200)
    assert r.overflow and r.final_a is None and r.steps[-1].diff is None


@pytest.mark.parametrize("a, b, option", [("", "x", "SENTENCE_A"), ("x", "...", "SENTENCE_B")])
def test_order_empty_sentence_names_argument(a, b, option):
    with pytest.raises(BadValueError) as e:
        order_demo(a, b)
    assert e.value.option == option


def test_order_bad_weight_names_option():
    with pytest.raises(BadValueError) as e:
        order_demo("a b", "b a", weight=float("nan"))
    assert e.value.option == "--weight"


words = st.lists(st.sampled_from(["red", "green", "blue", "cat", "dog"]), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(words, st.randoms(use_true_random=False), st.floats(-0.99, 0.99))
def test_order_any_permutation_has_same_bag_and_linear_final(ws, rnd, w):
    perm = list(ws)
    rnd.shuffle(perm)
    r = order_demo(" ".join(ws), " ".join(perm), weight=w)
    assert r.same_bag and r.sum_a == r.sum_b and r.bag_distance == 0
    # unrolled recurrence: h_T = sum_t u w^(T-t) x_t
    T = len(ws)
    expect = sum(0.5 * w ** (T - t) * x for t, x in enumerate(r.ids_b, 1))
    assert r.final_b == pytest.approx(expect, abs=1e-12)


# --- cost ----------------------------------------------------------------------------------------------------


def test_cost_table_one_at_512():
    r = cost_demo(512, 512)
    rnn, attn = r.layers_cost
    assert rnn.layer == "recurrent" and attn.layer == "self-attention"
    assert rnn.operations == 512 * 512**2 == attn.operations
    assert (rnn.sequential_ops, rnn.path_length) == (512, 512)
    assert (attn.sequential_ops, attn.path_length) == (1, 1)
    assert r.cheaper == "equal" and r.ops_ratio == 1.0


@pytest.mark.parametrize("n, d, cheaper", [(100, 512, "self-attention"), (4096, 512, "recurrent")])
def test_cost_crossover_at_n_equals_d(n, d, cheaper):
    r = cost_demo(n, d)
    rnn, attn = r.layers_cost
    assert rnn.operations == n * d * d and attn.operations == n * n * d
    assert r.cheaper == cheaper
    assert (attn.operations < rnn.operations) == (cheaper == "self-attention")


def test_cost_streaming_memory_fixed_vs_growing():
    r = cost_demo(1000, 64, layers=2, bytes_per_number=2)
    assert [p.tokens for p in r.stream] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]
    assert {p.lstm_numbers for p in r.stream} == {2 * 64 * 2}
    for p in r.stream:
        assert p.kv_numbers == 2 * p.tokens * 64 * 2
        assert p.kv_bytes == 2 * p.kv_numbers and p.lstm_bytes == 2 * p.lstm_numbers
    assert r.kv_over_lstm == r.stream[-1].kv_numbers / r.stream[-1].lstm_numbers == 1000


@pytest.mark.parametrize(
    "kwargs, option",
    [
        (dict(length=0), "--length"),
        (dict(hidden=-3), "--hidden"),
        (dict(layers=0), "--layers"),
        (dict(length=10**8), "--length"),
        (dict(bytes_per_number=3), "--bytes"),
    ],
)
def test_cost_bad_values(kwargs, option):
    with pytest.raises(BadValueError) as e:
        cost_demo(**kwargs)
    assert e.value.option == option


# --- bottleneck ----------------------------------------------------------------------------------------------


def test_bottleneck_lengths_include_size_and_max():
    assert bottleneck_lengths(4, 32) == [1, 2, 4, 8, 16, 32]
    assert bottleneck_lengths(5, 20) == [1, 2, 4, 5, 8, 16, 20]
    assert bottleneck_lengths(64, 20) == [1, 2, 4, 8, 16, 20]


@pytest.mark.parametrize("size, weight", [(4, 0.9), (3, 1.0), (8, 0.95)])
def test_bottleneck_matches_min_one_d_over_t(size, weight):
    r = bottleneck_demo(size=size, max_length=32, weight=weight, samples=4000)
    tol = 4 / math.sqrt(4000)
    for row in r.rows:
        bound = min(1.0, size / row.length)
        assert row.bound == bound
        assert row.context_exact == pytest.approx(bound, abs=1e-9)  # rank(E) / T
        assert abs(row.context_measured - bound) < tol
        assert row.all_states_measured == pytest.approx(1.0, abs=1e-9)
        assert row.all_states_first == pytest.approx(1.0, abs=1e-9)


def test_bottleneck_last_position_beats_first_when_state_fades():
    r = bottleneck_demo(size=4, max_length=32, weight=0.9)
    long_rows = [row for row in r.rows if row.length > 4]
    assert long_rows
    for row in long_rows:
        assert row.context_last > row.context_first + 0.2
    assert len(r.per_position) == 32
    assert np.mean(r.per_position) == pytest.approx(r.rows[-1].context_measured)


def test_bottleneck_against_a_decoder_trained_by_least_squares():
    """Independent of the demo's code: run the RNN on samples, fit the decoder with lstsq, test on new samples."""
    d, T, w = 4, 16, 0.9
    r = bottleneck_demo(size=d, max_length=T, weight=w, samples=3000, seed=1)
    rng = np.random.default_rng(123)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    W, U = w * Q, rng.normal(size=d)

    def encode(X):
        h = np.zeros((X.shape[0], d))
        for t in range(X.shape[1]):
            h = h @ W.T + np.outer(X[:, t], U)
        return h

    X_train, X_test = rng.normal(size=(3000, T)), rng.normal(size=(3000, T))
    D, *_ = np.linalg.lstsq(encode(X_train), X_train, rcond=None)
    X_hat = encode(X_test) @ D
    recovered = 1 - ((X_test - X_hat) ** 2).sum() / (X_test**2).sum()
    assert recovered == pytest.approx(d / T, abs=0.02)
    assert r.rows[-1].context_measured == pytest.approx(recovered, abs=0.03)


def test_bottleneck_is_seeded():
    assert bottleneck_demo(seed=5) == bottleneck_demo(seed=5)
    assert bottleneck_demo(seed=5) != bottleneck_demo(seed=6)


@pytest.mark.parametrize(
    "kwargs, option",
    [
        (dict(size=0), "--size"),
        (dict(size=129), "--size"),
        (dict(max_length=0), "--max-length"),
        (dict(max_length=257), "--max-length"),
        (dict(weight=0.0), "--weight"),
        (dict(weight=1.5), "--weight"),
        (dict(weight=float("nan")), "--weight"),
        (dict(samples=5), "--samples"),
    ],
)
def test_bottleneck_bad_values(kwargs, option):
    with pytest.raises(BadValueError) as e:
        bottleneck_demo(**kwargs)
    assert e.value.option == option
