"""Start-up of every command against `python -c pass`, run side by side.

    python benchmarks/bench_startup.py [--runs 15]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_startup.py   # numpy as on most machines

Each round runs every case once, in turn, so a busy moment on a shared machine hits all of them alike. For each
case it measures the time to the first byte of output (stdout or stderr: what a user waits for), the time to
exit, and the CPU time the process used (user + system, which a loaded machine inflates far less than wall
time). It prints medians, one row per command, and the ratio of the first output to `python -c pass`.
The runs get the environment a user has: PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED are dropped (byte code
is written on the warm-up runs, as an installed package has it).

The bars (issue 12 §4): every command that trains nothing prints its first output within 8x `python -c pass`;
`rnn-tutor --version` within 3x. Commands are discovered from the app; one without a case below runs with no
arguments (a new command shows up in the table either way).
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRAINS = {"train", "compare"}  # they train: listed, but not held to the 8x bar

# command path -> (arguments after rnn-tutor, stdin); "{model}" is a model trained once before the runs.
CASES: dict[str, tuple[list[str], str | None]] = {
    "trace": (["trace"], None),
    "learn": (["learn"], None),
    "order": (["order"], None),
    "cost": (["cost"], None),
    "bottleneck": (["bottleneck"], None),
    "decay": (["decay"], None),
    "params": (["params"], None),
    "gradcheck": (["gradcheck"], None),
    "train": (["train", "--format", "jsonl", "-n", "1"], None),
    "compare": (["compare", "-n", "1"], None),
    "predict": (["predict", "{model}"], None),
    "quiz": (["quiz", "--limit", "1"], "q\n"),
    "quiz list": (["quiz", "list"], None),
    "quiz stats": (["quiz", "stats"], None),
    "quiz reset": (["quiz", "reset", "--yes"], None),
    "quiz import": (["quiz", "import", "{deck}"], None),
    "quiz export": (["quiz", "export"], None),
}
EXTRA = [  # more rows worth seeing: the other paths of the busiest commands
    ("trace --format json", ["trace", "--format", "json"], None, {}),
    ("trace (typer path)", ["trace"], None, {"RNN_TUTOR_NO_FASTPATH": "1"}),
    ("trace --cell lstm", ["trace", "--cell", "lstm"], None, {}),
    ("learn hand-trace", ["learn", "hand-trace"], None, {}),
    ("--help", ["--help"], None, {}),
    ("trace --help", ["trace", "--help"], None, {}),
]


def command_paths() -> list[str]:
    from rnn_tutor.cli.app import command_paths as paths

    return [" ".join(path) for path, _ in paths()]


def run_once(cmd: list[str], env: dict, stdin: str | None) -> tuple[float, float, float, int]:
    """(seconds to the first byte of output, seconds to exit, CPU seconds, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if stdin is not None:
        p.stdin.write(stdin.encode())
        p.stdin.close()
    first = None
    open_fds = [p.stdout.fileno(), p.stderr.fileno()]
    while open_fds:
        ready, _, _ = select.select(open_fds, [], [])
        for fd in ready:
            if not os.read(fd, 65536):
                open_fds.remove(fd)
            elif first is None:
                first = time.perf_counter() - t0
    _, status, usage = os.wait4(p.pid, 0)
    total = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stdout.close()
    p.stderr.close()
    return (first if first is not None else total), total, usage.ru_utime + usage.ru_stime, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    exe = shutil.which("rnn-tutor")
    if exe is None:
        print("rnn-tutor is not installed (pip install -e .)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = dict(os.environ, COLUMNS="80", RNN_TUTOR_HOME=str(work / "home"))
    # As a user runs it: an installed package has its byte code (.pyc), written on the warm-up runs here;
    # with PYTHONDONTWRITEBYTECODE every run would compile rnn_tutor's modules again (~60 ms).
    dropped = [k for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "RNN_TUTOR_NO_FASTPATH") if env.pop(k, None)]
    model = work / "model.npz"
    subprocess.run([exe, "train", "--task", "order", "-n", "1", "--eval-size", "8", "--save", str(model),
                    "--format", "json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    deck = work / "deck.toml"
    deck.write_text('[[card]]\nid = "b-1"\nquestion = "q?"\nanswer = "a"\n')
    files = {"model": str(model), "deck": str(deck)}

    cases = [("python -c pass", [sys.executable, "-c", "pass"], None, env),
             ("--version", [exe, "--version"], None, env)]
    for path in command_paths():
        argv, stdin = CASES.get(path, (path.split(), None))
        cases.append((path, [exe, *(a.format(**files) for a in argv)], stdin, env))
    cases += [(name, [exe, *argv], stdin, {**env, **extra}) for name, argv, stdin, extra in EXTRA]

    results: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name, *_ in cases}
    for _ in range(2):  # warm the file cache
        for name, cmd, stdin, e in cases:
            run_once(cmd, e, stdin)
    for _ in range(args.runs):
        for name, cmd, stdin, e in cases:
            results[name].append(run_once(cmd, e, stdin))

    def med(name: str, i: int) -> float:
        return statistics.median(r[i] for r in results[name])

    base, base_cpu = med("python -c pass", 0), med("python -c pass", 2)
    print(f"{'command':26} {'first out ms':>12} {'x pass':>7} {'exit ms':>8} {'cpu ms':>7} {'x pass':>7}  bar")
    all_met = True
    for name, cmd, *_ in cases:
        codes = {r[3] for r in results[name]}
        first, total, cpu = med(name, 0), med(name, 1), med(name, 2)
        if name == "python -c pass":
            bar = ""
        elif name == "--version":
            bar = "3x: " + ("met" if first <= 3 * base else "NOT met")
        elif name.split()[0] in TRAINS:
            bar = "(trains)"
        else:
            bar = "8x: " + ("met" if first <= 8 * base else "NOT met")
        all_met &= "NOT" not in bar
        note = "" if codes <= {0} else f"  exit {sorted(codes)}"
        print(f"{name:26} {first * 1000:12.1f} {first / base:7.2f} {total * 1000:8.1f} {cpu * 1000:7.1f} "
              f"{cpu / base_cpu:7.2f}  {bar}{note}")
    blas = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    print(f"\nbars: {'all met' if all_met else 'NOT all met'}  (runs={args.runs}, medians of interleaved runs, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
          f"OpenBLAS env {blas or 'unset'}; dropped from the runs' environment: {', '.join(dropped) or 'nothing'})")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
