"""What compare says: percentages are rounded half away from zero, the rule every number rnn-tutor prints follows."""

from __future__ import annotations

import pytest

from rnn_tutor.core.compare import CompareRow, compare_sentence, pct
from rnn_tutor.core import numfmt


@pytest.mark.parametrize("share, text", [
    (0.0625, "6.3%"),     # Python's format rounds the tie to even: '6.2%'
    (0.0125, "1.3%"),     # '1.2%'
    (-0.0625, "-6.3%"),   # away from zero on both sides
    (0.146, "14.6%"),
    (0.99, "99.0%"),
    (1.0, "100.0%"),
    (0.0, "0.0%"),
    (None, "-"),
])
def test_pct_rounds_half_away_from_zero(share, text):
    assert pct(share) == text


def test_percent_rounds_the_decimal_the_json_shows():
    # 100 * 0.145 is 14.499999999999998 in binary, which format() rounds down; 0.145 is what JSON and repr show
    assert f"{100 * 0.145:.0f}%" == "14%"
    assert numfmt.percent(0.145, 0) == "15%"
    assert numfmt.percent(0.125, 0) == "13%"  # ties go away from zero, never to the even neighbour
    assert numfmt.percent(0.135, 0) == "14%"
    assert numfmt.percent(0.00625, 2) == "0.63%"
    assert numfmt.percent(float("nan"), 1) == "nan%"


def test_the_sentence_writes_the_baseline_as_the_table_does():
    row = CompareRow("rnn", 0.0625, 1.0, None, None, 100, 1.0, 10, (0.0625,))
    sentence = compare_sentence([row], "recall", 10, 100, 0.0625)
    assert "rnn at 6.3% (a constant guess gets 6.3%)" in sentence
