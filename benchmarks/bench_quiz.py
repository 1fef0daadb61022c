"""Costs of the quiz store, each against a baseline run side by side.

    python benchmarks/bench_quiz.py [--runs 200] [--history 20000] [--sizes 20000,100000,1000000]

- answer one card: ``Store.record_review`` (FSRS step + review row + card state, one durable
  transaction) against a bare ``INSERT`` + ``COMMIT`` with the same pragmas (WAL, synchronous=FULL)
  in the same directory: the ratio is what scheduling and bookkeeping add to the disk write.
- open a store holding ``--history`` reviews for reading (schema check + quick_check of every table but the
  history) against a bare ``connect`` + ``SELECT 1``.
- ``rnn-tutor quiz stats --format json`` start-up against ``rnn-tutor --version`` (real processes).
- over generated histories of each of ``--sizes`` reviews (``tests/quiz/history.py``), each measurement a fresh
  process, today's code against the OLD OPEN (``PRAGMA quick_check`` of the whole file at every open, as before
  quiz-open; ``BENCH_OLD_OPEN=1`` makes a process open that way) in alternating rounds:
  the open for reading, the open for writing (the whole file, in both), and the whole processes
  ``rnn-tutor quiz stats -f json``, ``quiz list -f json`` and ``quiz export`` (to /dev/null), CPU (user + sys of
  the child) and wall time;
- and, at each size, ``stats.compute`` (counts kept by the store) against the first version,
  ``compute_from_history`` over every review, with peak memory (max RSS; a process that only opens the store is
  the memory baseline).

Rounds alternate between the measured code and its baseline so a busy moment hits both alike.
Prints medians and ratios, and the load average before and after each size (the machine may be shared).
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


def old_open_if_asked() -> None:
    """With BENCH_OLD_OPEN=1, every open checks the whole file, as every open did before quiz-open (the
    baseline)."""
    if os.environ.get("BENCH_OLD_OPEN") == "1":
        from rnn_tutor.quiz import storefile

        check = storefile.check_file
        storefile.check_file = lambda *a, **k: check(*a, **dict(k, full=True))


def run_cli(args: list[str]) -> int:
    """``rnn-tutor ARGS`` in this process (a fresh one), opening the old way if asked."""
    old_open_if_asked()
    from rnn_tutor.cli import main

    main(args)
    return 0


def worker(kind: str, data_dir: str) -> int:
    """One measurement in this fresh process: prints {"cpu", "wall", "rss_mb"} as JSON."""
    import json
    import resource

    old_open_if_asked()
    from rnn_tutor.quiz import stats
    from rnn_tutor.quiz.session import collection
    from rnn_tutor.quiz.store import Store

    now = datetime.fromisoformat(os.environ["BENCH_NOW"])
    cpu, wall = time.process_time(), time.perf_counter()
    with Store.open(data_dir, write=kind == "open-write") as store:
        if kind in ("new", "old"):
            cards = collection(store)
        if kind == "new":
            stats.compute(cards, store, now)
        elif kind == "old":
            stats.compute_from_history(cards, store.states(), store.reviews(), now)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu": cpu, "wall": wall, "rss_mb": rss}))
    return 0


def _child(cmd: list[str], env: dict) -> dict:
    """Run ``cmd`` (stdout to /dev/null); its CPU (user + sys, from RUSAGE_CHILDREN) and wall seconds."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    s = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    wall = time.perf_counter() - s
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, "wall": wall}


def stats_sizes(sizes: list[int], tmp: Path) -> tuple[list[str], list[str]]:
    import json

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.quiz.history import fill_history

    def run(kind: str, where: Path, now: datetime, old: bool = False) -> dict:
        env = dict(os.environ, BENCH_NOW=now.isoformat(), BENCH_OLD_OPEN="1" if old else "0")
        out = subprocess.run([sys.executable, __file__, "--worker", kind, str(where)], check=True,
                             capture_output=True, text=True, env=env)
        return json.loads(out.stdout)

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    opens = [f"{'reviews':>9} {'measured':31} {'cpu s':>7} {'wall s':>7} {'old cpu':>8} {'old wall':>8} "
             f"{'cpu/old':>8} {'wall/old':>8}"]
    lines = [f"{'reviews':>9} {'computation':12} {'cpu s':>8} {'wall s':>8} {'peak MB':>8} {'vs open':>8}"]
    for n in sizes:
        where = tmp / f"h{n}"
        s = time.perf_counter()
        last = fill_history(where, n)
        made = time.perf_counter() - s
        now = last + timedelta(hours=1)
        load = os.getloadavg()[0]
        big = n >= 1_000_000
        # The open, and the whole processes, against the old open in alternating rounds.
        env = dict(os.environ, RNN_TUTOR_HOME=str(where), COLUMNS="80")
        me = [sys.executable, __file__, "--cli"]
        processes = [
            ("open for reading", None, 7),
            ("open for writing (whole file)", None, 5),
            ("quiz stats -f json", ["quiz", "stats", "--format", "json", "--now", now.isoformat()], 5),
            ("quiz list -f json", ["quiz", "list", "--format", "json"], 5),
            ("quiz export (jsonl)", ["quiz", "export"], 1 if big else 3),
        ]
        for name, args, runs in processes:
            ours, old = [], []
            for _ in range(runs):
                for baseline, into in ((False, ours), (True, old)):
                    if args is None:
                        into.append(run("open-write" if "writing" in name else "open-read", where, now, baseline))
                    else:
                        into.append(_child(me + args, dict(env, BENCH_OLD_OPEN="1" if baseline else "0")))
            label = name if args is None else "rnn-tutor " + name
            opens.append(f"{n:>9,} {label:31} {med(ours, 'cpu'):7.3f} {med(ours, 'wall'):7.3f} "
                         f"{med(old, 'cpu'):8.3f} {med(old, 'wall'):8.3f} "
                         f"{med(ours, 'cpu') / med(old, 'cpu'):8.2f} {med(ours, 'wall') / med(old, 'wall'):8.2f}")
        # The stats computation against the first one (issue 16).
        base = [run("open-read", where, now) for _ in range(5)]
        base_rss = med(base, "rss_mb")
        lines.append(f"{n:>9,} {'open only':12} {med(base, 'cpu'):8.3f} {med(base, 'wall'):8.3f} {base_rss:8.1f}")
        for kind, runs in (("new", 5), ("old", 3 if n <= 100_000 else 1)):
            got = [run(kind, where, now) for _ in range(runs)]
            rss = med(got, "rss_mb")
            lines.append(f"{n:>9,} {kind + (' (SQL)' if kind == 'new' else ' (Python)'):12} {med(got, 'cpu'):8.3f} "
                         f"{med(got, 'wall'):8.3f} {rss:8.1f} {rss - base_rss:+8.1f}")
        opens.append(f"{'':>9} (store of {(where / 'quiz.sqlite3').stat().st_size / 1e6:,.0f} MB filled in "
                     f"{made:.0f} s; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)")
        shutil.rmtree(where)
    opens.append("medians of fresh processes, ours and the old open alternating (7 rounds for the reading open, 5 "
                 "for the rest, 3 exports, 1 at 1M); cpu = user + sys")
    lines.append("cpu/wall: medians of fresh processes (5 new, 3 old; 1 old at 1M), each opening the store for "
                 "reading (the 'open only' row) and computing; peak MB: max RSS of the process, 'vs open' against "
                 "one that only opens the store")
    return opens, lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--history", type=int, default=20000)
    ap.add_argument("--sizes", default="20000,100000,1000000",
                    help="history lengths for the stats comparison (comma-separated; empty to skip)")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--cli", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(*args.worker)
    if args.cli is not None:
        return run_cli(args.cli)

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
            Store.open(tmp / "big", write=False).close()
            opens.append(time.perf_counter() - s)
            s = time.perf_counter()
            c = sqlite3.connect(tmp / "big" / "quiz.sqlite3")
            c.execute("SELECT 1").fetchone()
            c.close()
            bares.append(time.perf_counter() - s)
        rows.append((f"open {args.history} reviews for reading", median_ms(opens), median_ms(bares)))

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
        opens, table = stats_sizes(sizes, tmp) if sizes else ([], [])

    print(f"{'measured':42} {'median ms':>10} {'baseline ms':>12} {'ratio':>7}")
    for name, ms, bms in rows:
        print(f"{name:42} {ms:10.2f} {bms:12.2f} {ms / bms if bms else float('nan'):7.1f}")
    print("\nbaselines: bare INSERT+COMMIT (same pragmas); bare connect+SELECT 1; rnn-tutor --version")
    if opens:
        print("\nthe store over a long history: the open and whole processes against the old open (the whole "
              "file checked at every open)")
        print("\n".join(opens))
    if table:
        print("\nquiz stats over a long history: today's computation against the first one")
        print("\n".join(table))
    print(f"(runs={args.runs}, history={args.history}, python {sys.version.split()[0]}, "
          f"sqlite {sqlite3.sqlite_version})")
    blas = ", ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ)
    pyc = ("PYTHONDONTWRITEBYTECODE set: every process compiles its modules from source, which an installed "
           "package's would not" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "bytecode cache on")
    print(f"(environment: {blas or 'OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset'}; {pyc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
