"""Issue 14's bars, measured as a user runs the commands (each in its own process, CPU time beside wall time):

1. ``compare --task reverse --lengths 2,4,8,16,32 --decoders plain,attention`` (the defaults): the first length
   where the plain decoder gets fewer than half of the held-out outputs right in every symbol, the attention
   decoder's share there (bar: >= 95%), and the time of the whole comparison (bar: 2 minutes on one core);
2. ``train --task reverse --decoder attention`` (the defaults), then the share of output steps whose largest
   attention weight is on the mirrored input position, on 1,000 held-out inputs (bar: >= 95%);
3. ``cost --measure --length 1024 --hidden 64`` (bar: 10 s), median of --repeat runs.

    python benchmarks/bench_attention.py [--repeat 3] [--skip-compare]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_attention.py

The machine this was written on is shared: wall times carry other people's load, CPU times much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run(args: list[str]) -> tuple[str, float, float]:
    """(stdout, wall seconds, CPU seconds of the child) for ``rnn-tutor ARGS``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "rnn_tutor", *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"rnn-tutor {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.stdout, wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="runs of cost --measure (median)")
    ap.add_argument("--skip-compare", action="store_true")
    opts = ap.parse_args()
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")

    if not opts.skip_compare:
        out, wall, cpu = run(["compare", "--task", "reverse", "--lengths", "2,4,8,16,32", "--decoders",
                              "plain,attention", "--format", "json"])
        rows = json.loads(out)
        print("\n1. compare --task reverse --lengths 2,4,8,16,32 --decoders plain,attention")
        for r in rows:
            print(f"   {r['decoder']:9s} {r['score'] or '':8s} T={r['length']:>2}  "
                  f"whole {100 * r['sequence_accuracy']:5.1f}%  symbols {100 * r['accuracy']:5.1f}%  steps {r['steps']:>5}  {r['seconds']:5.1f} s")
        at = rows[0]["first_plain_below_half"]
        plain = next(r for r in rows if r["decoder"] == "plain" and r["length"] == at) if at else None
        att = next(r for r in rows if r["decoder"] == "attention" and r["length"] == at) if at else None
        if at:
            print(f"   first length with plain < 50%: {at} (plain {100 * plain['sequence_accuracy']:.1f}%, "
                  f"attention {100 * att['sequence_accuracy']:.1f}%; bar >= 95%: "
                  f"{'met' if att['sequence_accuracy'] >= 0.95 else 'NOT met'})")
        plain_s = sum(r["seconds"] for r in rows if r["decoder"] == "plain")
        att_s = sum(r["seconds"] for r in rows if r["decoder"] == "attention")
        print(f"   whole run: {wall:.1f} s wall, {cpu:.1f} s CPU (bar: 120 s); training wall time plain "
              f"{plain_s:.1f} s, attention {att_s:.1f} s (ratio {att_s / plain_s:.2f})")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "reverse.npz")
        _, wall, cpu = run(["train", "--task", "reverse", "--decoder", "attention", "--save", path, "--format",
                            "json"])
        import numpy as np

        from rnn_tutor.core import attention
        from rnn_tutor.core.savedmodel import load_model

        model = load_model(path).model
        x = model.task.batch(np.random.default_rng([123, 4]), 1000, 6).x  # neither the training nor eval stream
        share = attention.mirrored_share(model, x)
        print("\n2. train --task reverse --decoder attention (defaults), 1,000 held-out inputs of length 6")
        print(f"   largest weight on the mirrored position: {100 * share:.1f}% of output steps (bar >= 95%: "
              f"{'met' if share >= 0.95 else 'NOT met'}); training {wall:.1f} s wall, {cpu:.1f} s CPU")

    walls, cpus, inside = [], [], []
    for _ in range(opts.repeat):
        out, wall, cpu = run(["cost", "--measure", "--length", "1024", "--hidden", "64", "--format", "json"])
        walls.append(wall)
        cpus.append(cpu)
        inside.append(json.loads(out)["measured"])
    m = inside[len(inside) // 2]
    print(f"\n3. cost --measure --length 1024 --hidden 64, {opts.repeat} runs")
    print(f"   whole command: median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
          "(bar: 10 s)")
    for p in m["points"]:
        print(f"   n={p['n']:>5}  LSTM {1e3 * p['recurrent_seconds']:8.3f} ms  attention "
              f"{1e3 * p['attention_seconds']:8.3f} ms  ratio {p['ratio']:.3g}")
    print("   growth: " + "; ".join(f"{g['layer']} n^{g['measured_exponent']:.2f} (table 1: n^{g['table_exponent']})"
                                    for g in m["growth"]))


if __name__ == "__main__":
    main()
