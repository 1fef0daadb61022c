"""quiz stats from the store's counts equals the first computation over every review; the counts the
triggers keep equal counting the history; the calendar and the streak; the schema upgrade of a store
written by the first version."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rnn_tutor.quiz import schedule, stats
from rnn_tutor.quiz.cards import Card
from rnn_tutor.quiz.session import collection
from rnn_tutor.quiz.store import DB_NAME, SCHEMA_VERSION, Store
from tests.quiz.history import fill_history

DATA = Path(__file__).parent / "data"


pytestmark = pytest.mark.usefixtures("local_utc")


def recount(conn) -> list[tuple]:
    """review_counts, recomputed from the history the slow way."""
    return conn.execute(
        "SELECT card_id, topic, SUM(cram = 0), SUM(cram <> 0), SUM(cram = 0 AND first = 0), "
        "SUM(cram = 0 AND first = 0 AND grade = 1) FROM reviews GROUP BY card_id, topic "
        "ORDER BY card_id, topic").fetchall()


def kept(conn) -> list[tuple]:
    return conn.execute("SELECT card_id, topic, scheduled, cram, repeats, lapses FROM review_counts "
                        "ORDER BY card_id, topic").fetchall()


def same_as_reference(store: Store, now: datetime, topic_ids: set[str] | None = None):
    cards = collection(store)
    if topic_ids is not None:
        cards = [c for c in cards if c.id in topic_ids]
    fast = stats.compute(cards, store, now, only=topic_ids)
    reviews = [r for r in store.reviews() if topic_ids is None or r.card_id in topic_ids]
    slow = stats.compute_from_history(cards, store.states(), reviews, now)
    a, b = fast.as_record(), slow.as_record()
    for extra in ("calendar", "leeches", "leech_lapses"):
        a.pop(extra), b.pop(extra)
    assert a == b
    return fast, reviews


def check_calendar(cal: stats.Calendar, reviews) -> None:
    per_day: dict = {}
    for r in reviews:
        per_day[r.reviewed_at.date()] = per_day.get(r.reviewed_at.date(), 0) + 1
    for day, n in cal.days():
        assert n == (None if day > cal.today else per_day.get(day, 0)), day


@pytest.mark.parametrize("n", [3000])
def test_stats_equal_the_first_computation_on_a_generated_history(tmp_path, n):
    last = fill_history(tmp_path, n)
    with Store.open(tmp_path) as store:
        assert kept(store.conn) == recount(store.conn)
        streaks = []
        for now in (last, last + timedelta(hours=20), last + timedelta(days=5)):
            fast, reviews = same_as_reference(store, now)
            check_calendar(fast.calendar, reviews)
            streaks.append(fast.streak_days)
        same_as_reference(store, last, topic_ids={"order-matters", "gone-card", "vanish-why"})
        assert streaks[0] > 7 and streaks[2] == 0 and fast.leeches


@pytest.mark.slow
def test_stats_equal_the_first_computation_on_100k_reviews(tmp_path):
    last = fill_history(tmp_path, 100_000, seed=3)
    with Store.open(tmp_path) as store:
        assert kept(store.conn) == recount(store.conn)
        fast, reviews = same_as_reference(store, last + timedelta(hours=1))
        check_calendar(fast.calendar, reviews)
        assert fast.streak_days >= 1 and fast.calendar.as_record()["reviews"] > 0


def test_counts_follow_every_write(tmp_path):
    sched = schedule.make_scheduler(fuzzing=False)
    card, other = Card("c1", "t", "q", "a"), Card("c2", "u", "q", "a")
    t0 = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    with Store.open(tmp_path) as s:
        recs = [s.record_review(card, g, t0 + timedelta(minutes=i), sched) for i, g in enumerate((1, 1, 3, 1))]
        s.record_review(other, 1, t0, sched, cram=True)
        assert kept(s.conn) == recount(s.conn) == [("c1", "t", 4, 0, 3, 2), ("c2", "u", 0, 1, 0, 0)]
        s.undo_review(recs[-1].review.uid)
        assert kept(s.conn) == recount(s.conn)
        s.conn.execute("UPDATE reviews SET topic = 'renamed' WHERE card_id = 'c1'")  # a hand edit
        assert kept(s.conn) == recount(s.conn)
        s.reset(t0)
        assert kept(s.conn) == [] == recount(s.conn)


def test_streak_reaches_back_past_the_calendar(tmp_path):
    sched = schedule.make_scheduler(fuzzing=False)
    today = datetime(2026, 11, 28, 9, tzinfo=timezone.utc)
    with Store.open(tmp_path) as s:
        for d in range(1, 130):  # every day but today, for 129 days (more than a 100-day batch)
            s.record_review(Card("c1", "t", "q", "a"), 3, today - timedelta(days=d), sched, cram=True)
        result = stats.compute([Card("c1", "t", "q", "a")], s, today, weeks=2)
        assert result.streak_days == 129 and not result.studied_today
        assert result.calendar.weeks == 2 and result.calendar.start.weekday() == 0


def test_a_store_written_by_the_first_version_upgrades_in_place(tmp_path):
    shutil.copy(DATA / "store_v1.sqlite3", tmp_path / DB_NAME)
    before = sqlite3.connect(tmp_path / DB_NAME)
    old_rows = before.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    old_states = before.execute("SELECT * FROM card_state ORDER BY card_id").fetchall()
    old_cards = before.execute("SELECT * FROM user_cards").fetchall()
    assert before.execute("PRAGMA user_version").fetchone()[0] == 1
    before.close()
    with Store.open(tmp_path) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.conn.execute("SELECT * FROM reviews ORDER BY id").fetchall() == old_rows
        assert s.conn.execute("SELECT * FROM card_state ORDER BY card_id").fetchall() == old_states
        assert s.conn.execute("SELECT * FROM user_cards").fetchall() == old_cards
        assert kept(s.conn) == recount(s.conn) and kept(s.conn)
        exported = [json.loads(line) for line in (DATA / "store_v1_export.jsonl").read_text().splitlines()]
        assert [r.as_record() for r in s.reviews()] == exported
        old_stats = json.loads((DATA / "store_v1_stats.json").read_text())
        # the deck as it was when the stats were written: cards of topics added since (attention, issue 14) left out
        topics_then = {t["topic"] for t in old_stats["topics"]}
        cards = [c for c in collection(s) if c.topic in topics_then]
        new = stats.compute(cards, s, datetime(2026, 11, 22, 12, tzinfo=timezone.utc)).as_record()
        assert {k: v for k, v in new.items() if k in old_stats} == old_stats


def test_the_upgrade_counts_a_long_generated_history_right(tmp_path):
    """The upgrade's counts (one pass over the table, NOT INDEXED) equal counting the history, on 3,000 generated
    reviews with cram, renamed topics and lapses, made schema 1 again by dropping what schema 2 added."""
    fill_history(tmp_path, 3000)
    conn = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    want = kept(conn)
    for trigger in ("review_counts_insert", "review_counts_delete", "review_counts_update"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE review_counts")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Store.open(tmp_path, write=False) as s:  # a reading command upgrades too (checking the whole file)
        assert s.schema_version() == SCHEMA_VERSION
        assert kept(s.conn) == recount(s.conn) == want and len(want) > 40


def test_a_failed_upgrade_leaves_the_old_store_as_it_was(tmp_path, monkeypatch):
    from rnn_tutor.quiz import store as store_mod

    shutil.copy(DATA / "store_v1.sqlite3", tmp_path / DB_NAME)
    broken = dict(store_mod.MIGRATIONS)
    broken[2] = store_mod.MIGRATIONS[2] + ["SELECT no_such_function()"]
    monkeypatch.setattr(store_mod, "MIGRATIONS", broken)
    with pytest.raises(Exception):
        Store.open(tmp_path)
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 9
    assert "review_counts" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def test_sql_stays_in_the_store():
    """Commands and every other module ask the store; none runs SQL on its connection (DESIGN.md)."""
    import re

    package = Path(__file__).resolve().parents[2] / "rnn_tutor"
    # the store (opening, reading and writing reviews), its schema, its parts (the user's cards, the queries of
    # list and stats, undo), its rows and their error guard (sqlite3's errors), and its file under faults
    store_modules = {f"quiz/{name}.py" for name in
                     ("store", "store_schema", "store_cards", "store_queries", "store_undo", "store_rows", "storefile")}
    assert all((package / m).is_file() for m in store_modules)
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py")
                 if p.relative_to(package).as_posix() not in store_modules
                 and re.search(r"\.conn\b|\.execute\(|\bimport sqlite3\b", p.read_text("utf-8"))]
    assert offenders == []


def test_counts_and_undo_survive_rows_written_by_hand(tmp_path):
    with Store.open(tmp_path) as s:
        s.conn.executemany(
            "INSERT INTO reviews (uid, card_id, topic, reviewed_at, grade, state_after) VALUES (?, ?, ?, ?, ?, ?)",
            [("blob", b"c4\xff", b"\x00\xff", "2026-11-28T11:00:00.000000Z", 3, "not json"),
             ("odd", "c5", "t", "0001-01-01T00:00:00+01:00", 1, None)])
        result = stats.compute([Card("c5", "t", "q", "a")], s, datetime(2026, 11, 28, 12, tzinfo=timezone.utc))
        assert result.reviews_total == 1 and any("c4" in d for d in s.damaged)
        for uid in ("blob", "odd"):
            assert s.undo_review(s.last_review().uid).review.uid == uid
        assert s.last_review() is None and kept(s.conn) == []
