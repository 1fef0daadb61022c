"""Throughput of our LSTM (forward + BPTT) against PyTorch nn.LSTM, float32, one thread, side by side.

    python benchmarks/bench_lstm_vs_torch.py [--repeats 15] [--seconds 0.15] [--baseline OLD_fastlstm.py]

Setup: batch 32, input 8, H in {16, 32, 64}, T in {20, 100}. One "step" = forward over the whole sequence plus
backward to every parameter gradient and the input (torch computes the same: x requires grad), with a loss
gradient on every h_t. torch==2.13.0 is needed for this script only (it is not a dependency of rnn-tutor).

Fairness: both sides run in this one process on one thread (OpenBLAS and torch's OpenMP pool limited to one
thread with threadpoolctl, torch.set_num_threads(1); the header prints what threadpoolctl sees), and each is
warmed up for one run's length first. The runs are interleaved in rounds (ours, torch, [baseline], ours, ...)
so that load from other processes hits both sides alike. Steps/s figures are medians over the rounds; each
ratio is the median over the rounds of the two sides' ratio within a round (a slow round counts against both).
Memory: glibc's malloc adapts its mmap threshold to the process's history, and with the default (dynamic)
setting torch's per-call tensors in this process were mmapped and page-faulted again on every call, which made
torch 10-40% slower here than in a process of its own, and made the ratio flatter us. The script fixes the
thresholds first (mallopt; the same as MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_), which gives torch the
speed it has alone; ``--dynamic-malloc`` keeps glibc's default, to see the difference.
``--baseline FILE`` also times another version of fastlstm.py (say
``git show <commit>:rnn_tutor/core/fastlstm.py > /tmp/old.py``) in the same rounds and prints ours / baseline.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import importlib.util
import os
import statistics
import sys
import time

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def fix_malloc() -> str:
    """Fixed glibc malloc thresholds (see the module docstring); says what it did."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, 64 << 20)
    except (OSError, AttributeError):
        ok = 0
    return "malloc thresholds fixed (mmap 32 MB, trim 64 MB)" if ok else "malloc thresholds left as they are (no glibc)"

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark needs torch: pip install torch==2.13.0 (benchmark only)") from None
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from rnn_tutor.core import fastlstm  # noqa: E402

B, D = 32, 8


def load_module(path: str):
    spec = importlib.util.spec_from_file_location("fastlstm_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up
    spec.loader.exec_module(mod)
    return mod


def rates(fns: dict, seconds: float, repeats: int) -> dict[str, list[float]]:
    """Calls per second of each function in each of `repeats` rounds; a round runs every function once."""
    counts = {}
    for name, fn in fns.items():
        fn()  # size the workspaces
        t0 = time.perf_counter()
        fn()
        counts[name] = max(1, int(seconds / max(time.perf_counter() - t0, 1e-6)))
        for _ in range(counts[name]):  # warm up for one run's length (torch's first runs are much slower)
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            n = counts[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append(n / (time.perf_counter() - t0))
    return samples


def ratio(a: list[float], b: list[float]) -> float:
    """Median over the rounds of a / b: the two ran back to back, so load from other processes mostly cancels."""
    return statistics.median(x / y for x, y in zip(a, b))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=0.15, help="length of one timed run")
    ap.add_argument("--baseline", help="another fastlstm.py to time side by side")
    ap.add_argument("--dynamic-malloc", action="store_true", help="keep glibc's dynamic malloc thresholds")
    args = ap.parse_args()
    malloc = "malloc thresholds dynamic (glibc default)" if args.dynamic_malloc else fix_malloc()
    base = load_module(args.baseline) if args.baseline else None
    torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__}, float32, batch {B}, input {D}, "
          f"medians of {args.repeats} interleaved rounds of ~{args.seconds} s runs; {malloc}")
    rng = np.random.default_rng(0)
    with threadpool_limits(limits=1):
        pools = ", ".join(f"{p['internal_api']} {p.get('version') or ''} threads={p['num_threads']}".replace("  ", " ")
                          for p in threadpool_info())
        print(f"thread pools: {pools}; torch threads={torch.get_num_threads()}")
        head = f"{'H':>4} {'T':>5} {'ours steps/s':>13} {'torch steps/s':>14} {'ours/torch':>11}"
        if base:
            head += f" {'baseline steps/s':>17} {'baseline/torch':>15} {'ours/baseline':>14}"
        print(head)
        for H in (16, 32, 64):
            for T in (20, 100):
                lstm = torch.nn.LSTM(D, H, batch_first=True)
                params = {k: v.detach().numpy().copy() for k, v in lstm.state_dict().items()}
                x = rng.standard_normal((B, T, D)).astype(np.float32)
                dh = rng.standard_normal((B, T, H)).astype(np.float32)
                xt = torch.from_numpy(x)
                dht = torch.from_numpy(dh)

                def make(mod):
                    ws = mod.Workspace()  # buffers reused between batches, as the training loop does

                    def run():
                        f = mod.forward(params, x, ws=ws)
                        mod.backward(params, f, dh=dh)  # need_x=True: the input gradient too, as torch does

                    return run

                def theirs():
                    lstm.zero_grad(set_to_none=True)
                    xr = xt.clone().requires_grad_(True)
                    out, _ = lstm(xr)
                    out.backward(dht)

                fns = {"ours": make(fastlstm), "torch": theirs}
                if base:
                    fns["base"] = make(base)
                s = rates(fns, args.seconds, args.repeats)
                r = {name: statistics.median(v) for name, v in s.items()}
                line = f"{H:>4} {T:>5} {r['ours']:>13.1f} {r['torch']:>14.1f} {ratio(s['ours'], s['torch']):>10.2f}x"
                if base:
                    line += (f" {r['base']:>17.1f} {ratio(s['base'], s['torch']):>14.2f}x"
                             f" {ratio(s['ours'], s['base']):>13.2f}x")
                print(line, flush=True)


if __name__ == "__main__":
    main()
