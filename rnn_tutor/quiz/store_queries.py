"""What ``quiz list``, ``quiz stats``, the session's daily cap and the leech warnings ask of the history, answered
in SQL. A part of ``Store`` (``store.py``).
"""

from __future__ import annotations

from datetime import datetime

from rnn_tutor.quiz.records import stamp
from rnn_tutor.quiz.store_rows import CardTotals, guarded


class HistoryQueries:
    """``Store``'s queries for list, stats and leeches."""

    # Everything the commands ask of the history is answered here, in SQL; none of these reads the whole
    # history into Python (memory stays flat however long it grows).

    @guarded
    def review_counts(self) -> dict[str, int]:
        """card id -> how many reviews (scheduled and cram) the history holds for it."""
        return dict(self.conn.execute(
            "SELECT card_id, SUM(scheduled + cram) FROM review_counts GROUP BY card_id"))

    @guarded
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

    @guarded
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

    @guarded
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

    @guarded
    def lapses(self, card_id: str) -> int:
        """Scheduled reviews of the card graded Again after its first (what makes a leech)."""
        row = self.conn.execute("SELECT SUM(lapses) FROM review_counts WHERE card_id = ?",
                                (card_id,)).fetchone()
        return int(row[0] or 0)

    @guarded
    def lapse_counts(self, at_least: int = 1) -> dict[str, int]:
        """card id -> lapses, for the cards with at least ``at_least``."""
        return dict(self.conn.execute(
            "SELECT card_id, SUM(lapses) AS n FROM review_counts GROUP BY card_id HAVING n >= ?",
            (at_least,)))

    @guarded
    def new_cards_between(self, start: datetime, end: datetime) -> int:
        """How many cards were studied for the first time (scheduled, not cram) in [start, end)."""
        return self.conn.execute(
            "SELECT COUNT(DISTINCT card_id) FROM reviews WHERE first = 1 AND cram = 0 "
            "AND reviewed_at >= ? AND reviewed_at < ?", (stamp(start), stamp(end))).fetchone()[0]

