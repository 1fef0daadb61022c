"""The scalar RNN of the hand-trace exercise, computed exactly as a learner would by hand.

    h_t = f(w * h_{t-1} + u * x_t + b),   h_0 given,   f in {linear, tanh, relu, sigmoid}

Exact arithmetic. A linear or relu recurrence over numbers that are decimals or fractions stays rational, so it
is computed with the standard library's ``fractions`` as well as in floats: every step carries its exact values
(``Step.q``) and every float is the exact value correctly rounded. A number typed by the user arrives as a
``core.numbers.Number`` (a float that remembers the exact value typed: "0.1" is 1/10); a plain float from code is
taken as the shortest decimal that prints it (0.1 is 1/10 as well). tanh and sigmoid are irrational: those
traces are floats only.

Exact fractions can grow without bound (w = 1/3 puts 3^t in the denominator of h_t), so the cost is bounded: a
value whose numerator or denominator needs more than ``scalar_step.EXACT_BITS`` bits, or a trace whose exact
values add up to more than ``scalar_step.EXACT_TOTAL_BITS`` bits, ends exact arithmetic; from that step on the
trace continues in floats, and says where (``ScalarTrace.exact_until``).

One step at a time (the ``ScalarRNN`` stepper, its ``Step`` rows and their exact values) is
``core/scalar_step.py``; this module runs it over a sequence, works out how much each input moves h_T and the
rate per step, and holds the result (``ScalarTrace``).

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
from rnn_tutor.core import scalar_step  # its EXACT_BITS and EXACT_TOTAL_BITS bound the states and the influence
from rnn_tutor.core.scalar_step import EXACT_ACTIVATIONS, ScalarRNN, Step, _finite, _or_none, bits, exact_of
from rnn_tutor.errors import BadValueError

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
        if qp is not None and bits(qp[0]) * T <= 4 * scalar_step.EXACT_BITS:
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
                if bits(qg) > scalar_step.EXACT_BITS or budget[0] > scalar_step.EXACT_TOTAL_BITS:
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
