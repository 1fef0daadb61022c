"""``cost --measure``: one recurrent layer's forward pass against one self-attention layer's, timed on this machine.

Vaswani et al. (2017), table 1, gives orders of growth per layer: a recurrent layer does O(n·d²) work in n steps
that must run one after another; self-attention does O(n²·d) work with no chain of steps (every position at
once). With the constants, counted in multiply-adds for one sequence of n positions of width d:

    LSTM layer      8·n·d²             4 gates x (W_ih x_t: d·d  +  W_hh h_(t-1): d·d) per step
    self-attention  4·n·d² + 2·n²·d    Q, K, V and the output projection: 4·n·d²; scores QKᵀ and the weighted
                                       sum AV: n²·d each (plus the softmax over n² scores)

This module runs both, many times, and reports the median time of each at n = 16, 32, ... (powers of two up to
the length asked for, and that length), how the time grows with n (the slope of log time against log n over the
longer half), and where attention starts to take longer. Both layers are numpy in float32 on one sequence:

- the LSTM is ``fastlstm.forward`` (the input projections of all steps are one product; then n steps each do
  W_hh h_(t-1) and the gates, waiting for the step before);
- self-attention is one head, unmasked: softmax(Q Kᵀ / sqrt(d)) V, then the output projection.

Memory: the n x n matrix of scores is the largest buffer, n²·4 bytes, and the softmax works on it in place; with
a second n x n temporary counted, a length is accepted while 2·n²·4 bytes stay within MEMORY_LIMIT (256 MiB),
which allows n up to 5,792 (4,096 takes 128 MiB). The caller chooses the number of BLAS threads (the CLI: 1).
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from rnn_tutor.core.validate import check_int
from rnn_tutor.errors import BadValueError

MEMORY_LIMIT = 256 * 2**20  # bytes for the n x n buffers (two of them, float32)
BYTES = 4  # float32
MAX_LENGTH = math.isqrt(MEMORY_LIMIT // (2 * BYTES))  # 5,792
MAX_HIDDEN = 1024
MAX_REPEATS = 50
POINT_BUDGET = 2.0  # seconds per layer and length: after this, no more repeats (at least one run each)
FIRST_N = 16


def lstm_madds(n: int, d: int) -> int:
    """Multiply-adds of one LSTM layer with input and hidden size d over n steps: 4 gates x 2 d x d products."""
    return 8 * n * d * d


def attention_madds(n: int, d: int) -> int:
    """Multiply-adds of one self-attention head of width d over n positions: projections + two n x n products."""
    return 4 * n * d * d + 2 * n * n * d


@dataclass(frozen=True)
class MeasuredPoint:
    n: int
    recurrent_seconds: float  # median over the runs, on MeasureResult.clock
    attention_seconds: float
    recurrent_runs: int
    attention_runs: int
    recurrent_steps: int  # steps that must run one after another: n
    attention_steps: int  # 1: every position at once
    recurrent_madds: int  # 8·n·d²
    attention_madds: int  # 4·n·d² + 2·n²·d
    ratio: float  # attention / recurrent time
    recurrent_wall_seconds: float = float("nan")  # median wall time (equal to the above when clock == "wall")
    attention_wall_seconds: float = float("nan")


@dataclass(frozen=True)
class Growth:
    layer: str
    table: str  # table 1's order of growth
    table_exponent: int  # the power of n in it
    measured_exponent: float | None  # slope of log(time) against log(n) over the longer half of the lengths
    from_n: int
    to_n: int


@dataclass(frozen=True)
class MeasureResult:
    hidden: int
    lengths: tuple[int, ...]
    repeats: int
    threads: int | None  # BLAS threads the caller allowed (None: not limited)
    dtype: str
    points: tuple[MeasuredPoint, ...]
    growth: tuple[Growth, ...]
    attention_slower_from: int | None  # the shortest measured n at which attention took longer than the LSTM
    seconds: float  # wall time of the whole measurement
    cpu_seconds: float  # process CPU time of the whole measurement
    clock: str = "cpu"  # "cpu": the process's CPU time (one thread); "wall": wall time (several threads)
    memory_limit: int = MEMORY_LIMIT
    max_length: int = MAX_LENGTH


def measure_lengths(length: int) -> list[int]:
    """16, 32, 64, ... up to ``length``, and ``length`` itself (only ``length`` when it is below 16)."""
    out = {length}
    n = FIRST_N
    while n <= length:
        out.add(n)
        n *= 2
    return sorted(out)


def self_attention(X: np.ndarray, Wq, Wk, Wv, Wo) -> np.ndarray:
    """One head over X (n, d): A = softmax(Q Kᵀ / sqrt(d)), out = (A V) W_oᵀ."""
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T  # (n, d) each: 3·n·d²
    S = Q @ K.T  # (n, n) scores: n²·d
    S *= X.dtype.type(1.0 / math.sqrt(X.shape[1]))
    S -= S.max(axis=1, keepdims=True)  # a softmax over each row, in place
    np.exp(S, out=S)
    S /= S.sum(axis=1, keepdims=True)
    return (S @ V) @ Wo.T  # n²·d + n·d²


def _median_time(fn: Callable[[], object], repeats: int, cpu_clock: bool) -> tuple[float, float, int]:
    """(median time, median wall time, runs) of up to ``repeats`` timed runs after one untimed warm-up; stops
    early past POINT_BUDGET seconds of wall time. The time is the process's CPU time when ``cpu_clock`` (one
    thread does all the work, so other programs on the machine hardly disturb it), else the wall time."""
    start = time.perf_counter()
    fn()  # warm-up: first-touch page faults, BLAS buffers
    if time.perf_counter() - start > POINT_BUDGET:
        repeats = 1
    times, walls = [], []
    spent = 0.0
    while len(times) < repeats and (not times or spent < POINT_BUDGET):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        c1, w1 = time.process_time(), time.perf_counter()
        times.append(c1 - c0 if cpu_clock else w1 - w0)
        walls.append(w1 - w0)
        spent += w1 - w0
    return statistics.median(times), statistics.median(walls), len(times)


def _slope(ns: list[int], ts: list[float]) -> float | None:
    """Least-squares slope of log t against log n (None with fewer than two lengths or a zero time)."""
    if len(ns) < 2 or min(ts) <= 0:
        return None
    x = np.log(np.asarray(ns, dtype=float))
    y = np.log(np.asarray(ts, dtype=float))
    x -= x.mean()
    return float((x * (y - y.mean())).sum() / (x * x).sum())


def measure(length: int = 1024, hidden: int = 64, repeats: int = 9, seed: int = 0,
            threads: int | None = None) -> MeasureResult:
    """Time both layers at every length of ``measure_lengths(length)`` and width ``hidden``. ``threads`` is what
    the caller limited BLAS to (1: times are CPU time; otherwise wall time)."""
    from rnn_tutor.core import cells, fastlstm

    length = check_int("--length", length, 1, MAX_LENGTH)
    hidden = check_int("--hidden", hidden, 1, MAX_HIDDEN)
    repeats = check_int("--repeats", repeats, 1, MAX_REPEATS)
    if 2 * length * length * BYTES > MEMORY_LIMIT:  # pragma: no cover (MAX_LENGTH guarantees it)
        raise BadValueError("--length", f"at most {MAX_LENGTH:,} with --measure")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    d = hidden
    rng = np.random.default_rng(seed)
    f32 = np.float32
    lstm = {k: v.astype(f32) for k, v in cells.init_params("lstm", d, d, seed=seed).items()}
    bound = 1.0 / math.sqrt(d)
    Wq, Wk, Wv, Wo = (rng.uniform(-bound, bound, size=(d, d)).astype(f32) for _ in range(4))
    lengths = measure_lengths(length)
    X_all = rng.normal(size=(lengths[-1], d)).astype(f32)  # one sequence; each length uses its first n rows
    cpu_clock = threads == 1
    points = []
    for n in lengths:
        X = X_all[:n]
        ws = fastlstm.Workspace()  # buffers kept between the runs of one length, as training keeps them
        rec, rec_wall, rec_runs = _median_time(lambda: fastlstm.forward(lstm, X[None], ws=ws), repeats, cpu_clock)
        att, att_wall, att_runs = _median_time(lambda: self_attention(X, Wq, Wk, Wv, Wo), repeats, cpu_clock)
        points.append(MeasuredPoint(n, rec, att, rec_runs, att_runs, n, 1, lstm_madds(n, d), attention_madds(n, d),
                                    att / rec if rec > 0 else float("nan"), rec_wall, att_wall))
    upper = [p for p in points if p.n >= math.sqrt(lengths[0] * lengths[-1])] if len(points) > 2 else points
    ns = [p.n for p in upper]
    growth = (
        Growth("recurrent", "n·d²", 1, _slope(ns, [p.recurrent_seconds for p in upper]), ns[0], ns[-1]),
        Growth("self-attention", "n²·d", 2, _slope(ns, [p.attention_seconds for p in upper]), ns[0], ns[-1]),
    )
    slower = next((p.n for p in points if p.attention_seconds > p.recurrent_seconds), None)
    return MeasureResult(d, tuple(lengths), repeats, threads, "float32", tuple(points), growth, slower,
                         time.perf_counter() - wall0, time.process_time() - cpu0, "cpu" if cpu_clock else "wall")
