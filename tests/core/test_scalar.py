import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_tutor.core import scalar, scalar_step
from rnn_tutor.errors import BadValueError


def test_exercise_numbers_exact():
    tokens, xs, vocab = scalar.encode(scalar.EXERCISE_SENTENCE)
    assert tokens == ["The", "quick", "brown", "fox", "jumps"]
    assert xs == [1, 2, 3, 4, 5]
    tr = scalar.run(xs, 0.5, 0.5, tokens=tokens)
    assert [s.h for s in tr.steps] == [0.5, 1.25, 2.125, 3.0625, 4.03125]
    assert tr.final == 4.03125
    assert [i.sensitivity for i in tr.influence] == [0.03125, 0.0625, 0.125, 0.25, 0.5]
    assert tr.first_last_ratio() == 16
    assert tr.half_life == 1.0


def test_point_nine_comparison():
    tr = scalar.run([1, 2, 3, 4, 5], 0.9, 0.5)
    expected = [0.5, 1.45, 2.805, 4.5245, 6.57205]
    assert [s.h for s in tr.steps] == pytest.approx(expected, abs=1e-12)
    assert tr.influence[0].sensitivity == pytest.approx(0.5 * 0.9 ** 4)
    assert tr.first_last_ratio() == pytest.approx(1 / 0.9 ** 4)
    assert tr.half_life == pytest.approx(math.log(0.5) / math.log(0.9))
    assert "1.52416 times" in scalar.summary(tr)  # 1 / 0.9^4 = 1.5241579..., to six digits like the tables


def test_vocabulary_case_and_punctuation():
    tokens, xs, vocab = scalar.encode("The dog bit the man. The MAN bit... the dog!")
    assert tokens[:5] == ["The", "dog", "bit", "the", "man"]
    assert vocab == {"the": 1, "dog": 2, "bit": 3, "man": 4}
    assert xs == [1, 2, 3, 1, 4, 1, 4, 3, 1, 2]
    assert scalar.tokenize("don't stop, long-range!") == ["don't", "stop", "long-range"]


@settings(max_examples=60, deadline=None)
@given(
    xs=st.lists(st.floats(-50, 50), min_size=1, max_size=30),
    w=st.floats(-1.5, 1.5), u=st.floats(-3, 3), b=st.floats(-2, 2), h0=st.floats(-3, 3),
)
def test_linear_contributions_sum_to_final(xs, w, u, b, h0):
    tr = scalar.run(xs, w, u, b, h0)
    total = sum(i.contribution for i in tr.influence) + tr.h0_term + tr.bias_term
    assert total == pytest.approx(tr.final, rel=1e-9, abs=1e-9)
    T = len(xs)
    for k, i in enumerate(tr.influence, 1):
        assert i.sensitivity == pytest.approx(u * w ** (T - k), rel=1e-12, abs=1e-300)


def _final(xs, w, u, b, h0, act):
    return scalar.run(xs, w, u, b, h0, act).final


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sensitivity_matches_finite_differences(act, seed):
    import random

    rng = random.Random(seed)
    xs = [rng.uniform(-2, 2) for _ in range(7)]
    w, u, b, h0 = rng.uniform(-1.2, 1.2), rng.uniform(-1, 1), rng.uniform(-0.5, 0.5), rng.uniform(-1, 1)
    tr = scalar.run(xs, w, u, b, h0, act)
    eps = 1e-6
    for k in range(len(xs)):
        up = list(xs); up[k] += eps
        dn = list(xs); dn[k] -= eps
        fd = (_final(up, w, u, b, h0, act) - _final(dn, w, u, b, h0, act)) / (2 * eps)
        assert tr.influence[k].sensitivity == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_activations_values():
    assert scalar_step.activate("tanh", 0.5)[0] == math.tanh(0.5)
    assert scalar_step.activate("sigmoid", 0.0) == (0.5, 0.25)
    assert scalar_step.activate("sigmoid", -800)[0] == 0.0  # no overflow error
    assert scalar_step.activate("relu", -1.0) == (0.0, 0.0)
    assert scalar_step.activate("relu", 0.0) == (0.0, 0.0)  # PyTorch's convention for relu'(0)


def test_overflow_is_recorded_not_raised():
    tr = scalar.run([1.0] * 400, 10.0, 0.5)
    assert tr.overflow
    assert tr.final is None
    assert tr.steps[0].h == 0.5
    assert any(s.overflow for s in tr.steps)
    assert all(i.sensitivity is None for i in tr.influence)
    assert "outgrow" in scalar.summary(tr)


def test_tanh_gradient_overflow_flagged():
    tr = scalar.run([0.0] * 400, 1e10, 1.0, activation="tanh")
    assert tr.final is not None
    assert tr.overflow or all(i.sensitivity is not None for i in tr.influence)


@pytest.mark.parametrize("w,expected", [(0.5, 1.0), (-0.5, 1.0), (0.0, None), (1.0, None), (2.0, None)])
def test_half_life(w, expected):
    assert scalar.half_life(w) == expected
    if w == 2.0:
        assert scalar.doubling_time(w) == 1.0


@pytest.mark.parametrize("bad", ["", "  ", "1,x", "nan", "1 inf", ",,"])
def test_parse_numbers_rejects(bad):
    with pytest.raises(BadValueError) as e:
        scalar.parse_numbers(bad)
    assert e.value.option == "--values"


def test_parse_numbers_accepts_mixed_separators():
    assert scalar.parse_numbers("1, 2\n3\t-4.5e0") == [1, 2, 3, -4.5]


@pytest.mark.parametrize("kw,opt", [({"weight": float("nan")}, "--weight"), ({"bias": float("inf")}, "--bias"),
                                    ({"h0": float("-inf")}, "--h0"), ({"activation": "softmax"}, "--activation")])
def test_run_rejects_bad_parameters(kw, opt):
    with pytest.raises(BadValueError) as e:
        scalar.run([1.0], **kw)
    assert e.value.option == opt


def test_empty_sentence_rejected():
    with pytest.raises(BadValueError):
        scalar.encode("... !!! ,")


def test_step_formula_shows_numbers():
    tr = scalar.run([1, 2], 0.5, 0.5)
    assert scalar.step_formula(tr, tr.steps[1]) == "h_2 = w*h_1 + u*x_2 = 0.5 * 0.5 + 0.5 * 2 = 0.25 + 1 = 1.25"


def test_number_formatting():
    from rnn_tutor.core.numfmt import num, times

    assert [num(v) for v in (4.03125, 0.03125, 2.0, 0.0, None)] == ["4.03125", "0.03125", "2", "0", "overflow"]
    assert num(1e-9) == "1e-09" and num(123456.789) == "123457" and num(1972.507, 3) == "1973"
    assert times(1972.507) == "1,973" and times(16.0) == "16" and times(1 / 0.9 ** 4) == "1.52"
