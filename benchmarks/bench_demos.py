"""Speed of the demos and lessons, each against a baseline run side by side.

    python benchmarks/bench_demos.py [--runs 5]

1. bottleneck: the demo decodes with the pseudo-inverse of the encoder matrix (one SVD per length). The
   baseline is what a learner would write first: run the RNN on training sequences and fit the decoder by
   least squares on the samples (for the all-states decoder that is N x (T*d) features). Same answer, see
   tests/core/test_demos.py; this measures the price.
2. learn: rendering every lesson (placeholders computed by the calculators) in-process.
3. start-up: `rnn-tutor learn`, `rnn-tutor learn hand-trace`, `rnn-tutor cost` against `python -c pass`.

Prints medians and ratios. Rounds interleave the cases so a busy moment on a shared machine hits all alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np


def naive_bottleneck(d: int, T: int, weight: float, n: int, seed: int = 0) -> tuple[float, float]:
    """Baseline: encode samples step by step, fit both decoders with lstsq on n training sequences."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    W, U = weight * Q, rng.normal(size=d)

    def states(X):
        h = np.zeros((X.shape[0], d))
        out = []
        for t in range(X.shape[1]):
            h = h @ W.T + np.outer(X[:, t], U)  # h_t = W h_{t-1} + U x_t
            out.append(h)
        return np.stack(out, axis=1)  # (N, T, d)

    X_train, X_test = rng.normal(size=(n, T)), rng.normal(size=(n, T))
    S_train, S_test = states(X_train), states(X_test)
    D, *_ = np.linalg.lstsq(S_train[:, -1], X_train, rcond=None)
    ctx = 1 - ((X_test - S_test[:, -1] @ D) ** 2).sum() / (X_test**2).sum()
    A_train, A_test = S_train.reshape(n, -1), S_test.reshape(n, -1)
    D_all, *_ = np.linalg.lstsq(A_train, X_train, rcond=None)
    allst = 1 - ((X_test - A_test @ D_all) ** 2).sum() / (X_test**2).sum()
    return float(ctx), float(allst)


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from rnn_tutor.core import lessons
    from rnn_tutor.core.demos import bottleneck_demo

    print("1. bottleneck: one length T, state size d, 2000 samples (median seconds)")
    print(f"{'d':>4} {'T':>4} {'demo (pinv)':>12} {'naive lstsq':>12} {'naive/demo':>11}  recovered demo vs naive")
    for d, T in ((4, 32), (16, 64), (32, 128)):
        demo_t, naive_t = [], []
        for _ in range(args.runs):  # interleaved
            demo_t += timed(lambda: bottleneck_demo(size=d, max_length=T, samples=2000), 1)
            naive_t += timed(lambda: naive_bottleneck(d, T, 0.9, 2000), 1)
        demo = bottleneck_demo(size=d, max_length=T, samples=2000).rows[-1]
        ctx, _ = naive_bottleneck(d, T, 0.9, 2000)
        md, mn = statistics.median(demo_t), statistics.median(naive_t)
        print(f"{d:4} {T:4} {md:12.4f} {mn:12.4f} {mn / md:11.2f}  {demo.context_measured:.4f} vs {ctx:.4f}"
              "  (demo measures every length up to T; naive only T)")
    print(f"max allowed (d=128, T=256): {statistics.median(timed(lambda: bottleneck_demo(128, 256), 1)):.2f} s")

    print("\n2. learn: render every lesson in-process (median ms, cold caches each run)")
    def render_all():
        for fn in (lessons._order, lessons._hand, lessons._first_influence, lessons._params, lessons._cost,
                   lessons._bottleneck):
            fn.cache_clear()
        for lesson in lessons.all_lessons():
            lessons.render(lesson)
    t = timed(render_all, args.runs)
    print(f"all {len(lessons.all_lessons())} lessons: {statistics.median(t) * 1000:.1f} ms")

    exe = shutil.which("rnn-tutor")
    if exe is None:
        print("rnn-tutor is not installed (pip install -e .); skipping start-up", file=sys.stderr)
        return 0
    env = dict(os.environ, COLUMNS="80")
    cases = [("python -c pass", [sys.executable, "-c", "pass"]), ("rnn-tutor learn", [exe, "learn"]),
             ("rnn-tutor learn hand-trace", [exe, "learn", "hand-trace"]),
             ("rnn-tutor learn limits", [exe, "learn", "limits"]), ("rnn-tutor cost", [exe, "cost"]),
             ("rnn-tutor order -f json", [exe, "order", "-f", "json"])]
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(args.runs + 1):
        for name, cmd in cases:
            t0 = time.perf_counter()
            r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t0)
            if r.returncode:
                print(f"{name} failed with exit {r.returncode}", file=sys.stderr)
                return 1
    print("\n3. start-up (median ms, first round dropped as warm-up)")
    base = statistics.median(times["python -c pass"][1:])
    for name, _ in cases:
        med = statistics.median(times[name][1:])
        print(f"{name:30} {med * 1000:8.1f} ms {med / base:7.2f}x python -c pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
