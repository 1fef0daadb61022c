"""The SQLite store: one transaction per review, garbage moved aside, migrations, concurrency."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from rnn_tutor.errors import RnnTutorError
from rnn_tutor.quiz import schedule, store as store_mod
from rnn_tutor.quiz.cards import Card
from rnn_tutor.quiz.store import DB_NAME, SCHEMA_VERSION, Store

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
CARD = Card("c1", "topic-a", "Q?", "A.")


@pytest.fixture
def sched():
    return schedule.make_scheduler(fuzzing=False)


def test_fresh_store_is_wal_and_versioned(tmp_path):
    with Store.open(tmp_path) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.moved_aside is None
    assert (tmp_path / DB_NAME).exists()


def test_record_writes_review_and_state_together(tmp_path, sched):
    with Store.open(tmp_path) as s:
        rec = s.record_review(CARD, 3, T0, sched)
        assert rec.review.first and rec.due == T0 + timedelta(minutes=10)
        assert s.state("c1")["state"] == 1  # learning
        rec2 = s.record_review(CARD, 3, T0 + timedelta(minutes=10), sched)
        assert not rec2.review.first
        assert schedule.state_name(s.state("c1")) == "review"
        history = s.reviews()
        assert [r.grade for r in history] == [3, 3]
        assert history[-1].state_after == s.state("c1")


def test_cram_review_is_logged_but_schedule_untouched(tmp_path, sched):
    with Store.open(tmp_path) as s:
        s.record_review(CARD, 3, T0, sched)
        before = s.state("c1")
        rec = s.record_review(CARD, 1, T0 + timedelta(minutes=1), sched, cram=True)
        assert rec.due is None and rec.review.cram
        assert s.state("c1") == before
        assert s.review_count("c1") == 2


def test_previewed_outcome_is_what_gets_stored(tmp_path):
    fuzzy = schedule.make_scheduler(fuzzing=True)
    with Store.open(tmp_path) as s:
        when = T0
        for _ in range(4):  # reach the review state, where fuzz applies
            seen = s.state("c1")
            outcomes = schedule.preview(fuzzy, seen or schedule.new_state("c1", when), when)
            s.record_review(CARD, 3, when, fuzzy, seen_state=seen, outcome=outcomes[3])
            assert s.state("c1") == outcomes[3].state
            when = schedule.due_of(s.state("c1"))


def test_stale_preview_is_recomputed_from_fresh_state(tmp_path, sched):
    with Store.open(tmp_path) as a, Store.open(tmp_path) as b:
        seen = a.state("c1")  # None: new
        outcomes = schedule.preview(sched, schedule.new_state("c1", T0), T0)
        b.record_review(CARD, 3, T0, sched)  # another session answers first
        a.record_review(CARD, 3, T0 + timedelta(minutes=10), sched, seen_state=seen,
                        outcome=outcomes[3])
        assert a.review_count("c1") == 2
        # Built on b's review (a second Good), not a stale first-review state.
        assert schedule.state_name(a.state("c1")) == "review"
        assert [r.first for r in a.reviews()] == [True, False]


def test_garbage_file_is_moved_aside_not_deleted(tmp_path):
    junk = b"this is not a database, it is my diary\n" * 100
    (tmp_path / DB_NAME).write_bytes(junk)
    with Store.open(tmp_path) as s:
        assert s.moved_aside is not None
        assert s.moved_aside.read_bytes() == junk
        assert s.moved_aside.parent == tmp_path
        assert s.review_count() == 0 and s.schema_version() == SCHEMA_VERSION
    # a second garbage file gets its own name
    (tmp_path / DB_NAME).unlink()
    (tmp_path / DB_NAME).write_bytes(b"\x00" * 5000)
    with Store.open(tmp_path) as s2:
        assert s2.moved_aside is not None and s2.moved_aside.exists()
    assert len(list(tmp_path.glob(DB_NAME + ".unreadable-*"))) == 2


def test_someone_elses_sqlite_database_is_moved_aside(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with Store.open(tmp_path) as s:
        assert s.moved_aside is not None
        other = sqlite3.connect(s.moved_aside)
        assert other.execute("SELECT name FROM sqlite_master").fetchone() == ("recipes",)
        other.close()


def test_newer_schema_is_refused_and_untouched(tmp_path):
    Store.open(tmp_path).close()  # our tables, as a newer rnn-tutor would have them (plus, say, a column)
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("ALTER TABLE reviews ADD COLUMN note TEXT")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = (tmp_path / DB_NAME).read_bytes()
    with pytest.raises(RnnTutorError, match="newer rnn-tutor"):
        Store.open(tmp_path)
    assert (tmp_path / DB_NAME).read_bytes() == before


def test_migration_path_runs_in_order(tmp_path, monkeypatch, sched):
    with Store.open(tmp_path) as s:
        s.record_review(CARD, 3, T0, sched)
    migrations = dict(store_mod.MIGRATIONS)
    migrations[SCHEMA_VERSION + 1] = ["ALTER TABLE reviews ADD COLUMN note TEXT DEFAULT ''"]
    monkeypatch.setattr(store_mod, "MIGRATIONS", migrations)
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Store.open(tmp_path) as s:
        assert s.schema_version() == SCHEMA_VERSION + 1
        assert s.review_count() == 1  # data kept across the migration
        cols = [r[1] for r in s.conn.execute("PRAGMA table_info(reviews)")]
        assert "note" in cols


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RnnTutorError, match="cannot create the data directory"):
        Store.open(blocker / "sub")


def test_concurrent_writers_lose_nothing(tmp_path, sched):
    Store.open(tmp_path).close()
    errors = []

    def worker(n):
        try:
            with Store.open(tmp_path) as s:
                for i in range(25):
                    s.record_review(Card(f"w{n}-{i % 5}", "t", "q", "a"), 1 + i % 4,
                                    T0 + timedelta(seconds=i), sched)
                    s.record_review(Card("shared", "t", "q", "a"), 3, T0 + timedelta(seconds=i),
                                    sched)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Store.open(tmp_path) as s:
        assert s.review_count() == 4 * 25 * 2
        assert s.review_count("shared") == 100
        assert len(s.states()) == 4 * 5 + 1
        # the shared card's state is the state after its latest stored review
        last = [r for r in s.reviews("shared")][-1]
        assert s.state("shared") is not None and last.state_after is not None


def test_reset_keeps_a_backup(tmp_path, sched):
    with Store.open(tmp_path) as s:
        assert s.reset(T0) is None  # nothing to reset
        s.record_review(CARD, 3, T0, sched)
        s.add_user_cards([Card("u1", "t", "q", "a", source="user")], T0)
        backup = s.reset(T0)
        assert s.review_count() == 0 and s.states() == {}
        assert [c.id for c in s.user_cards()] == ["u1"]
    old = sqlite3.connect(backup)
    assert old.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1
    old.close()


def test_user_cards_update_keeps_progress(tmp_path, sched):
    with Store.open(tmp_path) as s:
        assert s.add_user_cards([Card("u1", "t", "old?", "a")], T0) == (1, 0)
        s.record_review(Card("u1", "t", "old?", "a"), 3, T0, sched)
        assert s.add_user_cards([Card("u1", "t", "new wording?", "a")], T0) == (0, 1)
        assert s.user_cards()[0].question == "new wording?"
        assert s.review_count("u1") == 1


def test_a_lock_held_too_long_is_a_clear_error_and_nothing_half_written(tmp_path, sched,
                                                                          monkeypatch):
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_MS", 100)
    with Store.open(tmp_path) as s:
        blocker = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(store_mod.StoreBusy, match="busy"):
            s.record_review(CARD, 3, T0, sched)
        blocker.execute("COMMIT")
        blocker.close()
        assert s.review_count() == 0 and s.states() == {}
        s.record_review(CARD, 3, T0, sched)  # and it works once the lock is gone
        assert s.review_count() == 1


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 4),
                          st.integers(0, 60 * 24 * 20), st.booleans()), max_size=12))
def test_state_is_always_the_state_after_the_latest_review_and_survives_export(tmp_path_factory,
                                                                              answers):
    from rnn_tutor.quiz import transfer

    sched = schedule.make_scheduler(fuzzing=False)
    home = tmp_path_factory.mktemp("prop")
    when = T0
    with Store.open(home / "a") as s:
        for card_id, grade, minutes, cram in answers:
            when += timedelta(minutes=minutes)
            s.record_review(Card(card_id, "t", "q", "a"), grade, when, sched, cram=cram)
        history = s.reviews()
        states = s.states()
        for card_id, state in states.items():
            latest = [r for r in history if r.card_id == card_id and not r.cram][-1]
            assert latest.state_after == state
        assert set(states) == {c for c, _, _, cram in answers if not cram}
        text = transfer.history_jsonl([r.as_record() for r in history])
    path = home / "h.jsonl"
    path.write_text(text)
    with Store.open(home / "b") as t:
        t.import_reviews(transfer.read_import(path)[1])
        assert t.states() == states and t.reviews() == history


def test_damaged_rows_are_skipped_and_reported_not_a_crash(tmp_path, sched):
    """A hand-edited row (bad JSON, a bad time, grade 7) used to crash every quiz command, export included, with
    'internal error'. Now the row is skipped and named, the rest works, and a damaged schedule is rebuilt."""
    other = Card("c2", "topic-a", "Q2?", "A2.")
    with Store.open(tmp_path) as s:
        s.record_review(CARD, 3, T0, sched)
        s.record_review(other, 4, T0, sched)
        s.record_review(other, 3, T0 + timedelta(days=3), sched)
        s.conn.execute("UPDATE card_state SET state = 'garbage{' WHERE card_id = 'c1'")
        s.conn.execute("UPDATE reviews SET reviewed_at = 'yesterday' WHERE card_id = 'c1'")
        s.conn.execute("UPDATE reviews SET state_after = '{}' WHERE id = 2")
    with Store.open(tmp_path) as s:
        assert set(s.states()) == {"c2"} and s.state("c1") is None
        assert [r.grade for r in s.reviews()] == [3]  # the good review of c2
        assert len(s.damaged) == 3 and any("'c1'" in d for d in s.damaged)
        rec = s.record_review(CARD, 3, T0 + timedelta(days=1), sched)  # the next review rebuilds c1's schedule
        assert rec.due is not None and s.state("c1") is not None
        assert s.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 4  # nothing deleted


def test_the_cli_warns_about_damaged_rows_and_still_exports(tmp_path, sched):
    from tests.fuzzing import invoke

    with Store.open(tmp_path) as s:
        s.record_review(CARD, 3, T0, sched)
        s.record_review(Card("c2", "t", "Q", "A"), 3, T0, sched)
        s.conn.execute("UPDATE reviews SET state_after = '[1, 2]' WHERE card_id = 'c1'")
        s.conn.execute("UPDATE card_state SET state = '{}' WHERE card_id = 'c2'")
    for args in (["quiz", "export"], ["quiz", "stats", "-f", "json"], ["quiz", "list", "-f", "json"]):
        r = invoke([*args, "--data-dir", str(tmp_path)])
        assert r.exit_code == 0, r.stderr
        assert "Warning:" in r.stderr and "cannot be read" in r.stderr and "internal error" not in r.stderr, (r.stdout, args)
    r = invoke(["quiz", "export", "--data-dir", str(tmp_path)])
    assert r.stdout.count("\n") == 1 and '"c2"' in r.stdout
