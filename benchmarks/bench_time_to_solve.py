"""Time to solve: an LSTM on the adding task at T = 100 until >= 99% of held-out sequences are solved.

    python benchmarks/bench_time_to_solve.py [--seeds 0 1 2 3 4] [--dtype float32 float64] [--budget 2000]

One BLAS thread. For each seed it trains `rnn-tutor train --cell lstm --task adding --length 100` (hidden 16,
batch 32, Adam lr 0.01, clip 1, chrono gate init, evaluation on 512 held-out sequences every 25 steps) and
prints the steps, training sequences and wall-clock seconds (evaluations included) it needed, then the medians.
Hochreiter & Schmidhuber (1997, experiment 4, T = 100) report 74,000 training sequences on average; the target
here is >= 99% within 10 s on one core. A vanilla RNN with the same budget and seed is run alongside: it should
stay near the 15% a constant guess gets.
"""

from __future__ import annotations

import argparse
import os
import statistics

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from rnn_tutor.core.train import SOLVED, TrainConfig, train  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    ap.add_argument("--budget", type=int, default=2000, help="at most this many steps per run")
    ap.add_argument("--no-rnn", action="store_true", help="skip the vanilla RNN baseline runs")
    args = ap.parse_args()
    base = dict(task="adding", length=100, hidden=16, batch=32, lr=0.01, clip=1.0, eval_every=25,
                eval_size=512, steps=args.budget, stop_at=SOLVED)
    print(f"adding, T = 100, hidden 16, batch 32, budget {args.budget} steps, one thread")
    print(f"{'cell':5} {'dtype':8} {'seed':>4} {'steps':>6} {'sequences':>10} {'seconds':>8} {'accuracy':>9}")
    for dtype in args.dtype:
        secs, seqs = [], []
        for seed in args.seeds:
            r = train(TrainConfig(cell="lstm", seed=seed, dtype=dtype, **base))
            s = r.solved_sequences
            print(f"{'lstm':5} {dtype:8} {seed:>4} {r.final.step:>6} {s if s is not None else '-':>10} "
                  f"{r.seconds:>8.2f} {r.accuracy:>8.1%}", flush=True)
            if s is not None:
                secs.append(r.seconds)
                seqs.append(s)
        solved = f"{len(secs)}/{len(args.seeds)} solved"
        if secs:
            print(f"lstm {dtype}: {solved}; median {statistics.median(seqs):,.0f} sequences, "
                  f"{statistics.median(secs):.2f} s (max {max(secs):.2f} s)")
        else:
            print(f"lstm {dtype}: {solved}")
    if not args.no_rnn:
        for seed in args.seeds[:2]:
            r = train(TrainConfig(cell="rnn", seed=seed, **base))
            print(f"{'rnn':5} {'float64':8} {seed:>4} {r.final.step:>6} {'-' if r.solved_step is None else r.solved_sequences:>10} "
                  f"{r.seconds:>8.2f} {r.accuracy:>8.1%}   (constant guess: {r.baseline_accuracy:.1%})", flush=True)


if __name__ == "__main__":
    main()
