"""The one number grammar (core.numbers) and how numbers are written (core.numfmt)."""

from fractions import Fraction

import pytest

from rnn_tutor.core.numbers import Number, parse_list, parse_number
from rnn_tutor.core.numfmt import decimal_text, exact_num, fraction_text, num, rounded, times
from rnn_tutor.errors import BadValueError


@pytest.mark.parametrize("text, exact", [
    ("0.5", Fraction(1, 2)), ("5/4", Fraction(5, 4)), ("+0.5", Fraction(1, 2)), ("-1/2", Fraction(-1, 2)),
    ("1e-3", Fraction(1, 1000)), (".5", Fraction(1, 2)), ("5.", Fraction(5)), ("1,25", Fraction(5, 4)),
    (" 3 / 4 ", Fraction(3, 4)), ("\u22120.5", Fraction(-1, 2)), ("0.1", Fraction(1, 10)), ("2.5E+2", Fraction(250)),
    ("1.5/3", Fraction(1, 2)), ("1e-400", Fraction(1, 10**400)), ("-0", Fraction(0)),
])
def test_accepted(text, exact):
    v = parse_number("--weight", text, decimal_comma="," in text)
    assert isinstance(v, Number) and isinstance(v, float)
    assert v.exact == exact and float(v) == float(exact)


def test_a_decimal_comma_only_where_asked():
    """Options separate values by commas, so they refuse '1,5'; answers (decimal_comma=True) read it as 1.5."""
    with pytest.raises(BadValueError, match="must be a number, got '1,5'"):
        parse_number("--weight", "1,5")
    assert parse_number("answer", "1,5", decimal_comma=True).exact == Fraction(3, 2)


@pytest.mark.parametrize("text, words", [
    ("", "must be a number, got"), ("abc", "must be a number, got"), ("nan", "must be a finite number, got"),
    ("-inf", "must be a finite number, got"), ("1/0", "it divides by zero"),
    ("1e309", "too large for a 64-bit float"), ("1e99999999", "an exponent of at most"),
    ("0x10", "must be a number, got"), ("\uff11\uff12", "must be a number, got"), ("1_0", "must be a number, got"),
    ("1/2/3", "must be a number, got"), ("9" * 300, "at most 200 characters"), ("1 2", "must be a number, got"),
])
def test_refused_with_the_option_named(text, words):
    with pytest.raises(BadValueError) as e:
        parse_number("--weight", text)
    said = e.value.user_message()  # as the user reads it: must be <allowed>, got <text> (<reason>)
    assert e.value.option == "--weight" and words in said and said.startswith("Error: Invalid value for '--weight': must be")
    assert "\n" not in said


def test_a_float_is_taken_as_the_decimal_it_prints():
    assert parse_number("-w", 0.1).exact == Fraction(1, 10)
    assert parse_number("-w", 3).exact == 3
    with pytest.raises(BadValueError):
        parse_number("-w", float("nan"))


def test_lists_keep_each_value_exact_and_refuse_too_many_before_parsing():
    vals = parse_list("--values", "1, 2\n3/4\t-4.5e0")
    assert [v.exact for v in vals] == [1, 2, Fraction(3, 4), Fraction(-9, 2)]
    assert [v.text for v in vals] == ["1", "2", "3/4", "-4.5e0"]
    with pytest.raises(BadValueError) as e:
        parse_list("--values", "x " * 11, max_items=10)  # not a number, but the count is refused first
    assert "at most 10 steps" in e.value.message
    with pytest.raises(BadValueError) as e:
        parse_list("--values", "1,,x")
    assert "item 2 must be a number, got 'x'" in e.value.message
    with pytest.raises(BadValueError):
        parse_list("--values", "1,2,3", max_items=2)


def test_number_pickles_with_its_exact_value():
    import pickle

    v = pickle.loads(pickle.dumps(parse_number("-w", "1/3")))
    assert v.exact == Fraction(1, 3) and v.text == "1/3"


def test_rounding_is_half_away_from_zero_on_the_printed_digits():
    assert rounded(1.390625) == "1.39063" and rounded(Fraction(1390625, 10**6)) == "1.39063"
    assert rounded(-1.390625) == "-1.39063"
    assert rounded(2.675, 3) == "2.68"  # the float 2.675 prints as 2.675; rounded as a person would
    assert num(1.390625) == "1.39063" and num(5.015625) == "5.01563"  # never half-to-even's 1.39062, 5.01562
    assert [num(v) for v in (4.03125, 0.03125, 2.0, 0.0, None)] == ["4.03125", "0.03125", "2", "0", "overflow"]
    assert num(1e-9) == "1e-09" and num(123456.789) == "123457" and num(1972.507, 3) == "1973"
    assert times(1972.5) == "1,973" and times(16.0) == "16" and times(1 / 0.9 ** 4) == "1.52"


def test_exact_decimals_are_written_in_full_or_marked():
    assert decimal_text(Fraction(129, 32)) == "4.03125"
    assert decimal_text(Fraction(769, 128)) == "6.0078125"
    assert decimal_text(Fraction(1, 3)) is None  # never ends
    assert decimal_text(Fraction(1, 2**40)) is None  # 16 significant digits: longer than 12
    assert decimal_text(Fraction(1, 10**20)) == "1e-20" and decimal_text(Fraction(-3, 8)) == "-0.375"
    assert exact_num(None, Fraction(1, 3)) == "≈0.333333"
    assert exact_num(0.5, Fraction(1, 2)) == "0.5"
    assert exact_num(1 / 3) == "≈0.333333"  # a float in an exact trace: known only approximately
    assert exact_num(0.46211715726000974, marked=False) == "0.462117"
    assert exact_num(None) == "overflow"
    assert fraction_text(Fraction(129, 32)) == "129/32" and fraction_text(Fraction(5)) == "5"
