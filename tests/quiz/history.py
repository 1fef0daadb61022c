"""A long generated review history, written straight into a store (for the stats tests and
``benchmarks/bench_quiz.py``): the deck's cards, a review every few minutes with gaps of whole days, grades
at random, some cram, a card whose topic was renamed, and a card no longer in the deck."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2020, 1, 6, 8, 0, tzinfo=timezone.utc)


def fill_history(data_dir: Path, n: int, *, seed: int = 0, start: datetime = START) -> datetime:
    """Write ``n`` reviews (and each card's latest state) into the store in ``data_dir``; returns the time
    of the last review. The store is opened (created or upgraded) by ``Store.open`` first."""
    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz.cards import builtin_deck
    from rnn_tutor.quiz.store import DB_NAME, Store, stamp

    Store.open(data_dir).close()
    rng = random.Random(seed)
    cards = [(c.id, c.topic) for c in builtin_deck()] + [("gone-card", "old topic")]
    seen: set[str] = set()
    last_state: dict[str, tuple[str, str]] = {}
    # Reviews per day chosen so that n reviews span many months, with some days off.
    step = timedelta(minutes=max(1, min(240, 20_000_000 // max(n, 1) // 60)))
    when = start

    def rows():
        nonlocal when
        for i in range(n):
            when += step
            if rng.random() < 0.002:
                when += timedelta(days=rng.randint(1, 3))  # a break: streaks end
            card_id, topic = cards[rng.randrange(len(cards))]
            if card_id == "order-matters" and rng.random() < 0.3:
                topic = "sequences (old name)"
            cram = rng.random() < 0.05
            first = not cram and card_id not in seen
            if not cram:
                seen.add(card_id)
            grade = rng.choices((1, 2, 3, 4), weights=(2, 1, 5, 2))[0]
            state = None
            if not cram:
                due = when + timedelta(days=rng.choice((0.01, 1, 3, 10)))
                state = json.dumps({"card_id": schedule.fsrs_id(card_id), "state": 2, "step": None,
                                    "stability": 3.5, "difficulty": 5.0,
                                    "due": due.isoformat(), "last_review": when.isoformat()})
                last_state[card_id] = (state, stamp(when))
            yield (f"gen-{seed}-{i}", card_id, topic, stamp(when), grade, int(cram), int(first),
                   None, state)

    conn = sqlite3.connect(Path(data_dir) / DB_NAME, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO reviews (uid, card_id, topic, reviewed_at, grade, cram, first, correct, "
            "state_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
        conn.executemany(
            "INSERT OR REPLACE INTO card_state (card_id, state, due, updated_at) VALUES (?, ?, ?, ?)",
            [(cid, st, stamp(schedule.due_of(json.loads(st))), at) for cid, (st, at) in last_state.items()])
        conn.execute("COMMIT")
    finally:
        conn.close()
    return when
