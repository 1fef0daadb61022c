"""The scalar RNN of the hand-trace exercise, computed exactly as a learner would by hand.

    h_t = f(w * h_{t-1} + u * x_t + b),   h_0 given,   f in {linear, tanh, relu, sigmoid}

Exact arithmetic. A linear or relu recurrence over numbers that are decimals or fractions stays rational, so it
is computed with the standard library's ``fractions`` as well as in floats: every step carries its exact values
(``Step.q``) and every float is the exact value correctly rounded. A number typed by the user arrives as a
``core.numbers.Number`` (a float that remembers the exact value typed: "0.1" is 1/10); a plain float from code is
taken as the shortest decimal that prints it (0.1 is 1/10 as well). tanh and sigmoid are irrational: those
traces are floats only.

Exact fractions can grow without bound (w = 1/3 puts 3^t in the denominator of h_t), so the cost is bounded: a
value whose numerator or denominator needs more than ``EXACT_BITS`` bits, or a trace whose exact values add up
to more than ``EXACT_TOTAL_BITS`` bits, ends exact arithmetic; from that step on the trace continues in floats,
and says where (``ScalarTrace.exact_until``).

Plain Python numbers and the ``math`` module only: tracing five numbers must not pay numpy's import time.
Overflow is not an exception here: a step whose value leaves the float range is recorded with ``None`` and
the result carries ``overflow=True``, so every output format can say so honestly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

from rnn_tutor.core.numbers import Number, parse_list
from rnn_tutor.core.validate import check_number
from rnn_tutor.errors import BadValueError

ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid")
EXACT_ACTIVATIONS = ("linear", "relu")  # piecewise linear: rational in, rational out
EXACT_BITS = 1024  # ~308 decimal digits in a numerator or denominator
EXACT_TOTAL_BITS = 1 << 24  # ~16.8 million bits over the states of a trace, and again over its influence:
# 100,000 steps of small numbers fit; values near EXACT_BITS stop after ~16,000 steps (~2 s of arithmetic)
MAX_STEPS = 100_000  # a trace keeps every step for its tables and JSON; --stream keeps none and has no limit
LOG10_TOL = 1e-9  # a per-step rate within this of 1 (in log10) neither fades nor grows, as in `decay`

#: The lesson's exercise: "Trace the hidden state by hand".
EXERCISE_SENTENCE = "The quick brown fox jumps."
EXERCISE_WEIGHT = 0.5
EXERCISE_INPUT_WEIGHT = 0.5

# A word is a run of letters/digits, optionally joined by an apostrophe or hyphen ("don't", "long-range").
_WORD = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*")


def tokenize(sentence: str) -> list[str]:
    """Split a sentence into words, dropping punctuation: "The quick brown fox jumps." -> 5 words."""
    return _WORD.findall(sentence)


def vocabulary(tokens: Iterable[str]) -> dict[str, int]:
    """Number each distinct word 1, 2, 3... in order of first appearance, ignoring case."""
    vocab: dict[str, int] = {}
    for tok in tokens:
        key = tok.casefold()
        if key not in vocab:
            vocab[key] = len(vocab) + 1
    return vocab


def encode(sentence: str) -> tuple[list[str], list[float], dict[str, int]]:
    """Words, their numbers, and the vocabulary for a sentence. Raises BadValueError when it has no words."""
    tokens = tokenize(sentence)
    if not tokens:
        raise BadValueError("--sentence", "the sentence has no words (give at least one word, e.g. \"The quick brown fox\")")
    vocab = vocabulary(tokens)
    return tokens, [float(vocab[t.casefold()]) for t in tokens], vocab


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


@dataclass(frozen=True)
class Influence:
    """How much input x_t moves the final state h_T."""

    t: int
    token: str
    x: float
    sensitivity: float | None  # dh_T/dx_t
    contribution: float | None  # linear only: the part of h_T that x_t put there, u*w^(T-t)*x_t
    q_sensitivity: Fraction | None = None
    q_contribution: Fraction | None = None


@dataclass(frozen=True)
class ScalarTrace:
    weight: float
    input_weight: float
    bias: float
    h0: float
    activation: str
    steps: tuple[Step, ...]
    influence: tuple[Influence, ...]
    final: float | None
    half_life: float | None  # steps for an input's weight to halve along this trajectory (rate < 1)
    doubling_time: float | None  # steps for it to double (rate > 1)
    h0_term: float | None  # linear: w^T * h_0
    bias_term: float | None  # linear: b * (1 + w + ... + w^(T-1))
    overflow: bool
    vocab: dict[str, int] = field(default_factory=dict)
    rate: float | None = None  # geometric mean of |dh_t/dh_{t-1}| = |w f'(a_t)| over the steps (|w| if linear)
    q_params: tuple[Fraction, Fraction, Fraction, Fraction] | None = None  # w, u, b, h_0 exactly
    q_h0_term: Fraction | None = None
    q_bias_term: Fraction | None = None
    q_half_life: Fraction | None = None  # exact when |w| = 2^-k (then 1/k)
    q_doubling_time: Fraction | None = None  # exact when |w| = 2^k
    exact_until: int | None = None  # exact arithmetic stopped after this step (the fractions grew too large)
    exact_stop: str | None = None  # why: "input" (an input too long), "size" (a value) or "budget" (the total)

    @property
    def length(self) -> int:
        return len(self.steps)

    @property
    def linear(self) -> bool:
        return self.activation == "linear"

    @property
    def exact_mode(self) -> bool:
        """The trace promises exact numbers (linear or relu): a value in it known only as a float is marked ≈.
        (``q_params`` is None when a number given was too long to compute with exactly.)"""
        return self.activation in EXACT_ACTIVATIONS

    @property
    def exact(self) -> bool:
        """Every value of the trace is known exactly."""
        return (self.exact_mode and not self.overflow and all(s.q is not None for s in self.steps)
                and all(i.q_sensitivity is not None for i in self.influence))

    @property
    def q_final(self) -> Fraction | None:
        return self.steps[-1].q.h if self.steps and self.steps[-1].q is not None else None

    def first_last_ratio(self) -> float | None:
        """How many times more the last input moves h_T than the first, per unit of input."""
        q = self.first_last_ratio_exact()
        if q is not None:
            try:
                return float(q)
            except OverflowError:
                return None
        if len(self.influence) < 2:
            return None
        first, last = self.influence[0].sensitivity, self.influence[-1].sensitivity
        if not (_finite(first) and _finite(last)) or first == 0:
            return None
        r = abs(last / first)
        return r if math.isfinite(r) else None

    def first_last_ratio_exact(self) -> Fraction | None:
        if len(self.influence) < 2:
            return None
        first, last = self.influence[0].q_sensitivity, self.influence[-1].q_sensitivity
        if first is None or last is None or first == 0:
            return None
        return abs(last / first)


def parse_numbers(text: str, option: str = "--values") -> list[Number]:
    """Numbers separated by commas and/or whitespace: "1,2,3", "1 2 3/4", one per line; each kept exact.
    Empty -> BadValueError."""
    return parse_list(option, text, MAX_STEPS)


def half_life(weight: float) -> float | None:
    """Steps until an input's influence halves under h <- w*h: ln(0.5)/ln|w|, defined for 0 < |w| < 1."""
    a = abs(weight)
    if 0 < a < 1:
        return math.log(0.5) / math.log(a)
    return None


def doubling_time(weight: float) -> float | None:
    a = abs(weight)
    if a > 1 and math.isfinite(a):
        return math.log(2.0) / math.log(a)
    return None


def _power_of_two(q: Fraction) -> int | None:
    """k when |q| = 2^k exactly (k may be negative), else None."""
    n, d = abs(q.numerator), q.denominator
    if n & (n - 1) == 0 and d & (d - 1) == 0 and n:
        return n.bit_length() - d.bit_length()
    return None


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


def run(values: Sequence[float], weight: float = 0.5, input_weight: float = 0.5, bias: float = 0.0,
        h0: float = 0.0, activation: str = "linear", tokens: Sequence[str] | None = None,
        vocab: dict[str, int] | None = None, option: str = "--values") -> ScalarTrace:
    """Trace h_1..h_T for the inputs, and how much each input moves h_T.

    Influence is the chain rule run backwards from h_T:
        dh_T/da_t = dh_T/dh_t * f'(a_t),  dh_T/dx_t = u * dh_T/da_t,  dh_T/dh_{t-1} = w * dh_T/da_t
    which for a linear f is u * w^(T-t). Then h_T = w^T h_0 + sum_t u w^(T-t) x_t + b sum_t w^(T-t) exactly.
    """
    if len(values) == 0:
        raise BadValueError(option, "no inputs to trace (give at least one number or word)")
    if len(values) > MAX_STEPS:
        raise BadValueError(option, f"a trace keeps at most {MAX_STEPS:,} steps, got {len(values):,} "
                                    "(--stream reads any number of inputs and keeps none)")
    if tokens is not None and len(tokens) != len(values):
        raise ValueError("tokens and values differ in length")
    rnn = ScalarRNN(weight, input_weight, bias, h0, activation)
    steps = tuple(rnn.step(x, None if tokens is None else tokens[i]) for i, x in enumerate(values))
    overflow = any(s.overflow for s in steps)
    w, u, b = rnn.weight, rnn.input_weight, rnn.bias
    qp = rnn.q_params
    T = len(steps)
    budget = [0]  # the influence pass has a budget of its own

    influence: list[Influence] = []
    if overflow:
        influence = [Influence(s.t, s.token, s.x, None, None) for s in steps]
    else:
        influence = _influence(steps, values, w, u, activation, qp, budget)
        # the states fit in a float but a product of slopes along the way did not (say w = 10 with tanh)
        overflow = any(i.sensitivity is None for i in influence)

    h0_term = bias_term = None
    q_h0_term = q_bias_term = None
    if activation == "linear" and not overflow:
        if qp is not None and bits(qp[0]) * T <= 4 * EXACT_BITS:
            wT = qp[0] ** T
            q_h0_term = wT * qp[3]  # w^T h_0
            q_bias_term = qp[2] * (T if qp[0] == 1 else (1 - wT) / (1 - qp[0]))  # b (1 + w + ... + w^(T-1))
            try:
                h0_term, bias_term = float(q_h0_term), float(q_bias_term)
            except OverflowError:
                q_h0_term = q_bias_term = None
        if q_h0_term is None:
            try:
                h0_term = _or_none(w ** T * rnn.h0)  # w^T h_0
            except OverflowError:
                h0_term = None
            bsum = 0.0
            p = 1.0
            for _ in range(T):  # b * (w^0 + w^1 + ... + w^(T-1))
                bsum += p
                p *= w
            bias_term = _or_none(b * bsum)

    rate, hl, dt, q_hl, q_dt = _rates(steps, w, activation, qp, overflow)
    return ScalarTrace(
        weight=w, input_weight=u, bias=b, h0=rnn.h0, activation=activation, steps=steps,
        influence=tuple(influence), final=steps[-1].h, half_life=hl, doubling_time=dt,
        h0_term=h0_term, bias_term=bias_term, overflow=overflow, vocab=dict(vocab or {}),
        rate=rate, q_params=qp, q_h0_term=q_h0_term, q_bias_term=q_bias_term, q_half_life=q_hl,
        q_doubling_time=q_dt, exact_until=rnn.exact_until, exact_stop=rnn.exact_stop,
    )


def _influence(steps, values, w, u, activation, qp, budget) -> list[Influence]:
    """dh_T/dx_t for every t, backwards from h_T; exact while the steps and the budget allow."""
    linear = activation == "linear"
    g = 1.0  # dh_T/dh_t, starting at t = T
    qg = Fraction(1) if qp is not None else None
    rev = []
    for s in reversed(steps):
        qx = s.q.x if s.q is not None else (exact_of(values[s.t - 1]) if linear and qg is not None else None)
        if qg is not None and qx is not None and (linear or s.q is not None):
            qda = qg if (linear or s.q.pre > 0) else Fraction(0)  # dh_T/da_t = dh_T/dh_t f'(a_t)
            qsens = qp[1] * qda  # dh_T/dx_t = u dh_T/da_t
            qcontrib = qsens * qx if linear else None  # u w^(T-t) x_t
            try:
                sens = float(qsens)
                contrib = None if qcontrib is None else float(qcontrib)
            except OverflowError:
                qg = None
            else:
                rev.append(Influence(s.t, s.token, s.x, sens, contrib, qsens, qcontrib))
                qg = qp[0] * qda  # dh_T/dh_{t-1} = w dh_T/da_t
                try:
                    g = float(qg)
                except OverflowError:
                    g = math.inf
                budget[0] += bits(qg)
                if bits(qg) > EXACT_BITS or budget[0] > EXACT_TOTAL_BITS:
                    qg = None
                continue
        da = g * s.slope  # dh_T/da_t
        sens = u * da  # dh_T/dx_t
        contrib = sens * s.x if linear else None
        rev.append(Influence(s.t, s.token, s.x, _or_none(sens), None if contrib is None else _or_none(contrib)))
        g = w * da  # dh_T/dh_{t-1}
        if not math.isfinite(g):
            g = math.inf
    return rev[::-1]


def _rates(steps, w, activation, qp, overflow):
    """The per-step factor |dh_t/dh_{t-1}| = |w f'(a_t)|, its geometric mean over the trace (``rate``), and the
    half-life ln 0.5 / ln(rate) or doubling time ln 2 / ln(rate) it implies, as ``decay`` computes them along a
    trajectory. For a linear recurrence the factor is |w| at every step, and the half-life ln 0.5 / ln |w|."""
    a = abs(w)
    if activation == "linear":
        log10_rate = math.log10(a) if a > 0 else -math.inf
    else:
        if overflow or any(s.slope is None for s in steps):
            return None, None, None, None, None
        total = 0.0
        for s in steps:
            f = a * s.slope
            if f == 0:
                total = -math.inf
                break
            total += math.log10(f)
        log10_rate = total / len(steps)
    rate = 10 ** log10_rate if log10_rate < 308 else None
    q_hl = q_dt = None
    if log10_rate < -LOG10_TOL:
        hl = 0.0 if log10_rate == -math.inf else math.log10(2.0) / -log10_rate
        if activation == "linear":
            hl = half_life(w) if a > 0 else 0.0
            k = _power_of_two(qp[0]) if qp is not None and qp[0] != 0 else None
            q_hl = Fraction(1, -k) if k is not None else None
        return rate, hl, None, q_hl, None
    if log10_rate > LOG10_TOL:
        dt = math.log10(2.0) / log10_rate
        if activation == "linear":
            dt = doubling_time(w)
            k = _power_of_two(qp[0]) if qp is not None else None
            q_dt = Fraction(1, k) if k is not None else None
        return rate, None, dt, None, q_dt
    return rate, None, None, None, None


def step_formula(trace: ScalarTrace, step: Step) -> str:
    """The step written out with its numbers, for feedback on a wrong answer."""
    from rnn_tutor.core.scalar_text import step_formula as f

    return f(trace, step)


def summary(trace: ScalarTrace) -> str:
    """The lesson's point in one or two sentences, with this trace's numbers filled in."""
    from rnn_tutor.core.scalar_text import summary as f

    return f(trace)
