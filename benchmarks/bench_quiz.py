"""Costs of the quiz store, each against a bare-SQLite baseline run side by side.

    python benchmarks/bench_quiz.py [--runs 200] [--history 20000]

- answer one card: ``Store.record_review`` (FSRS step + review row + card state, one durable
  transaction) against a bare ``INSERT`` + ``COMMIT`` with the same pragmas (WAL, synchronous=FULL)
  in the same directory: the ratio is what scheduling and bookkeeping add to the disk write.
- open a store holding ``--history`` reviews (integrity quick_check + schema check) against a
  bare ``connect`` + ``SELECT 1``.
- stats over that history, and ``rnn-tutor quiz stats --format json`` start-up against
  ``rnn-tutor --version`` (both real processes).

Rounds alternate between the measured code and its baseline so a busy moment hits both alike.
Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


def median_ms(xs):
    return statistics.median(xs) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--history", type=int, default=20000)
    args = ap.parse_args()

    from rnn_tutor.quiz import schedule, stats
    from rnn_tutor.quiz.cards import Card, builtin_deck
    from rnn_tutor.quiz.store import Store

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sched = schedule.make_scheduler(fuzzing=False)
        store = Store.open(tmp / "a")
        base = sqlite3.connect(tmp / "base.sqlite3", isolation_level=None)
        base.execute("PRAGMA journal_mode = WAL")
        base.execute("PRAGMA synchronous = FULL")
        base.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, card TEXT, at TEXT, grade INT)")
        cards = [Card(f"c{i}", "t", "q", "a") for i in range(50)]
        t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        ours, bare = [], []
        for i in range(args.runs):
            when = t0 + timedelta(minutes=i)
            s = time.perf_counter()
            store.record_review(cards[i % 50], 1 + i % 4, when, sched)
            ours.append(time.perf_counter() - s)
            s = time.perf_counter()
            base.execute("BEGIN IMMEDIATE")
            base.execute("INSERT INTO t (card, at, grade) VALUES (?, ?, ?)", (f"c{i}", str(when), 3))
            base.execute("COMMIT")
            bare.append(time.perf_counter() - s)
        rows.append(("answer one card (record_review)", median_ms(ours), median_ms(bare)))
        store.close()

        # A long history, written in one go.
        big = Store.open(tmp / "big")
        deck = builtin_deck()
        big.conn.execute("BEGIN")
        state = schedule.new_state("x", t0)
        import json
        import uuid

        for i in range(args.history):
            c = deck[i % len(deck)]
            big.conn.execute(
                "INSERT INTO reviews (uid, card_id, topic, reviewed_at, grade, cram, first, "
                "correct, state_after) VALUES (?, ?, ?, ?, ?, 0, ?, NULL, ?)",
                (uuid.uuid4().hex, c.id, c.topic,
                 (t0 + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), 1 + i % 4,
                 int(i < len(deck)), json.dumps(state)))
        big.conn.execute("COMMIT")
        big.close()
        opens, bares = [], []
        for _ in range(max(10, args.runs // 10)):
            s = time.perf_counter()
            Store.open(tmp / "big").close()
            opens.append(time.perf_counter() - s)
            s = time.perf_counter()
            c = sqlite3.connect(tmp / "big" / "quiz.sqlite3")
            c.execute("SELECT 1").fetchone()
            c.close()
            bares.append(time.perf_counter() - s)
        rows.append((f"open a store of {args.history} reviews", median_ms(opens), median_ms(bares)))

        exe = shutil.which("rnn-tutor")
        if exe:
            env = dict(os.environ, RNN_TUTOR_HOME=str(tmp / "a"), COLUMNS="80")
            cli, ver = [], []
            for _ in range(max(5, args.runs // 20)):
                s = time.perf_counter()
                subprocess.run([exe, "quiz", "stats", "--format", "json"], env=env,
                               stdout=subprocess.DEVNULL, check=True)
                cli.append(time.perf_counter() - s)
                s = time.perf_counter()
                subprocess.run([exe, "--version"], env=env, stdout=subprocess.DEVNULL, check=True)
                ver.append(time.perf_counter() - s)
            rows.append(("rnn-tutor quiz stats -f json (process)", median_ms(cli), median_ms(ver)))

    print(f"{'measured':42} {'median ms':>10} {'baseline ms':>12} {'ratio':>7}")
    for name, ms, bms in rows:
        print(f"{name:42} {ms:10.2f} {bms:12.2f} {ms / bms if bms else float('nan'):7.1f}")
    print("\nbaselines: bare INSERT+COMMIT (same pragmas); bare connect+SELECT 1; one pass over the "
          "records; rnn-tutor --version")
    print(f"(runs={args.runs}, history={args.history}, python {sys.version.split()[0]}, "
          f"sqlite {sqlite3.sqlite_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
