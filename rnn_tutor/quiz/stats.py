"""How the learner is doing: due counts, reviews, retention, streak, weakest topics.

Definitions (so the numbers can be checked):

- due today / this week: cards already studied whose next review falls before the end of the
  local day / the end of the 7th local day from today. Never-studied cards count as ``new``.
- retention: of the scheduled (non-cram) reviews of cards seen before, the share not graded
  Again. ``None`` until there is such a review.
- streak: consecutive local days, ending today (or yesterday, if nothing was studied yet today),
  with at least one review of any kind.
- weakest topics: topics with the lowest retention (ties: more lapses first), at most 3, among
  topics with at least one repeat review.
- per topic: ``reviews`` counts every scheduled review of the topic's cards (first ones too, as the
  total does); ``lapses`` (Again on a card seen before) and ``retention`` count repeats only.
- calendar: reviews of any kind per local day over the last ``weeks`` weeks (Monday to Sunday, the
  current week last); days after today are ``None``.
- leeches: see ``rnn_tutor.quiz.leeches``.

``compute`` asks the store for counts (``review_counts``, kept by triggers, and ranges of the time
index), so its cost and memory depend on the number of cards and days shown, not on the length of the
history. ``compute_from_history`` is the first version, which reads every review; it is kept as the
oracle the tests and ``benchmarks/bench_quiz.py`` compare against.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from rnn_tutor.quiz import schedule
from rnn_tutor.quiz.cards import Card
from rnn_tutor.quiz.leeches import LEECH_LAPSES, Leech, leeches
from rnn_tutor.quiz.session import local_day_bounds
from rnn_tutor.quiz.store import Review, Store

DEFAULT_WEEKS = 26
MAX_WEEKS = 53


@dataclass(frozen=True)
class TopicStats:
    topic: str
    cards: int
    reviews: int
    lapses: int
    retention: float | None

    def as_record(self) -> dict:
        return {"topic": self.topic, "cards": self.cards, "reviews": self.reviews,
                "lapses": self.lapses, "retention": self.retention}


@dataclass(frozen=True)
class Calendar:
    """Reviews per local day, ``weeks`` whole weeks (Monday first) ending with the current one."""

    start: date  # a Monday
    today: date
    counts: tuple[int | None, ...]  # one per day from ``start``; None after today

    @property
    def weeks(self) -> int:
        return len(self.counts) // 7

    def days(self) -> list[tuple[date, int | None]]:
        return [(self.start + timedelta(days=i), n) for i, n in enumerate(self.counts)]

    def as_record(self) -> dict:
        past = [n for n in self.counts if n is not None]
        return {"weeks": self.weeks, "start": self.start.isoformat(), "today": self.today.isoformat(),
                "reviews": sum(past), "days_studied": sum(1 for n in past if n),
                "days": [{"date": d.isoformat(), "reviews": n} for d, n in self.days() if n is not None]}


@dataclass(frozen=True)
class Stats:
    cards: int
    new: int
    learning: int
    review: int
    due_now: int
    due_today: int
    due_this_week: int
    reviews_total: int
    reviews_today: int
    reviews_week: int
    cram_reviews: int
    retention: float | None
    streak_days: int
    studied_today: bool
    weakest: tuple[TopicStats, ...]
    topics: tuple[TopicStats, ...] = field(default=())
    calendar: Calendar | None = None
    leeches: tuple[Leech, ...] = field(default=())

    def as_record(self) -> dict:
        return {
            "cards": self.cards, "new": self.new, "learning": self.learning, "review": self.review,
            "due_now": self.due_now, "due_today": self.due_today,
            "due_this_week": self.due_this_week,
            "reviews_total": self.reviews_total, "reviews_today": self.reviews_today,
            "reviews_week": self.reviews_week, "cram_reviews": self.cram_reviews,
            "retention": self.retention, "streak_days": self.streak_days,
            "studied_today": self.studied_today,
            "weakest_topics": [t.as_record() for t in self.weakest],
            "topics": [t.as_record() for t in self.topics],
            "leech_lapses": LEECH_LAPSES,
            "leeches": [x.as_record() for x in self.leeches],
            "calendar": None if self.calendar is None else self.calendar.as_record(),
        }


def local_day(day: date) -> tuple[datetime, datetime]:
    """Start and end of a local calendar day (23 or 25 hours long on the days clocks change)."""
    start = datetime(day.year, day.month, day.day).astimezone()
    nxt = day + timedelta(days=1)
    return start, datetime(nxt.year, nxt.month, nxt.day).astimezone()


def _weakest(table: list[TopicStats]) -> list[TopicStats]:
    return sorted((t for t in table if t.retention is not None),
                  key=lambda t: (t.retention, -t.lapses))[:3]


def compute(cards: list[Card], store: Store, now: datetime, *, only: set[str] | None = None,
            weeks: int = DEFAULT_WEEKS) -> Stats:
    """The stats of ``cards`` from the store's counts. ``only``: count just the reviews of these card ids
    (``quiz stats --topic``); None counts the whole history."""
    now = schedule.utc(now)
    day_start, day_end = local_day_bounds(now)
    week_end = day_end + timedelta(days=6)
    week_start = day_start - timedelta(days=6)
    ids = {c.id for c in cards}
    mine = {cid: s for cid, s in store.states().items() if cid in ids}
    kinds = defaultdict(int)
    for s in mine.values():
        kinds[schedule.state_name(s)] += 1
    dues = [schedule.due_of(s) for s in mine.values()]

    def counted(card_id: str) -> bool:
        return only is None or card_id in only

    totals = [t for t in store.card_totals() if counted(t.card_id)]
    scheduled = sum(t.scheduled for t in totals)
    repeats = sum(t.repeats for t in totals)
    lapses = sum(t.lapses for t in totals)
    retention = (repeats - lapses) / repeats if repeats else None

    topic_of = {c.id: c.topic for c in cards}
    per_topic_cards = defaultdict(int)
    for c in cards:
        per_topic_cards[c.topic] += 1
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # reviews, repeats, lapses
    for t in totals:
        if t.scheduled:
            row = sums[topic_of.get(t.card_id, t.topic or "other")]
            row[0] += t.scheduled
            row[1] += t.repeats
            row[2] += t.lapses
    known = list(dict.fromkeys(c.topic for c in cards))
    table = []
    for topic in known + sorted(set(sums) - set(known)):
        reviews, reps, laps = sums.get(topic, (0, 0, 0))
        table.append(TopicStats(topic, per_topic_cards.get(topic, 0), reviews, laps,
                                (reps - laps) / reps if reps else None))

    since_week = store.scheduled_since(week_start)
    since_today = store.scheduled_since(day_start)
    today = day_start.date()
    calendar = _calendar(store, today, weeks, only)
    streak = _streak(store, today, calendar, only)
    lapse_counts = {cid: n for cid, n in store.lapse_counts(LEECH_LAPSES).items() if counted(cid)}
    return Stats(
        cards=len(cards),
        new=len(cards) - len(mine),
        learning=kinds["learning"] + kinds["relearning"],
        review=kinds["review"],
        due_now=sum(d <= now for d in dues),
        due_today=sum(d < day_end for d in dues),
        due_this_week=sum(d < week_end for d in dues),
        reviews_total=scheduled,
        reviews_today=sum(n for (cid, _), n in since_today.items() if counted(cid)),
        reviews_week=sum(n for (cid, _), n in since_week.items() if counted(cid)),
        cram_reviews=sum(t.cram for t in totals),
        retention=retention,
        streak_days=streak,
        studied_today=bool(calendar.counts[(today - calendar.start).days]),
        weakest=tuple(_weakest(table)),
        topics=tuple(table),
        calendar=calendar,
        leeches=tuple(leeches(cards, lapse_counts)),
    )


def _calendar(store: Store, today: date, weeks: int, only: set[str] | None) -> Calendar:
    weeks = max(1, min(int(weeks), MAX_WEEKS))
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    past = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    counts = store.reviews_per_interval([local_day(d) for d in past], only)
    return Calendar(start, today, tuple(counts) + (None,) * (7 * weeks - len(past)))


def _streak(store: Store, today: date, calendar: Calendar, only: set[str] | None) -> int:
    """Consecutive days with a review, ending today (or yesterday if nothing yet today): read from the
    calendar, then further back in batches of 100 days while every day has one."""
    counts = [n for n in calendar.counts if n is not None]  # oldest first, today last
    if not counts[-1]:
        counts.pop()
    streak = 0
    for n in reversed(counts):
        if not n:
            return streak
        streak += 1
    cursor = calendar.start - timedelta(days=1)
    while True:
        days = [cursor - timedelta(days=i) for i in range(100)]  # newest first
        for n in store.reviews_per_interval([local_day(d) for d in days], only, exists=True):
            if not n:
                return streak
            streak += 1
        cursor -= timedelta(days=100)


def compute_from_history(cards: list[Card], states: dict[str, dict], reviews: list[Review],
                         now: datetime) -> Stats:
    """The first implementation, over every review in memory (the oracle for ``compute``; no calendar or
    leeches)."""
    now = schedule.utc(now)
    day_start, day_end = local_day_bounds(now)
    week_end = day_end + timedelta(days=6)
    ids = {c.id for c in cards}
    mine = {cid: s for cid, s in states.items() if cid in ids}
    kinds = defaultdict(int)
    for s in mine.values():
        kinds[schedule.state_name(s)] += 1
    dues = [schedule.due_of(s) for s in mine.values()]

    scheduled = [r for r in reviews if not r.cram]
    repeats = [r for r in scheduled if not r.first]
    retention = (sum(r.grade > 1 for r in repeats) / len(repeats)) if repeats else None

    # Streak over local calendar days.
    days = {r.reviewed_at.astimezone(day_start.tzinfo).date() for r in reviews}
    today = day_start.date()
    cursor = today if today in days else today - timedelta(days=1)
    streak = 0
    while cursor in days:
        streak += 1
        cursor -= timedelta(days=1)

    topic_of = {c.id: c.topic for c in cards}
    per_topic_cards = defaultdict(int)
    for c in cards:
        per_topic_cards[c.topic] += 1
    per_topic: dict[str, list[Review]] = defaultdict(list)
    for r in scheduled:
        per_topic[topic_of.get(r.card_id, r.topic or "other")].append(r)
    table = []
    for topic in dict.fromkeys([c.topic for c in cards] + list(per_topic)):
        rs = per_topic.get(topic, [])
        again = [r for r in rs if not r.first]
        lapses = sum(r.grade == 1 for r in again)
        table.append(TopicStats(topic, per_topic_cards.get(topic, 0), len(rs), lapses,
                                (len(again) - lapses) / len(again) if again else None))
    weakest = sorted((t for t in table if t.retention is not None), key=lambda t: (t.retention, -t.lapses))[:3]

    week_start = day_start - timedelta(days=6)
    return Stats(
        cards=len(cards),
        new=len(cards) - len(mine),
        learning=kinds["learning"] + kinds["relearning"],
        review=kinds["review"],
        due_now=sum(d <= now for d in dues),
        due_today=sum(d < day_end for d in dues),
        due_this_week=sum(d < week_end for d in dues),
        reviews_total=len(scheduled),
        reviews_today=sum(r.reviewed_at >= day_start for r in scheduled),
        reviews_week=sum(r.reviewed_at >= week_start for r in scheduled),
        cram_reviews=len(reviews) - len(scheduled),
        retention=retention,
        streak_days=streak,
        studied_today=today in days,
        weakest=tuple(weakest),
        topics=tuple(table),
    )
