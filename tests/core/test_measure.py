"""``cost --measure``: the two layers it times compute what they should, and the timings are well formed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_tutor.core import measure
from rnn_tutor.errors import BadValueError


def test_operation_counts_with_their_constants():
    # LSTM: 4 gates, each a d x d product with x_t and one with h_(t-1), per step
    assert measure.lstm_madds(10, 4) == 10 * 4 * (4 * 4 + 4 * 4)
    # self-attention: Q, K, V, output projections (4 n d^2), then Q K^T and A V (n^2 d each)
    assert measure.attention_madds(10, 4) == 4 * 10 * 16 + 2 * 100 * 4
    n, d = 1024, 64
    assert measure.attention_madds(n, d) > measure.lstm_madds(n, d)  # n > d/2: attention does more arithmetic
    assert measure.attention_madds(64, 64) < measure.lstm_madds(64, 64)


def test_lengths_and_memory_limit():
    assert measure.measure_lengths(1024) == [16, 32, 64, 128, 256, 512, 1024]
    assert measure.measure_lengths(100) == [16, 32, 64, 100]
    assert measure.measure_lengths(5) == [5]
    assert measure.MAX_LENGTH == 5792 and 2 * 5792**2 * 4 <= measure.MEMORY_LIMIT < 2 * 5793**2 * 4
    with pytest.raises(BadValueError) as e:
        measure.measure(length=measure.MAX_LENGTH + 1)
    assert e.value.option == "--length"
    with pytest.raises(BadValueError):
        measure.measure(length=64, hidden=measure.MAX_HIDDEN + 1)
    with pytest.raises(BadValueError):
        measure.measure(length=64, hidden=8, repeats=0)


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_self_attention_is_softmax_qk_v():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 4))
    Wq, Wk, Wv, Wo = (rng.normal(size=(4, 4)) for _ in range(4))
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    expected = (_softmax(Q @ K.T / 2.0) @ V) @ Wo.T
    np.testing.assert_allclose(measure.self_attention(X, Wq, Wk, Wv, Wo), expected, rtol=1e-12)
    torch = pytest.importorskip("torch")
    t = [torch.tensor(a) for a in (X, Wq, Wk, Wv, Wo)]
    ref = torch.nn.functional.scaled_dot_product_attention((t[0] @ t[1].T)[None], (t[0] @ t[2].T)[None],
                                                            (t[0] @ t[3].T)[None])[0] @ t[4].T
    np.testing.assert_allclose(measure.self_attention(X, Wq, Wk, Wv, Wo), ref.numpy(), rtol=1e-10)


def test_a_small_measurement():
    r = measure.measure(length=64, hidden=8, repeats=2, threads=1)
    assert r.lengths == (16, 32, 64) and [p.n for p in r.points] == [16, 32, 64]
    assert r.clock == "cpu" and r.dtype == "float32"
    for p in r.points:
        assert p.recurrent_seconds > 0 and p.attention_seconds > 0 and p.recurrent_wall_seconds > 0
        assert 1 <= p.recurrent_runs <= 2 and 1 <= p.attention_runs <= 2
        assert (p.recurrent_steps, p.attention_steps) == (p.n, 1)
        assert p.ratio == pytest.approx(p.attention_seconds / p.recurrent_seconds)
    rec, att = r.growth
    assert (rec.table_exponent, att.table_exponent) == (1, 2) and (rec.from_n, rec.to_n) == (32, 64)
    assert all(g.measured_exponent is not None and math.isfinite(g.measured_exponent) for g in r.growth)
    assert r.seconds > 0 and r.cpu_seconds > 0
    assert measure.measure(length=20, hidden=4, repeats=1).clock == "wall"  # BLAS threads not limited


def test_slope_is_the_power_of_n():
    ns = [16, 32, 64, 128]
    assert measure._slope(ns, [n**2 * 1e-9 for n in ns]) == pytest.approx(2.0)
    assert measure._slope(ns, [n * 3e-6 for n in ns]) == pytest.approx(1.0)
    assert measure._slope([16], [1.0]) is None
