"""Start-up time of `rnn-tutor trace` and `rnn-tutor --help` against `python -c pass`, run side by side.

    python benchmarks/bench_startup.py [--runs 20]

Each round runs every command once, in turn, so a busy moment on a shared machine hits all of them alike.
Prints the median wall time of each and its ratio to `python -c pass`. The bar for `rnn-tutor trace`:
at most 100 ms median and at most 6x `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    exe = shutil.which("rnn-tutor")
    if exe is None:
        print("rnn-tutor is not installed (pip install -e .)", file=sys.stderr)
        return 1
    env = dict(os.environ, COLUMNS="80")
    slow = dict(env, RNN_TUTOR_NO_FASTPATH="1")
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"], env),
        ("rnn-tutor trace", [exe, "trace"], env),
        ("rnn-tutor trace --format json", [exe, "trace", "--format", "json"], env),
        ("rnn-tutor trace (typer path)", [exe, "trace"], slow),
        ("rnn-tutor --help", [exe, "--help"], env),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(2):  # warm the file cache
        for _, cmd, e in cases:
            subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(args.runs):
        for name, cmd, e in cases:
            t0 = time.perf_counter()
            r = subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t0)
            if r.returncode != 0:
                print(f"{name} failed with exit {r.returncode}", file=sys.stderr)
                return 1
    base = statistics.median(times["python -c pass"])
    print(f"{'command':34} {'median ms':>10} {'x python -c pass':>17}")
    for name, _, _ in cases:
        med = statistics.median(times[name])
        print(f"{name:34} {med * 1000:10.1f} {med / base:17.2f}")
    trace = statistics.median(times["rnn-tutor trace"])
    ok = trace <= 0.100 and trace / base <= 6.0
    print(f"\nbar (trace <= 100 ms and <= 6x python -c pass): {'met' if ok else 'NOT met'}  "
          f"(runs={args.runs}, python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
