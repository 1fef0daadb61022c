"""Scheduling through the ``fsrs`` package (the FSRS algorithm). No hand-written scheduler here.

We keep the scheduler's card state as the plain dict ``fsrs.Card.to_dict()`` gives, so the store
can save it as JSON and a newer fsrs can read it back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

GRADES = {1: "again", 2: "hard", 3: "good", 4: "easy"}
GRADE_LABELS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}


def utc(moment: datetime | None = None) -> datetime:
    """An aware UTC datetime (fsrs insists on UTC)."""
    if moment is None:
        return datetime.now(timezone.utc)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def make_scheduler(*, fuzzing: bool = True):
    """The FSRS scheduler with its default parameters. ``fuzzing=False`` gives exact intervals."""
    import fsrs

    return fsrs.Scheduler(enable_fuzzing=fuzzing)


def fsrs_id(card_id: str) -> int:
    """fsrs wants an integer id; derive a stable one from our text id."""
    return int(hashlib.sha1(card_id.encode("utf-8")).hexdigest()[:12], 16)


def new_state(card_id: str, now: datetime) -> dict:
    """The scheduler state of a card never reviewed (due now)."""
    import fsrs

    return fsrs.Card(card_id=fsrs_id(card_id), due=utc(now)).to_dict()


@dataclass(frozen=True)
class Outcome:
    """What one grade would do: the state after it and the wait until the card is due."""

    grade: int
    state: dict
    due: datetime
    interval: timedelta


def review(scheduler, state: dict, grade: int, now: datetime) -> Outcome:
    """Apply one grade (1 Again, 2 Hard, 3 Good, 4 Easy) at ``now``; returns the new state."""
    import fsrs

    if grade not in GRADES:
        raise ValueError(f"grade must be 1-4, not {grade!r}")
    now = utc(now)
    card = fsrs.Card.from_dict(state)
    after, _log = scheduler.review_card(card, fsrs.Rating(grade), review_datetime=now)
    due = utc(after.due)
    return Outcome(grade, after.to_dict(), due, due - now)


def preview(scheduler, state: dict, now: datetime) -> dict[int, Outcome]:
    """The outcome of each of the four grades, for showing the next interval beside each key."""
    return {grade: review(scheduler, state, grade, now) for grade in GRADES}


def due_of(state: dict) -> datetime:
    return utc(datetime.fromisoformat(state["due"]))


def state_name(state: dict | None) -> str:
    if state is None:
        return "new"
    return STATE_NAMES.get(int(state.get("state", 0)), "unknown")


def format_interval(delta: timedelta) -> str:
    """A short human interval: '<1m', '10m', '5h', '3d', '2.5mo', '1.2y'."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return "<1m"
    minutes = seconds / 60
    if minutes < 60:
        return f"{round(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30.5:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30.4:.1f}mo"
    return f"{days / 365:.1f}y"
