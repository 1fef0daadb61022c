"""One training step of the character language model against PyTorch, float32, one thread, side by side.

    python benchmarks/bench_lm_vs_torch.py [--hidden 128] [--layers 2] [--vocab 64 100] [--repeats 11]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_lm_vs_torch.py     # what users run

A step is what training does for one chunk of text: the stacked LSTM forward over T characters of B tracks
(one-hot inputs of size V, the state carried in from the previous chunk), a linear readout to V logits at every
step, the mean cross-entropy, and BPTT back to every weight's gradient (the gradient stops at the chunk's start).
No optimizer update on either side.

- ours: rnn_tutor.core.lm.loss_and_grads when that module is installed (the real training step), else the same
  calls it makes (heads._forward, heads.linear, heads.cross_entropy, heads.linear_backward, heads._backward),
  with the workspace kept from one step to the next as the training loop keeps it;
- torch: nn.LSTM(V, H, num_layers=L, batch_first=True), nn.Linear(H, V), F.cross_entropy, loss.backward(),
  h_n and c_n detached and carried; the same weights and the same data.

Fairness as in bench_lstm_vs_torch.py (whose helpers this script uses): one thread each, warm-up, interleaved
rounds, the ratio is the median of the per-round ratios, glibc's malloc thresholds fixed first. The header says
what OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are in this process: run the script as it is and under ``env -u`` (the
second line above) and report both; ``--both`` does the second run itself in a child process.
``--cpu`` also prints each side's CPU time per step (thread time, so load from other processes counts less) and
how much of ours is spent inside matrix products (np.dot, np.matmul, and the head's heads.linear and
linear_backward, which are products but for a bias add, a sum and a copy): the floor that no rearranging of the
elementwise work can go below.
``--baseline FILE`` also times another version of fastlstm.py (say ``git show <commit>:rnn_tutor/core/fastlstm.py
> /tmp/old.py``) in the same rounds, through the same heads calls, and prints ours / baseline.
torch==2.13.0 is needed for this script only (it is not a dependency of rnn-tutor).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time

from bench_lstm_vs_torch import fix_malloc, load_module, rates, ratio  # noqa: E402  (one thread per pool)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnn_tutor.core import heads  # noqa: E402

try:  # the language model's own training step, once it is installed
    from rnn_tutor.core import lm
except ImportError:  # pragma: no cover
    lm = None

BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def on_module(mod, step):
    """``step`` with heads running its LSTMs on ``mod`` (another fastlstm.py) instead of rnn_tutor's."""
    def run():
        saved, heads.fastlstm = heads.fastlstm, mod
        try:
            step()
        finally:
            heads.fastlstm = saved

    return run


def our_step_fn(model, x, y):
    """The training step on our side: lm.loss_and_grads, or the heads calls it is made of."""
    if lm is not None and hasattr(lm, "loss_and_grads"):
        state: dict = {}

        def step():
            lm.loss_and_grads(model, x, y, state)

        return step, "lm.loss_and_grads"
    L = model.num_layers
    B, T, V = x.shape
    H = model.hidden_size
    carried = {"h": np.zeros((L, B, H), np.float32), "c": np.zeros((L, B, H), np.float32)}
    W, b = model.params["head.weight"], model.params["head.bias"]

    def step():
        fwd = heads._forward(model, x, h0=carried["h"], c0=carried["c"], ws_key="enc")
        h = np.asarray(fwd.h)  # (B, T, H)
        logits = heads.linear(W, b, h)  # (B, T, V)
        _, dlogits = heads.cross_entropy(logits, y)
        _, _, dh = heads.linear_backward(W, h, dlogits)
        carried["h"], carried["c"] = np.array(fwd.h_n), np.array(fwd.c_n)  # the next chunk starts here
        heads._backward(model, fwd, dh=dh)

    return step, "heads calls (lm not installed)"


@contextlib.contextmanager
def counting_products(total: list):
    """np.dot, np.matmul, heads.linear and heads.linear_backward timed (thread CPU time) into total[0]."""
    dot, matmul = np.dot, np.matmul

    def timed(fn):
        def run(*a, **k):
            t = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                total[0] += time.thread_time() - t
        return run

    linear, linear_backward = heads.linear, heads.linear_backward
    np.dot, np.matmul = timed(dot), timed(matmul)
    heads.linear, heads.linear_backward = timed(linear), timed(linear_backward)  # the head's products (h @ W.T ...)
    try:
        yield
    finally:
        np.dot, np.matmul, heads.linear, heads.linear_backward = dot, matmul, linear, linear_backward


def cpu_split(ours, theirs, rounds: int = 30) -> str:
    """Median thread CPU time per step of each side, and of the products inside ours."""
    times: dict[str, list[float]] = {"ours": [], "torch": [], "products": []}
    for _ in range(rounds):
        for name, fn in (("torch", theirs), ("ours", ours)):
            t = time.thread_time()
            fn()
            times[name].append(time.thread_time() - t)
        total = [0.0]
        with counting_products(total):
            ours()
        times["products"].append(total[0])
    m = {k: 1000 * statistics.median(v) for k, v in times.items()}
    return (f"           CPU ms/step: ours {m['ours']:.1f} (of which matrix products {m['products']:.1f}), "
            f"torch {m['torch']:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, nargs="+", default=[128])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--vocab", type=int, nargs="+", default=[64, 100])
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one timed run")
    ap.add_argument("--both", action="store_true", help="then run again with OPENBLAS_CORETYPE/L2_SIZE unset")
    ap.add_argument("--baseline", help="another fastlstm.py to time side by side")
    ap.add_argument("--cpu", action="store_true", help="also CPU time per step, and ours inside matrix products")
    args = ap.parse_args()
    base = load_module(args.baseline) if args.baseline else None
    malloc = fix_malloc()
    torch.set_num_threads(1)
    blas = ", ".join(f"{v}={os.environ.get(v, '(unset)')}" for v in BLAS_VARS)
    L, T, B = args.layers, args.length, args.batch
    rng = np.random.default_rng(0)
    with threadpool_limits(limits=1):
        print(f"numpy {np.__version__}, torch {torch.__version__}, float32, one thread; {blas}; {malloc}")
        print(f"{L}-layer LSTM, T = {T}, B = {B}; medians of {args.repeats} interleaved rounds of ~{args.seconds} s")
        line = f"{'H':>4} {'V':>4} {'ours ms/step':>13} {'torch ms/step':>14} {'ours/torch':>11}"
        line += f" {'baseline ms/step':>17} {'ours/baseline':>14}" if base else ""
        line += "  ours"
        print(line, flush=True)
        for H in args.hidden:
            for V in args.vocab:
                torch.manual_seed(0)
                lstm = torch.nn.LSTM(V, H, num_layers=L, batch_first=True)
                lin = torch.nn.Linear(H, V)
                params = {k: v.detach().numpy().copy() for k, v in lstm.state_dict().items()}
                params["head.weight"] = lin.weight.detach().numpy().copy()
                params["head.bias"] = lin.bias.detach().numpy().copy()
                model = heads.Model("lstm", None, H, params)
                ids = rng.integers(0, V, size=(B, T + 1))
                x = np.eye(V, dtype=np.float32)[ids[:, :-1]]  # (B, T, V) one-hot characters
                y = ids[:, 1:].astype(np.int64)  # (B, T) the next characters
                ours, what = our_step_fn(model, x, y)
                xt, yt = torch.from_numpy(x), torch.from_numpy(y).reshape(-1)
                state = [torch.zeros(L, B, H), torch.zeros(L, B, H)]

                def theirs():
                    lstm.zero_grad(set_to_none=True)
                    lin.zero_grad(set_to_none=True)
                    out, (hn, cn) = lstm(xt, (state[0], state[1]))
                    loss = torch.nn.functional.cross_entropy(lin(out).reshape(-1, V), yt)
                    loss.backward()
                    state[0], state[1] = hn.detach(), cn.detach()

                fns = {"ours": ours, "torch": theirs}
                if base:  # its own model object, so its workspaces are its own
                    fns["base"] = on_module(base, our_step_fn(heads.Model("lstm", None, H, params), x, y)[0])
                s = rates(fns, args.seconds, args.repeats)
                ms = {k: 1000 / statistics.median(v) for k, v in s.items()}
                line = f"{H:>4} {V:>4} {ms['ours']:>13.1f} {ms['torch']:>14.1f} {ratio(s['ours'], s['torch']):>10.2f}x"
                if base:
                    line += f" {ms['base']:>17.1f} {ratio(s['ours'], s['base']):>13.2f}x"
                print(f"{line}  {what}", flush=True)
                if args.cpu:
                    print(cpu_split(ours, theirs), flush=True)
    if args.both and any(v in os.environ for v in BLAS_VARS):
        env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
        print(f"\nagain with {' and '.join(BLAS_VARS)} unset:", flush=True)
        rest = [a for a in sys.argv[1:] if a != "--both"]  # --baseline FILE and --cpu pass on as they are
        subprocess.run([sys.executable, __file__, *rest], env=env, check=True)


if __name__ == "__main__":
    main()
