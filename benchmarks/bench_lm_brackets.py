"""The language model's quality bar on the generated brackets corpus, with the defaults, on one core.

    python benchmarks/bench_lm_brackets.py [--cells lstm gru rnn] [--steps 4000] [--budget 60] [--seed 0]

For each cell it trains `rnn-tutor train --task text --text brackets --steps 4000` with the defaults (the brackets
size: one layer of 64 units, chunks of 100, batch 32, Adam lr 0.01, clip 1, float32, PyTorch's gate init; one BLAS
thread; the held-out bpc every 200 steps), and prints the CPU and wall time it took (training and evaluation), or
stops at `--budget` seconds of CPU if that comes first. A fixed number of steps gives the same model on every run
and machine (the same seed, the same numbers), so the figures below can be checked; the CPU time says whether it
fits the 60 s. It prints:

- the held-out bpc against CPU and wall time, beside the best n-gram's (orders 1-8, interpolated Kneser-Ney)
  scored on the same held-out tracks, and when the model first went below it;
- how many of the first 100 lines of a sample (`rnn-tutor sample` with its defaults: temperature 1, starting as
  after a newline) have balanced brackets, for five sample seeds;
- `inspect --find`'s best bracket-depth unit and its r, on 20,000 characters of fresh brackets text;
- at closing brackets with 3 or more brackets open in the held-out text, how often the right closer got more
  probability than the wrong one, for the model and the best n-gram.

The bar (issue 13): the LSTM below the best n-gram within 60 s, >= 90% of lines balanced, a depth unit with
|r| >= 0.8. CPU time is reported beside wall time: the development machine is shared. `--steps 0` trains until
the budget instead.
"""

from __future__ import annotations

import argparse
import os
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

from rnn_tutor.core import lm, units  # noqa: E402
from rnn_tutor.core.train import TrainConfig, Trainer  # noqa: E402


def sampled_lines(model, n=100, seed=0, max_chars=20_000) -> list[str]:
    """The first ``n`` lines of one sample (what `rnn-tutor sample MODEL` writes with its defaults: temperature 1,
    starting as after a newline)."""
    text = []
    lines = 0
    for chars in lm.sample(model, max_chars, temperature=1.0, seed=seed):
        text.append(chars[0].char)
        lines += chars[0].char == "\n"
        if lines == n:
            break
    return "".join(text).split("\n")[:n]


def run(cell: str, steps: int, budget: float, seed: int, layers: int | None) -> None:
    steps = steps or 10**7
    extra = {} if layers is None else {"layers": layers}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    trainer = Trainer(TrainConfig(cell=cell, task="text", text="brackets", steps=steps, seed=seed,
                                  **extra))
    ng = trainer.text.ngram()
    prep_cpu = time.process_time() - cpu0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    crossed = None
    print(f"\n{cell}: {lm.num_layers(trainer.model)} layer(s) of {trainer.config.hidden}; best n-gram "
          f"{ng.best_bpc:.4f} bpc (order {ng.best_order}); uniform {ng.uniform_bpc:.4f}; data + n-gram "
          f"{prep_cpu:.1f} s CPU")
    print(f"{'step':>6} {'cpu s':>7} {'wall s':>7} {'bpc':>7}")
    last = None
    for rec in trainer.run():
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        bpc = rec.loss / lm.LN2
        last = (rec.step, cpu, wall, bpc)
        if rec.step % 1000 == 0:
            print(f"{rec.step:>6} {cpu:>7.1f} {wall:>7.1f} {bpc:>7.4f}", flush=True)
        if crossed is None and bpc < ng.best_bpc:
            crossed = last
        if cpu >= budget and step < steps:
            break
    step, cpu, wall, bpc = last
    print(f"{step:>6} {cpu:>7.1f} {wall:>7.1f} {bpc:>7.4f}  (the end: " +
          (f"{steps:,} steps in {cpu:.1f} s of CPU)" if step == steps else f"the {budget:g} s budget)"))
    if crossed:
        print(f"below the n-gram from step {crossed[0]:,}: {crossed[1]:.1f} s CPU, {crossed[2]:.1f} s wall "
              f"({crossed[3]:.4f} < {ng.best_bpc:.4f})")
    else:
        print(f"NOT below the n-gram within {budget:.0f} s CPU ({bpc:.4f} vs {ng.best_bpc:.4f})")
    model = trainer.model
    counts = []
    for k in range(5):  # five samples (seeds seed .. seed + 4) of 100 lines each
        lines = sampled_lines(model, 100, seed + k)
        counts.append(sum(lm.balanced(line) for line in lines))
    print(f"balanced lines of 100, samples with seeds {seed}..{seed + 4}: {counts} (e.g. {lines[0][:60]!r})")
    from rnn_tutor.core import corpus

    text = corpus.brackets_text(20_000, seed=seed + 1_000_003)
    ranked = units.find(units.read(model, text), top=1)
    depth = next(f for f in ranked if f.feature == "bracket depth").units[0]
    print(f"inspect --find: bracket depth -> {depth.unit} r = {depth.r:+.3f}")
    bm = lm.bracket_memory(model, trainer.text)
    print(f"right closer at depth >= 3: model {bm.model_share:.1%}, {bm.ngram_order}-gram {bm.ngram_share:.1%} "
          f"of {bm.closers:,}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"])
    ap.add_argument("--steps", type=int, default=4000, help="training steps per cell")
    ap.add_argument("--budget", type=float, default=60.0, help="at most this many CPU seconds per cell")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=None)
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        for cell in args.cells:
            run(cell, args.steps, args.budget, args.seed, args.layers)


if __name__ == "__main__":
    main()
