"""Costs of the quiz store, each against a baseline run side by side.

    python benchmarks/bench_quiz.py [--runs 200] [--history 20000] [--sizes 20000,100000,1000000]

- answer one card: ``Store.record_review`` (FSRS step + review row + card state, one durable
  transaction) against a bare ``INSERT`` + ``COMMIT`` with the same pragmas (WAL, synchronous=FULL)
  in the same directory: the ratio is what scheduling and bookkeeping add to the disk write.
- open a store holding ``--history`` reviews (integrity quick_check + schema check) against a
  bare ``connect`` + ``SELECT 1``.
- ``rnn-tutor quiz stats --format json`` start-up against ``rnn-tutor --version`` (real processes).
- stats over generated histories of each of ``--sizes`` reviews (``tests/quiz/history.py``): today's
  ``stats.compute`` (counts kept by the store) against the first version, ``compute_from_history`` over every
  review, each in a fresh process that reports its CPU time, wall time and peak memory (max RSS; a process
  that only opens the store is the memory baseline), and the whole ``rnn-tutor quiz stats -f json`` process.

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


def _exe() -> str | None:
    """The rnn-tutor of this Python's environment (a venv need not be activated), else the one on PATH."""
    here = Path(sys.executable).parent / "rnn-tutor"
    return str(here) if here.exists() else shutil.which("rnn-tutor")


def median_ms(xs):
    return statistics.median(xs) * 1000


def worker(kind: str, data_dir: str) -> int:
    """One measurement in this fresh process: prints {"cpu", "wall", "rss_mb"} as JSON."""
    import json
    import resource

    from rnn_tutor.quiz import stats
    from rnn_tutor.quiz.session import collection
    from rnn_tutor.quiz.store import Store

    now = datetime.fromisoformat(os.environ["BENCH_NOW"])
    cpu, wall = time.process_time(), time.perf_counter()
    with Store.open(data_dir) as store:
        cards = collection(store)
        if kind == "new":
            stats.compute(cards, store, now)
        elif kind == "old":
            stats.compute_from_history(cards, store.states(), store.reviews(), now)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu": cpu, "wall": wall, "rss_mb": rss}))
    return 0


def stats_sizes(sizes: list[int], tmp: Path) -> list[str]:
    import json

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.quiz.history import fill_history

    def run(kind: str, where: Path, now: datetime) -> dict:
        out = subprocess.run([sys.executable, __file__, "--worker", kind, str(where)], check=True,
                             capture_output=True, text=True, env=dict(os.environ, BENCH_NOW=now.isoformat()))
        return json.loads(out.stdout)

    lines = [f"{'reviews':>9} {'computation':12} {'cpu s':>8} {'wall s':>8} {'peak MB':>8} {'vs open':>8}"]
    exe = _exe()
    for n in sizes:
        where = tmp / f"h{n}"
        s = time.perf_counter()
        last = fill_history(where, n)
        made = time.perf_counter() - s
        now = last + timedelta(hours=1)
        base = [run("open", where, now) for _ in range(5)]
        base_rss = statistics.median(b["rss_mb"] for b in base)
        lines.append(f"{n:>9,} {'open only':12} {statistics.median(b['cpu'] for b in base):8.3f} "
                     f"{statistics.median(b['wall'] for b in base):8.3f} {base_rss:8.1f}")
        for kind, runs in (("new", 5), ("old", 3 if n <= 100_000 else 1)):
            got = [run(kind, where, now) for _ in range(runs)]
            cpu = statistics.median(g["cpu"] for g in got)
            wall = statistics.median(g["wall"] for g in got)
            rss = statistics.median(g["rss_mb"] for g in got)
            lines.append(f"{n:>9,} {kind + (' (SQL)' if kind == 'new' else ' (Python)'):12} {cpu:8.3f} "
                         f"{wall:8.3f} {rss:8.1f} {rss - base_rss:+8.1f}")
        if exe:
            env = dict(os.environ, RNN_TUTOR_HOME=str(where), COLUMNS="80")
            walls = []
            for _ in range(5):
                s = time.perf_counter()
                subprocess.run([exe, "quiz", "stats", "--format", "json", "--now", now.isoformat()], env=env,
                               stdout=subprocess.DEVNULL, check=True)
                walls.append(time.perf_counter() - s)
            lines.append(f"{n:>9,} {'process':12} {'':>8} {statistics.median(walls):8.3f}   "
                         f"(rnn-tutor quiz stats -f json; store filled in {made:.0f} s)")
        shutil.rmtree(where)
    lines.append("cpu/wall: medians of fresh processes (5 new, 3 old; 1 old at 1M), each opening the store "
                 "(integrity quick_check included: the 'open only' row) and computing; peak MB: max RSS of the "
                 "process, 'vs open' against one that only opens the store")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--history", type=int, default=20000)
    ap.add_argument("--sizes", default="20000,100000,1000000",
                    help="history lengths for the stats comparison (comma-separated; empty to skip)")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(*args.worker)

    from rnn_tutor.quiz import schedule
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

        exe = _exe()
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

        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
        table = stats_sizes(sizes, tmp) if sizes else []

    print(f"{'measured':42} {'median ms':>10} {'baseline ms':>12} {'ratio':>7}")
    for name, ms, bms in rows:
        print(f"{name:42} {ms:10.2f} {bms:12.2f} {ms / bms if bms else float('nan'):7.1f}")
    print("\nbaselines: bare INSERT+COMMIT (same pragmas); bare connect+SELECT 1; rnn-tutor --version")
    if table:
        print("\nquiz stats over a long history: today's computation against the first one")
        print("\n".join(table))
    print(f"(runs={args.runs}, history={args.history}, python {sys.version.split()[0]}, "
          f"sqlite {sqlite3.sqlite_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
