"""The progress store's schema: its tables and the migrations that build them (``Store.open`` runs them).

Tables (schema version 2, kept in ``PRAGMA user_version``):

- ``reviews``: append-only. One row per answered card: a unique ``uid``, card id, topic, time
  (UTC), grade 1-4, whether it was a cram review, whether the card was new, whether a numeric
  answer was right, and the scheduler's card state after it (JSON from ``fsrs.Card.to_dict``).
- ``card_state``: the current scheduler state of each card (always the state after its latest
  scheduled review).
- ``user_cards``: cards the user added with ``quiz import``.
- ``review_counts`` (schema 2): per card and topic, how many scheduled and cram reviews, repeats
  (scheduled reviews of a card seen before) and lapses (repeats graded Again) the history holds. Triggers
  on ``reviews`` keep it equal to counting the history, in the same transaction as the change, so
  ``quiz stats`` reads a few rows per card instead of every review (``tests`` compare the two).

Only statements live here; they are run by ``storefile.open_database`` on the store's connection.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

# Migrations: target version -> statements taking the database from version - 1 to it.
# Add a new entry (never edit an old one) when the schema changes; they run in order, inside one
# transaction, the first time a newer rnn-tutor opens an older store.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE reviews (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            uid         TEXT NOT NULL UNIQUE,
            card_id     TEXT NOT NULL,
            topic       TEXT NOT NULL DEFAULT '',
            reviewed_at TEXT NOT NULL,
            grade       INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
            cram        INTEGER NOT NULL DEFAULT 0,
            first       INTEGER NOT NULL DEFAULT 0,
            correct     INTEGER,
            state_after TEXT
        )""",
        "CREATE INDEX reviews_by_card ON reviews (card_id, reviewed_at)",
        "CREATE INDEX reviews_by_time ON reviews (reviewed_at)",
        """CREATE TABLE card_state (
            card_id    TEXT PRIMARY KEY,
            state      TEXT NOT NULL,
            due        TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE user_cards (
            id       TEXT PRIMARY KEY,
            topic    TEXT NOT NULL,
            question TEXT NOT NULL,
            answer   TEXT NOT NULL,
            see_also TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL
        )""",
    ],
    # 2: counts per card kept by triggers (quiz stats over a long history without reading it).
    2: [
        """CREATE TABLE review_counts (
            card_id   TEXT NOT NULL,
            topic     TEXT NOT NULL,
            scheduled INTEGER NOT NULL DEFAULT 0,
            cram      INTEGER NOT NULL DEFAULT 0,
            repeats   INTEGER NOT NULL DEFAULT 0,
            lapses    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (card_id, topic)
        ) WITHOUT ROWID""",
        # NOT INDEXED: read the history in file order and sort it, instead of walking reviews_by_card and
        # looking every row up in the table (1M reviews: 1.4 s instead of 2.4 s warm, and no random reads from
        # disk). Only the plan differs; the counts are the same (tests/quiz/test_quiz_stats.py).
        """INSERT INTO review_counts (card_id, topic, scheduled, cram, repeats, lapses)
           SELECT card_id, topic, SUM(cram = 0), SUM(cram <> 0), SUM(cram = 0 AND first = 0),
                  SUM(cram = 0 AND first = 0 AND grade = 1)
           FROM reviews NOT INDEXED GROUP BY card_id, topic""",
        """CREATE TRIGGER review_counts_insert AFTER INSERT ON reviews BEGIN
             INSERT OR IGNORE INTO review_counts (card_id, topic) VALUES (NEW.card_id, NEW.topic);
             UPDATE review_counts SET scheduled = scheduled + (NEW.cram = 0),
                    cram = cram + (NEW.cram <> 0), repeats = repeats + (NEW.cram = 0 AND NEW.first = 0),
                    lapses = lapses + (NEW.cram = 0 AND NEW.first = 0 AND NEW.grade = 1)
              WHERE card_id = NEW.card_id AND topic = NEW.topic;
           END""",
        """CREATE TRIGGER review_counts_delete AFTER DELETE ON reviews BEGIN
             UPDATE review_counts SET scheduled = scheduled - (OLD.cram = 0),
                    cram = cram - (OLD.cram <> 0), repeats = repeats - (OLD.cram = 0 AND OLD.first = 0),
                    lapses = lapses - (OLD.cram = 0 AND OLD.first = 0 AND OLD.grade = 1)
              WHERE card_id = OLD.card_id AND topic = OLD.topic;
             DELETE FROM review_counts WHERE card_id = OLD.card_id AND topic = OLD.topic
                AND scheduled = 0 AND cram = 0;
           END""",
        """CREATE TRIGGER review_counts_update AFTER UPDATE OF card_id, topic, cram, first, grade
           ON reviews BEGIN
             UPDATE review_counts SET scheduled = scheduled - (OLD.cram = 0),
                    cram = cram - (OLD.cram <> 0), repeats = repeats - (OLD.cram = 0 AND OLD.first = 0),
                    lapses = lapses - (OLD.cram = 0 AND OLD.first = 0 AND OLD.grade = 1)
              WHERE card_id = OLD.card_id AND topic = OLD.topic;
             INSERT OR IGNORE INTO review_counts (card_id, topic) VALUES (NEW.card_id, NEW.topic);
             UPDATE review_counts SET scheduled = scheduled + (NEW.cram = 0),
                    cram = cram + (NEW.cram <> 0), repeats = repeats + (NEW.cram = 0 AND NEW.first = 0),
                    lapses = lapses + (NEW.cram = 0 AND NEW.first = 0 AND NEW.grade = 1)
              WHERE card_id = NEW.card_id AND topic = NEW.topic;
             DELETE FROM review_counts WHERE card_id = OLD.card_id AND topic = OLD.topic
                AND scheduled = 0 AND cram = 0;
           END""",
    ],
}
