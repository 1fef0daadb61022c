"""A study session without any terminal in it: which cards, in what order, and recording answers.

The CLI drives the conversation (keys, lines, printing); this module decides and writes:

    cards  = collection(store)                     # built-in deck + the user's imported cards
    queue  = plan(cards, store.states(), now, ...)  # due cards first, then new ones under the daily cap
    s      = Session(store, queue, scheduler=make_scheduler(), seed=0)
    for card in s.queue:
        seen, outcomes = s.preview(card, now)      # the next interval for each grade
        s.answer(card, grade, now, seen=seen, outcomes=outcomes)   # one transaction
    s.undo()                                       # takes back the last answer of this session
    s.summary(ended="done")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rnn_tutor.errors import BadValueError
from rnn_tutor.quiz import schedule
from rnn_tutor.quiz.cards import Card, builtin_deck, topics
from rnn_tutor.quiz.numeric import NumericItem, make_item
from rnn_tutor.quiz.store import Recorded, Store, Undone

DEFAULT_NEW_PER_DAY = 10


def collection(store: Store) -> list[Card]:
    """The built-in deck followed by the user's imported cards (built-in ids win a clash)."""
    cards = builtin_deck()
    known = {c.id for c in cards}
    return cards + [c for c in store.user_cards() if c.id not in known]


def select_topic(cards: list[Card], topic: str | None, option: str = "--topic") -> list[Card]:
    """Cards whose topic is ``topic`` (case-insensitive); a word of it is enough if that is unique."""
    if not topic:
        return cards
    wanted = topic.strip().casefold()
    exact = [c for c in cards if c.topic.casefold() == wanted]
    if exact:
        return exact
    partial = [c for c in cards if wanted in c.topic.casefold()]
    if partial and len({c.topic for c in partial}) == 1:
        return partial
    names = topics(cards)
    if partial:
        raise BadValueError(option, f"{topic!r} matches several topics: "
                                    + ", ".join(dict.fromkeys(c.topic for c in partial)))
    raise BadValueError(option, f"no cards on {topic!r} (topics: {', '.join(names)})")


def local_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of the learner's local calendar day containing ``now``."""
    local = schedule.utc(now).astimezone()
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def plan(cards: list[Card], states: dict[str, dict], now: datetime, *, limit: int | None = None,
         cram: bool = False, new_per_day: int = DEFAULT_NEW_PER_DAY, new_today: int = 0) -> list[Card]:
    """The cards to study now.

    Normal: cards due now (most overdue first), then never-seen cards in deck order, at most
    ``new_per_day - new_today`` of them. Cram: every card given, least stable first, schedule
    untouched. ``limit`` caps the total.
    """
    now = schedule.utc(now)
    if cram:
        def weakness(card: Card):
            state = states.get(card.id)
            return (state.get("stability") or 0.0) if state else -1.0
        queue = sorted(cards, key=weakness)
    else:
        due = [c for c in cards if c.id in states and schedule.due_of(states[c.id]) <= now]
        due.sort(key=lambda c: schedule.due_of(states[c.id]))
        room = max(0, new_per_day - new_today)
        new = [c for c in cards if c.id not in states][:room]
        queue = due + new
    if limit is not None:
        queue = queue[:limit]
    return queue


@dataclass
class Summary:
    """What a session did. ``ended``: done | quit | eof | interrupted."""

    planned: int
    answered: int = 0
    grades: dict[str, int] = field(default_factory=lambda: {g: 0 for g in schedule.GRADES.values()})
    numeric_right: int = 0
    numeric_total: int = 0
    cram: bool = False
    ended: str = "done"
    next_due: datetime | None = None
    due_now: int = 0  # cards of the session's collection due at the end (next_due is then in the past)
    undone: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.planned - self.answered)

    def as_record(self) -> dict:
        return {
            "event": "summary",
            "ended": self.ended,
            "planned": self.planned,
            "answered": self.answered,
            "remaining": self.remaining,
            "grades": dict(self.grades),
            "numeric_right": self.numeric_right,
            "numeric_total": self.numeric_total,
            "cram": self.cram,
            "undone": self.undone,
            "due_now": self.due_now,
            "next_due": None if self.next_due is None else
            schedule.utc(self.next_due).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


class Session:
    """Study ``queue`` against ``store``. Every ``answer`` is committed before it returns."""

    def __init__(self, store: Store, queue: list[Card], *, scheduler, seed: int = 0,
                 cram: bool = False, cards: list[Card] | None = None):
        self.store = store
        self.queue = list(queue)
        self.scheduler = scheduler
        self.seed = seed
        self.cram = cram
        self.cards = list(cards) if cards is not None else list(queue)  # what "due" is counted over
        self.result = Summary(planned=len(self.queue), cram=cram)
        self.answered: list[tuple[Card, Recorded, bool | None]] = []  # this session's answers, for undo

    def item(self, card: Card) -> NumericItem:
        """The concrete numbers for a numeric card (fresh for each review of it)."""
        return make_item(card, seed=self.seed, nth=self.store.review_count(card.id))

    def preview(self, card: Card, now: datetime) -> tuple[dict | None, dict[int, schedule.Outcome]]:
        """The stored state now and what each grade would do to it (empty in cram mode)."""
        seen = self.store.state(card.id)
        if self.cram:
            return seen, {}
        base = seen if seen is not None else schedule.new_state(card.id, now)
        return seen, schedule.preview(self.scheduler, base, now)

    def answer(self, card: Card, grade: int, when: datetime, *, seen: dict | None = None,
               outcomes: dict[int, schedule.Outcome] | None = None,
               correct: bool | None = None) -> Recorded:
        recorded = self.store.record_review(
            card, grade, when, self.scheduler, cram=self.cram, correct=correct, seen_state=seen,
            outcome=(outcomes or {}).get(grade))
        self._count(grade, correct, +1)
        self.answered.append((card, recorded, correct))
        return recorded

    def _count(self, grade: int, correct: bool | None, sign: int) -> None:
        self.result.answered += sign
        self.result.grades[schedule.GRADES[grade]] += sign
        if correct is not None:
            self.result.numeric_total += sign
            self.result.numeric_right += sign * int(correct)

    def undo(self) -> tuple[Card, Undone] | None:
        """Take back this session's last answer (one transaction in the store: the review leaves the
        history, the card's schedule is what it was). None if nothing was answered yet. The caller asks
        the card again."""
        if not self.answered:
            return None
        card, recorded, correct = self.answered[-1]
        undone = self.store.undo_review(recorded.review.uid)  # raises if another session reviewed it since
        self.answered.pop()
        self._count(recorded.review.grade, correct, -1)
        self.result.undone += 1
        if undone is None:  # already gone (another process undid it): nothing more to restore
            undone = Undone(recorded.review, self.store.state(card.id))
        return card, undone

    def summary(self, ended: str, now: datetime | None = None) -> Summary:
        self.result.ended = ended
        states = self.store.states()
        ids = {c.id for c in self.cards}
        dues = [schedule.due_of(s) for cid, s in states.items() if cid in ids]
        now = schedule.utc(now)
        self.result.due_now = sum(d <= now for d in dues)
        later = [d for d in dues if d > now]
        self.result.next_due = min(later) if later else None
        return self.result
