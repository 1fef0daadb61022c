"""The language model's percentages follow core/numfmt.percent (half away from zero), not format's
round-half-to-even: 62.5% shows as 63%, 12.5% as 13%."""

from __future__ import annotations

import types

from rnn_tutor.core import corpus, lm


def test_the_lessons_closer_share_rounds_half_away_from_zero(monkeypatch):
    stub = types.SimpleNamespace(ngram=lambda: None, V=27)
    monkeypatch.setattr(lm, "_brackets_data", lambda: stub)
    monkeypatch.setattr(lm, "ngram_closer_share", lambda data: 0.625)  # f"{62.5:.0f}%" gives '62%'
    assert lm.lesson_value("brackets_ngram_closers") == "63%"


def test_the_held_out_share_is_named_by_the_same_rule(monkeypatch):
    text = corpus.Text("notes", "(a [b] c)\n" * 300, False)
    assert lm.prepare(text, batch=2, length=20).valid_name == "the last 10% of notes"
    monkeypatch.setattr(corpus, "VALID_SHARE", 0.125)  # f"{0.125:.0%}" gives '12%'
    assert lm.prepare(text, batch=2, length=20).valid_name == "the last 13% of notes"
