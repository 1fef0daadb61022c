"""What a stored or imported record may hold: dates on the calendar, scheduler states with finite numbers in
range, strict JSON. Pure checks (no SQL, no files), shared by the store, which skips a row that fails them,
and by import, which refuses the file naming the line."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

from rnn_tutor.quiz import schedule

# The dates a review or a schedule may carry (UTC); an offset that pushes a date past the calendar's edge
# (0001-01-01T00:00:00+01:00) is refused too, instead of overflowing later.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)
STATE_KEYS = ("card_id", "state", "step", "stability", "difficulty", "due", "last_review")
_STATES = (1, 2, 3)  # fsrs.State: learning, review, relearning


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text that sorts in time order: 2026-11-28T01:02:03.000004Z."""
    return schedule.utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    """An ISO date-time as aware UTC; ValueError if it is not one or lies outside EARLIEST..LATEST."""
    if not isinstance(text, str):
        raise ValueError("not text")
    try:
        moment = schedule.utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except OverflowError:
        raise ValueError("date out of range") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError("date out of range")
    return moment


def _number(value, low: float, high: float) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and low <= value <= high)


def state_problem(state) -> str | None:
    """Why ``state`` is not a scheduler state (``fsrs.Card.to_dict``) we can use, or None: every field's type
    and range, finite numbers only, dates inside EARLIEST..LATEST."""
    if not isinstance(state, dict):
        return "it is not a JSON object"
    missing = [k for k in STATE_KEYS if k not in state]
    if missing:
        return "it has no " + ", ".join(repr(k) for k in missing)
    if isinstance(state["card_id"], bool) or not isinstance(state["card_id"], int) or not 0 <= state["card_id"] < 2**63:
        return "'card_id' must be a whole number from 0 to 2^63 - 1"
    if isinstance(state["state"], bool) or state["state"] not in _STATES:
        return "'state' must be 1, 2 or 3 (learning, review, relearning)"
    if state["step"] is not None and not (isinstance(state["step"], int) and _number(state["step"], 0, 1000)):
        return "'step' must be empty or a whole number from 0 to 1000"
    if state["stability"] is not None and not (_number(state["stability"], 0, 1e9) and state["stability"] > 0):
        return f"'stability' must be empty or a finite number above 0, not {state['stability']!r}"
    if state["difficulty"] is not None and not _number(state["difficulty"], 1, 10):
        return f"'difficulty' must be empty or a finite number from 1 to 10, not {state['difficulty']!r}"
    for key in ("due", "last_review"):
        if key == "last_review" and state[key] is None:
            continue
        try:
            parse_stamp(state[key])
        except ValueError:
            return f"{key!r} must be a date-time from {EARLIEST.year} to {LATEST.year - 1}, not {state[key]!r:.40}"
    return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


_STRICT = json.JSONDecoder(parse_constant=_no_constant)  # made once: export reads a million states


def loads_strict(text: str):
    """json.loads that refuses NaN and Infinity (Python's json takes them; JSON does not)."""
    if isinstance(text, str):
        return _STRICT.decode(text)
    return json.loads(text, parse_constant=_no_constant)  # bytes (a hand-written blob): as json.loads reads them
