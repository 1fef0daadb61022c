"""The progress store: one SQLite database (standard library sqlite3, WAL journal).

Why SQLite: it gives atomic, durable transactions and safe sharing between processes, which is
what "never lose a review" needs; hand-written atomic files and lock files would re-invent it.

The tables and their migrations are in ``store_schema``.

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
import json
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path

from rnn_tutor.errors import RnnTutorError
from rnn_tutor.quiz import schedule, storefile
from rnn_tutor.quiz.cards import Card
from rnn_tutor.quiz.records import (EARLIEST, LATEST, STATE_KEYS, loads_strict, parse_stamp,  # noqa: F401
                                    stamp, state_problem)
from rnn_tutor.quiz.store_cards import CardCollection
from rnn_tutor.quiz.store_queries import HistoryQueries
from rnn_tutor.quiz.store_rows import (REVIEW_COLUMNS, CardTotals, Recorded, Review, Undone,  # noqa: F401
                                       guarded, parse_state, review_from_row)
from rnn_tutor.quiz.store_schema import MIGRATIONS, SCHEMA_VERSION
from rnn_tutor.quiz.store_undo import ReviewUndo
from rnn_tutor.quiz.storefile import (BUSY_TIMEOUT_MS, StoreBusy, StoreDamaged, StoreFull,  # noqa: F401
                                      StoreReadOnly)
from rnn_tutor.quiz.storefile import transaction as _immediate

DB_NAME = "quiz.sqlite3"


# The store's methods come in parts, one idea each: the user's cards and old ids (store_cards), the queries of
# list, stats and leeches (store_queries), undo (store_undo); opening, reading and writing reviews and
# schedules are here. Every part's SQL runs on this class's connection, inside its transactions.
class Store(CardCollection, HistoryQueries, ReviewUndo):
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
    @guarded
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @guarded
    def states(self) -> dict[str, dict]:
        """card id -> scheduler state, for every card reviewed at least once."""
        rows = self.conn.execute("SELECT card_id, state FROM card_state").fetchall()
        out = {}
        for card_id, text in rows:
            state = self._load_state(card_id, text)
            if state is not None:
                out[card_id] = state
        return out

    @guarded
    def state(self, card_id: str) -> dict | None:
        row = self.conn.execute("SELECT state FROM card_state WHERE card_id = ?",
                                (card_id,)).fetchone()
        return self._load_state(card_id, row[0]) if row else None

    def _load_state(self, card_id: str, text) -> dict | None:
        """A stored schedule, or None (the card counts as new; its next review writes a good one) if the row
        is damaged, noted in ``damaged`` so the user is told, never a crash that also blocks export."""
        state = parse_state(text)
        if state is None:
            self.damaged.add(f"the schedule of {card_id!r}")
        return state

    @guarded
    def reviews(self, card_id: str | None = None) -> list[Review]:
        """The review history, oldest first."""
        return list(self.iter_reviews(card_id))

    def iter_reviews(self, card_id: str | None = None):
        """The review history, oldest first, one review at a time (``quiz export``: memory stays flat however long
        the history is). A row that cannot be read is skipped and named in ``damaged``; a damaged page is
        ``StoreDamaged``, as in every other query."""
        sql = f"SELECT {REVIEW_COLUMNS} FROM reviews"
        args: tuple = ()
        if card_id is not None:
            sql += " WHERE card_id = ?"
            args = (card_id,)
        sql += " ORDER BY reviewed_at, id"
        try:
            for row in self.conn.execute(sql, args):
                try:
                    review = review_from_row(row)
                except (ValueError, TypeError, KeyError, AttributeError):
                    self.damaged.add(f"a review of {row[1]!r} (uid {row[0]})")  # kept in the file, skipped here
                    continue
                yield review
        except sqlite3.Error as exc:
            raise self._failed(storefile.reading_failure(exc, self.path)) from None

    @guarded
    def review_count(self, card_id: str | None = None) -> int:
        if card_id is None:
            return self.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM reviews WHERE card_id = ?",
                                 (card_id,)).fetchone()[0]

    # ---------------------------------------------------------------- writing
    @guarded
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

    @guarded
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
                state = parse_state(row[0]) if row else None
                if state is not None:
                    self._put_state(card_id, state, parse_stamp(row[1]))
        return added, len(reviews) - added

    @guarded
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
