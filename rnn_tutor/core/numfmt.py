"""How numbers are written for people (tables, sentences, feedback). JSON and CSV carry the full floats."""

from __future__ import annotations

import math


def num(x: float | None, digits: int = 6) -> str:
    """Short, exact where the number is short: 4.03125 -> '4.03125', 2.0 -> '2', 1e-9 -> '1e-09'."""
    if x is None:
        return "overflow"
    if isinstance(x, bool):
        return str(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "overflow"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    a = abs(x)
    if a >= 1e6 or a < 1e-4:
        mant, exp = f"{x:.{max(digits - 2, 1)}e}".split("e")
        mant = mant.rstrip("0").rstrip(".")
        return f"{mant}e{int(exp):+03d}"
    s = f"{x:.{digits}g}"
    if "e" in s:  # .g chose exponent form for a number with more integer digits than `digits`: round instead
        s = str(int(round(x)))
    return s


def times(x: float | None) -> str:
    """A ratio for a sentence: '16', '1.52', '2.4e+05'."""
    if x is None:
        return "n/a"
    if 100 <= abs(x) < 1e6:
        return f"{x:,.0f}"
    return num(x, 3)
