"""The scalar RNN of the hand-trace exercise, computed exactly as a learner would by hand.

    h_t = f(w * h_{t-1} + u * x_t + b),   h_0 given,   f in {linear, tanh, relu, sigmoid}

Plain Python floats and the ``math`` module only: tracing five numbers must not pay numpy's import time.
Overflow is not an exception here: a step whose value leaves the float range is recorded with ``None`` and
the result carries ``overflow=True``, so every output format can say so honestly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from rnn_tutor.core.validate import check_number, parse_item, split_numbers
from rnn_tutor.errors import BadValueError

ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid")

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


@dataclass(frozen=True)
class Influence:
    """How much input x_t moves the final state h_T."""

    t: int
    token: str
    x: float
    sensitivity: float | None  # dh_T/dx_t
    contribution: float | None  # linear only: the part of h_T that x_t put there, u*w^(T-t)*x_t


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
    half_life: float | None  # steps for an input's weight to halve: ln(0.5)/ln|w|, for 0 < |w| < 1
    doubling_time: float | None  # ln 2 / ln|w| for |w| > 1
    h0_term: float | None  # linear: w^T * h_0
    bias_term: float | None  # linear: b * (1 + w + ... + w^(T-1))
    overflow: bool
    vocab: dict[str, int] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return len(self.steps)

    @property
    def linear(self) -> bool:
        return self.activation == "linear"

    def first_last_ratio(self) -> float | None:
        """How many times more the last input moves h_T than the first, per unit of input."""
        if len(self.influence) < 2:
            return None
        first, last = self.influence[0].sensitivity, self.influence[-1].sensitivity
        if not (_finite(first) and _finite(last)) or first == 0:
            return None
        r = abs(last / first)
        return r if math.isfinite(r) else None


def parse_numbers(text: str, option: str = "--values") -> list[float]:
    """Numbers separated by commas and/or whitespace: "1,2,3", "1 2 3", one per line. Empty -> BadValueError."""
    parts = split_numbers(text)
    if not parts:
        raise BadValueError(option, "no numbers given (give numbers separated by commas or spaces, e.g. 1,2,3)")
    return [parse_item(option, p, f"item {i}", example=" (give numbers like 1,2,3 or 0.5 -1 2e3)")
            for i, p in enumerate(parts, 1)]


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


class ScalarRNN:
    """A stepper: feed one input at a time (``step``), as a stream of sensor readings would arrive."""

    def __init__(self, weight: float = 0.5, input_weight: float = 0.5, bias: float = 0.0, h0: float = 0.0,
                 activation: str = "linear"):
        self.weight = check_number("--weight", weight)
        self.input_weight = check_number("--input-weight", input_weight)
        self.bias = check_number("--bias", bias)
        self.h0 = check_number("--h0", h0)
        if activation not in ACTIVATIONS:
            raise BadValueError("--activation", f"unknown activation {activation!r} (choose from {', '.join(ACTIVATIONS)})")
        self.activation = activation
        self.h: float | None = self.h0
        self.t = 0

    def step(self, x: float, token: str | None = None) -> Step:
        x = check_number("--values", x)
        self.t += 1
        tok = token if token is not None else _fmt_token(x)
        h_prev = self.h
        if not _finite(h_prev):  # once the state has overflowed, every later state is unknown
            self.h = None
            return Step(self.t, tok, x, None, None, self.input_weight * x, None, None, None, True)
        wh = self.weight * h_prev  # w * h_{t-1}
        ux = self.input_weight * x  # u * x_t
        pre = wh + ux + self.bias  # a_t = w*h_{t-1} + u*x_t + b
        if not math.isfinite(pre):
            self.h = None
            return Step(self.t, tok, x, h_prev, _or_none(wh), _or_none(ux), None, None, None, True)
        h, slope = activate(self.activation, pre)  # h_t = f(a_t)
        self.h = h
        return Step(self.t, tok, x, h_prev, wh, ux, pre, h, slope, False)


def _or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _fmt_token(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def run(values: Sequence[float], weight: float = 0.5, input_weight: float = 0.5, bias: float = 0.0,
        h0: float = 0.0, activation: str = "linear", tokens: Sequence[str] | None = None,
        vocab: dict[str, int] | None = None) -> ScalarTrace:
    """Trace h_1..h_T for the inputs, and how much each input moves h_T.

    Influence is the chain rule run backwards from h_T:
        dh_T/da_t = dh_T/dh_t * f'(a_t),  dh_T/dx_t = u * dh_T/da_t,  dh_T/dh_{t-1} = w * dh_T/da_t
    which for a linear f is u * w^(T-t). Then h_T = w^T h_0 + sum_t u w^(T-t) x_t + b sum_t w^(T-t) exactly.
    """
    if len(values) == 0:
        raise BadValueError("--values", "no inputs to trace (give at least one number or word)")
    if tokens is not None and len(tokens) != len(values):
        raise ValueError("tokens and values differ in length")
    rnn = ScalarRNN(weight, input_weight, bias, h0, activation)
    steps = tuple(rnn.step(x, None if tokens is None else tokens[i]) for i, x in enumerate(values))
    overflow = any(s.overflow for s in steps)
    w, u, b = rnn.weight, rnn.input_weight, rnn.bias
    T = len(steps)

    influence: list[Influence] = []
    if overflow:
        influence = [Influence(s.t, s.token, s.x, None, None) for s in steps]
    else:
        g = 1.0  # dh_T/dh_t, starting at t = T
        rev = []
        for s in reversed(steps):
            da = g * s.slope  # dh_T/da_t
            sens = u * da  # dh_T/dx_t
            contrib = sens * s.x if activation == "linear" else None
            rev.append(Influence(s.t, s.token, s.x, _or_none(sens), None if contrib is None else _or_none(contrib)))
            g = w * da  # dh_T/dh_{t-1}
            if not math.isfinite(g):
                g = math.inf
        influence = rev[::-1]
        # the states fit in a float but a product of slopes along the way did not (say w = 10 with tanh)
        overflow = any(i.sensitivity is None for i in influence)

    h0_term = bias_term = None
    if activation == "linear" and not overflow:
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

    final = steps[-1].h
    return ScalarTrace(
        weight=w, input_weight=u, bias=b, h0=rnn.h0, activation=activation, steps=steps,
        influence=tuple(influence), final=final, half_life=half_life(w), doubling_time=doubling_time(w),
        h0_term=h0_term, bias_term=bias_term, overflow=overflow, vocab=dict(vocab or {}),
    )


def step_formula(trace: ScalarTrace, step: Step) -> str:
    """The step written out with its numbers, for feedback on a wrong answer."""
    from rnn_tutor.core.numfmt import num

    w, u, b = trace.weight, trace.input_weight, trace.bias
    hp = "overflow" if step.h_prev is None else num(step.h_prev)
    parts = f"{num(w)} * {hp} + {num(u)} * {num(step.x)}"
    if b:
        parts += f" + {num(b)}"
    sums = f"{num(step.wh)} + {num(step.ux)}" + (f" + {num(b)}" if b else "")
    if trace.activation == "linear":
        return f"h_{step.t} = w*h_{step.t - 1} + u*x_{step.t}{' + b' if b else ''} = {parts} = {sums} = {num(step.h)}"
    return (f"h_{step.t} = {trace.activation}(w*h_{step.t - 1} + u*x_{step.t}{' + b' if b else ''}) = "
            f"{trace.activation}({parts}) = {trace.activation}({num(step.pre)}) = {num(step.h)}")


def summary(trace: ScalarTrace) -> str:
    """The lesson's point in one or two sentences, with this trace's numbers filled in."""
    from rnn_tutor.core.numfmt import num, times

    T = trace.length
    w = trace.weight
    if trace.overflow:
        return (f"With w = {num(w)} the numbers outgrow a 64-bit float within {T} steps: each step multiplies the "
                f"state by |w| > 1, which is the exploding side of the same effect that makes memories fade when |w| < 1.")
    if T == 1:
        return f"Only one input, so h_1 = {num(trace.final)} depends on it alone."
    first, last = trace.influence[0], trace.influence[-1]
    if w == 0:
        return (f"With w = 0 nothing is carried over: h_{T} depends on the last input only "
                f"(the first moves it by {num(first.sensitivity)}).")
    via = "" if trace.linear else f" through {trace.activation}"
    ratio = trace.first_last_ratio()
    if first.sensitivity == 0 or ratio is None:
        text = (f"The first input ({first.token}) no longer moves h_{T} at all{via}: its sensitivity is "
                f"{num(first.sensitivity)}, against {num(last.sensitivity)} for the last ({last.token}).")
    elif ratio >= 1:
        text = (f"The last input ({last.token}) moves h_{T} {times(ratio)} times as much as the first ({first.token}){via}: "
                f"dh_{T}/dx_{T} = {num(last.sensitivity)} against dh_{T}/dx_1 = {num(first.sensitivity)}, because "
                f"every step in between multiplies an input's effect by w = {num(w)}"
                f"{'' if trace.linear else ' times the slope of ' + trace.activation}.")
    else:
        text = (f"The first input ({first.token}) moves h_{T} {times(1 / ratio)} times as much as the last ({last.token}){via}: "
                f"with |w| = {num(abs(w))} > 1 every step amplifies what came before, so the oldest input dominates "
                f"(the exploding side of the same effect).")
    if trace.linear and first.contribution is not None and last.contribution is not None:
        text += (f" Of h_{T} = {num(trace.final)}, the first input put in {num(first.contribution)} and the last "
                 f"{num(last.contribution)}.")
    if trace.half_life is not None:
        hl = num(trace.half_life, 3)
        text += f" Memory half-life: {hl} step{'' if hl == '1' else 's'} (an input's weight halves every ln 0.5 / ln |w| steps)."
    elif abs(w) == 1:
        text += " With |w| = 1 an input's weight neither fades nor grows (no half-life)."
    elif trace.doubling_time is not None:
        text += f" An input's weight doubles every {num(trace.doubling_time, 3)} steps (ln 2 / ln |w|)."
    return text
