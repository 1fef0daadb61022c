"""Throughput of our LSTM (forward + BPTT) against PyTorch nn.LSTM, float32, one thread, side by side.

    OMP_NUM_THREADS=1 python benchmarks/bench_lstm_vs_torch.py [--repeats 7] [--seconds 0.5]

Setup: batch 32, input 8, H in {16, 32, 64}, T in {20, 100}. One "step" = forward over the whole sequence plus
backward to every parameter gradient (and the input), with a loss on every h_t. torch==2.13.0 is needed for this
script only (it is not a dependency of rnn-tutor). Prints median steps/s of each and the ratio ours / torch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark needs torch: pip install torch==2.13.0 (benchmark only)") from None
from threadpoolctl import threadpool_limits  # noqa: E402

from rnn_tutor.core import fastlstm  # noqa: E402

B, D = 32, 8


def rate(fn, seconds: float, repeats: int) -> float:
    """Median over `repeats` runs of (calls per second), each run lasting about `seconds`."""
    fn()  # warm up
    t0 = time.perf_counter()
    fn()
    per = max(time.perf_counter() - t0, 1e-6)
    n = max(1, int(seconds / per))
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=0.5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__}, float32, 1 thread, batch {B}, input {D}")
    print(f"{'H':>4} {'T':>5} {'ours steps/s':>13} {'torch steps/s':>14} {'ours/torch':>11}")
    rng = np.random.default_rng(0)
    with threadpool_limits(limits=1):
        for H in (16, 32, 64):
            for T in (20, 100):
                lstm = torch.nn.LSTM(D, H, batch_first=True)
                params = {k: v.detach().numpy().copy() for k, v in lstm.state_dict().items()}
                x = rng.standard_normal((B, T, D)).astype(np.float32)
                dh = rng.standard_normal((B, T, H)).astype(np.float32)
                xt = torch.from_numpy(x)
                dht = torch.from_numpy(dh)

                ws = fastlstm.Workspace()  # buffers reused between batches, as the training loop does

                def ours():
                    f = fastlstm.forward(params, x, ws=ws)
                    fastlstm.backward(params, f, dh=dh)

                def theirs():
                    lstm.zero_grad(set_to_none=True)
                    xr = xt.clone().requires_grad_(True)
                    out, _ = lstm(xr)
                    out.backward(dht)

                r_ours = rate(ours, args.seconds, args.repeats)
                r_torch = rate(theirs, args.seconds, args.repeats)
                print(f"{H:>4} {T:>5} {r_ours:>13.1f} {r_torch:>14.1f} {r_ours / r_torch:>10.2f}x", flush=True)


if __name__ == "__main__":
    main()
