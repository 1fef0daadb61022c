"""Leeches: cards the learner keeps failing, and where to read up on them.

A card is a *leech* once it has ``LEECH_LAPSES`` lapses: scheduled reviews (not cram) graded Again after the
card's first review. (The first review of a new card does not count: not knowing a card you have never seen
is not a failure.) Anki calls the same thing a leech, at 8 lapses counted on learned cards only; ours counts
failures during relearning too, so it uses a lower threshold.

A leech is not suspended: it stays in the schedule. What helps with a card that will not stick is going back
to what it is about, so each leech names the lesson on its topic (``rnn-tutor learn gradients``) and the
command of its see-also line (``rnn-tutor decay -w 0.9``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnn_tutor.quiz.cards import Card

LEECH_LAPSES = 5


@dataclass(frozen=True)
class Leech:
    card_id: str
    topic: str
    lapses: int
    lesson: str | None  # "rnn-tutor learn gradients", or None if no lesson covers the topic
    see_also: str  # the card's see-also command ("" if it has none)

    def as_record(self) -> dict:
        return {"card_id": self.card_id, "topic": self.topic, "lapses": self.lapses,
                "lesson": self.lesson, "see_also": self.see_also or None}


def is_leech(lapses: int) -> bool:
    return lapses >= LEECH_LAPSES


def lesson_command(card: Card) -> str | None:
    """``rnn-tutor learn TOPIC`` for the lesson whose quiz topics include the card's topic (or the lesson its
    see-also already opens), None if there is none."""
    from rnn_tutor.core.lessons import all_lessons

    if card.see_also.startswith("rnn-tutor learn "):
        return card.see_also.strip()
    wanted = card.topic.strip().casefold()
    for lesson in all_lessons():
        if wanted in (t.casefold() for t in lesson.quiz_topics):
            return f"rnn-tutor learn {lesson.topic}"
    return None


def leech(card: Card, lapses: int) -> Leech:
    see_also = card.see_also
    lesson = lesson_command(card)
    if see_also == lesson:
        see_also = ""
    return Leech(card.id, card.topic, lapses, lesson, see_also)


def leeches(cards: list[Card], lapse_counts: dict[str, int]) -> list[Leech]:
    """The leeches among ``cards``, most lapses first (then in deck order)."""
    found = [leech(c, lapse_counts[c.id]) for c in cards if is_leech(lapse_counts.get(c.id, 0))]
    order = {c.id: i for i, c in enumerate(cards)}
    return sorted(found, key=lambda x: (-x.lapses, order[x.card_id]))
