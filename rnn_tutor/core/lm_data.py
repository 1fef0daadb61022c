"""A language model's data: a text made ready for training (vocabulary, ids, held-out part, the n-gram baseline),
cut into B parallel tracks read in chunks of T characters (truncated BPTT, see ``lm.py``), and the task it trains on.

    track b = text[s_b : s_b + n], s_b near b (N - 1) / B (at a newline);  chunk k = positions k T .. (k + 1) T - 1

Held-out text: the last 10% (or ``--valid FILE``), cut into at most 32 tracks that are each read from a zero
state, state carried, the way the n-gram baseline scores the same tracks from an empty history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnn_tutor.core import corpus
from rnn_tutor.core import ngram as ngrams
from rnn_tutor.core.corpus import Text, Vocab
from rnn_tutor.core.numfmt import percent
from rnn_tutor.core.tasks import NEXT_CHAR, Task
from rnn_tutor.errors import BadValueError

EVAL_TRACKS = 32  # held-out tracks at most (each at least EVAL_MIN_TRACK characters)
EVAL_MIN_TRACK = 1024  # fewer, longer tracks for a short held-out text: less is lost aligning them to newlines


@dataclass
class TextData:
    """A text ready for training: vocabulary, training ids, held-out ids, and the n-gram baseline (cached)."""

    name: str  # "brackets", "stdlib", "lessons", a path or "stdin"
    note: str
    vocab: Vocab
    train_ids: np.ndarray  # (N,) ids
    valid_ids: np.ndarray  # (M,) ids
    valid_name: str  # "the last 10% of brackets" or the --valid file
    unknown: int  # characters (training + held-out) mapped to the unknown symbol
    truncated: bool  # the text was cut at --max-chars
    _ngram: dict = field(default_factory=dict, repr=False)

    @property
    def V(self) -> int:
        return self.vocab.size

    @property
    def newline(self) -> int | None:
        return self.vocab.chars.index("\n") if "\n" in self.vocab.chars else None

    def eval_tracks(self) -> tuple[np.ndarray, np.ndarray]:
        """The held-out text as (inputs, targets), each (E, n): E tracks read from a zero state."""
        M = len(self.valid_ids) - 1
        return tracks(self.valid_ids, max(1, min(EVAL_TRACKS, M // EVAL_MIN_TRACK)), self.newline)

    def ngram(self, max_order: int = ngrams.MAX_ORDER) -> ngrams.NGramReport:
        """Orders 1..max_order fitted on the training ids, scored on the held-out tracks (each from an empty
        history, as the model reads them from a zero state)."""
        if max_order not in self._ngram:
            x, y = self.eval_tracks()
            # the n-gram predicts y from x's history: score the stream x[0], y (the same targets)
            seq = np.concatenate([np.concatenate([x[e, :1], y[e]]) for e in range(len(x))])
            starts = np.arange(len(x)) * (y.shape[1] + 1)
            model = ngrams.KneserNey(self.train_ids, self.V, max_order)
            logs = model.log2_probs(seq, starts)
            keep = np.ones(len(seq), dtype=bool)
            keep[starts] = False  # the first character of a track is an input only, as for the model
            bpc = {k: float(-np.mean(v[keep])) for k, v in sorted(logs.items())}
            best = min(bpc, key=lambda k: (bpc[k], k))
            self._ngram[max_order] = (ngrams.NGramReport(ngrams.SMOOTHING, bpc, best, bpc[best],
                                                        ngrams.uniform_bpc(self.V), len(self.train_ids),
                                                        int(keep.sum())), model)
        return self._ngram[max_order][0]

    def ngram_model(self, max_order: int = ngrams.MAX_ORDER) -> ngrams.KneserNey:
        self.ngram(max_order)
        return self._ngram[max_order][1]


def prepare(text: Text, valid: Text | None = None, batch: int = 32, length: int = 100) -> TextData:
    """Vocabulary (from the training and held-out text together), ids, and the checks a stream needs."""
    if valid is None:
        n_valid = max(2, int(round(corpus.VALID_SHARE * len(text.text))))
        train_text, valid_text = text.text[:-n_valid], text.text[-n_valid:]
        valid_name = f"the last {percent(corpus.VALID_SHARE, 0)} of {text.name}"
    else:
        train_text, valid_text, valid_name = text.text, valid.text, valid.name
        if len(valid_text) < 2:
            raise BadValueError("--valid", f"{valid.name} has {len(valid_text)} character(s); the held-out text "
                                           "needs at least 2 (one to read, one to predict)")
    vocab, unknown = corpus.build_vocab(train_text + valid_text)
    if vocab.size < 2:
        raise BadValueError("--text", f"{text.name} has only one distinct character ({vocab.symbols[0]!r}); "
                                      "there is nothing to predict", "give a real text")
    train_ids, _ = vocab.encode(train_text)
    valid_ids, _ = vocab.encode(valid_text)
    need = batch * length + 1
    if len(train_ids) < need:
        raise BadValueError("--text", f"{text.name} gives {len(train_ids):,} training characters; one batch of "
                                      f"{batch} chunks of {length} characters (--batch x --length) needs at least "
                                      f"{need:,}", "give a longer text, or a smaller --batch or --length")
    return TextData(text.name, text.note, vocab, train_ids, valid_ids, valid_name, unknown,
                    text.truncated or bool(valid is not None and valid.truncated))


def prepare_config(cfg) -> TextData:
    """The text a TrainConfig names (built-ins and files; stdin is read by the CLI, which passes a TextData)."""
    source = cfg.text or "brackets"
    text = corpus.read_source(source, cfg.max_chars, seed=cfg.seed)
    valid = None if cfg.valid is None else corpus.read_source(cfg.valid, cfg.max_chars, cfg.seed, option="--valid")
    return prepare(text, valid, cfg.batch, cfg.length)


def tracks(ids: np.ndarray, count: int, newline: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``ids`` into ``count`` tracks of one length n: (inputs (count, n), targets (count, n)), the target being
    the next character. Track b starts near b (N - 1) / count: at the first newline in the first half of its share
    when there is one, so that a track's zero state is always met at a line start, where sampling and inspection
    start too (they read a newline first). The few characters between one track's end and the next one's start
    are left out."""
    N = len(ids) - 1
    share = max(N // count, 0)
    starts = np.arange(count) * share
    if newline is not None and share > 1:
        nl = np.flatnonzero(ids[:N] == newline)
        k = np.searchsorted(nl, starts)
        for b in range(count):
            if k[b] < len(nl) and nl[k[b]] < starts[b] + share // 2:
                starts[b] = nl[k[b]]
    ends = np.r_[starts[1:], N]
    n = int((ends - starts).min()) if count else 0
    x = np.stack([ids[s : s + n] for s in starts])
    y = np.stack([ids[s + 1 : s + n + 1] for s in starts])
    return x, y


def one_hot(ids: np.ndarray, V: int, dtype=np.float64) -> np.ndarray:
    """ids (...) -> (..., V)."""
    out = np.zeros(ids.shape + (V,), dtype=dtype)
    np.put_along_axis(out, ids[..., None].astype(np.intp), 1.0, axis=-1)
    return out


class Stream:
    """B tracks of the training ids, read in chunks of T; ``state`` is the carried state of every track."""

    def __init__(self, ids: np.ndarray, batch: int, length: int, V: int, newline: int | None = None):
        self.B, self.T, self.V = int(batch), int(length), int(V)
        self.x, self.y = tracks(ids, self.B, newline)  # (B, n) inputs, (B, n) targets: the next characters
        n = self.n = self.x.shape[1]
        if n < self.T:
            raise BadValueError("--length", f"each of the {self.B} tracks has {n:,} characters, fewer than one "
                                            f"chunk of {self.T}", "give a longer text, or a smaller --batch or "
                                                                  "--length")
        self.pos = 0
        self.passes = 0  # completed passes over the text
        self.state: dict = {}  # {"h": (L, B, H), "c": (L, B, H)} after the last chunk; empty = zeros

    def next(self, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, dict]:
        """The next chunk of every track: (x (B, T, V) one-hot, y (B, T) int, the state to start from)."""
        if self.pos + self.T > self.n:  # a new pass: the tracks restart, so does the state
            self.pos = 0
            self.passes += 1
            self.state.clear()
        s = slice(self.pos, self.pos + self.T)
        self.pos += self.T
        return one_hot(self.x[:, s], self.V, dtype), self.y[:, s].astype(np.int64), self.state


def text_task(data: TextData, batch: int, length: int) -> Task:
    """The task of a language model on ``data``: next character over its vocabulary, batches from a Stream."""
    sym = data.vocab.symbols
    return Task("text", NEXT_CHAR, data.V, data.V, 1, 100,
                f"next character of {data.name}", vocab=sym, classes=sym,
                extra={"stream": Stream(data.train_ids, batch, length, data.V, data.newline), "data": data,
                       "vocab": data.vocab})


def vocab_task(vocab: Vocab) -> Task:
    """The task of a saved language model (no stream: for prediction, sampling and inspection)."""
    sym = vocab.symbols
    return Task("text", NEXT_CHAR, vocab.size, vocab.size, 1, 100, "next character", vocab=sym, classes=sym,
                extra={"vocab": vocab})


def vocab_of(task: Task) -> Vocab:
    v = task.extra.get("vocab")
    return v if v is not None else Vocab(tuple(task.vocab))
