"""Speed of `rnn-tutor decay`'s core, next to a naive baseline run side by side.

The baseline forms each product J_T ... J_{T-k+1} directly and takes np.linalg.norm(P, 2) per step (one SVD per
k, no rescaling, so it overflows where the core does not). The core rescales each step and does one batched SVD.
"core" is the whole calculator (radius, trajectory, horizon search, clipping); "products only" is the part that
does the same work as the baseline.

    python benchmarks/bench_decay.py            # prints medians (ms) and the ratio baseline / core
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from rnn_tutor.core import decay as D
from rnn_tutor.core import jacobians


def naive(w: np.ndarray, hs, steps: int) -> np.ndarray:
    js = jacobians.step_jacobians(w, hs, steps)
    p = np.eye(w.shape[0])
    out = np.empty(steps)
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            p = p @ js[steps - k]
            out[k - 1] = np.linalg.norm(p, 2)
    return out


def median_ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    cases = [
        ("scalar w=0.9 T=1000 linear", dict(weight=0.9, steps=1000), None),
        ("scalar w=1.3 T=1000 tanh + clip", dict(weight=1.3, steps=1000, activation="tanh", clip=1.0), None),
        ("matrix N=8 T=200 linear", dict(size=8, radius=0.9, steps=200), (8, 200, False)),
        ("matrix N=64 T=1000 linear", dict(size=64, radius=1.1, steps=1000), (64, 1000, False)),
        ("matrix N=64 T=1000 tanh + clip", dict(size=64, radius=1.1, steps=1000, activation="tanh", clip=1.0),
         (64, 1000, True)),
        ("lstm --forget-bias 1 T=1000", dict(steps=1000, cell="lstm", forget_bias=1.0), None),
    ]
    print(f"{'case':38} {'core ms':>9} {'naive ms':>9} {'ratio':>7}")
    for name, kwargs, base in cases:
        core = median_ms(lambda: D.compute_decay(**kwargs))
        if base is None:
            print(f"{name:38} {core:9.2f} {'-':>9} {'-':>7}")
            continue
        n, steps, tanh = base
        w = np.array(D.compute_decay(**{**kwargs, "steps": 1, "clip": None, "activation": "linear"}).matrix)
        hs = None
        if tanh:
            x = np.random.default_rng([0, 1]).standard_normal((steps, n))
            hs = jacobians.tanh_trajectory(w, x)
        nv = median_ms(lambda: naive(w, hs, steps))
        print(f"{name:38} {core:9.2f} {nv:9.2f} {nv / core:7.2f}")
        prod = median_ms(lambda: jacobians._log_products(w, hs, steps))
        print(f"{'  products only':38} {prod:9.2f} {nv:9.2f} {nv / prod:7.2f}")


if __name__ == "__main__":
    main()
