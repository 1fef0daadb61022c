"""The threshold rule and what follows from a rate per step: the verdict (vanishing, exploding or neither), the
horizon (the first distance k at which a factor reaches the threshold), the half-life or doubling time, and
Pascanu, Mikolov & Bengio's (2013) conditions with the numbers filled in.

Factors are known by their log10, so nothing overflows: ``LOG10_TOL`` (1e-9 in log10, a relative tolerance of
about 2.3e-9) is the tolerance of every comparison with the threshold and with a rate of 1, so 0.1^3 reaches
1e-3 although 0.1**3 == 0.0010000000000000002; ``_value`` turns a log10 back into a float, or says it
overflows. Used by ``decay`` (core/decay.py). Pure standard library and numpy; no printing.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

LOG10_TOL = 1e-9                                  # threshold and verdict tolerance, in log10 units
LOG10_MAX = math.log10(sys.float_info.max)        # 308.2547...: above this a float overflows


def _value(log10_value: float) -> tuple[float | None, bool]:
    """(the float, overflow?) for a number known by its log10; None + True beyond the float range."""
    if log10_value == -math.inf:
        return 0.0, False
    if log10_value > LOG10_MAX:
        return None, True
    try:
        return float(10.0 ** log10_value), False
    except OverflowError:
        return None, True


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True)
class Condition:
    """One of Pascanu, Mikolov & Bengio's (2013) conditions, with the numbers filled in."""

    kind: str          # "sufficient for vanishing" | "necessary for exploding"
    quantity: str      # "spectral radius" | "largest singular value"
    value: float | None
    bound: float       # 1 / gamma, gamma = the largest |f'| (1 for tanh and for the identity)
    holds: bool
    meaning: str       # what this says about this W, in plain words

    def to_record(self) -> dict:
        return {"kind": self.kind, "quantity": self.quantity, "value": self.value, "bound": self.bound,
                "holds": self.holds, "meaning": self.meaning}


def verdict_of(log10_rate: float) -> str:
    """vanishing below 1 per step, exploding above, neither within the 1e-9 (log10) tolerance of 1."""
    if log10_rate < -LOG10_TOL:
        return "vanishing"
    if log10_rate > LOG10_TOL:
        return "exploding"
    return "neither"


def reaches(log10_factor: float, threshold: float, verdict: str) -> bool:
    """The threshold rule: a vanishing factor reaches ``threshold`` at log10 <= log10(threshold) + 1e-9; an
    exploding one reaches 1/threshold at log10 >= -log10(threshold) - 1e-9."""
    lt = math.log10(threshold)
    if verdict == "vanishing":
        return log10_factor <= lt + LOG10_TOL
    if verdict == "exploding":
        return log10_factor >= -lt - LOG10_TOL
    return False


def first_reaching(log10_factors: np.ndarray, threshold: float, verdict: str) -> int | None:
    """The first k (1-based) whose factor reaches the threshold, or None."""
    lt = math.log10(threshold)
    if verdict == "vanishing":
        hit = np.nonzero(log10_factors <= lt + LOG10_TOL)[0]
    elif verdict == "exploding":
        hit = np.nonzero(log10_factors >= -lt - LOG10_TOL)[0]
    else:
        return None
    return int(hit[0]) + 1 if len(hit) else None


def scalar_horizon(weight: float, threshold: float) -> int | None:
    """Closed form for |w|^k: the least k with k*log10|w| reaching the threshold (no step limit)."""
    a = abs(weight)
    if a == 0.0:
        return 1
    lw = math.log10(a)
    verdict = verdict_of(lw)
    if verdict == "neither":
        return None
    target = math.log10(threshold) if verdict == "vanishing" else -math.log10(threshold)
    k = max(1, math.ceil(target / lw))
    while k > 1 and reaches((k - 1) * lw, threshold, verdict):  # the tolerance may admit one step earlier
        k -= 1
    while not reaches(k * lw, threshold, verdict):
        k += 1
    return k


def half_life_of(log10_rate: float) -> tuple[float | None, float | None]:
    """(half-life, doubling time) in steps: log10(2) / |log10(rate)|, the one that applies, else None."""
    v = verdict_of(log10_rate)
    if v == "vanishing":
        return (0.0 if log10_rate == -math.inf else math.log10(2.0) / -log10_rate), None
    if v == "exploding":
        return None, math.log10(2.0) / log10_rate
    return None, None


def pascanu_conditions(activation: str, radius: float | None, sigma: float | None,
                       size: int = 2) -> tuple[Condition, ...]:
    """Pascanu, Mikolov & Bengio (2013), with gamma = max|f'| = 1 for both the identity and tanh:

    linear:  rho(W) < 1 is sufficient for the long-term factors to vanish; rho(W) > 1 is necessary to explode.
    tanh:    sigma_max(W) < 1/gamma is sufficient to vanish;       sigma_max(W) > 1/gamma is necessary to explode.

    "Necessary, not sufficient" is about a gradient: dL/dh_(T-k) = dL/dh_T W^k explodes only if dL/dh_T has a
    part along the growing directions. The factor this command shows is the norm ||W^k|| >= rho(W)^k, which does
    grow once rho(W) > 1 in the linear case (for one weight it is exactly |w|^k); with tanh, saturation can
    shrink it whatever sigma_max is.
    """
    bound = 1.0
    if activation == "linear":
        quantity, value = "spectral radius", radius
    else:
        quantity, value = "largest singular value", sigma
    big = value is None  # beyond the float range: certainly above 1
    below = (not big) and value < bound
    above = big or value > bound
    sym = "rho(W)" if activation == "linear" else "sigma_max(W)"
    shown = "overflow" if big else f"{value:.6g}"
    van = Condition(
        "sufficient for vanishing", quantity, value, bound, below,
        (f"{sym} = {shown} < 1, so the factors must vanish" if below else
         f"{sym} = {shown} is not below 1, so this test cannot promise vanishing"))
    if not above:
        says = f"{sym} = {shown} is not above 1, so the factors cannot explode"
    elif activation != "linear":
        says = f"{sym} = {shown} > 1, so exploding is possible (not certain: saturated units can shrink it)"
    elif big:
        says = f"{sym} = {shown} > 1, so the factor explodes"
    elif size == 1:
        says = f"{sym} = {shown} > 1: with one weight the factor is exactly |w|^k, so it explodes"
    else:
        says = (f"{sym} = {shown} > 1: the factor grows at least like {shown}^k, though a given gradient can "
                "miss the growing directions")
    exp = Condition("necessary for exploding", quantity, value, bound, above, says)
    return (van, exp)
