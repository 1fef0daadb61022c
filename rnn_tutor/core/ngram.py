"""Character n-grams with interpolated Kneser-Ney smoothing: the count-based baseline a language model must beat.

For a model of order N (the next character given the previous N - 1), with the counts of the training text:

    P_N(w | h) = max(c(h w) - D_N, 0) / c(h)  +  D_N * T(h) / c(h) * P_{N-1}(w | h')

where h' is h without its first character, c(h) = sum_w c(h w) and T(h) the number of distinct w seen after h.
The top order counts occurrences; every lower order counts *continuations* instead, c'(h w) = the number of
distinct characters seen before h w (Kneser & Ney 1995: a lower order is only asked when the longer context was
rare, so what matters is in how many contexts a string appears, not how often). The recursion ends in the uniform
distribution 1/V, so every character of the vocabulary gets some probability and each P_N(. | h) sums to 1. An
unseen context (c(h) = 0) hands over to the lower order entirely. One discount per order, D = n1 / (n1 + 2 n2)
from the numbers of n-grams seen once and twice (Ney, Essen & Kneser 1994; "interpolated Kneser-Ney" in Chen &
Goodman 1999). At the start of a text, with fewer than N - 1 characters of history, the longest order the
history allows is used.

Scores are bits per character: the mean of -log2 P(next character) over a held-out text (a uniform model over V
symbols scores log2 V).

Counting is vectorised: an n-gram of byte ids (V <= 256) is packed into one uint64 (8 bits per character, so
orders up to 8) and counted with numpy's sort-based ``unique``; lookups are ``searchsorted``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_tutor.errors import BadValueError

MAX_ORDER = 8  # 8 characters of 8 bits fill a uint64 key
SMOOTHING = "interpolated Kneser-Ney"
_MIN_D, _MAX_D = 0.05, 0.95  # a discount of 0 or 1 (no singletons, or only singletons) would zero a probability


@dataclass
class _Level:
    """Counts of one order: sorted n-gram keys with their counts, and per context key its total and the number of
    distinct next characters."""

    keys: np.ndarray  # (G,) uint64 sorted
    counts: np.ndarray  # (G,) float64
    ctx_keys: np.ndarray  # (C,) uint64 sorted
    ctx_total: np.ndarray  # (C,) float64   c(h)
    ctx_types: np.ndarray  # (C,) float64   T(h)
    discount: float


def _level(keys: np.ndarray, counts: np.ndarray) -> _Level:
    counts = counts.astype(np.float64)
    ctx = keys >> np.uint64(8)  # keys are sorted, so their contexts are too
    starts = np.flatnonzero(np.r_[True, ctx[1:] != ctx[:-1]])
    n1 = float(np.count_nonzero(counts == 1))
    n2 = float(np.count_nonzero(counts == 2))
    d = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5
    return _Level(keys, counts, ctx[starts], np.add.reduceat(counts, starts),
                  np.diff(np.r_[starts, len(keys)]).astype(np.float64), min(max(d, _MIN_D), _MAX_D))


def _grams(ids: np.ndarray, order: int) -> np.ndarray:
    """Keys of every n-gram of ``order`` in ``ids``, by the position it ends at (len(ids) - order + 1 of them)."""
    key = ids.astype(np.uint64)
    eight = np.uint64(8)
    for k in range(2, order + 1):
        key = (key[:-1] << eight) | ids[k - 1 :].astype(np.uint64)
    return key


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[sorted_keys == query], 0 where the query is absent."""
    if len(sorted_keys) == 0:
        return np.zeros(len(query))
    pos = np.searchsorted(sorted_keys, query)
    pos = np.minimum(pos, len(sorted_keys) - 1)
    return np.where(sorted_keys[pos] == query, values[pos], 0.0)


class KneserNey:
    """Interpolated Kneser-Ney character models of every order 1..``max_order``, from one training text of ids."""

    def __init__(self, ids, vocab_size: int, max_order: int = MAX_ORDER):
        ids = np.asarray(ids)
        if not 1 <= max_order <= MAX_ORDER:
            raise BadValueError("--ngram-order", f"must be from 1 to {MAX_ORDER}, got {max_order}")
        if not 1 <= vocab_size <= 256:
            raise BadValueError(None, f"the n-gram packs 8 bits per character: at most 256 symbols, got {vocab_size}")
        if ids.ndim != 1 or len(ids) < 1:
            raise BadValueError(None, "the n-gram needs a training text of at least one character")
        if ids.min() < 0 or ids.max() >= vocab_size:
            raise BadValueError(None, "character ids out of the vocabulary's range")
        self.V = int(vocab_size)
        self.max_order = int(max_order)
        self.raw: dict[int, _Level] = {}  # order -> occurrence counts (the top level of the model of that order)
        self.cont: dict[int, _Level] = {}  # order -> continuation counts (a lower level)
        prev_unique = None
        for k in range(1, max_order + 1):
            grams = _grams(ids, k)
            if len(grams) == 0:
                break
            keys, counts = np.unique(grams, return_counts=True)
            self.raw[k] = _level(keys, counts)
            if prev_unique is not None:  # continuations of the (k-1)-grams: distinct left neighbours
                suffix = keys & np.uint64((1 << (8 * (k - 1))) - 1)
                ck, cc = np.unique(suffix, return_counts=True)
                self.cont[k - 1] = _level(ck, cc)
            prev_unique = keys
        self.orders = tuple(sorted(self.raw))  # orders the text was long enough for

    # --------------------------------------------------------------------------------------- probabilities

    def _level_prob(self, lev: _Level, ctx: np.ndarray, gram: np.ndarray, lower: np.ndarray) -> np.ndarray:
        a = _lookup(lev.keys, lev.counts, gram)
        total = _lookup(lev.ctx_keys, lev.ctx_total, ctx)
        types = _lookup(lev.ctx_keys, lev.ctx_types, ctx)
        seen = total > 0
        safe = np.where(seen, total, 1.0)
        p = np.maximum(a - lev.discount, 0.0) / safe + lev.discount * types / safe * lower
        return np.where(seen, p, lower)

    def probs(self, hist: np.ndarray, hlen: np.ndarray, w: np.ndarray, orders=None) -> dict[int, np.ndarray]:
        """P_N(w_m | history_m) for each model order N in ``orders`` (default: all).

        ``hist`` (M, max_order - 1): the history right-aligned (the last column is the previous character);
        ``hlen`` (M,): how many of its last columns are real; ``w`` (M,): the characters to score."""
        orders = self.orders if orders is None else tuple(orders)
        M = len(w)
        w64 = np.asarray(w).astype(np.uint64)
        hist = np.asarray(hist).astype(np.uint64)
        hlen = np.asarray(hlen)
        width = hist.shape[1] if hist.ndim == 2 else 0
        ctx = np.zeros(M, dtype=np.uint64)  # the last k-1 characters packed, built up one order at a time
        cont = np.full(M, 1.0 / self.V)  # P^cont_0 = uniform
        out: dict[int, np.ndarray] = {}
        eight = np.uint64(8)
        top = max(orders)
        for k in range(1, top + 1):
            if k >= 2:  # the context grows by the character k-1 back
                col = hist[:, width - (k - 1)] if width >= k - 1 else np.zeros(M, dtype=np.uint64)
                ctx = ctx | (col << np.uint64(8 * (k - 2)))
            ok = hlen >= k - 1  # enough history for this order
            gram = (ctx << eight) | w64
            if k in orders and k in self.raw:
                p = self._level_prob(self.raw[k], ctx, gram, cont)
                out[k] = np.where(ok, p, cont)
            if k < top and k in self.cont:
                cont = np.where(ok, self._level_prob(self.cont[k], ctx, gram, cont), cont)
        return out

    def distribution(self, context, order: int | None = None) -> np.ndarray:
        """P_N(. | context) over the whole vocabulary (V,), for a context of ids (its last N - 1 are used)."""
        order = self.orders[-1] if order is None else int(order)
        context = list(np.asarray(context).reshape(-1))[-(MAX_ORDER - 1):] if MAX_ORDER > 1 else []
        width = MAX_ORDER - 1
        hist = np.zeros((self.V, width), dtype=np.int64)
        if context:
            hist[:, width - len(context):] = context
        hlen = np.full(self.V, len(context))
        return self.probs(hist, hlen, np.arange(self.V), orders=[order])[order]

    def histories(self, ids: np.ndarray, starts=None) -> tuple[np.ndarray, np.ndarray]:
        """(hist, hlen) for predicting every position of ``ids``; the history restarts at each index in
        ``starts`` (a new segment: nothing before it is seen)."""
        ids = np.asarray(ids).astype(np.int64)
        n = len(ids)
        width = MAX_ORDER - 1
        hist = np.zeros((n, width), dtype=np.int64)
        for j in range(1, width + 1):  # column width - j holds the character j back
            hist[j:, width - j] = ids[:-j] if j < n else ids[:0]
        seg_start = np.zeros(n, dtype=np.int64)
        for s in sorted(set(int(s) for s in (starts if starts is not None else [0]))):
            seg_start[s:] = s
        hlen = np.arange(n) - seg_start
        return hist, hlen

    def log2_probs(self, ids, starts=None, orders=None) -> dict[int, np.ndarray]:
        """log2 P_N(ids[i] | the history before it) for every position and order."""
        ids = np.asarray(ids)
        hist, hlen = self.histories(ids, starts)
        return {k: np.log2(p) for k, p in self.probs(hist, hlen, ids, orders).items()}


@dataclass(frozen=True)
class NGramReport:
    """Held-out bits per character of every order, and the best."""

    smoothing: str
    bpc: dict[int, float]  # order -> held-out bits per character
    best_order: int
    best_bpc: float
    uniform_bpc: float  # log2 V
    train_chars: int
    valid_chars: int


def uniform_bpc(vocab_size: int) -> float:
    """A uniform model over V symbols: every character costs log2 V bits."""
    return math.log2(vocab_size)


def report(train_ids, valid_ids, vocab_size: int, max_order: int = MAX_ORDER, starts=None,
           model: KneserNey | None = None) -> NGramReport:
    """Fit orders 1..max_order on ``train_ids`` and score ``valid_ids`` (segments restart at ``starts``)."""
    model = model or KneserNey(train_ids, vocab_size, max_order)
    logs = model.log2_probs(valid_ids, starts)
    bpc = {k: float(-np.mean(v)) for k, v in sorted(logs.items())}
    best = min(bpc, key=lambda k: (bpc[k], k))
    return NGramReport(SMOOTHING, bpc, best, bpc[best], uniform_bpc(vocab_size), int(len(train_ids)),
                       int(len(valid_ids)))
