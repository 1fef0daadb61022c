"""Checking values the user typed: one place for the messages, so every command words them alike.

Each check returns the clean value or raises ``BadValueError(option, message)`` naming the option as the user
typed it (exit 2). Standard library only.
"""

from __future__ import annotations

import math
import re

from rnn_tutor.errors import BadValueError

NOT_FINITE = "NaN and infinity are not allowed"


def check_number(option: str, value, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, allowed: str | None = None,
                 example: str | None = None) -> float:
    """A finite float inside [low, high] (``low_open`` / ``high_open`` exclude an end), else BadValueError.

    Without ``low`` and ``high`` any finite number passes. Messages read "must be <allowed>, got <value>"
    as every bad value does (the command line's own checks too): ``allowed`` says what is allowed (default:
    the range written out, "a number from 0 to 1"), ``example`` adds "(e.g. ...)".
    """
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise BadValueError(option, f"must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise BadValueError(option, f"must be a finite number, got {value!r}", NOT_FINITE)
    too_low = low is not None and (v < low or (low_open and v == low))
    too_high = high is not None and (v > high or (high_open and v == high))
    if too_low or too_high:
        raise BadValueError(option, f"must be {allowed or _range_text(low, high, low_open, high_open)}, "
                                    f"got {value!r}", f"e.g. {example}" if example else None)
    return v


def _range_text(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        if not low_open and not high_open:
            return f"a number from {_g(low)} to {_g(high)}"
        return (f"a number {'above' if low_open else 'of at least'} {_g(low)} "
                f"and {'below' if high_open else 'at most'} {_g(high)}")
    if low is not None:
        return f"a number {'above' if low_open else 'of at least'} {_g(low)}"
    return f"a number {'below' if high_open else 'of at most'} {_g(high)}"


def check_int(option: str, value, low: int, high: int) -> int:
    """A whole number in [low, high], else BadValueError naming ``option``."""
    try:
        v = int(value)
    except (TypeError, ValueError, OverflowError):
        raise BadValueError(option, f"must be a whole number, got {value!r}") from None
    if v != value and not isinstance(value, str):
        raise BadValueError(option, f"must be a whole number, got {value!r}")
    if not low <= v <= high:
        raise BadValueError(option, f"must be a whole number from {low:,} to {high:,}, got {v}")
    return v


def parse_item(option: str, text: str, where: str, *, max_abs: float | None = None,
               example: str = "") -> float:
    """One number of a list the user typed; ``where`` names it in the message ("item 2", "row 1 entry 3")."""
    try:
        v = float(text)
    except ValueError:
        raise BadValueError(option, f"{where} must be a number, got {text!r}{example}") from None
    if not math.isfinite(v):
        raise BadValueError(option, f"{where} must be a finite number, got {text!r}", NOT_FINITE)
    if max_abs is not None and abs(v) > max_abs:
        raise BadValueError(option, f"{where} must be at most {_g(max_abs)} in size, got {text!r}")
    return v


def _g(x: float) -> str:
    return f"{x:g}".replace("e+", "e")  # 1e100, not 1e+100


def split_numbers(text: str) -> list[str]:
    """The pieces of "1,2,3", "1 2 3" or one number per line (commas and/or whitespace)."""
    return [p for p in re.split(r"[,\s]+", str(text).strip()) if p]
