"""`rnn-tutor learn N` read for the first time (nothing kept yet) and again (the lesson cache), side by side.

    python benchmarks/bench_learn_cache.py [--runs 5] [--lessons 6,9] [--baseline DIR]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_learn_cache.py   # numpy as elsewhere

Cases, run in turn in every round so a busy moment on a shared machine hits all of them alike:
- cold: an empty data directory (RNN_TUTOR_HOME), so the lesson computes every value and saves them;
- warm: a data directory holding the values saved by an earlier read;
- no-cache: --no-cache, which computes everything and saves nothing (what every read cost before the cache);
- baseline (with --baseline DIR, a copy of the code without the cache, e.g. ``git archive main | tar -x -C DIR``):
  that code, run with PYTHONPATH=DIR.
Each run is ``python -m rnn_tutor learn N --format json`` with output to a pipe. Wall time is measured around
the process, CPU time (user + system) from the child's resource usage. Prints medians of --runs runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(argv: list[str], env: dict) -> tuple[float, float, bytes]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--lessons", default="6,9")
    ap.add_argument("--baseline", help="a copy of the code before the cache, run with PYTHONPATH")
    args = ap.parse_args()
    lessons = [n.strip() for n in args.lessons.split(",") if n.strip()]
    base_env = {k: v for k, v in os.environ.items() if k not in ("RNN_TUTOR_NO_CACHE", "PYTHONPATH")}
    work = tempfile.mkdtemp(prefix="bench-learn-cache-")
    warm_home = os.path.join(work, "warm")
    cases: list[tuple[str, str]] = []
    for n in lessons:
        cases += [(n, "cold"), (n, "warm"), (n, "no-cache")] + ([(n, "baseline")] if args.baseline else [])
    times: dict[tuple[str, str], list[tuple[float, float]]] = {c: [] for c in cases}
    outputs: dict[tuple[str, str], set[bytes]] = {c: set() for c in cases}
    try:
        for n in lessons:  # the warm cache, and byte code written once
            run([sys.executable, "-m", "rnn_tutor", "learn", n, "-f", "json"], {**base_env, "RNN_TUTOR_HOME": warm_home})
        for i in range(args.runs):
            for n, case in cases:
                env = dict(base_env)
                argv = [sys.executable, "-m", "rnn_tutor", "learn", n, "-f", "json"]
                if case == "cold":
                    env["RNN_TUTOR_HOME"] = tempfile.mkdtemp(dir=work)
                elif case == "warm":
                    env["RNN_TUTOR_HOME"] = warm_home
                else:
                    env["RNN_TUTOR_HOME"] = tempfile.mkdtemp(dir=work)
                    if case == "no-cache":
                        argv.append("--no-cache")
                    else:
                        env["PYTHONPATH"] = os.path.abspath(args.baseline)
                wall, cpu, out = run(argv, env)
                times[(n, case)].append((wall, cpu))
                outputs[(n, case)].add(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, load {os.getloadavg()[0]:.1f}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"{'lesson':>6}  {'case':<9} {'wall s':>7} {'cpu s':>7}  same output as cold")
    for n, case in cases:
        wall = statistics.median(t[0] for t in times[(n, case)])
        cpu = statistics.median(t[1] for t in times[(n, case)])
        same = outputs[(n, case)] == outputs[(n, "cold")] and len(outputs[(n, case)]) == 1
        print(f"{n:>6}  {case:<9} {wall:7.2f} {cpu:7.2f}  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
