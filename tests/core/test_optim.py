"""Optimizers and clipping against straightforward reference formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn_tutor.core import optim
from rnn_tutor.errors import BadValueError


def test_global_norm_and_clipping_keep_direction():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert optim.global_norm(g) == pytest.approx(5.0)
    before = {k: v.copy() for k, v in g.items()}
    norm = optim.clip_global_norm(g, 1.0)
    assert norm == pytest.approx(5.0)
    assert optim.global_norm(g) == pytest.approx(1.0)
    assert np.allclose(g["a"], before["a"] / 5) and np.allclose(g["b"], before["b"] / 5)


def test_clipping_leaves_small_gradients_alone():
    g = {"a": np.array([0.3, 0.4])}
    assert optim.clip_global_norm(g, 1.0) == pytest.approx(0.5)
    assert np.allclose(g["a"], [0.3, 0.4])
    g = {"a": np.array([30.0, 40.0])}
    optim.clip_global_norm(g, None)
    assert np.allclose(g["a"], [30, 40])


def test_adam_matches_the_textbook_formula():
    rng = np.random.default_rng(0)
    p = {"w": rng.normal(size=(3, 2))}
    ref = p["w"].copy()
    m = np.zeros_like(ref)
    v = np.zeros_like(ref)
    opt = optim.Adam(p, lr=0.01)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, 6):
        g = rng.normal(size=(3, 2))
        opt.step({"w": g.copy()})
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)
        ref = ref - 0.01 * mhat / (np.sqrt(vhat) + eps)
        assert np.allclose(p["w"], ref, rtol=1e-12, atol=1e-12)


def test_sgd_momentum():
    p = {"w": np.array([1.0])}
    opt = optim.SGD(p, lr=0.1, momentum=0.5)
    opt.step({"w": np.array([1.0])})  # v = 1
    opt.step({"w": np.array([1.0])})  # v = 1.5
    assert p["w"][0] == pytest.approx(1.0 - 0.1 - 0.15)


def test_optimizers_minimise_a_quadratic():
    for name, lr in (("adam", 0.1), ("sgd", 0.05)):
        p = {"w": np.array([5.0, -3.0])}
        opt = optim.make_optimizer(name, p, lr)
        for _ in range(300):
            opt.step({"w": 2 * p["w"]})
        assert np.abs(p["w"]).max() < 1e-2, name


@pytest.mark.parametrize("lr", [0, -1, math.nan, math.inf, 100])
def test_bad_learning_rate(lr):
    with pytest.raises(BadValueError) as e:
        optim.make_optimizer("adam", {"w": np.zeros(1)}, lr)
    assert e.value.option == "--lr"


def test_unknown_optimizer():
    with pytest.raises(BadValueError) as e:
        optim.make_optimizer("rmsprop", {"w": np.zeros(1)}, 0.1)
    assert e.value.option == "--optimizer"
