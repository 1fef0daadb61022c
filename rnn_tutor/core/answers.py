"""Checking a number a learner typed against the right value: exact, correctly rounded, or wrong.

The rule (``check``):

- an answer that equals the right value exactly is right ("49/16" and "3.0625" for 3.0625);
- a decimal is also right when it is the right value correctly rounded to the decimal places typed (a tie may
  round either way: 3.062 and 3.063 for 3.0625) and carries at least ``min_digits`` significant digits: 4 when
  the right value is exact (a linear trace), 3 when it is a float (tanh and sigmoid are irrational);
- with a ``tolerance``, an answer within tolerance * max(1, |right value|) is right too;
- anything else is wrong: 3.05 for 3.0625, 4.02 for 4.03125; 3.06 is 3.0625 rounded but too short.

Standard library only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from rnn_tutor.core.numbers import exact_value

EXACT_MIN_DIGITS = 4
FLOAT_MIN_DIGITS = 3

_MANTISSA = re.compile(r"[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")


@dataclass(frozen=True)
class Verdict:
    correct: bool
    how: str  # "exact", "rounded", "tolerance", "too short", "wrong"
    value: Fraction  # the typed value, exactly
    digits: int | None  # significant digits typed (None for a fraction)
    places: int | None  # decimal places typed (None for a fraction)


def read(text: str) -> Fraction | None:
    """The exact value of a typed answer ('1.25', '5/4', '-0.5', '1,25'); None when it is not a number."""
    try:
        return exact_value(text.strip(), decimal_comma=True)
    except ValueError:
        return None


def shape(text: str) -> tuple[int | None, int | None]:
    """(significant digits, decimal places) of a typed decimal; (None, None) for a fraction.

    '3.063' -> (4, 3), '0.03125' -> (4, 5), '4' -> (1, 0), '3.0625e0' -> (5, 4), '1200' -> (4, 0).
    """
    t = text.strip().replace("\u2212", "-")
    if t.count(",") == 1 and "." not in t and "/" not in t:
        t = t.replace(",", ".")
    m = _MANTISSA.fullmatch(t)
    if "/" in t or not m:
        return None, None
    whole, frac, exp = m.group(1) or "", m.group(2) or "", m.group(3)
    digits = (whole + frac).lstrip("0")
    places = len(frac) - (int(exp) if exp else 0)
    return len(digits), places


def check(text: str, right: Fraction | float, *, exact: bool, tolerance: float | None = None) -> Verdict | None:
    """The verdict on ``text`` for the right value ``right`` (a Fraction when known exactly); None when the text
    is not a number."""
    value = read(text)
    if value is None:
        return None
    digits, places = shape(text)
    target = right if isinstance(right, Fraction) else Fraction(right)
    if value == target:
        return Verdict(True, "exact", value, digits, places)
    rounded_ok = False
    if places is not None:
        half = Fraction(1, 2) * Fraction(10) ** -places
        if not exact:  # a float stands for an irrational value: allow its own last-bit error
            half += 4 * Fraction(math.ulp(float(target)))
        rounded_ok = abs(target - value) <= half  # ties are within: they may round either way
    need = EXACT_MIN_DIGITS if exact else FLOAT_MIN_DIGITS
    if rounded_ok and digits is not None and digits >= need:
        return Verdict(True, "rounded", value, digits, places)
    if tolerance is not None:
        if abs(float(value) - float(target)) <= tolerance * max(1.0, abs(float(target))) + 1e-12:
            return Verdict(True, "tolerance", value, digits, places)
    if rounded_ok:
        return Verdict(False, "too short", value, digits, places)
    return Verdict(False, "wrong", value, digits, places)
