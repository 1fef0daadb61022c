"""Numbers as people type them, kept exact: decimals, fractions and a leading sign.

    parse_number("0.1")  -> Number(0.1),  .exact == Fraction(1, 10)   (not the float's 0.1000000000000000055...)
    parse_number("5/4")  -> Number(1.25), .exact == Fraction(5, 4)
    parse_number("-2.5e-3"), parse_number("+7"), parse_number("1,25", decimal_comma=True)

The one grammar every number the user types goes through (the trace's options, the items of --values, the
answers of practice), so they all accept the same things and say the same thing when a value is wrong:

    number   = sign? ( decimal exponent? | decimal "/" decimal )
    decimal  = digits ( "." digits? )? | "." digits          (ASCII digits only)
    exponent = ("e" | "E") sign? digits
    sign     = "+" | "-" | "\u2212" (the typographic minus, as pasted from a document)

Spaces around "/" are allowed; a decimal comma ("1,25") only where a comma cannot be a separator. Limits keep a
typed value cheap: at most ``MAX_TEXT`` characters and an exponent of at most ``MAX_EXPONENT`` (``1e999999999``
would otherwise build a billion-digit integer). A value must also fit a 64-bit float (at most about 1.8e308 in
size); NaN, infinity and division by zero are refused.

Standard library only (the fast path of ``trace`` uses it without typer or numpy).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from rnn_tutor.errors import BadValueError

MAX_TEXT = 200
MAX_EXPONENT = 1000
EXAMPLES = "write a decimal like 0.5 or -2.5e-3, or a fraction like 5/4"

_NOT_FINITE = ("nan", "inf", "infinity")
# Parsed by hand rather than with regular expressions: compiling three patterns cost a few milliseconds of
# `rnn-tutor trace` start-up, which the fast path exists to keep small.


def _digits(text: str) -> bool:
    """ASCII digits only ('' counts): str.isdigit alone also accepts '１２' and '²'."""
    return text == "" or (text.isascii() and text.isdigit())


def _decimal(text: str) -> str | None:
    """'12.5' -> '12.5' when text is digits with at most one point and at least one digit, else None."""
    whole, _, frac = text.partition(".")
    if (whole or frac) and _digits(whole) and _digits(frac):
        return text
    return None


class Number(float):
    """A float that remembers the exact value typed (``exact``, a Fraction) and the text (``text``).

    It is a float everywhere a float is expected; code that can use exactness reads ``.exact``.
    """

    __slots__ = ("exact", "text")

    def __new__(cls, exact: Fraction, text: str = ""):
        self = super().__new__(cls, float(exact))
        self.exact = exact
        self.text = text
        return self

    def __reduce__(self):  # pickles (multiprocessing, hypothesis) as a plain float would not keep .exact
        return (Number, (self.exact, self.text))


def _fraction(digits: str) -> Fraction:
    """'12.50' -> 25/2, without Fraction's own string parser (which also takes '1_0' and non-ASCII digits)."""
    whole, _, frac = digits.partition(".")
    return Fraction(int((whole or "0") + frac), 10 ** len(frac))


def exact_value(text: str, *, decimal_comma: bool = False) -> Fraction | None:
    """The exact value of ``text``, or None when it is not a number of the grammar above.

    Raises ValueError(allowed, reason) for text that is a number but cannot be used (too long, exponent too
    large, not finite, division by zero): ``parse_number`` words it as every bad value is worded, "must be
    <allowed>, got <text> (<reason>)".
    """
    t = str(text).strip().replace("\u2212", "-")
    if len(t) > MAX_TEXT:
        raise ValueError(f"a number of at most {MAX_TEXT} characters", f"it is longer than {MAX_TEXT}")
    if decimal_comma and t.count(",") == 1 and "." not in t and "/" not in t:
        t = t.replace(",", ".")
    sign = ""
    body = t
    if body[:1] in ("+", "-"):
        sign, body = body[0], body[1:]
    if body.lower() in _NOT_FINITE:
        raise ValueError("a finite number", "NaN and infinity are not allowed")
    if "/" in body:
        num, _, den = body.partition("/")
        num, den = _decimal(num.strip()), _decimal(den.strip())
        if num is None or den is None:
            return None
        d = _fraction(den)
        if d == 0:
            raise ValueError("a number", "it divides by zero")
        value = _fraction(num) / d
        return -value if sign == "-" else value
    mant, e_mark, exp = body.replace("E", "e").partition("e")
    if _decimal(mant) is None:
        return None
    value = _fraction(mant)
    if e_mark:
        esign = exp[:1] if exp[:1] in ("+", "-") else ""
        edigits = exp[len(esign):]
        if not edigits or not _digits(edigits):
            return None
        e = int(esign + edigits)
        if abs(e) > MAX_EXPONENT:
            raise ValueError(f"a number with an exponent of at most ±{MAX_EXPONENT}",
                             "a 64-bit float reaches about 1.8e308")
        value = value * 10**e if e >= 0 else value / 10**-e
    return -value if sign == "-" else value


def plain_float(text: str) -> float:
    """``float(text)`` for a reading as people write it, without the exact parse (the stream reads thousands a
    second): ASCII only and no ``_``, since Python's float() takes '1_5' as 15 and Arabic-Indic digits as
    numbers. ValueError otherwise. NaN and infinity come back as floats: the caller refuses them with its reason."""
    t = str(text)
    if not t.isascii() or "_" in t:
        raise ValueError(f"{t!r} is not a number")
    return float(t)


def parse_number(option: str, text, *, decimal_comma: bool = False, where: str = "") -> Number:
    """One number the user typed, exact, as a ``Number``; BadValueError naming ``option`` otherwise.

    ``where`` names an item inside a list in the message ("item 3"). A float or int (a default, or a value
    from code) is taken as the shortest decimal that prints it: 0.1 is 1/10.
    """
    if isinstance(text, Number):
        return text
    if isinstance(text, bool):
        raise BadValueError(option, f"must be a number, got {text!r}")
    if isinstance(text, Fraction):
        exact, shown = text, str(text)
    elif isinstance(text, (int, float)):
        if isinstance(text, float) and not math.isfinite(text):
            raise BadValueError(option, f"{_lead(where)}must be a finite number, got {text!r}",
                                "NaN and infinity are not allowed")
        exact, shown = (Fraction(text) if isinstance(text, int) else Fraction(repr(text))), repr(text)
    else:
        shown = str(text)
        try:
            exact = exact_value(shown, decimal_comma=decimal_comma)
        except ValueError as e:
            allowed, reason = e.args
            raise BadValueError(option, f"{_lead(where)}must be {allowed}, got {_show(shown)}", reason) from None
        if exact is None:
            raise BadValueError(option, f"{_lead(where)}must be a number, got {_show(shown)}", EXAMPLES)
    try:
        return Number(exact, shown.strip())
    except OverflowError:
        raise BadValueError(option, f"{_lead(where)}must be at most about 1.8e308 in size, got {_show(shown)}",
                            "too large for a 64-bit float") from None


def parse_list(option: str, text: str, max_items: int | None = None) -> list[Number]:
    """Numbers separated by commas and/or whitespace ("1, 2 3/4" -> 1, 2, 3/4); each one exact. More than
    ``max_items`` is refused before any is parsed."""
    parts = [p for p in re.split(r"[,\s]+", str(text).strip()) if p]
    if not parts:
        raise BadValueError(option, "no numbers given (give numbers separated by commas or spaces, e.g. 1,2,3)")
    if max_items is not None and len(parts) > max_items:
        raise BadValueError(option, f"a trace keeps at most {max_items:,} steps, got {len(parts):,} "
                                    "(--stream reads any number of inputs and keeps none)")
    return [parse_number(option, p, decimal_comma=False, where=f"item {i}") for i, p in enumerate(parts, 1)]


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _lead(where: str) -> str:
    return f"{where} " if where else ""
