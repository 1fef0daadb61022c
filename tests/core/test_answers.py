"""Checking a learner's answer: exact or correctly rounded, never merely close."""

from fractions import Fraction

import pytest

from rnn_tutor.core import answers

H4, H5 = Fraction(49, 16), Fraction(129, 32)  # 3.0625 and 4.03125 in the exercise


@pytest.mark.parametrize("text", ["3.0625", "49/16", "3,0625", "3.06250", "98/32", "3.063", "3.062", "+3.0625"])
def test_right_answers_for_h4(text):
    v = answers.check(text, H4, exact=True)
    assert v.correct, (text, v)


@pytest.mark.parametrize("text, how", [("3.05", "wrong"), ("3.06", "too short"), ("3", "too short"),
                                       ("3.064", "wrong"), ("3.0630", "wrong"), ("50/16", "wrong")])
def test_wrong_answers_for_h4(text, how):
    v = answers.check(text, H4, exact=True)
    assert not v.correct and v.how == how, (text, v)


def test_h5():
    assert not answers.check("4.02", H5, exact=True).correct
    assert not answers.check("4.03", H5, exact=True).correct  # rounded, but three digits are too few
    assert answers.check("4.031", H5, exact=True).how == "rounded"
    assert answers.check("4.0313", H5, exact=True).how == "rounded"  # a tie rounds either way
    assert answers.check("4.03125", H5, exact=True).how == "exact"


def test_the_old_tolerance_is_opt_in():
    assert not answers.check("3.05", H4, exact=True).correct
    assert answers.check("3.05", H4, exact=True, tolerance=0.005).how == "tolerance"


def test_irrational_values_need_three_significant_digits():
    import math

    right = math.tanh(0.5)  # 0.46211715726...
    assert answers.check("0.462", right, exact=False).correct
    assert not answers.check("0.46", right, exact=False).correct
    assert not answers.check("0.463", right, exact=False).correct
    assert answers.check(repr(right), right, exact=False).correct  # every digit the float has


def test_not_a_number():
    for text in ("", "abc", "1/0", "nan", "1 2"):
        assert answers.check(text, H4, exact=True) is None


def test_shape():
    assert answers.shape("3.063") == (4, 3)
    assert answers.shape("0.03125") == (4, 5)
    assert answers.shape("4") == (1, 0)
    assert answers.shape("3.0625e0") == (5, 4)
    assert answers.shape("1,5") == (2, 1)
    assert answers.shape("49/16") == (None, None)
