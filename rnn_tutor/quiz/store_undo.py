"""Taking back a review (``quiz undo``, u in a session). A part of ``Store`` (``store.py``).
"""

from __future__ import annotations

from rnn_tutor.errors import RnnTutorError
from rnn_tutor.quiz.records import parse_stamp
from rnn_tutor.quiz.store_rows import REVIEW_COLUMNS, Review, Undone, guarded, lenient_review, parse_state


class ReviewUndo:
    """``Store``'s methods for undo."""

    @guarded
    def last_review(self) -> Review | None:
        """The latest review in the history (by time, then by order written), or None."""
        row = self.conn.execute(
            f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY reviewed_at DESC, id DESC LIMIT 1").fetchone()
        return None if row is None else lenient_review(row)

    @guarded
    def undo_review(self, uid: str) -> Undone | None:
        """Take back one review, in one transaction: its row leaves the history and, for a scheduled
        review, the card's schedule goes back to the state after its previous scheduled review (or the
        card is new again). Nothing else changes. Only the latest scheduled review of a card can be taken
        back (an earlier one would leave a schedule built on it). None if there is no such review."""
        with self._transaction():
            row = self.conn.execute(f"SELECT id, card_id, {REVIEW_COLUMNS} FROM reviews WHERE uid = ?",
                                    (uid,)).fetchone()
            if row is None:
                return None
            rowid, raw_id, review = row[0], row[1], lenient_review(row[2:])  # raw_id: as stored, for SQL
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
                    restored = parse_state(text)
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

