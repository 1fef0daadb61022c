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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rnn_tutor.quiz import schedule
from rnn_tutor.quiz.cards import Card
from rnn_tutor.quiz.session import local_day_bounds
from rnn_tutor.quiz.store import Review


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
        }


def compute(cards: list[Card], states: dict[str, dict], reviews: list[Review],
            now: datetime) -> Stats:
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
