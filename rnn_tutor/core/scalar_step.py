"""One step of the scalar recurrence at a time, exactly where it can be: the stepper behind ``trace``
(``core/scalar.py`` runs it over a whole sequence) and ``trace --stream`` (which keeps no steps).

    h_t = f(w * h_{t-1} + u * x_t + b),   f in {linear, tanh, relu, sigmoid}

``ScalarRNN.step(x)`` returns a ``Step``: the floats of the hand trace's row, and while the recurrence is linear
or relu and every number is exact, the same values as Fractions (``Step.q``, an ``ExactStep``). The fractions'
size is bounded by ``EXACT_BITS`` per value and ``EXACT_TOTAL_BITS`` in all; past either, floats from there on.

Plain Python numbers and the ``math`` module only (no numpy): the scalar trace's start-up is measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from rnn_tutor.core.numbers import Number
from rnn_tutor.core.validate import check_number
from rnn_tutor.errors import BadValueError

ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid")
EXACT_ACTIVATIONS = ("linear", "relu")  # piecewise linear: rational in, rational out
EXACT_BITS = 1024  # ~308 decimal digits in a numerator or denominator
EXACT_TOTAL_BITS = 1 << 24  # ~16.8 million bits over the states of a trace, and again over its influence:
# 100,000 steps of small numbers fit; values near EXACT_BITS stop after ~16,000 steps (~2 s of arithmetic)


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def exact_of(v) -> Fraction | None:
    """The exact value of a number: a Number's typed value, a Fraction, an int; a float's shortest decimal."""
    if isinstance(v, Number):
        return v.exact
    if isinstance(v, Fraction):
        return v
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, float) and math.isfinite(v):
        return Fraction(repr(v))
    return None


def bits(q: Fraction) -> int:
    """The size of a fraction: the longer of its numerator and denominator, in bits."""
    return max(q.numerator.bit_length(), q.denominator.bit_length())


def activate(name: str, a: float) -> tuple[float, float]:
    """f(a) and f'(a). relu'(0) is taken as 0, as PyTorch does."""
    if name == "linear":
        return a, 1.0
    if name == "tanh":
        y = math.tanh(a)
        return y, 1.0 - y * y  # d tanh(a)/da = 1 - tanh(a)^2
    if name == "relu":
        return (a, 1.0) if a > 0 else (0.0, 0.0)
    if name == "sigmoid":
        if a >= 0:
            y = 1.0 / (1.0 + math.exp(-a))
        else:  # written this way round so exp never overflows
            e = math.exp(a)
            y = e / (1.0 + e)
        return y, y * (1.0 - y)  # d sigmoid/da = s(1 - s)
    raise BadValueError("--activation", f"unknown activation {name!r} (choose from {', '.join(ACTIVATIONS)})")


class ExactStep:
    """The exact values of one step (Fractions), when it was computed exactly: x, h_prev, wh, ux, pre, h.

    A plain read-only class, not a dataclass: building a dataclass costs about a millisecond at import, and the
    scalar trace is the command whose start-up is measured (benchmarks/bench_startup.py).
    """

    __slots__ = ("x", "h_prev", "wh", "ux", "pre", "h")

    def __init__(self, x: Fraction, h_prev: Fraction, wh: Fraction, ux: Fraction, pre: Fraction, h: Fraction):
        for name, v in zip(self.__slots__, (x, h_prev, wh, ux, pre, h)):
            object.__setattr__(self, name, v)

    def __setattr__(self, name, value):
        raise AttributeError("ExactStep is read-only")

    def __eq__(self, other):
        return isinstance(other, ExactStep) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None

    def __repr__(self):
        return "ExactStep(" + ", ".join(f"{n}={getattr(self, n)!s}" for n in self.__slots__) + ")"


@dataclass(frozen=True)
class Step:
    """One row of the hand trace. Values are None where they overflowed."""

    t: int
    token: str
    x: float
    h_prev: float | None
    wh: float | None  # w * h_{t-1}
    ux: float | None  # u * x_t
    pre: float | None  # a_t = w*h_{t-1} + u*x_t + b
    h: float | None  # h_t = f(a_t)
    slope: float | None  # f'(a_t)
    overflow: bool = False
    q: ExactStep | None = None  # the same values exactly, when known


class ScalarRNN:
    """A stepper: feed one input at a time (``step``), as a stream of sensor readings would arrive.

    Exact (``self.exact``) while the activation is linear or relu, every number given is exact and the
    fractions stay within the budget; floats from then on.
    """

    def __init__(self, weight: float = 0.5, input_weight: float = 0.5, bias: float = 0.0, h0: float = 0.0,
                 activation: str = "linear", exact: bool = True):
        self.weight = check_number("--weight", weight)
        self.input_weight = check_number("--input-weight", input_weight)
        self.bias = check_number("--bias", bias)
        self.h0 = check_number("--h0", h0)
        if activation not in ACTIVATIONS:
            raise BadValueError("--activation", f"unknown activation {activation!r} (choose from {', '.join(ACTIVATIONS)})")
        self.activation = activation
        qs = tuple(exact_of(v) for v in (weight, input_weight, bias, h0))
        ok = exact and activation in EXACT_ACTIVATIONS and all(q is not None and bits(q) <= EXACT_BITS for q in qs)
        self.q_params: tuple[Fraction, ...] | None = qs if ok else None
        if ok:  # the floats are the exact values correctly rounded
            self.weight, self.input_weight, self.bias, self.h0 = (float(q) for q in qs)
        self.qh: Fraction | None = qs[3] if ok else None
        self.h: float | None = self.h0
        self.t = 0
        self.bits_used = 0
        self.exact_until: int | None = None  # the last exact step, once exact arithmetic has stopped
        self.exact_stop: str | None = None  # why: "input" (a value too long), "size" or "budget"

    @property
    def exact(self) -> bool:
        return self.qh is not None

    def _stop_exact(self, overflow: bool = False) -> None:
        """Floats from this step on: the fractions grew too large (recorded in ``exact_until``) or a value left
        the float range (then the step overflows, which the trace reports on its own)."""
        if self.qh is not None:
            self.qh = None
            if not overflow and self.exact_until is None:
                self.exact_until = self.t - 1

    def step(self, x: float, token: str | None = None) -> Step:
        xf = check_number("--values", x)
        self.t += 1
        tok = token if token is not None else _fmt_token(x)
        if self.qh is not None:
            qx = exact_of(x)
            if qx is not None and bits(qx) <= EXACT_BITS:
                s = self._exact_step(qx, xf, tok)
                if s is not None:
                    return s
                self._stop_exact(overflow=True)
            else:
                self.exact_stop = "input"
                self._stop_exact()
        h_prev = self.h
        if not _finite(h_prev):  # once the state has overflowed, every later state is unknown
            self.h = None
            return Step(self.t, tok, xf, None, None, _or_none(self.input_weight * xf), None, None, None, True)
        wh = self.weight * h_prev  # w * h_{t-1}
        ux = self.input_weight * xf  # u * x_t
        pre = wh + ux + self.bias  # a_t = w*h_{t-1} + u*x_t + b
        if not math.isfinite(pre):
            self.h = None
            return Step(self.t, tok, xf, h_prev, _or_none(wh), _or_none(ux), None, None, None, True)
        h, slope = activate(self.activation, pre)  # h_t = f(a_t)
        self.h = h
        return Step(self.t, tok, xf, h_prev, wh, ux, pre, h, slope, False)

    def _exact_step(self, qx: Fraction, xf: float, tok: str) -> Step | None:
        """The step in fractions; None (and floats from here on) when a value leaves the float range."""
        w, u, b, _ = self.q_params
        q_prev = self.qh
        qwh = w * q_prev  # w * h_{t-1}
        qux = u * qx  # u * x_t
        qpre = qwh + qux + b  # a_t = w*h_{t-1} + u*x_t + b
        if self.activation == "linear" or qpre > 0:
            qh, slope = qpre, 1.0  # h_t = a_t (linear, or relu on the positive side)
        else:
            qh, slope = Fraction(0), 0.0  # relu(a_t) = 0, relu'(a_t) = 0 (PyTorch's relu'(0) = 0)
        try:
            floats = (float(q_prev), float(qwh), float(qux), float(qpre), float(qh))
        except OverflowError:
            return None
        size = bits(qh) + bits(qwh)
        self.bits_used += size
        self.qh = qh
        self.h = floats[4]
        step = Step(self.t, tok, xf, *floats, slope, False, ExactStep(qx, q_prev, qwh, qux, qpre, qh))
        if bits(qh) > EXACT_BITS or self.bits_used > EXACT_TOTAL_BITS:
            self.exact_until = self.t
            self.exact_stop = "size" if bits(qh) > EXACT_BITS else "budget"
            self.qh = None
        return step


def _or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _fmt_token(x) -> str:
    if isinstance(x, Number) and x.text:
        return x.text
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))
