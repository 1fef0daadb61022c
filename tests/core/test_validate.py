"""The shared validators: every bad value names the option and says what is allowed."""

import math

import pytest

from rnn_tutor.core.validate import check_int, check_number, parse_item, split_numbers
from rnn_tutor.errors import BadValueError


def _msg(fn, *a, **k) -> tuple[str, str]:
    with pytest.raises(BadValueError) as e:
        fn(*a, **k)
    return e.value.option, str(e.value)


@pytest.mark.parametrize("bad", ["abc", "", None, float("nan"), float("inf"), "-inf", 10**400])
def test_check_number_rejects_non_finite_and_non_numbers(bad):
    option, text = _msg(check_number, "--weight", bad)
    assert option == "--weight"
    assert text.startswith(("must be a number, got", "must be a finite number, got"))


def test_check_number_without_range_passes_any_finite_number():
    assert check_number("--w", "2.5") == 2.5
    assert check_number("--w", -1e300) == -1e300


@pytest.mark.parametrize("value, ok", [(0.0, False), (1e-300, True), (1.0, False), (0.999, True)])
def test_check_number_open_ends(value, ok):
    kw = dict(low=0.0, high=1.0, low_open=True, high_open=True)
    if ok:
        assert check_number("--threshold", value, **kw) == value
    else:
        _, text = _msg(check_number, "--threshold", value, **kw)
        assert text.startswith("must be a number above 0 and below 1, got ")


def test_check_number_closed_ends_and_custom_wording():
    assert check_number("--forget", 1.0, low=0.0, high=1.0) == 1.0
    assert check_number("--forget", 0.0, low=0.0, high=1.0) == 0.0
    _, text = _msg(check_number, "--forget", 1.5, low=0.0, high=1.0, allowed="a gate value from 0 to 1")
    assert text == "must be a gate value from 0 to 1, got 1.5"
    _, text = _msg(check_number, "--clip", -1, low=0.0, low_open=True)
    assert "above 0" in text
    _, text = _msg(check_number, "--w", 2e100, high=1e100)
    assert "at most 1e100" in text


def test_check_int():
    assert check_int("--size", "3", 1, 64) == 3
    assert check_int("--size", 64, 1, 64) == 64
    for bad in (0, 65, 2.5, "x", math.inf, None):
        option, _ = _msg(check_int, "--size", bad, 1, 64)
        assert option == "--size"


def test_parse_item_names_the_place():
    assert parse_item("--matrix", "2e3", "row 1 entry 2") == 2000.0
    _, text = _msg(parse_item, "--matrix", "x", "row 1 entry 2")
    assert "row 1 entry 2 must be a number, got 'x'" in text
    _, text = _msg(parse_item, "--matrix", "nan", "row 2 entry 1")
    assert "must be a finite number, got 'nan'" in text
    _, text = _msg(parse_item, "--matrix", "1e200", "item 3", max_abs=1e100)
    assert text == "item 3 must be at most 1e100 in size, got '1e200'"  # 1e100, not 1e+100


def test_split_numbers():
    assert split_numbers(" 1, 2  3\n4,,5 ") == ["1", "2", "3", "4", "5"]
    assert split_numbers("") == []
