"""How numbers are written for people (tables, sentences, feedback). JSON and CSV carry the full floats.

Rounding, everywhere: to a number of significant digits, **half away from zero** (1.390625 to six digits is
1.39063, never the 1.39062 of round-half-to-even), applied to the exact value when it is known (a Fraction) and
otherwise to the shortest decimal that prints the float (the digits ``repr`` and the JSON show), so a rounded
table entry is always the JSON's number cut short.

Exact values (Fractions) are written in full when their decimal expansion ends within ``EXACT_DIGITS``
significant digits (4.03125, 1.390625, 6.0078125); any other value is rounded and carries ``APPROX`` in front
(≈0.333333), so nothing that looks exact is rounded.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

APPROX = "≈"
EXACT_DIGITS = 12  # an exact value with more significant digits than this is shown rounded, with the marker
_CTX = {}


def _ctx(digits: int) -> Context:
    c = _CTX.get(digits)
    if c is None:
        c = _CTX[digits] = Context(prec=max(1, digits), rounding=ROUND_HALF_UP, Emax=10**9, Emin=-10**9)
    return c


def _decimal(x, digits: int) -> Decimal:
    """x (float or Fraction) rounded half away from zero to ``digits`` significant digits, as a Decimal."""
    c = _ctx(digits)
    if isinstance(x, Fraction):
        return c.divide(Decimal(x.numerator), Decimal(x.denominator))  # correctly rounded
    return c.plus(Decimal(repr(float(x))))


def _layout(d: Decimal, low: int, high: int) -> str:
    """Positional when 10**low <= |d| < 10**high, else m.mmme+XX; trailing zeros dropped."""
    if d.is_zero():
        return "0"
    adj = d.adjusted()
    if low <= adj < high:
        s = format(d, "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return s
    sign, digits, _ = d.as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return f"{'-' if sign else ''}{mant}e{adj:+03d}"


def rounded(x, digits: int = 6) -> str:
    """x rounded half away from zero to ``digits`` significant digits: 1.390625 -> '1.39063', 1e-9 -> '1e-09'."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else "overflow"
    return _layout(_decimal(x, digits), -4, 6)


def decimal_text(q: Fraction, max_digits: int = EXACT_DIGITS) -> str | None:
    """The exact decimal of q when it terminates within ``max_digits`` significant digits, else None.

    129/32 -> '4.03125'; 1/3 -> None (does not terminate); 2**-40 -> None (16 significant digits).
    """
    if q == 0:
        return "0"
    den = q.denominator
    twos = (den & -den).bit_length() - 1
    rest = den >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return None  # a prime other than 2 and 5 in the denominator: the decimal never ends
    places = max(twos, fives)
    scaled = abs(q.numerator) * (2 ** (places - twos)) * (5 ** (places - fives))  # |q| * 10**places, an integer
    digits = str(scaled)
    significant = digits.rstrip("0")
    if len(significant) > max_digits:
        return None
    exponent = len(digits) - len(significant) - places  # q = ±significant * 10**exponent
    d = Decimal(f"{'-' if q < 0 else ''}{significant}e{exponent}")
    return _layout(d, -4, 15)


def exact_num(x: float | None, q: Fraction | None = None, *, marked: bool = True, digits: int = 6) -> str:
    """One value of a trace: exact when ``q`` is known and short, else rounded, marked with ≈ when ``marked``.

    ``marked`` is for traces that promise exact numbers (linear and relu): a float there is known only
    approximately. A tanh or sigmoid trace passes ``marked=False`` and says once how it rounds.
    """
    if q is not None:
        text = decimal_text(q)
        return text if text is not None else APPROX + rounded(q, digits)
    if x is None:
        return "overflow"
    x = float(x)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else "overflow"
    if x == 0:
        return "0"
    return (APPROX if marked else "") + rounded(x, digits)


def fraction_text(q: Fraction | None) -> str | None:
    """'129/32', '-1/3', '5' (an integer has no denominator); None when there is no exact value."""
    if q is None:
        return None
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def num(x: float | None, digits: int = 6) -> str:
    """Short, exact where the number is short: 4.03125 -> '4.03125', 2.0 -> '2', 1e-9 -> '1e-09'.

    Rounded half away from zero (see the module's note) to ``digits`` significant digits in positional form,
    one fewer in exponent form.
    """
    if x is None:
        return "overflow"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, Fraction):
        x_exact = x
        x = float(x)
    else:
        x = float(x)
        x_exact = None
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "overflow"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    a = abs(x)
    src = x_exact if x_exact is not None else x
    if a >= 1e6 or a < 1e-4:
        return _layout(_decimal(src, max(digits - 1, 1)), 0, 0)
    d = _decimal(src, digits)
    if d.adjusted() >= digits:  # more integer digits than `digits`: round to a whole number instead
        d = _whole(src)
    return _layout(d, -5, 16)


def times(x: float | None) -> str:
    """A ratio for a sentence: '16', '1.52', '2.4e+05'."""
    if x is None:
        return "n/a"
    if 100 <= abs(x) < 1e6:
        return f"{_whole(x):,}"
    return num(x, 3)


def _whole(x) -> Decimal:
    """x rounded half away from zero to a whole number."""
    return _decimal(x, 40).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def percent(x: float, decimals: int = 1) -> str:
    """A share as a percentage with ``decimals`` decimals, rounded half away from zero like every number here:
    0.0625 -> '6.3%' (Python's format gives the '6.2%' of round-half-to-even), 0.145 -> '15%' with no decimals
    (100 * 0.145 is 14.4999... in binary; 0.145 is the decimal the JSON shows). NaN and infinities as format
    writes them ('nan%')."""
    if not math.isfinite(x):
        return f"{x}%"
    d = Decimal(repr(float(x))).scaleb(2)  # 100·x, exact: only the exponent moves
    q = d.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP, context=_ctx(400))
    return f"{q:f}%"

