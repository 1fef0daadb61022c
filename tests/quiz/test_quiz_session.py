"""Planning a session, recording answers, stats, and export/import round trips."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from rnn_tutor.errors import BadValueError
from rnn_tutor.quiz import schedule, stats, transfer
from rnn_tutor.quiz.cards import Card, builtin_deck
from rnn_tutor.quiz.session import Session, collection, plan, select_topic
from rnn_tutor.quiz.store import Store

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
CARDS = [Card(f"c{i}", "alpha" if i < 3 else "beta gamma", f"Q{i}?", f"A{i}.") for i in range(6)]


@pytest.fixture
def sched():
    return schedule.make_scheduler(fuzzing=False)


@pytest.fixture(autouse=True)
def utc_tz(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_plan_new_cards_capped_and_due_first(sched, tmp_path):
    assert [c.id for c in plan(CARDS, {}, T0, new_per_day=4)] == ["c0", "c1", "c2", "c3"]
    assert plan(CARDS, {}, T0, new_per_day=4, new_today=4) == []
    assert len(plan(CARDS, {}, T0, new_per_day=10, limit=2)) == 2
    with Store.open(tmp_path) as s:
        s.record_review(CARDS[5], 1, T0, sched)  # due in 1 minute
        s.record_review(CARDS[4], 4, T0, sched)  # due in days
        later = T0 + timedelta(minutes=5)
        queue = plan(CARDS, s.states(), later, new_per_day=2)
        assert [c.id for c in queue] == ["c5", "c0", "c1"]


def test_plan_cram_takes_everything_weakest_first(sched, tmp_path):
    with Store.open(tmp_path) as s:
        s.record_review(CARDS[0], 4, T0, sched)
        queue = plan(CARDS, s.states(), T0, cram=True)
        assert len(queue) == 6 and queue[-1].id == "c0"


def test_select_topic():
    assert [c.id for c in select_topic(CARDS, "ALPHA")] == ["c0", "c1", "c2"]
    assert len(select_topic(CARDS, "gamma")) == 3  # a unique part of a topic is enough
    with pytest.raises(BadValueError, match="topics: alpha, beta gamma"):
        select_topic(CARDS, "delta")


def test_session_records_each_answer(sched, tmp_path):
    with Store.open(tmp_path) as s:
        session = Session(s, CARDS[:3], scheduler=sched)
        for card, grade in zip(session.queue, (1, 3, 4)):
            seen, outcomes = session.preview(card, T0)
            rec = session.answer(card, grade, T0, seen=seen, outcomes=outcomes)
            assert rec.due == outcomes[grade].due
        summary = session.summary("done", T0)
        assert summary.answered == 3 and summary.remaining == 0
        assert summary.grades == {"again": 1, "hard": 0, "good": 1, "easy": 1}
        assert summary.next_due == T0 + timedelta(minutes=1)
        assert s.review_count() == 3


def test_cram_session_does_not_touch_schedule(sched, tmp_path):
    with Store.open(tmp_path) as s:
        session = Session(s, CARDS[:2], scheduler=sched, cram=True)
        seen, outcomes = session.preview(CARDS[0], T0)
        assert outcomes == {}
        session.answer(CARDS[0], 3, T0)
        assert s.states() == {} and s.review_count() == 1


def test_numeric_items_change_with_each_review(sched, tmp_path):
    card = next(c for c in builtin_deck() if c.kind == "numeric")
    with Store.open(tmp_path) as s:
        session = Session(s, [card], scheduler=sched, seed=0)
        first = session.item(card)
        assert session.item(card) == first  # same until answered
        session.answer(card, 1, T0, correct=False)
        assert session.item(card) != first
        assert session.result.numeric_total == 1 and session.result.numeric_right == 0


def test_collection_adds_user_cards(tmp_path):
    with Store.open(tmp_path) as s:
        s.add_user_cards([Card("mine-1", "own", "Q", "A", source="user")], T0)
        ids = [c.id for c in collection(s)]
        assert ids[-1] == "mine-1" and len(ids) == len(builtin_deck()) + 1


def test_stats_numbers(sched, tmp_path):
    cards = CARDS
    with Store.open(tmp_path) as s:
        day = timedelta(days=1)
        # three days in a row ending today, a gap before that
        s.record_review(cards[0], 3, T0 - 5 * day, sched)
        s.record_review(cards[0], 1, T0 - 2 * day, sched)   # repeat, lapse
        s.record_review(cards[1], 4, T0 - 1 * day, sched)   # first
        s.record_review(cards[0], 3, T0, sched)             # repeat, pass
        s.record_review(cards[3], 2, T0, sched, cram=True)  # cram counts for the streak only
        st = stats.compute(cards, s, T0 + timedelta(hours=1))
    assert st.reviews_total == 4 and st.cram_reviews == 1
    assert st.retention == pytest.approx(0.5)  # repeats: grade 1, grade 3
    assert st.streak_days == 3 and st.studied_today
    assert st.new == 4 and st.cards == 6
    assert st.reviews_today == 1
    assert st.weakest[0].topic == "alpha" and st.weakest[0].lapses == 1
    alpha = next(t for t in st.topics if t.topic == "alpha")
    assert (alpha.reviews, alpha.lapses, alpha.retention) == (4, 1, 0.5)  # reviews: all 4 scheduled ones
    assert sum(t.reviews for t in st.topics) == st.reviews_total  # the topic rows add up to the total
    rec = st.as_record()
    json.dumps(rec, allow_nan=False)
    assert rec["due_this_week"] >= rec["due_today"] >= rec["due_now"]


def test_streak_counts_from_yesterday_and_empty_store(sched, tmp_path):
    with Store.open(tmp_path) as s:
        empty = stats.compute(CARDS, s, T0)
        assert empty.streak_days == 0 and empty.retention is None and empty.weakest == ()
        s.record_review(CARDS[0], 3, T0 - timedelta(days=1), sched)
        st = stats.compute(CARDS, s, T0)
        assert st.streak_days == 1 and not st.studied_today


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_round_trip(sched, tmp_path, fmt):
    src = tmp_path / "a"
    with Store.open(src) as s:
        for i, grade in enumerate((3, 3, 1, 4)):
            s.record_review(CARDS[i % 2], grade, T0 + timedelta(days=i), sched)
        s.record_review(CARDS[2], 2, T0, sched, cram=True, correct=True)
        records = [r.as_record() for r in s.reviews()]
        states = s.states()
    text = transfer.history_jsonl(records) if fmt == "jsonl" else transfer.history_csv(records)
    path = tmp_path / f"export.{fmt}"
    path.write_text(text, "utf-8")
    kind, reviews = transfer.read_import(path)
    assert kind == "history" and len(reviews) == 5
    with Store.open(tmp_path / "b") as t:
        assert t.import_reviews(reviews) == (5, 0)
        assert t.import_reviews(reviews) == (0, 5)  # importing twice changes nothing
        assert [r.as_record() for r in t.reviews()] == records
        assert t.states() == states


def test_import_keeps_newer_local_state(sched, tmp_path):
    with Store.open(tmp_path / "old") as s:
        s.record_review(CARDS[0], 3, T0, sched)
        old = s.reviews()
    with Store.open(tmp_path / "new") as t:
        t.record_review(CARDS[0], 4, T0 + timedelta(days=3), sched)
        mine = t.state("c0")
        t.import_reviews(old)
        assert t.state("c0") == mine and t.review_count() == 2


@pytest.mark.parametrize("line, words", [
    ('{"uid": "u", "card_id": "c", "reviewed_at": "2026-11-28T09:00:00Z", "grade": 7}', "'grade'"),
    ('{"uid": "u", "card_id": "c", "reviewed_at": "yesterday", "grade": 3}', "reviewed_at"),
    ('{"uid": "u", "card_id": "c", "reviewed_at": "2026-11-28T09:00:00Z", "grade": 3}',
     "needs 'state_after'"),
    ('[1, 2]', "JSON object"),
    ('{"uid": "u"', "not JSON"),
])
def test_bad_history_names_the_line(tmp_path, line, words):
    path = tmp_path / "h.jsonl"
    path.write_text("\n" + line + "\n", "utf-8")
    with pytest.raises(BadValueError) as info:
        transfer.read_import(path)
    assert "line 2" in info.value.user_message() and words in info.value.user_message()


def test_import_detects_decks(tmp_path):
    deck = tmp_path / "d.csv"
    deck.write_text("question,answer\nWhat?,That.\n")
    kind, cards = transfer.read_import(deck)
    assert kind == "deck" and cards[0].question == "What?"
    with pytest.raises(BadValueError, match="import takes"):
        transfer.read_import(tmp_path / "x.json")


def test_line_input_reads_answers_and_survives_bad_input():
    import io

    from rnn_tutor.quiz.keys import ENTER, LineInput, open_input

    inp = open_input(io.StringIO("\n  \n3\r\nq\n"))
    assert isinstance(inp, LineInput) and not inp.interactive
    assert [inp.key(), inp.key(), inp.key(), inp.key(), inp.key()] == [ENTER, ENTER, "3", "q", None]
    assert LineInput(None).line() is None

    class Broken:
        def readline(self):
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")

    assert LineInput(Broken()).key() == "\ufffd"
