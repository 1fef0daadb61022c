"""Lesson 6 (the limits): the numbers it quotes about attention and costs, recomputed, and the claims beside them."""

from __future__ import annotations

import re

from rnn_tutor.core import lessons
from rnn_tutor.core.lessons import VALUES, find_lesson


def test_multiply_adds_with_their_constants():
    n = d = 512
    assert VALUES["cost.lstm_madds_512"]() == f"{8 * n * d * d:,}"  # 4 gates x (W_ih x: d·d + W_hh h: d·d) per step
    assert VALUES["cost.attn_madds_512"]() == f"{4 * n * d * d + 2 * n * n * d:,}"  # projections + QKᵀ + AV
    # "Here self-attention does somewhat less arithmetic (its n² term is the larger only for n > 2·d; at n = 2·d
    # the two are equal)"
    assert 4 * n * d * d + 2 * n * n * d < 8 * n * d * d
    assert all(2 * m * m * d > 4 * m * d * d for m in (2 * d + 1, 4 * d)) and 2 * (2 * d) ** 2 * d == 4 * (2 * d) * d * d
    text = " ".join(find_lesson("limits").source.split())
    assert "is the larger only for n > 2·d; at n = 2·d the two are equal" in text and "only from n = 2·d" not in text


def test_the_decoder_comparison_it_quotes():
    """'the plain decoder first gets fewer than half of its outputs entirely right at length L (x%), where the
    attention decoder gets y%': x < 50%, y >= 95% (the bar of issue 14), and at L/2 the plain one still had half."""
    from rnn_tutor.core import train

    length, plain, attentive = lessons._decoders()
    assert VALUES["attn.first_fail"]() == str(length)
    assert VALUES["attn.plain_at_fail"]() == f"{100 * plain:.1f}%"
    assert plain < 0.5 and attentive >= 0.95
    if length > 2:
        half = train.train(train.TrainConfig(cell="lstm", task="reverse", length=length // 2, hidden=16, steps=1000,
                                             stop_at=train.SOLVED))
        assert half.final.sequence_accuracy >= 0.5


def test_history_and_wording():
    text = " ".join(find_lesson("limits").source.split())  # one line: sentences wrap anywhere in the file
    assert "Bahdanau, Cho & Bengio (2014)" in text and "Luong, Pham & Manning (2015)" in text
    assert "Vaswani et al. (2017)" in text
    # attention inside RNNs first, the Transformer's argument from computation after: in that order
    assert text.index("Bahdanau, Cho & Bengio (2014)") < text.index("Vaswani et al. (2017)")
    assert "fully used" not in text and "mostly idle" not in text and "sits idle" not in text
    assert "linear" in text.split("{{neck.bound_32}}")[0].rsplit(".", 2)[-2]  # the d/T bound is said to be linear
    for m in re.finditer(r"multiply-adds", text):  # never an order of growth called a count
        assert "constants" in text[max(0, m.start() - 120) : m.end() + 40]
    assert "one token at a time stays sequential" in text  # autoregressive decoding
