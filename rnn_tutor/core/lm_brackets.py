"""Bracket memory, the test a language model on the brackets corpus is for: at a closing bracket with several
brackets open, does the right closer get more probability than the wrong one (the model, and the best n-gram,
which cannot see further back than its order), and is a sampled line balanced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import corpus, heads
from rnn_tutor.core.lm_data import TextData


def closer_targets(text: str, min_depth: int = 3) -> list[tuple[int, str]]:
    """Positions i (0-based) where text[i] closes a bracket opened at depth >= ``min_depth`` (min_depth brackets
    open just before it), with the closer that is right there. Lines that begin before the text does are
    skipped (their depth is unknown), so are closers without an opener."""
    out = []
    stack: list[str] = []
    known = False
    for i, ch in enumerate(text):
        if ch == "\n":
            stack, known = [], True
            continue
        if not known:
            continue
        if ch in "([":
            stack.append(ch)
        elif ch in ")]":
            if not stack:
                continue
            if len(stack) >= min_depth:
                out.append((i, corpus.PAIRS[stack[-1]]))
            stack.pop()
    return out


@dataclass(frozen=True)
class BracketMemory:
    min_depth: int
    closers: int  # closing brackets at depth >= min_depth in the held-out tracks
    model_right: int  # the right closer got more probability than the wrong one
    ngram_right: int
    ngram_order: int

    @property
    def model_share(self) -> float | None:
        return self.model_right / self.closers if self.closers else None

    @property
    def ngram_share(self) -> float | None:
        return self.ngram_right / self.closers if self.closers else None


def bracket_memory(model: heads.Model, data: TextData, min_depth: int = 3) -> BracketMemory | None:
    """How often, at a closing bracket with at least ``min_depth`` brackets open, the right closer gets more
    probability than the wrong one, for the model and for the best n-gram; None without both kinds of bracket."""
    vocab = data.vocab
    if not all(c in vocab.chars for c in "()[]"):
        return None
    close_ids = [vocab.chars.index(")"), vocab.chars.index("]")]
    x, y = data.eval_tracks()
    from rnn_tutor.core.lm import score

    s = score(model, x, y, extra_ids=close_ids)
    rep = data.ngram()
    ng = data.ngram_model()
    total = m_right = n_right = 0
    for e in range(len(x)):
        text = vocab.decode(np.concatenate([x[e, :1], y[e]]))
        targets = closer_targets(text, min_depth)
        if not targets:
            continue
        pos = np.array([i for i, _ in targets])  # position in text; it is target index pos - 1
        right = np.array([0 if c == ")" else 1 for _, c in targets])
        probs = s.extra[e, pos - 1]  # (k, 2)
        m_right += int(np.sum(probs[np.arange(len(pos)), right] > probs[np.arange(len(pos)), 1 - right]))
        ids = np.concatenate([x[e, :1], y[e]])
        hist, hlen = ng.histories(ids)
        p_ng = [ng.probs(hist[pos], hlen[pos], np.full(len(pos), cid), orders=[rep.best_order])[rep.best_order]
                for cid in close_ids]
        p_ng = np.stack(p_ng, axis=-1)
        n_right += int(np.sum(p_ng[np.arange(len(pos)), right] > p_ng[np.arange(len(pos)), 1 - right]))
        total += len(pos)
    return BracketMemory(min_depth, total, m_right, n_right, rep.best_order)


def balanced(line: str) -> bool:
    """Every bracket of the line closed by the right kind, in order, and none left open."""
    stack: list[str] = []
    for ch in line:
        if ch in "([":
            stack.append(ch)
        elif ch in ")]":
            if not stack or corpus.PAIRS[stack.pop()] != ch:
                return False
    return not stack


def ngram_closer_share(data: TextData, min_depth: int = 3) -> float | None:
    """How often the best n-gram gives the right closing bracket more probability than the wrong one, at
    closers with ``min_depth`` or more brackets open in the held-out tracks."""
    vocab = data.vocab
    if not all(c in vocab.chars for c in "()[]"):
        return None
    close_ids = [vocab.chars.index(")"), vocab.chars.index("]")]
    rep, ng = data.ngram(), data.ngram_model()
    x, y = data.eval_tracks()
    total = right_n = 0
    for e in range(len(x)):
        ids = np.concatenate([x[e, :1], y[e]])
        targets = closer_targets(vocab.decode(ids), min_depth)
        if not targets:
            continue
        pos = np.array([i for i, _ in targets])
        right = np.array([0 if c == ")" else 1 for _, c in targets])
        hist, hlen = ng.histories(ids)
        p = np.stack([ng.probs(hist[pos], hlen[pos], np.full(len(pos), c), orders=[rep.best_order])[rep.best_order]
                      for c in close_ids], axis=-1)
        rows = np.arange(len(pos))
        right_n += int(np.sum(p[rows, right] > p[rows, 1 - right]))
        total += len(pos)
    return right_n / total if total else None
