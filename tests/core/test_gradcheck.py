"""The gradient check's own arithmetic: how exact a central difference can be, and what a failure is blamed on."""

import numpy as np
import pytest

from rnn_tutor.core.gradcheck import difference_error, failure_hint, short_e


def test_difference_error_matches_a_measured_central_difference():
    """For sin at 1 (derivatives of order 1) the measured error tracks eps² / 6 + rounding, below our bound."""
    for eps in (1e-1, 1e-2, 1e-3, 1e-8, 1e-10):
        measured = abs((np.sin(1 + eps) - np.sin(1 - eps)) / (2 * eps) - np.cos(1))
        assert measured <= difference_error(eps)
        assert measured >= difference_error(eps) / 1e4  # the same order of growth, not a vacuous bound


def test_difference_error_is_smallest_near_the_default_eps():
    grid = np.logspace(-9, -2, 701)
    best = grid[np.argmin([difference_error(e) for e in grid])]
    assert 3e-6 < best < 1e-5
    assert difference_error(1e-5) < 1e-9 < difference_error(1e-3)


@pytest.mark.parametrize("eps, tol, relu, blamed", [
    (1e-5, 1e-6, False, "missing or misplaced term"),
    (0.1, 1e-6, False, "--eps 0.1"),
    (1e-10, 1e-6, False, "--eps 1e-10"),
    (1e-5, 1e-12, False, "--tolerance 1e-12"),
    (1e-5, 1e-6, True, "kink"),
])
def test_failure_hint(eps, tol, relu, blamed):
    assert blamed in failure_hint(eps, tol, "relu" if relu else "tanh")


def test_short_e():
    assert [short_e(x) for x in (1e-10, 2.2e-6, 0.01, 3e12)] == ["1e-10", "2e-6", "1e-2", "3e+12"]
