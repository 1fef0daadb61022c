"""Numeric cards: fresh numbers from the scalar calculator, answers checked with a tolerance.

A numeric card in the deck is a template (``NumericSpec``). Each time it is studied we draw new
weights and inputs from a ``random.Random`` seeded by (seed, card id, how many times the card has
been reviewed), so a session is reproducible for a given seed and store, yet every review of the
card asks about different numbers. The answer and the worked steps come from
``rnn_tutor.core.scalar.run`` -- the same calculator as ``rnn-tutor trace``.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from rnn_tutor.core.numbers import plain_float
from rnn_tutor.quiz.cards import Card

LINEAR_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9)
TANH_WEIGHTS = (0.5, 0.8, -0.5)
INPUT_WEIGHTS = (0.5, 1.0)


@dataclass(frozen=True)
class NumericItem:
    """One concrete numeric question."""

    card_id: str
    question: str
    expected: float
    tolerance: float
    steps: tuple[str, ...]  # the worked steps, one line each, ending at the asked step
    weight: float
    input_weight: float
    inputs: tuple[float, ...]
    activation: str
    asked_step: int

    def check(self, value: float) -> bool:
        """Right if within the tolerance the question states ("within 0.01"), and no more: a relative allowance
        used to accept 10.33 for 10.31. The 1e-9 only absorbs float rounding (10.32 for 10.31 is 0.01 off)."""
        return abs(value - self.expected) <= self.tolerance + 1e-9


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def make_item(card: Card, *, seed: int = 0, nth: int = 0) -> NumericItem:
    """Draw the numbers for one review of a numeric card and compute its answer."""
    from rnn_tutor.core.scalar import run, step_formula

    spec = card.numeric
    if spec is None:
        raise ValueError(f"card {card.id!r} is not a numeric card")
    rng = random.Random(f"{seed}:{card.id}:{nth}")
    if spec.activation == "tanh":
        w = rng.choice(TANH_WEIGHTS)
        u = 1.0
        xs = [rng.choice((-1.0, 0.5, 1.0, 2.0)) for _ in range(spec.length)]
    else:
        w = rng.choice(LINEAR_WEIGHTS)
        u = rng.choice(INPUT_WEIGHTS)
        xs = [float(rng.randint(1, 5)) for _ in range(spec.length)]
    k = spec.length if spec.ask == "final" or spec.length == 1 else rng.randint(1, spec.length - 1)
    trace = run(xs, weight=w, input_weight=u, activation=spec.activation)
    rule = "w*h_{t-1} + u*x_t"
    rule = f"tanh({rule})" if spec.activation == "tanh" else rule
    question = (f"Scalar RNN h_t = {rule}, with w = {_fmt(w)}, u = {_fmt(u)}, h_0 = 0 and inputs "
                f"x = {', '.join(_fmt(x) for x in xs)}. What is h_{k}? "
                f"(within {_fmt(spec.tolerance)})")
    steps = tuple(step_formula(trace, s) for s in trace.steps[:k])
    expected = trace.steps[k - 1].h
    return NumericItem(card.id, question, float(expected), spec.tolerance, steps, w, u,
                       tuple(xs), spec.activation, k)


_FRACTION = re.compile(r"^\s*([-+]?[0-9]+(?:\.[0-9]*)?)\s*/\s*([0-9]+(?:\.[0-9]*)?)\s*$")  # ASCII digits


def parse_answer(text: str) -> float | None:
    """A typed number: '1.25', '-0.5', '1,25' (decimal comma), '5/4'. None if not a finite number."""
    text = text.strip()
    if not text:
        return None
    match = _FRACTION.match(text)
    if match:
        den = float(match.group(2))
        return float(match.group(1)) / den if den else None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = plain_float(text)  # not float(): it reads '1_5' as 15 and Arabic-Indic digits as numbers
    except ValueError:
        return None
    return value if math.isfinite(value) else None
