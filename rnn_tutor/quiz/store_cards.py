"""The collection kept in the store: the user's own cards (``quiz import``), and moving progress kept under the
shorter derived ids of older rnn-tutors to today's (``cards.legacy_id``). A part of ``Store`` (``store.py``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from rnn_tutor.quiz import storefile
from rnn_tutor.quiz.cards import LEGACY_ID_LENGTH, Card, derived_id, legacy_id
from rnn_tutor.quiz.records import stamp
from rnn_tutor.quiz.store_rows import guarded

LEGACY_GLOB = "q-" + "[0-9a-f]" * (LEGACY_ID_LENGTH - 2)  # exactly an old derived id


class CardCollection:
    """``Store``'s methods for the user's cards and for old card ids."""

    @guarded
    def user_cards(self) -> list[Card]:
        rows = self.conn.execute(
            "SELECT id, topic, question, answer, see_also FROM user_cards ORDER BY added_at, id")
        out = []
        for r in rows:
            if all(isinstance(v, str) for v in r):
                out.append(Card(r[0], r[1], r[2], r[3], r[4], "text", "user"))
            else:  # a hand edit (a NULL, a number): skipped and named
                self.damaged.add(f"your card {str(r[0])[:40]!r}")
        return out

    # ---------------------------------------------------------------- derived ids
    @guarded
    def adopt_legacy_ids(self, cards: list[Card]) -> int:
        """Move progress kept under a card's old derived id (``cards.legacy_id``: 40-bit ids, before
        rnn-tutor 0.1's 64-bit ones) to its current id, so no history is orphaned: its reviews, its schedule
        (the newer one if both ids have one) and an imported card's row. Returns how many ids moved. Nothing
        happens on a read-only store (the next writable run does it), nor when a reading command finds the file
        damaged in the whole-file check it makes before this write (the next session moves it aside)."""
        pairs = {old: c.id for c in cards if (old := legacy_id(c)) is not None}
        if not pairs or self.read_only:
            return 0
        stored = {r[0] for r in self.conn.execute(
            "SELECT card_id FROM reviews WHERE card_id GLOB ?1 UNION SELECT card_id FROM card_state "
            "WHERE card_id GLOB ?1 UNION SELECT id FROM user_cards WHERE id GLOB ?1", (LEGACY_GLOB,))}
        todo = {old: new for old, new in pairs.items() if old in stored}
        if todo and not self.whole_checked:  # a reading command about to write: the whole file first, once
            if storefile.whole_file_problem(self.conn) is not None:
                return 0  # (quietly: the command reads on; the next session finds the damage)
            self.whole_checked = True
        if todo:
            with self._transaction():
                for old, new in todo.items():
                    rename_card(self.conn, old, new)
        return len(todo)

    @guarded
    def _adopt_legacy_user_cards(self) -> None:
        rows = self.conn.execute("SELECT id, topic, question, answer, see_also FROM user_cards WHERE id GLOB ?",
                                 (LEGACY_GLOB,)).fetchall()
        if rows:  # cards imported by an older rnn-tutor: their ids follow today's derivation
            self.adopt_legacy_ids([Card(derived_id(r[2]), r[1], r[2], r[3], r[4], "text", "user") for r in rows])

    @guarded
    def add_user_cards(self, cards: list[Card], when: datetime) -> tuple[int, int]:
        """Add or update the user's own cards (same id: new text, progress kept). -> (added, updated);
        a card already stored with the same text counts as neither."""
        added = updated = 0
        self.adopt_legacy_ids(cards)  # the same cards imported by an older rnn-tutor: one card, not two
        with self._transaction():
            for card in cards:
                exists = self.conn.execute("SELECT topic, question, answer, see_also FROM user_cards "
                                           "WHERE id = ?", (card.id,)).fetchone()
                if exists == (card.topic, card.question, card.answer, card.see_also):
                    continue
                if exists:
                    self.conn.execute(
                        "UPDATE user_cards SET topic = ?, question = ?, answer = ?, see_also = ? "
                        "WHERE id = ?", (card.topic, card.question, card.answer, card.see_also,
                                         card.id))
                    updated += 1
                else:
                    self.conn.execute(
                        "INSERT INTO user_cards (id, topic, question, answer, see_also, added_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (card.id, card.topic, card.question,
                                                      card.answer, card.see_also, stamp(when)))
                    added += 1
        return added, updated



def rename_card(conn: sqlite3.Connection, old: str, new: str) -> None:
    """Give card ``old``'s progress to ``new`` (inside the caller's transaction)."""
    conn.execute("UPDATE reviews SET card_id = ? WHERE card_id = ?", (new, old))
    rows = dict(conn.execute("SELECT card_id, updated_at FROM card_state WHERE card_id IN (?, ?)", (old, new)))
    if old in rows:
        if new not in rows or rows[old] > rows[new]:
            conn.execute("DELETE FROM card_state WHERE card_id = ?", (new,))
            conn.execute("UPDATE card_state SET card_id = ? WHERE card_id = ?", (new, old))
        else:
            conn.execute("DELETE FROM card_state WHERE card_id = ?", (old,))
    if conn.execute("SELECT 1 FROM user_cards WHERE id = ?", (new,)).fetchone():
        conn.execute("DELETE FROM user_cards WHERE id = ?", (old,))
    else:
        conn.execute("UPDATE user_cards SET id = ? WHERE id = ?", (new, old))
