"""Exact arithmetic in the scalar trace: fractions inside, exact decimals or ≈ outside."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_tutor.core import scalar, scalar_step
from rnn_tutor.core.numbers import parse_number
from rnn_tutor.core.scalar_text import summary


def _n(text):
    return parse_number("--values", text)


def test_the_issues_numbers_are_exact():
    tr = scalar.run([_n(str(i)) for i in range(1, 8)], 0.5, 0.5)
    assert [s.q.h for s in tr.steps][5:] == [Fraction(321, 64), Fraction(769, 128)]
    assert tr.steps[5].h == 5.015625 and tr.steps[6].h == 6.0078125 and tr.exact
    tokens, xs, vocab = scalar.encode("The cat saw the dog. The dog ran!")
    tr = scalar.run(xs, 0.5, 0.5, tokens=tokens)
    assert tr.steps[5].q.wh == Fraction(89, 64) and tr.steps[5].q.h == Fraction(121, 64)  # 1.390625, 1.890625


def _terminating():
    """A random terminating decimal, as text ("-3.25", "0.007") with its exact value."""
    return st.builds(lambda n, k: (f"{Fraction(n, 10**k)}" if k == 0 else _dec(n, k), Fraction(n, 10**k)),
                     st.integers(-2000, 2000), st.integers(0, 3))


def _dec(n, k):
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(k + 1, "0")
    return f"{sign}{digits[:-k]}.{digits[-k:]}"


@settings(max_examples=80, deadline=None)
@given(xs=st.lists(_terminating(), min_size=1, max_size=12), w=_terminating(), u=_terminating(), b=_terminating(),
       h0=_terminating())
def test_exact_mode_equals_fraction_arithmetic(xs, w, u, b, h0):
    tr = scalar.run([_n(t) for t, _ in xs], _n(w[0]), _n(u[0]), _n(b[0]), _n(h0[0]))
    qw, qu, qb, qh = w[1], u[1], b[1], h0[1]
    h = qh
    for s, (_, x) in zip(tr.steps, xs):
        h = qw * h + qu * x + qb  # by hand, in fractions
        assert s.q.h == h and s.h == float(h)  # the float is the exact value correctly rounded
    T = len(xs)
    for k, i in enumerate(tr.influence, 1):
        assert i.q_sensitivity == qu * qw ** (T - k)
        assert i.q_contribution == qu * qw ** (T - k) * xs[k - 1][1]
    assert sum(i.q_contribution for i in tr.influence) + tr.q_h0_term + tr.q_bias_term == tr.q_final == h
    assert tr.exact


def test_relu_is_exact_too():
    tr = scalar.run([_n("1"), _n("-2"), _n("1/3")], _n("0.9"), _n("1"), activation="relu")
    assert [s.q.h for s in tr.steps] == [1, 0, Fraction(1, 3)]
    assert tr.exact and tr.influence[0].q_sensitivity == 0


def test_tanh_is_a_float_trace():
    tr = scalar.run([1, 2], 0.5, 0.5, activation="tanh")
    assert not tr.exact_mode and all(s.q is None for s in tr.steps)


def test_huge_fractions_fall_back_to_floats_at_a_bounded_cost():
    tr = scalar.run([_n("1")] * 1000, _n("1/3"), _n("1"))
    k = tr.exact_until
    assert k is not None and 500 < k < 1000  # 3^t outgrows 1024 bits after about 646 steps
    assert all(s.q is not None for s in tr.steps[:k]) and all(s.q is None for s in tr.steps[k:])
    assert all(scalar_step.bits(s.q.h) <= scalar_step.EXACT_BITS + 2 for s in tr.steps[:k])
    assert tr.final == pytest.approx(1.5) and not tr.exact
    # the floats carry on from the last exact state
    assert tr.steps[k].h == pytest.approx(float(tr.steps[k - 1].q.h) / 3 + 1)


def test_the_total_budget_ends_exact_arithmetic(monkeypatch):
    monkeypatch.setattr(scalar_step, "EXACT_TOTAL_BITS", 200)
    tr = scalar.run([_n("1")] * 50, _n("1"), _n("1"))
    assert tr.exact_until is not None and tr.exact_until < 50


def test_overflow_still_reported():
    tr = scalar.run([_n("1")] * 400, _n("10"), _n("0.5"))
    assert tr.overflow and tr.final is None


def test_half_life_along_a_tanh_trajectory_agrees_with_decay():
    from rnn_tutor.core.decay import compute_decay

    xs = "1,2,3,4,5,4,3,2,1,0"
    tr = scalar.run(scalar.parse_numbers(xs), 0.5, 1, activation="tanh")
    d = compute_decay(weight=0.5, activation="tanh", inputs=xs)
    assert tr.half_life == pytest.approx(d.half_life, rel=1e-9)
    assert round(tr.half_life, 6) == 0.131361
    assert "halves every 0.131361 steps" in summary(tr) and "Memory half-life: 1 step" not in summary(tr)


def test_sigmoid_half_life_is_the_trajectorys_not_the_linear_figure():
    tr = scalar.run([1, 2, 3, 4, 5], 0.9, 0.5, activation="sigmoid")
    assert tr.half_life < 1 and tr.rate < 0.25  # sigmoid' <= 1/4
    text = summary(tr)
    assert "Memory half-life: 6.58" not in text and "6.57881 steps, the half-life without sigmoid" in text


def test_linear_half_life_exact_for_powers_of_two():
    assert scalar.run([1, 2], _n("1/4"), 1).q_half_life == Fraction(1, 2)
    assert scalar.run([1, 2], _n("-2"), 1).q_doubling_time == 1
    assert scalar.run([1, 2], _n("0.9"), 1).q_half_life is None


@pytest.mark.parametrize("w, words, banned", [
    ("0.5", "Memory half-life: 1 step (", "1 steps"),
    ("2", "doubles every 1 step (", "1 steps"),
    ("1", "exactly as much as", "1 times"),
    ("0.9", "≈1.52416 times as much as", "1.52416 times"),
])
def test_sentences_read_naturally(w, words, banned):
    text = summary(scalar.run([_n("1"), _n("2"), _n("3"), _n("4"), _n("5")], _n(w), _n("0.5")))
    assert words in text
    assert banned not in text.replace(words, "")


def test_step_cap(monkeypatch):
    from rnn_tutor.errors import BadValueError

    with pytest.raises(BadValueError) as e:
        scalar.run([1.0] * (scalar.MAX_STEPS + 1))
    assert "at most 100,000 steps" in e.value.message and "--stream" in e.value.message


def test_first_last_ratio_exact():
    tr = scalar.run([_n(str(i)) for i in range(1, 6)], _n("0.9"), _n("0.5"))
    assert tr.first_last_ratio_exact() == Fraction(10000, 6561)
    assert math.isclose(tr.first_last_ratio(), 1 / 0.9**4)


@pytest.mark.parametrize("args", [
    dict(xs=[1, 2, 3, 1, 4], w=0.5, u=0.5, activation="tanh"),  # the dog sentence: the ratio is 1972.5065...
    dict(xs=[1, 2, 3, 4, 5], w=0.9, u=0.5, activation="sigmoid"),
    dict(xs=[_n("1"), _n("2"), _n("3"), _n("4"), _n("5")], w=_n("0.9"), u=_n("0.5"), activation="linear"),
])
def test_the_summarys_ratio_is_rounded_as_the_tables_are(args):
    """The summary's 'N times as much' is the sensitivities' ratio by the rule the note under the tables states
    (six significant digits, half away from zero; ≈ in an exact trace), the figure step 5's working shows, not
    a three-digit '1970' beside sensitivities of 0.0169637 and 8.60009e-06."""
    from rnn_tutor.core.numfmt import rounded
    from rnn_tutor.core.scalar_text import ratio_formula

    tr = scalar.run(args["xs"], args["w"], args["u"], activation=args["activation"])
    first, last = tr.influence[0].sensitivity, tr.influence[-1].sensitivity
    shown = rounded(last / first)
    text = summary(tr)
    assert f"{'≈' if tr.exact_mode else ''}{shown} times as much as" in text
    assert f"= {'≈' if tr.exact_mode else ''}{shown}:" in ratio_formula(tr)  # the practice working: the same figure
    if args["activation"] == "tanh":
        assert shown == "1972.51" and "1970 times" not in text and "1.97e+03" not in text
