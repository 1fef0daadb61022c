"""Checking values the user typed: one place for the messages, so every command words them alike.

Each check returns the clean value or raises ``BadValueError(option, message)`` naming the option as the user
typed it (exit 2). Standard library only.
"""

from __future__ import annotations

import math
import re

from rnn_tutor.errors import BadValueError

NOT_FINITE = "is not a finite number (NaN and infinity are not allowed)"


def check_number(option: str, value, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, allowed: str | None = None) -> float:
    """A finite float inside [low, high] (``low_open`` / ``high_open`` exclude an end), else BadValueError.

    Without ``low`` and ``high`` any finite number passes. ``allowed`` says what is allowed in the message
    (default: the range written out).
    """
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise BadValueError(option, f"{value!r} is not a number") from None
    if not math.isfinite(v):
        raise BadValueError(option, f"{value!r} {NOT_FINITE}")
    too_low = low is not None and (v < low or (low_open and v == low))
    too_high = high is not None and (v > high or (high_open and v == high))
    if too_low or too_high:
        raise BadValueError(option, f"{value!r} is out of range; {allowed or _range_text(low, high, low_open, high_open)}")
    return v


def _range_text(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        return f"use a number {'above' if low_open else 'from'} {_g(low)} {'and below' if high_open else 'to'} {_g(high)}"
    if low is not None:
        return f"use a number {'above' if low_open else 'of at least'} {_g(low)}"
    return f"use a number {'below' if high_open else 'of at most'} {_g(high)}"


def check_int(option: str, value, low: int, high: int) -> int:
    """A whole number in [low, high], else BadValueError naming ``option``."""
    try:
        v = int(value)
    except (TypeError, ValueError, OverflowError):
        raise BadValueError(option, f"{value!r} is not a whole number") from None
    if v != value and not isinstance(value, str):
        raise BadValueError(option, f"{value!r} is not a whole number")
    if not low <= v <= high:
        raise BadValueError(option, f"{v} is out of range; use a whole number from {low:,} to {high:,}")
    return v


def parse_item(option: str, text: str, where: str, *, max_abs: float | None = None,
               example: str = "") -> float:
    """One number of a list the user typed; ``where`` names it in the message ("item 2", "row 1 entry 3")."""
    try:
        v = float(text)
    except ValueError:
        raise BadValueError(option, f"{where}, {text!r}, is not a number{example}") from None
    if not math.isfinite(v):
        raise BadValueError(option, f"{where}, {text!r}, {NOT_FINITE}")
    if max_abs is not None and abs(v) > max_abs:
        raise BadValueError(option, f"{where}, {text!r}, is too large; entries must be at most {_g(max_abs)} in size")
    return v


def _g(x: float) -> str:
    return f"{x:g}".replace("e+", "e")  # 1e100, not 1e+100


def split_numbers(text: str) -> list[str]:
    """The pieces of "1,2,3", "1 2 3" or one number per line (commas and/or whitespace)."""
    return [p for p in re.split(r"[,\s]+", str(text).strip()) if p]
