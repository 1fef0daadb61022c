"""The maths behind three small demos: ``order``, ``cost`` and ``bottleneck``.

- ``order_demo``: two sentences with one shared vocabulary and the same bag of words still end in different
  hidden states, because a recurrence reads the words in order.
- ``cost_demo``: per-layer cost of a recurrent layer against self-attention (Vaswani et al. 2017, table 1) and,
  for streaming, the fixed state of an LSTM against a key-value cache that grows with the length.
- ``bottleneck_demo``: how much of a sequence a linear decoder can recover from a fixed-size context vector
  (at most ``min(1, d/T)`` of the variance: a bound on linear decoding, not on information in general), against a
  decoder that sees every encoder state. Measured, not quoted.

Pure numpy + standard library; results are frozen dataclasses. Bad values raise ``BadValueError`` naming the
option as the user types it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from rnn_tutor.core.lazy import numpy as np  # loaded on first use: `cost` needs none of it

from rnn_tutor.core.validate import check_int, check_number
from rnn_tutor.errors import BadValueError

# ---------------------------------------------------------------------------------------------------------------
# order
# ---------------------------------------------------------------------------------------------------------------

ORDER_DEFAULTS = ("The dog bit the man", "The man bit the dog")
VECTOR_HIDDEN = 4  # hidden size of the small seeded vector RNN shown beside the scalar one


@dataclass(frozen=True)
class OrderStep:
    """One time step of both sentences side by side. Fields of a sentence that has ended are ``None``."""

    t: int
    token_a: str | None
    x_a: float | None
    h_a: float | None  # None also where the state overflowed
    token_b: str | None
    x_b: float | None
    h_b: float | None
    diff: float | None  # h_a - h_b (scalar RNN)
    vector_distance: float | None  # ||h_a - h_b||_2 of the seeded vector RNN


@dataclass(frozen=True)
class OrderResult:
    sentence_a: str
    sentence_b: str
    vocabulary: dict[str, int]  # word -> number, first appearance over both sentences, starting at 1
    ids_a: tuple[int, ...]
    ids_b: tuple[int, ...]
    same_bag: bool  # same multiset of words (so equal counts and equal sums)
    sum_a: int
    sum_b: int
    weight: float
    input_weight: float
    activation: str
    seed: int
    steps: tuple[OrderStep, ...]
    final_a: float | None  # None where the state overflowed (see ``overflow``)
    final_b: float | None
    overflow: bool
    vector_final_a: tuple[float, ...]
    vector_final_b: tuple[float, ...]
    vector_distance: float  # ||h_T(a) - h_T(b)||_2 of the vector RNN
    bag_distance: float  # distance between the two bag-of-words vectors (sums of one-hot rows): 0 when same_bag

    @property
    def same_final(self) -> bool:
        return self.final_a == self.final_b


def _f(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _diff(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return _f(a - b)


def _vector_rnn(ids: list[int], vocab_size: int, seed: int) -> np.ndarray:
    """A small seeded tanh RNN over one-hot words: h_t = tanh(W_ih x_t + W_hh h_{t-1}). Returns (T, H)."""
    rng = np.random.default_rng(seed)
    H = VECTOR_HIDDEN
    W_ih = rng.normal(0.0, 1.0, size=(H, vocab_size))  # (H, V)
    W_hh = rng.normal(0.0, 1.0 / math.sqrt(H), size=(H, H))  # (H, H)
    h = np.zeros(H)  # (H,)
    out = np.zeros((len(ids), H))  # (T, H)
    for t, i in enumerate(ids):
        h = np.tanh(W_ih[:, i - 1] + W_hh @ h)  # h_t = tanh(W_ih x_t + W_hh h_{t-1}), x_t one-hot
        out[t] = h
    return out


def order_demo(
    sentence_a: str,
    sentence_b: str,
    weight: float = 0.5,
    input_weight: float = 0.5,
    activation: str = "linear",
    seed: int = 0,
) -> OrderResult:
    """Run both sentences through the same scalar RNN (and a small seeded vector RNN) and line them up."""
    from rnn_tutor.core import scalar

    words_a = scalar.tokenize(sentence_a)
    words_b = scalar.tokenize(sentence_b)
    if not words_a:
        raise BadValueError("SENTENCE_A", "the first sentence has no words; give at least one word")
    if not words_b:
        raise BadValueError("SENTENCE_B", "the second sentence has no words; give at least one word")
    vocab = scalar.vocabulary(words_a + words_b)  # one shared vocabulary, first appearance, case-insensitive
    ids_a = [vocab[w.casefold()] for w in words_a]
    ids_b = [vocab[w.casefold()] for w in words_b]

    trace_a = scalar.run(ids_a, weight=weight, input_weight=input_weight, activation=activation, tokens=words_a)
    trace_b = scalar.run(ids_b, weight=weight, input_weight=input_weight, activation=activation, tokens=words_b)

    vec_a = _vector_rnn(ids_a, len(vocab), seed)  # (T_a, H)
    vec_b = _vector_rnn(ids_b, len(vocab), seed)  # (T_b, H)

    steps = []
    for t in range(max(len(ids_a), len(ids_b))):
        sa = trace_a.steps[t] if t < len(ids_a) else None
        sb = trace_b.steps[t] if t < len(ids_b) else None
        both = sa is not None and sb is not None
        steps.append(
            OrderStep(
                t=t + 1,
                token_a=sa.token if sa else None,
                x_a=float(sa.x) if sa else None,
                h_a=_f(sa.h) if sa else None,
                token_b=sb.token if sb else None,
                x_b=float(sb.x) if sb else None,
                h_b=_f(sb.h) if sb else None,
                diff=_diff(sa.h, sb.h) if both else None,
                vector_distance=float(np.linalg.norm(vec_a[t] - vec_b[t])) if both else None,
            )
        )

    V = len(vocab)
    bag_a = np.bincount(np.asarray(ids_a) - 1, minlength=V)  # (V,) word counts = sum of one-hot rows
    bag_b = np.bincount(np.asarray(ids_b) - 1, minlength=V)  # (V,)
    return OrderResult(
        sentence_a=sentence_a,
        sentence_b=sentence_b,
        vocabulary=vocab,
        ids_a=tuple(ids_a),
        ids_b=tuple(ids_b),
        same_bag=Counter(ids_a) == Counter(ids_b),
        sum_a=sum(ids_a),
        sum_b=sum(ids_b),
        weight=float(weight),
        input_weight=float(input_weight),
        activation=activation,
        seed=seed,
        steps=tuple(steps),
        final_a=_f(trace_a.final),
        final_b=_f(trace_b.final),
        overflow=trace_a.overflow or trace_b.overflow,
        vector_final_a=tuple(float(v) for v in vec_a[-1]),
        vector_final_b=tuple(float(v) for v in vec_b[-1]),
        vector_distance=float(np.linalg.norm(vec_a[-1] - vec_b[-1])),
        bag_distance=float(np.linalg.norm(bag_a - bag_b)),
    )


# ---------------------------------------------------------------------------------------------------------------
# cost
# ---------------------------------------------------------------------------------------------------------------

COST_MAX = 10**7  # largest --length / --hidden accepted (keeps every count an exact integer in JSON)


@dataclass(frozen=True)
class LayerCost:
    """One row of Vaswani et al. 2017, table 1, evaluated at n = length and d = hidden (constants dropped)."""

    layer: str
    complexity: str  # the order of growth as printed in the paper
    operations: int  # leading term of the per-layer work at this n and d
    sequential: str
    sequential_ops: int
    path: str
    path_length: int


@dataclass(frozen=True)
class StreamPoint:
    """Memory held while streaming, after ``tokens`` tokens, in numbers and bytes (per the whole stack)."""

    tokens: int
    lstm_numbers: int  # h and c: 2 * d per layer, whatever the length
    kv_numbers: int  # one key and one value of size d per token per layer: 2 * n * d
    lstm_bytes: int
    kv_bytes: int


@dataclass(frozen=True)
class CostResult:
    length: int
    hidden: int
    layers: int
    bytes_per_number: int
    layers_cost: tuple[LayerCost, ...]
    ops_ratio: float  # recurrent / self-attention operations = d / n
    cheaper: str  # which layer needs fewer operations at this n and d ("equal" when n == d)
    stream: tuple[StreamPoint, ...]  # powers of two up to the length, and the length itself
    kv_over_lstm: float  # the cache at the full length, in units of the LSTM state


def cost_demo(length: int = 512, hidden: int = 512, layers: int = 1, bytes_per_number: int = 4) -> CostResult:
    """Evaluate the table-1 costs and the streaming memory at one sequence length and model width."""
    length, hidden, layers = (check_int(option, value, 1, COST_MAX)
                              for option, value in (("--length", length), ("--hidden", hidden), ("--layers", layers)))
    if bytes_per_number not in (1, 2, 4, 8):
        raise BadValueError("--bytes", f"must be 1, 2, 4 or 8 (bytes per number), got {bytes_per_number}")
    n, d = length, hidden
    rows = (
        # Recurrent: each of n steps multiplies a d-vector by a (d, d) matrix -> n * d^2; step t waits for t-1.
        LayerCost("recurrent", "O(n·d²)", n * d * d, "O(n)", n, "O(n)", n),
        # Self-attention: every pair of n positions takes a d-long dot product -> n^2 * d; all pairs at once.
        LayerCost("self-attention", "O(n²·d)", n * n * d, "O(1)", 1, "O(1)", 1),
    )
    cheaper = "equal" if n == d else ("self-attention" if n < d else "recurrent")

    points = sorted({2**k for k in range(n.bit_length())} | {n})  # 1, 2, 4, ... <= n, and n
    stream = tuple(
        StreamPoint(
            tokens=t,
            lstm_numbers=2 * d * layers,  # h_t and c_t, size d each
            kv_numbers=2 * t * d * layers,  # K and V: (t, d) each
            lstm_bytes=2 * d * layers * bytes_per_number,
            kv_bytes=2 * t * d * layers * bytes_per_number,
        )
        for t in points
    )
    return CostResult(
        length=n,
        hidden=d,
        layers=layers,
        bytes_per_number=bytes_per_number,
        layers_cost=rows,
        ops_ratio=d / n,
        cheaper=cheaper,
        stream=stream,
        kv_over_lstm=float(n),
    )


# ---------------------------------------------------------------------------------------------------------------
# bottleneck
# ---------------------------------------------------------------------------------------------------------------

BOTTLENECK_MAX_SIZE = 128
BOTTLENECK_MAX_LENGTH = 256
BOTTLENECK_MAX_SAMPLES = 100_000


@dataclass(frozen=True)
class BottleneckRow:
    """Recovery at one sequence length T. Fractions are 1 - squared error / signal energy, in [0, 1]."""

    length: int
    bound: float  # min(1, d / T): the most of the variance a linear decoder recovers from a size-d context
    context_exact: float  # trace(E⁺E) / T: what the best linear decoder recovers, on average over positions
    context_measured: float  # the same decoder measured on seeded random test sequences
    context_first: float  # recovery of position 1 from the context vector
    context_last: float  # recovery of position T from the context vector
    all_states_measured: float  # a decoder that sees every encoder state h_1..h_T
    all_states_first: float
    all_states_last: float
    context_first_exact: float = float("nan")  # the exact recoveries of positions 1 and T: diag(E⁺E), no sampling
    context_last_exact: float = float("nan")


@dataclass(frozen=True)
class BottleneckResult:
    size: int
    max_length: int
    weight: float
    samples: int
    seed: int
    rows: tuple[BottleneckRow, ...]
    per_position: tuple[float, ...]  # context recovery of each position 1..max_length at T = max_length


def bottleneck_lengths(size: int, max_length: int) -> list[int]:
    """Powers of two up to max_length, plus the size (where the bound starts to bite) and max_length itself."""
    lengths = {2**k for k in range(max_length.bit_length())} | {max_length}  # 2^k <= max_length
    if size <= max_length:
        lengths.add(size)
    return sorted(lengths)


def _encoder(W: np.ndarray, U: np.ndarray, T: int) -> np.ndarray:
    """All states of the linear RNN h_t = W h_{t-1} + U x_t (h_0 = 0) as a matrix of the inputs: (T, d, T).

    states[s] is the (d, T) matrix that maps x_1..x_T to h_{s+1}: column t holds W^(s-t) U for t <= s, else 0.
    """
    d = W.shape[0]
    powers = np.zeros((T, d))  # powers[k] = W^k U, (T, d)
    v = U.copy()
    for k in range(T):
        powers[k] = v
        v = W @ v
    lag = np.arange(T)[:, None] - np.arange(T)[None, :]  # (T, T): s - t
    states = powers[np.clip(lag, 0, None)]  # (T, T, d): h_{s+1} += W^(s-t) U x_{t+1} ...
    states[lag < 0] = 0.0  # ... for t <= s only: later inputs have not arrived
    return states.transpose(0, 2, 1)  # (T states, d, T inputs)


def _measure(P: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-position recovery of the decoder whose output is P x: exact diag(P), and measured on X.

    X: (N, T) test sequences. Measured recovery of position t: 1 - sum_n (x - x̂)_t² / sum_n x_t².
    """
    X_hat = X @ P.T  # (N, T)
    err = ((X - X_hat) ** 2).sum(axis=0)  # (T,)
    energy = (X**2).sum(axis=0)  # (T,)
    measured = np.clip(1.0 - err / energy, 0.0, 1.0)
    return np.clip(np.diag(P), 0.0, 1.0), measured


def _recovery(M: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best linear decoder D = M⁺ for features M x (M: (F, T)): minimises E||x - D M x||² for isotropic x."""
    D = np.linalg.pinv(M)  # (T, F)
    return _measure(D @ M, X)  # D M: (T, T), the projection onto what the features keep


def _recovery_tall(M: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same for a tall M (F >> T), through the (T, T) Gram matrix instead of an SVD of M.

    M⁺M is the projection onto the row space of M = span of the eigenvectors of MᵀM with eigenvalue > 0.
    Only used where M is well conditioned (every state stacked: h_t holds U x_t directly).
    """
    G = M.T @ M  # (T, T)
    lam, V = np.linalg.eigh(G)
    keep = lam > lam.max() * 1e-12  # singular values above 1e-6 of the largest
    Vr = V[:, keep]  # (T, r)
    return _measure(Vr @ Vr.T, X)


def bottleneck_demo(
    size: int = 4, max_length: int = 32, weight: float = 0.9, samples: int = 2000, seed: int = 0
) -> BottleneckResult:
    """Encode seeded random sequences with a linear RNN of state size d; decode them from h_T or from all states.

    The encoder is h_t = W h_{t-1} + U x_t with W = weight * Q (Q a seeded random orthogonal matrix, so every
    eigenvalue has magnitude ``weight``) and scalar inputs x_t ~ N(0, 1). The context vector c = h_T = E x is a
    linear map of the T inputs through a (d, T) matrix E; the best linear decoder is E⁺, which recovers the
    projection E⁺E x: a subspace of dimension rank(E) <= min(d, T), hence at most min(1, d/T) of the sequence.
    """
    size = check_int("--size", size, 1, BOTTLENECK_MAX_SIZE)
    max_length = check_int("--max-length", max_length, 1, BOTTLENECK_MAX_LENGTH)
    weight = check_number("--weight", weight, low=0.0, high=1.0, low_open=True,
                          allowed="above 0 and at most 1", example="0.9; at 1 nothing fades")
    samples = check_int("--samples", samples, 10, BOTTLENECK_MAX_SAMPLES)

    rng = np.random.default_rng(seed)
    d = size
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))  # (d, d) orthogonal
    Q = Q * np.sign(np.diag(R))  # a uniformly random orthogonal matrix
    W = weight * Q  # (d, d): every eigenvalue has |lambda| = weight
    U = rng.normal(size=d)  # (d,): input weights for a scalar input
    X_all = rng.normal(size=(samples, max_length))  # (N, T_max) seeded test sequences, x_t ~ N(0, 1)

    rows = []
    per_position: tuple[float, ...] = ()
    for T in bottleneck_lengths(d, max_length):
        states = _encoder(W, U, T)  # (T, d, T)
        X = X_all[:, :T]  # (N, T)
        E = states[-1]  # (d, T): c = h_T = E x
        ctx_exact, ctx_meas = _recovery(E, X)
        A = states.reshape(T * d, T)  # (T*d, T): every state stacked
        _, all_meas = _recovery_tall(A, X)
        rows.append(
            BottleneckRow(
                length=T,
                bound=min(1.0, d / T),
                context_exact=float(ctx_exact.mean()),
                context_measured=float(ctx_meas.mean()),
                context_first=float(ctx_meas[0]),
                context_last=float(ctx_meas[-1]),
                all_states_measured=float(all_meas.mean()),
                all_states_first=float(all_meas[0]),
                all_states_last=float(all_meas[-1]),
                context_first_exact=float(ctx_exact[0]),
                context_last_exact=float(ctx_exact[-1]),
            )
        )
        if T == max_length:
            per_position = tuple(float(v) for v in ctx_meas)
    return BottleneckResult(
        size=d, max_length=max_length, weight=float(weight), samples=samples, seed=seed, rows=tuple(rows),
        per_position=per_position,
    )
