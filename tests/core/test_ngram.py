"""The n-gram baseline: interpolated Kneser-Ney against a plain dictionary implementation, distributions that sum to
1, the uniform model's log2 V, and the report's best order."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from rnn_tutor.core import ngram
from rnn_tutor.errors import BadValueError


def brute_kn(ids, V, N):
    """Interpolated Kneser-Ney written the long way, with dicts of tuples, for one model order N."""
    ids = [int(i) for i in ids]
    raw = Counter(tuple(ids[i - N + 1 : i + 1]) for i in range(N - 1, len(ids)))
    levels = {N: raw}
    for k in range(N - 1, 0, -1):  # continuation counts: distinct left neighbours of each k-gram
        left = defaultdict(set)
        for i in range(k, len(ids)):
            left[tuple(ids[i - k + 1 : i + 1])].add(ids[i - k])
        levels[k] = Counter({g: len(s) for g, s in left.items()})

    def discount(counts):
        n1 = sum(1 for c in counts.values() if c == 1)
        n2 = sum(1 for c in counts.values() if c == 2)
        d = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
        return min(max(d, 0.05), 0.95)

    D = {k: discount(levels[k]) for k in levels}

    def p(w, h, k):
        if k == 0:
            return 1.0 / V
        h = h[len(h) - (k - 1):] if k > 1 else ()
        counts = levels[k]
        total = sum(c for g, c in counts.items() if g[:-1] == h)
        lower = p(w, h[1:] if k > 1 else (), k - 1)
        if total == 0:
            return lower
        types = sum(1 for g, c in counts.items() if g[:-1] == h and c > 0)
        return max(counts.get(h + (w,), 0) - D[k], 0) / total + D[k] * types / total * lower

    return p


def test_matches_a_dictionary_implementation():
    rng = np.random.default_rng(0)
    V = 4
    ids = rng.integers(0, V, size=300)
    ids[::7] = 1  # some structure, so counts differ
    model = ngram.KneserNey(ids, V, max_order=4)
    for N in (1, 2, 3, 4):
        p = brute_kn(ids, V, N)
        for _ in range(6):
            ctx = tuple(int(c) for c in rng.integers(0, V, size=N - 1))
            dist = model.distribution(list(ctx), order=N)
            want = [p(w, ctx, N) for w in range(V)]
            assert dist == pytest.approx(want, rel=1e-12), (N, ctx)


@pytest.mark.parametrize("order", range(1, 9))
def test_distributions_sum_to_one_for_random_contexts(order):
    rng = np.random.default_rng(order)
    V = 11
    ids = np.minimum(rng.geometric(0.3, size=3000) - 1, V - 1)  # skewed, with some symbols rare
    model = ngram.KneserNey(ids, V)
    for _ in range(20):
        ctx = rng.integers(0, V, size=int(rng.integers(0, 9)))
        dist = model.distribution(ctx, order=order)
        assert dist.shape == (V,) and np.all(dist > 0)
        assert dist.sum() == pytest.approx(1.0, abs=1e-12)


def test_uniform_model_and_uniform_text_give_log2_v():
    V = 16
    assert ngram.uniform_bpc(V) == 4.0
    rng = np.random.default_rng(1)
    ids = rng.integers(0, V, size=200_000)
    rep = ngram.report(ids[:180_000], ids[180_000:], V, max_order=3)
    assert rep.uniform_bpc == math.log2(V)
    assert rep.bpc[1] == pytest.approx(math.log2(V), abs=0.01)  # nothing to learn: about log2 V at every order
    assert rep.bpc[3] >= rep.bpc[1] - 0.01


def test_a_periodic_text_is_learned_by_the_right_order():
    ids = np.array([0, 1, 2, 0, 2, 1] * 500)  # after two characters the next is fixed
    rep = ngram.report(ids[:2400], ids[2400:], 3, max_order=4)
    assert rep.bpc[1] == pytest.approx(math.log2(3), abs=0.02)
    assert rep.bpc[3] < 0.05 and rep.best_order >= 3
    assert rep.best_bpc == min(rep.bpc.values())


def test_held_out_history_restarts_at_each_segment():
    ids = np.array([0, 1] * 200)
    model = ngram.KneserNey(ids, 2, max_order=2)
    hist, hlen = model.histories(np.array([0, 1, 0, 1]), starts=[0, 2])
    assert list(hlen) == [0, 1, 0, 1]
    logs = model.log2_probs(np.array([0, 1, 0, 1]), starts=[0, 2], orders=[2])[2]
    assert logs[0] == pytest.approx(logs[2]) and logs[1] == pytest.approx(logs[3])


def test_bad_arguments():
    with pytest.raises(BadValueError):
        ngram.KneserNey(np.array([0, 1]), 2, max_order=9)
    with pytest.raises(BadValueError):
        ngram.KneserNey(np.array([0, 5]), 2)
    with pytest.raises(BadValueError):
        ngram.KneserNey(np.array([0, 1]), 300)
