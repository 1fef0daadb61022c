"""Forward + BPTT of the numpy cells (``rnn_tutor.core.cells``) against PyTorch, one thread, side by side.

    OMP_NUM_THREADS=1 python benchmarks/bench_cells_vs_torch.py [--repeats 5] [--dtype float32|float64]

Batch 32, input 8; H and T as listed. One call = forward over the whole sequence plus backward to every
parameter and the input, with a gradient on every h_t. Prints the median calls/s of each and ours / torch.
torch==2.13.0 is needed for this script only; it is not a dependency of rnn-tutor.
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
    import torch  # noqa: E402
except ImportError:  # pragma: no cover
    raise SystemExit("this benchmark needs torch: pip install torch==2.13.0 (benchmark only)") from None

from rnn_tutor.core import cells  # noqa: E402

B, D = 32, 8
TORCH = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def rate(fn, repeats: int, seconds: float = 0.3) -> float:
    fn()
    t0 = time.perf_counter()
    fn()
    n = max(1, int(seconds / max(time.perf_counter() - t0, 1e-6)))
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = ap.parse_args()
    torch.set_num_threads(1)
    dtype = np.dtype(args.dtype)
    print(f"numpy {np.__version__}, torch {torch.__version__}, {dtype}, 1 thread, batch {B}, input {D}")
    print(f"{'cell':>5} {'H':>4} {'T':>4} {'ours calls/s':>13} {'torch calls/s':>14} {'ours/torch':>11}")
    rng = np.random.default_rng(0)
    for cell in cells.CELLS:
        for hsz, steps in ((32, 20), (32, 100), (128, 100)):
            m = TORCH[cell](D, hsz, batch_first=True)
            if dtype == np.float64:
                m = m.double()
            params = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
            x = rng.standard_normal((B, steps, D)).astype(dtype)
            dh = rng.standard_normal((B, steps, hsz)).astype(dtype)
            xt, dht = torch.from_numpy(x), torch.from_numpy(dh)

            def ours():
                cells.backward(cell, params, cells.forward(cell, params, x), dh=dh)

            def theirs():
                m.zero_grad(set_to_none=True)
                out, _ = m(xt.clone().requires_grad_(True))
                out.backward(dht)

            a, b = rate(ours, args.repeats), rate(theirs, args.repeats)
            print(f"{cell:>5} {hsz:>4} {steps:>4} {a:>13.1f} {b:>14.1f} {a / b:>10.2f}x", flush=True)


if __name__ == "__main__":
    main()
