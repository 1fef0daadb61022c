"""The store's rows as Python: a review, what a write or an undo returns, a card's counts; reading a row
strictly (``review_from_row``, ``parse_state``) or as far as it goes (``lenient_review``); and ``guarded``, which
turns an SQLite error of any store query into a message. No SQL runs here.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from rnn_tutor.errors import RnnTutorError
from rnn_tutor.quiz import schedule, storefile
from rnn_tutor.quiz.records import loads_strict, parse_stamp, stamp, state_problem


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


def guarded(method):
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


def parse_state(text) -> dict | None:
    """A stored schedule, or None if it is not one we can use (a hand edit, NaN, a date off the calendar)."""
    try:
        state = loads_strict(text)
    except (ValueError, TypeError, RecursionError):
        return None
    return state if state_problem(state) is None else None


def review_from_row(row) -> Review:
    uid, card_id, topic, at, grade, cram, first, correct, state = row
    if (not all(isinstance(v, str) for v in (uid, card_id, topic, at)) or isinstance(grade, bool)
            or grade not in schedule.GRADES or not all(v in (0, 1, None) for v in (cram, first, correct))):
        raise ValueError("damaged review row")
    after = None if state is None else parse_state(state)
    if state is not None and after is None:
        raise ValueError("damaged review row")
    return Review(uid, card_id, topic, parse_stamp(at), int(grade), bool(cram), bool(first),
                  None if correct is None else bool(correct), after)



REVIEW_COLUMNS = "uid, card_id, topic, reviewed_at, grade, cram, first, correct, state_after"


def lenient_review(row) -> Review:
    """A review row as far as it can be read (a damaged state is dropped, not fatal): for undo, which must
    work on any row."""
    try:
        return review_from_row(row)
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
