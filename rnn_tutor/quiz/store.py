"""The progress store: one SQLite database (standard library sqlite3, WAL journal).

Why SQLite: it gives atomic, durable transactions and safe sharing between processes, which is
what "never lose a review" needs; hand-written atomic files and lock files would re-invent it.

Tables (schema version 2, kept in ``PRAGMA user_version``):

- ``reviews``: append-only. One row per answered card: a unique ``uid``, card id, topic, time
  (UTC), grade 1-4, whether it was a cram review, whether the card was new, whether a numeric
  answer was right, and the scheduler's card state after it (JSON from ``fsrs.Card.to_dict``).
- ``card_state``: the current scheduler state of each card (always the state after its latest
  scheduled review).
- ``user_cards``: cards the user added with ``quiz import``.
- ``review_counts`` (schema 2): per card and topic, how many scheduled and cram reviews, repeats
  (scheduled reviews of a card seen before) and lapses (repeats graded Again) the history holds. Triggers
  on ``reviews`` keep it equal to counting the history, in the same transaction as the change, so
  ``quiz stats`` reads a few rows per card instead of every review (``tests`` compare the two).

Each answered card is written in ONE transaction (``BEGIN IMMEDIATE``): the review row and the
card's new state together, so a kill at any moment loses at most the card being answered. The
new state is computed inside that transaction from the freshest stored state, so two sessions
at once never overwrite each other's progress. A busy database waits (``busy_timeout``) rather
than failing. A file at the database path that is not our store (not SQLite, damaged, another
program's database whatever version it claims) is renamed aside (never deleted) and a fresh store
starts; ``Store.moved_aside`` tells the caller where it went. A command that writes checks the whole file at
open; a reading command checks all but the history (see ``storefile``), and a damaged page that a query meets
later is ``StoreDamaged``: a clear message, and for a command that writes the same moving aside. A row that
cannot be used is skipped and named in ``Store.damaged``. Opening, the checks, read-only locations and what a failed write
says (busy, disk full, read-only) are in ``storefile``; what a valid row holds is in ``records``.
"""

from __future__ import annotations

import errno
import functools
import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rnn_tutor.errors import RnnTutorError
from rnn_tutor.quiz import schedule, storefile
from rnn_tutor.quiz.cards import LEGACY_ID_LENGTH, Card, derived_id, legacy_id
from rnn_tutor.quiz.records import (EARLIEST, LATEST, STATE_KEYS, loads_strict, parse_stamp,  # noqa: F401
                                    stamp, state_problem)
from rnn_tutor.quiz.storefile import (BUSY_TIMEOUT_MS, StoreBusy, StoreDamaged, StoreFull,  # noqa: F401
                                      StoreReadOnly)
from rnn_tutor.quiz.storefile import transaction as _immediate

DB_NAME = "quiz.sqlite3"
SCHEMA_VERSION = 2

# Migrations: target version -> statements taking the database from version - 1 to it.
# Add a new entry (never edit an old one) when the schema changes; they run in order, inside one
# transaction, the first time a newer rnn-tutor opens an older store.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE reviews (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            uid         TEXT NOT NULL UNIQUE,
            card_id     TEXT NOT NULL,
            topic       TEXT NOT NULL DEFAULT '',
            reviewed_at TEXT NOT NULL,
            grade       INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
            cram        INTEGER NOT NULL DEFAULT 0,
            first       INTEGER NOT NULL DEFAULT 0,
            correct     INTEGER,
            state_after TEXT
        )""",
        "CREATE INDEX reviews_by_card ON reviews (card_id, reviewed_at)",
        "CREATE INDEX reviews_by_time ON reviews (reviewed_at)",
        """CREATE TABLE card_state (
            card_id    TEXT PRIMARY KEY,
            state      TEXT NOT NULL,
            due        TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE user_cards (
            id       TEXT PRIMARY KEY,
            topic    TEXT NOT NULL,
            question TEXT NOT NULL,
            answer   TEXT NOT NULL,
            see_also TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL
        )""",
    ],
    # 2: counts per card kept by triggers (quiz stats over a long history without reading it).
    2: [
        """CREATE TABLE review_counts (
            card_id   TEXT NOT NULL,
            topic     TEXT NOT NULL,
            scheduled INTEGER NOT NULL DEFAULT 0,
            cram      INTEGER NOT NULL DEFAULT 0,
            repeats   INTEGER NOT NULL DEFAULT 0,
            lapses    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (card_id, topic)
        ) WITHOUT ROWID""",
        # NOT INDEXED: read the history in file order and sort it, instead of walking reviews_by_card and
        # looking every row up in the table (1M reviews: 1.4 s instead of 2.4 s warm, and no random reads from
        # disk). Only the plan differs; the counts are the same (tests/quiz/test_quiz_stats.py).
        """INSERT INTO review_counts (card_id, topic, scheduled, cram, repeats, lapses)
           SELECT card_id, topic, SUM(cram = 0), SUM(cram <> 0), SUM(cram = 0 AND first = 0),
                  SUM(cram = 0 AND first = 0 AND grade = 1)
           FROM reviews NOT INDEXED GROUP BY card_id, topic""",
        """CREATE TRIGGER review_counts_insert AFTER INSERT ON reviews BEGIN
             INSERT OR IGNORE INTO review_counts (card_id, topic) VALUES (NEW.card_id, NEW.topic);
             UPDATE review_counts SET scheduled = scheduled + (NEW.cram = 0),
                    cram = cram + (NEW.cram <> 0), repeats = repeats + (NEW.cram = 0 AND NEW.first = 0),
                    lapses = lapses + (NEW.cram = 0 AND NEW.first = 0 AND NEW.grade = 1)
              WHERE card_id = NEW.card_id AND topic = NEW.topic;
           END""",
        """CREATE TRIGGER review_counts_delete AFTER DELETE ON reviews BEGIN
             UPDATE review_counts SET scheduled = scheduled - (OLD.cram = 0),
                    cram = cram - (OLD.cram <> 0), repeats = repeats - (OLD.cram = 0 AND OLD.first = 0),
                    lapses = lapses - (OLD.cram = 0 AND OLD.first = 0 AND OLD.grade = 1)
              WHERE card_id = OLD.card_id AND topic = OLD.topic;
             DELETE FROM review_counts WHERE card_id = OLD.card_id AND topic = OLD.topic
                AND scheduled = 0 AND cram = 0;
           END""",
        """CREATE TRIGGER review_counts_update AFTER UPDATE OF card_id, topic, cram, first, grade
           ON reviews BEGIN
             UPDATE review_counts SET scheduled = scheduled - (OLD.cram = 0),
                    cram = cram - (OLD.cram <> 0), repeats = repeats - (OLD.cram = 0 AND OLD.first = 0),
                    lapses = lapses - (OLD.cram = 0 AND OLD.first = 0 AND OLD.grade = 1)
              WHERE card_id = OLD.card_id AND topic = OLD.topic;
             INSERT OR IGNORE INTO review_counts (card_id, topic) VALUES (NEW.card_id, NEW.topic);
             UPDATE review_counts SET scheduled = scheduled + (NEW.cram = 0),
                    cram = cram + (NEW.cram <> 0), repeats = repeats + (NEW.cram = 0 AND NEW.first = 0),
                    lapses = lapses + (NEW.cram = 0 AND NEW.first = 0 AND NEW.grade = 1)
              WHERE card_id = NEW.card_id AND topic = NEW.topic;
             DELETE FROM review_counts WHERE card_id = OLD.card_id AND topic = OLD.topic
                AND scheduled = 0 AND cram = 0;
           END""",
    ],
}
_LEGACY_GLOB = "q-" + "[0-9a-f]" * (LEGACY_ID_LENGTH - 2)  # exactly an old derived id


@dataclass(frozen=True)
class Review:
    """One row of the review history."""

    uid: str
    card_id: str
    topic: str
    reviewed_at: datetime
    grade: int
    cram: bool
    first: bool
    correct: bool | None
    state_after: dict | None

    @property
    def due(self) -> datetime | None:
        return schedule.due_of(self.state_after) if self.state_after else None

    def as_record(self) -> dict:
        """Plain record for export (JSON Lines / CSV)."""
        due = self.due  # (parsed once: export makes a million of these)
        return {
            "uid": self.uid,
            "card_id": self.card_id,
            "topic": self.topic,
            "reviewed_at": stamp(self.reviewed_at),
            "grade": self.grade,
            "grade_name": schedule.GRADES[self.grade],
            "cram": self.cram,
            "first": self.first,
            "correct": self.correct,
            "due": stamp(due) if due else None,
            "state_after": self.state_after,
        }


@dataclass(frozen=True)
class Recorded:
    """What ``record_review`` wrote."""

    review: Review
    due: datetime | None  # None for a cram review (schedule untouched)


@dataclass(frozen=True)
class CardTotals:
    """One row of ``review_counts``: a card's reviews under one topic."""

    card_id: str
    topic: str
    scheduled: int  # reviews that moved the schedule (not cram)
    cram: int
    repeats: int  # scheduled reviews after the card's first
    lapses: int  # repeats graded Again


@dataclass(frozen=True)
class Undone:
    """What ``undo_review`` took back: the review, and the schedule the card has again (None: new)."""

    review: Review
    state: dict | None

    @property
    def due(self) -> datetime | None:
        return schedule.due_of(self.state) if self.state else None


def _guarded(method):
    """An SQLite error of any query in ``method`` as a message (``Store._failed``): a damaged page is
    ``StoreDamaged``, and a store opened for writing is moved aside first."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RnnTutorError as exc:
            raise self._failed(exc) from None
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError):  # a bug in the query, not the file
            raise
        except sqlite3.Error as exc:
            raise self._failed(storefile.reading_failure(exc, self.path)) from None

    return run


class Store:
    """An open progress store. Use as a context manager or call ``close()``."""

    def __init__(self, path: Path, conn: sqlite3.Connection, moved_aside: Path | None, *, writing: bool = True):
        self.path = path
        self.conn = conn
        self.moved_aside = moved_aside
        self.moved_reason: str | None = None  # why the file at open was moved aside
        self.damaged: set[str] = set()  # rows that could not be read (hand-edited?), skipped and reported
        self.read_only = False
        self.writing = writing  # opened by a command that writes
        self.whole_checked = writing  # the whole file was checked (at open, for a command that writes)
        self.gone: Path | None = None  # where a file found damaged during the command was moved

    def _failed(self, exc: RnnTutorError, card_id: str | None = None) -> RnnTutorError:
        """``exc`` as the command ends with it. A damaged page met by a command that writes: the connection is
        closed and the file moved aside (never deleted), as a damaged file is at open, so the next run starts a
        fresh store; a reading command only says so (another session may be using the file)."""
        if not isinstance(exc, StoreDamaged) or not self.writing or self.read_only:
            return exc
        if self.gone is not None:  # already moved (a guarded method called by another)
            return exc
        try:
            self.conn.close()  # first: the WAL is merged into the file, which then moves whole
        except sqlite3.Error:
            pass
        self.gone = storefile.move_aside(self.path, f"it is damaged ({exc.reason})")
        lost = (f". Your answer to this card ({card_id}) was not saved; every card answered before it was, in "
                "that file") if card_id else ""
        return StoreDamaged(f"the progress database {self.path} is damaged: SQLite found a damaged page "
                            f"({exc.reason}). It was moved aside to {self.gone} (never deleted){lost}",
                            "run the command again to start a fresh store; to rescue what can still be read "
                            f"from the old one: sqlite3 {self.gone} .recover > rescued.sql", exc.reason)

    def _transaction(self):
        """The one way the store writes: ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``storefile.transaction``), and the
        whole-file check first when the open did not make it (a store opened by a reading command, whose open
        checked all but the history): no write goes into a file that has not been checked whole. A damaged file
        is then ``StoreDamaged`` and nothing is written."""
        if not self.whole_checked and not self.read_only:
            problem = storefile.whole_file_problem(self.conn)
            if problem is not None:
                raise StoreDamaged(
                    f"the progress database {self.path} is {problem.removeprefix('it is ')}; nothing was changed",
                    "the next 'rnn-tutor quiz' session moves the file aside, never deleting it, and starts a fresh "
                    f"store; to rescue what can still be read: sqlite3 {self.path} .recover > rescued.sql", problem)
            self.whole_checked = True
        return _immediate(self.conn, self.path)

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, data_dir: str | Path, *, write: bool = True) -> "Store":
        """The store in ``data_dir``. ``write=False`` (reading commands) also opens one on a read-only location
        (``read_only`` is then True and every write raises ``StoreReadOnly``); see ``storefile``."""
        from rnn_tutor.core import fileio

        data_dir = Path(data_dir)
        path = data_dir / DB_NAME
        fileio.check_path(path, what="progress database")
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if write or exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise RnnTutorError(f"cannot create the data directory {data_dir}: "
                                    f"{exc.strerror or exc}",
                                    "choose another with --data-dir or RNN_TUTOR_HOME") from None
        kind = fileio.kind_if_not_regular(path)
        if kind is not None:  # a folder, a FIFO, a device (a link to /dev/zero): not moved aside, not opened
            raise RnnTutorError(f"{path} is {kind}, not a database file",
                                "move it away or choose another --data-dir")
        if not data_dir.is_dir():  # reading, and the folder cannot be made: no progress yet
            opened = storefile.Opened(storefile.read_only_database(path, MIGRATIONS, SCHEMA_VERSION), None, True)
        else:
            opened = storefile.open_database(path, MIGRATIONS, SCHEMA_VERSION, write=write)
        store = cls(path, opened.conn, opened.moved_aside, writing=write)
        store.read_only = opened.read_only
        store.moved_reason = opened.reason
        store._adopt_legacy_user_cards()
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- reading
    @_guarded
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @_guarded
    def states(self) -> dict[str, dict]:
        """card id -> scheduler state, for every card reviewed at least once."""
        rows = self.conn.execute("SELECT card_id, state FROM card_state").fetchall()
        out = {}
        for card_id, text in rows:
            state = self._load_state(card_id, text)
            if state is not None:
                out[card_id] = state
        return out

    @_guarded
    def state(self, card_id: str) -> dict | None:
        row = self.conn.execute("SELECT state FROM card_state WHERE card_id = ?",
                                (card_id,)).fetchone()
        return self._load_state(card_id, row[0]) if row else None

    def _load_state(self, card_id: str, text) -> dict | None:
        """A stored schedule, or None (the card counts as new; its next review writes a good one) if the row
        is damaged, noted in ``damaged`` so the user is told, never a crash that also blocks export."""
        state = _parse_state(text)
        if state is None:
            self.damaged.add(f"the schedule of {card_id!r}")
        return state

    @_guarded
    def reviews(self, card_id: str | None = None) -> list[Review]:
        """The review history, oldest first."""
        return list(self.iter_reviews(card_id))

    def iter_reviews(self, card_id: str | None = None):
        """The review history, oldest first, one review at a time (``quiz export``: memory stays flat however long
        the history is). A row that cannot be read is skipped and named in ``damaged``; a damaged page is
        ``StoreDamaged``, as in every other query."""
        sql = f"SELECT {_REVIEW_COLUMNS} FROM reviews"
        args: tuple = ()
        if card_id is not None:
            sql += " WHERE card_id = ?"
            args = (card_id,)
        sql += " ORDER BY reviewed_at, id"
        try:
            for row in self.conn.execute(sql, args):
                try:
                    review = _review(row)
                except (ValueError, TypeError, KeyError, AttributeError):
                    self.damaged.add(f"a review of {row[1]!r} (uid {row[0]})")  # kept in the file, skipped here
                    continue
                yield review
        except sqlite3.Error as exc:
            raise self._failed(storefile.reading_failure(exc, self.path)) from None

    @_guarded
    def review_count(self, card_id: str | None = None) -> int:
        if card_id is None:
            return self.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM reviews WHERE card_id = ?",
                                 (card_id,)).fetchone()[0]

    @_guarded
    def new_cards_between(self, start: datetime, end: datetime) -> int:
        """How many cards were studied for the first time (scheduled, not cram) in [start, end)."""
        return self.conn.execute(
            "SELECT COUNT(DISTINCT card_id) FROM reviews WHERE first = 1 AND cram = 0 "
            "AND reviewed_at >= ? AND reviewed_at < ?", (stamp(start), stamp(end))).fetchone()[0]

    @_guarded
    def user_cards(self) -> list[Card]:
        rows = self.conn.execute(
            "SELECT id, topic, question, answer, see_also FROM user_cards ORDER BY added_at, id")
        out = []
        for r in rows:
            if all(isinstance(v, str) for v in r):
                out.append(Card(r[0], r[1], r[2], r[3], r[4], "text", "user"))
            else:  # a hand edit (a NULL, a number): skipped and named
                self.damaged.add(f"your card {str(r[0])[:40]!r}")
        return out

    # ---------------------------------------------------------------- derived ids
    @_guarded
    def adopt_legacy_ids(self, cards: list[Card]) -> int:
        """Move progress kept under a card's old derived id (``cards.legacy_id``: 40-bit ids, before
        rnn-tutor 0.1's 64-bit ones) to its current id, so no history is orphaned: its reviews, its schedule
        (the newer one if both ids have one) and an imported card's row. Returns how many ids moved. Nothing
        happens on a read-only store (the next writable run does it), nor when a reading command finds the file
        damaged in the whole-file check it makes before this write (the next session moves it aside)."""
        pairs = {old: c.id for c in cards if (old := legacy_id(c)) is not None}
        if not pairs or self.read_only:
            return 0
        stored = {r[0] for r in self.conn.execute(
            "SELECT card_id FROM reviews WHERE card_id GLOB ?1 UNION SELECT card_id FROM card_state "
            "WHERE card_id GLOB ?1 UNION SELECT id FROM user_cards WHERE id GLOB ?1", (_LEGACY_GLOB,))}
        todo = {old: new for old, new in pairs.items() if old in stored}
        if todo and not self.whole_checked:  # a reading command about to write: the whole file first, once
            if storefile.whole_file_problem(self.conn) is not None:
                return 0  # (quietly: the command reads on; the next session finds the damage)
            self.whole_checked = True
        if todo:
            with self._transaction():
                for old, new in todo.items():
                    _rename_card(self.conn, old, new)
        return len(todo)

    @_guarded
    def _adopt_legacy_user_cards(self) -> None:
        rows = self.conn.execute("SELECT id, topic, question, answer, see_also FROM user_cards WHERE id GLOB ?",
                                 (_LEGACY_GLOB,)).fetchall()
        if rows:  # cards imported by an older rnn-tutor: their ids follow today's derivation
            self.adopt_legacy_ids([Card(derived_id(r[2]), r[1], r[2], r[3], r[4], "text", "user") for r in rows])

    # ---------------------------------------------------------------- writing
    @_guarded
    def record_review(self, card: Card, grade: int, when: datetime, scheduler, *,
                      cram: bool = False, correct: bool | None = None,
                      seen_state: dict | None = None,
                      outcome: schedule.Outcome | None = None) -> Recorded:
        """Write one answered card: its review row and its new state, in one transaction.

        ``seen_state``/``outcome`` are what the session previewed when it showed the intervals.
        If the stored state is still ``seen_state`` the previewed outcome is stored (so the
        interval the learner saw is the one they get, fuzz included); if another session
        changed the card meanwhile, the grade is applied to the fresher state instead.
        """
        if grade not in schedule.GRADES:
            raise ValueError(f"grade must be 1-4, not {grade!r}")
        uid = uuid.uuid4().hex
        try:
            after, first = self._write_review(card, grade, when, scheduler, uid, cram, correct, seen_state,
                                              outcome)
        except StoreDamaged as exc:
            raise self._failed(exc, card.id) from None
        except (StoreFull, StoreReadOnly, StoreBusy) as exc:  # the transaction was rolled back: say what it lost
            hint = "free some space, then start the quiz again" if isinstance(exc, StoreFull) else exc.hint
            raise type(exc)(f"{exc.message}. Your answer to this card ({card.id}) was not saved; every card "
                            "answered before it was", hint) from None
        review = Review(uid, card.id, card.topic, schedule.utc(when), grade, cram, first,
                        correct, after)
        return Recorded(review, review.due)

    def _write_review(self, card, grade, when, scheduler, uid, cram, correct, seen_state, outcome):
        with self._transaction():
            row = self.conn.execute("SELECT state FROM card_state WHERE card_id = ?",
                                    (card.id,)).fetchone()
            current = self._load_state(card.id, row[0]) if row else None
            first = current is None
            if cram:
                after = None
            elif outcome is not None and outcome.grade == grade and current == seen_state:
                after = outcome.state
            else:
                base = current if current is not None else schedule.new_state(card.id, when)
                after = schedule.review(scheduler, base, grade, when).state
            self.conn.execute(
                "INSERT INTO reviews (uid, card_id, topic, reviewed_at, grade, cram, first, "
                "correct, state_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, card.id, card.topic, stamp(when), grade, int(cram), int(first),
                 None if correct is None else int(correct),
                 None if after is None else json.dumps(after)))
            if after is not None:
                self._put_state(card.id, after, when)
        return after, first

    def _put_state(self, card_id: str, state: dict, when: datetime) -> None:
        self.conn.execute(
            "INSERT INTO card_state (card_id, state, due, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (card_id) DO UPDATE SET state = excluded.state, due = excluded.due, "
            "updated_at = excluded.updated_at",
            (card_id, json.dumps(state), stamp(schedule.due_of(state)), stamp(when)))

    @_guarded
    def add_user_cards(self, cards: list[Card], when: datetime) -> tuple[int, int]:
        """Add or update the user's own cards (same id: new text, progress kept). -> (added, updated);
        a card already stored with the same text counts as neither."""
        added = updated = 0
        self.adopt_legacy_ids(cards)  # the same cards imported by an older rnn-tutor: one card, not two
        with self._transaction():
            for card in cards:
                exists = self.conn.execute("SELECT topic, question, answer, see_also FROM user_cards "
                                           "WHERE id = ?", (card.id,)).fetchone()
                if exists == (card.topic, card.question, card.answer, card.see_also):
                    continue
                if exists:
                    self.conn.execute(
                        "UPDATE user_cards SET topic = ?, question = ?, answer = ?, see_also = ? "
                        "WHERE id = ?", (card.topic, card.question, card.answer, card.see_also,
                                         card.id))
                    updated += 1
                else:
                    self.conn.execute(
                        "INSERT INTO user_cards (id, topic, question, answer, see_also, added_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (card.id, card.topic, card.question,
                                                      card.answer, card.see_also, stamp(when)))
                    added += 1
        return added, updated

    @_guarded
    def import_reviews(self, reviews: list[Review]) -> tuple[int, int]:
        """Restore exported history, all or nothing. Reviews already present (same uid) are
        skipped; each touched card's state becomes the state after its latest review.
        -> (added, skipped)."""
        added = 0
        with self._transaction():
            touched = set()
            for r in reviews:
                cursor = self.conn.execute(
                    "INSERT OR IGNORE INTO reviews (uid, card_id, topic, reviewed_at, grade, cram, "
                    "first, correct, state_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (r.uid, r.card_id, r.topic, stamp(r.reviewed_at), r.grade, int(r.cram),
                     int(r.first), None if r.correct is None else int(r.correct),
                     None if r.state_after is None else json.dumps(r.state_after)))
                if cursor.rowcount:
                    added += 1
                    touched.add(r.card_id)
            for card_id in sorted(touched):
                row = self.conn.execute(
                    "SELECT state_after, reviewed_at FROM reviews WHERE card_id = ? AND cram = 0 "
                    "AND state_after IS NOT NULL ORDER BY reviewed_at DESC, id DESC LIMIT 1",
                    (card_id,)).fetchone()
                state = _parse_state(row[0]) if row else None
                if state is not None:
                    self._put_state(card_id, state, parse_stamp(row[1]))
        return added, len(reviews) - added

    @_guarded
    def reset(self, when: datetime) -> Path | None:
        """Forget all progress (reviews and schedule; the user's own cards stay).

        A copy of the database is saved first, beside it, and its path returned (None if there
        was nothing to reset)."""
        if self.review_count() == 0 and not self.states():
            return None
        backup = storefile.free_name(self.path.with_name(
            f"quiz-before-reset-{schedule.utc(when).strftime('%Y%m%dT%H%M%SZ')}"), ".sqlite3")
        try:
            target = sqlite3.connect(backup)
            try:
                self.conn.backup(target)
            finally:
                target.close()
        except sqlite3.Error as exc:  # no backup, no reset: nothing was deleted
            if backup.exists():
                backup.unlink()
            raise storefile.failure(exc, backup) from None
        with self._transaction():
            self.conn.execute("DELETE FROM reviews")
            self.conn.execute("DELETE FROM card_state")
        return backup

    # ---------------------------------------------------------------- queries for list, stats, undo, leeches
    # Everything the commands ask of the history is answered here, in SQL; none of these reads the whole
    # history into Python (memory stays flat however long it grows).

    @_guarded
    def review_counts(self) -> dict[str, int]:
        """card id -> how many reviews (scheduled and cram) the history holds for it."""
        return dict(self.conn.execute(
            "SELECT card_id, SUM(scheduled + cram) FROM review_counts GROUP BY card_id"))

    @_guarded
    def card_totals(self) -> list[CardTotals]:
        """Per card and topic (a card's reviews keep the topic it had then): the counts kept in
        ``review_counts``."""
        out = []
        for card_id, topic, *counts in self.conn.execute(
                "SELECT card_id, topic, scheduled, cram, repeats, lapses FROM review_counts "
                "WHERE scheduled + cram > 0 ORDER BY card_id, topic"):
            if not isinstance(card_id, str) or not all(isinstance(n, int) for n in counts):
                self.damaged.add(f"the review counts of {card_id!r}")  # a row written by hand: skipped
                continue
            out.append(CardTotals(card_id, topic if isinstance(topic, str) else "", *counts))
        return out

    @_guarded
    def scheduled_since(self, start: datetime) -> dict[tuple[str, str], int]:
        """(card id, topic) -> scheduled (non-cram) reviews at or after ``start`` (a range of the time
        index: the reviews of the last days, not the whole history)."""
        out: dict[tuple[str, str], int] = {}
        for c, t, n in self.conn.execute(
                "SELECT card_id, topic, COUNT(*) FROM reviews INDEXED BY reviews_by_time "
                "WHERE reviewed_at >= ? AND cram = 0 GROUP BY card_id, topic", (stamp(start),)):
            if isinstance(c, str):  # (a hand-written row's blob id is no card's)
                key = (c, t if isinstance(t, str) else "")
                out[key] = out.get(key, 0) + n
        return out

    @_guarded
    def reviews_per_interval(self, bounds: list[tuple[datetime, datetime]],
                             card_ids: set[str] | None = None, *, exists: bool = False) -> list[int]:
        """How many reviews (any kind) fall in each [start, end), optionally only of ``card_ids``;
        ``exists``: just 1 or 0 (one index seek per interval, for the streak)."""
        out: list[int] = []
        only = ""
        ids: tuple = ()
        if card_ids is not None:
            ids = tuple(sorted(card_ids))
            if not ids:
                return [0] * len(bounds)
            only = f" AND card_id IN ({', '.join('?' * len(ids))})"
        for lo in range(0, len(bounds), 100):
            chunk = bounds[lo:lo + 100]
            values = ", ".join("(?, ?, ?)" for _ in chunk)
            args: list = []
            for i, (start, end) in enumerate(chunk):
                args += [i, stamp(start), stamp(end)]
            inner = (f"SELECT COUNT(*) FROM reviews WHERE reviewed_at >= lo AND reviewed_at < hi{only}"
                     if not exists else
                     f"SELECT EXISTS (SELECT 1 FROM reviews WHERE reviewed_at >= lo AND reviewed_at < hi{only})")
            rows = self.conn.execute(
                f"WITH bounds(i, lo, hi) AS (VALUES {values}) SELECT i, ({inner}) FROM bounds ORDER BY i",
                args + list(ids)).fetchall()
            out += [n for _, n in rows]
        return out

    @_guarded
    def lapses(self, card_id: str) -> int:
        """Scheduled reviews of the card graded Again after its first (what makes a leech)."""
        row = self.conn.execute("SELECT SUM(lapses) FROM review_counts WHERE card_id = ?",
                                (card_id,)).fetchone()
        return int(row[0] or 0)

    @_guarded
    def lapse_counts(self, at_least: int = 1) -> dict[str, int]:
        """card id -> lapses, for the cards with at least ``at_least``."""
        return dict(self.conn.execute(
            "SELECT card_id, SUM(lapses) AS n FROM review_counts GROUP BY card_id HAVING n >= ?",
            (at_least,)))

    @_guarded
    def last_review(self) -> Review | None:
        """The latest review in the history (by time, then by order written), or None."""
        row = self.conn.execute(
            f"SELECT {_REVIEW_COLUMNS} FROM reviews ORDER BY reviewed_at DESC, id DESC LIMIT 1").fetchone()
        return None if row is None else _lenient_review(row)

    @_guarded
    def undo_review(self, uid: str) -> Undone | None:
        """Take back one review, in one transaction: its row leaves the history and, for a scheduled
        review, the card's schedule goes back to the state after its previous scheduled review (or the
        card is new again). Nothing else changes. Only the latest scheduled review of a card can be taken
        back (an earlier one would leave a schedule built on it). None if there is no such review."""
        with self._transaction():
            row = self.conn.execute(f"SELECT id, card_id, {_REVIEW_COLUMNS} FROM reviews WHERE uid = ?",
                                    (uid,)).fetchone()
            if row is None:
                return None
            rowid, raw_id, review = row[0], row[1], _lenient_review(row[2:])  # raw_id: as stored, for SQL
            if not review.cram:
                latest = self.conn.execute(
                    "SELECT id FROM reviews WHERE card_id = ? AND cram = 0 "
                    "ORDER BY reviewed_at DESC, id DESC LIMIT 1", (raw_id,)).fetchone()
                if latest is not None and latest[0] != rowid:
                    raise RnnTutorError(
                        f"the card {review.card_id!r} was reviewed again after that review",
                        "only a card's latest review can be taken back")
            self.conn.execute("DELETE FROM reviews WHERE id = ?", (rowid,))
            restored = None
            if not review.cram:
                for text, at in self.conn.execute(
                        "SELECT state_after, reviewed_at FROM reviews WHERE card_id = ? AND cram = 0 "
                        "AND state_after IS NOT NULL ORDER BY reviewed_at DESC, id DESC", (raw_id,)):
                    restored = _parse_state(text)
                    try:
                        when = parse_stamp(at)
                    except (ValueError, TypeError, AttributeError):
                        restored = None
                    if restored is not None:
                        self._put_state(raw_id, restored, when)
                        break
                if restored is None:
                    self.conn.execute("DELETE FROM card_state WHERE card_id = ?", (raw_id,))
        return Undone(review, restored)


# -------------------------------------------------------------------- helpers

def _parse_state(text) -> dict | None:
    """A stored schedule, or None if it is not one we can use (a hand edit, NaN, a date off the calendar)."""
    try:
        state = loads_strict(text)
    except (ValueError, TypeError, RecursionError):
        return None
    return state if state_problem(state) is None else None


def _review(row) -> Review:
    uid, card_id, topic, at, grade, cram, first, correct, state = row
    if (not all(isinstance(v, str) for v in (uid, card_id, topic, at)) or isinstance(grade, bool)
            or grade not in schedule.GRADES or not all(v in (0, 1, None) for v in (cram, first, correct))):
        raise ValueError("damaged review row")
    after = None if state is None else _parse_state(state)
    if state is not None and after is None:
        raise ValueError("damaged review row")
    return Review(uid, card_id, topic, parse_stamp(at), int(grade), bool(cram), bool(first),
                  None if correct is None else bool(correct), after)


def _rename_card(conn: sqlite3.Connection, old: str, new: str) -> None:
    """Give card ``old``'s progress to ``new`` (inside the caller's transaction)."""
    conn.execute("UPDATE reviews SET card_id = ? WHERE card_id = ?", (new, old))
    rows = dict(conn.execute("SELECT card_id, updated_at FROM card_state WHERE card_id IN (?, ?)", (old, new)))
    if old in rows:
        if new not in rows or rows[old] > rows[new]:
            conn.execute("DELETE FROM card_state WHERE card_id = ?", (new,))
            conn.execute("UPDATE card_state SET card_id = ? WHERE card_id = ?", (new, old))
        else:
            conn.execute("DELETE FROM card_state WHERE card_id = ?", (old,))
    if conn.execute("SELECT 1 FROM user_cards WHERE id = ?", (new,)).fetchone():
        conn.execute("DELETE FROM user_cards WHERE id = ?", (old,))
    else:
        conn.execute("UPDATE user_cards SET id = ? WHERE id = ?", (new, old))


_REVIEW_COLUMNS = "uid, card_id, topic, reviewed_at, grade, cram, first, correct, state_after"


def _lenient_review(row) -> Review:
    """A review row as far as it can be read (a damaged state is dropped, not fatal): for undo, which must
    work on any row."""
    try:
        return _review(row)
    except (ValueError, TypeError, KeyError, AttributeError):
        uid, card_id, topic, at, grade, cram, first, correct, _state = row
        try:
            when = parse_stamp(at)
        except (ValueError, TypeError, AttributeError):
            when = schedule.utc(datetime(1970, 1, 1))
        text = (lambda v: v if isinstance(v, str) else
                v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
        return Review(text(uid), text(card_id), text(topic or ""), when,
                      int(grade) if grade in schedule.GRADES else 1,
                      bool(cram), bool(first), None if correct is None else bool(correct), None)
