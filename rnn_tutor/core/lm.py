"""A character-level language model: the recurrent cells of ``cells.py``/``fastlstm.py`` reading one-hot characters,
and the per-step readout of ``heads.py`` predicting the next one. It trains in the one loop of ``train.py``; this
module brings its data (a text, cut into tracks and chunks) and its loss (with the state carried across chunks).

Truncated backpropagation through time over a stream (as char-rnn does). The training text is cut into B
parallel tracks (``--batch``), each read in chunks of T characters (``--length``):

    track b = text[s_b : s_b + n], s_b near b (N - 1) / B (at a newline);  chunk k = positions k T .. (k + 1) T - 1

The hidden state at the end of one chunk is where the next chunk of the same track starts (so the model can use
context older than T characters), but the gradient stops at the boundary: BPTT runs through T steps only. Full
BPTT over the whole text would need the activations of all N steps kept in memory and one update per pass over
the text; truncation gives frequent updates at a memory cost of T steps, and gives up learning from gradients
that would have to travel more than T steps back (information can still be carried further forward, it is just
not trained to be). After the last whole chunk the tracks restart from their beginnings with a zero state.

Loss: cross-entropy per character in nats, L = mean over B T of -ln p(next character); reported as bits per
character, bpc = L / ln 2 (perplexity = 2^bpc). Held-out text: the last 10% (or ``--valid FILE``), cut into at
most 32 tracks that are each read from a zero state, state carried, the way the n-gram baseline scores the
same tracks from an empty history.

The state the cells take and give is read in ONE place, ``_initial_state`` / ``_final_state``: h0/c0 (L, B, H) for
a stack of L layers, from and to the forward result's ``h_n``, ``c_n`` (L, B, H).

One-step API (streaming, sampling): ``Stepper(model).step(ids)`` feeds one character per stream and returns the
distribution of the next one, with the state carried; it runs the same cell code as training (``heads._forward``
with T = 1), so batch and stream cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rnn_tutor.core import corpus, heads
from rnn_tutor.core import ngram as ngrams
from rnn_tutor.core.corpus import Text, Vocab
from rnn_tutor.core.tasks import NEXT_CHAR, Task
from rnn_tutor.errors import BadValueError

LN2 = math.log(2.0)
EVAL_TRACKS = 32  # held-out tracks at most (each at least EVAL_MIN_TRACK characters)
EVAL_MIN_TRACK = 1024  # fewer, longer tracks for a short held-out text: less is lost aligning them to newlines
EVAL_LENGTH = 256  # steps per forward pass in evaluation (bounded memory; the state is carried between them)
MAX_SAMPLE = 100_000
EVAL_EVERY = 200  # steps between evaluations unless --eval-every says otherwise: scoring the held-out tenth of
# two million characters costs about a third of 50 training steps of the same model

# The size of a language model unless --layers / --hidden say otherwise: 2 layers of 128 units for real text; one
# layer of 64 for the generated brackets, which that smaller model learns within the 60 s the tutor promises on one
# core (2 x 128 manages about 770 steps in that time, 1 x 64 about 4,500), and whose units are easier to read.
# A language model trains in float32 unless --dtype says float64: twice as fast, and nobody checks its numbers by
# hand; and with PyTorch's gate init, not chrono (train.TrainConfig.checked): it writes to its state at every
# character, and chrono's shut input gates (b_i = -log u) slow that down. Measured on brackets, 60 s of CPU: the
# LSTM reached 1.31 bpc and 90 of 100 balanced lines with chrono, 1.30 bpc and 94-97 with plain.
DEFAULT_SIZE = (2, 128)  # (layers, hidden)
SMALL_CORPORA = {"brackets": (1, 64)}


def default_size(text: str | None) -> tuple[int, int]:
    """(layers, hidden) of a language model on ``text`` (a --text value; None is brackets)."""
    return SMALL_CORPORA.get(str(text or "brackets").strip().lower(), DEFAULT_SIZE)


# ------------------------------------------------------------------------------------------- data


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
        valid_name = f"the last {corpus.VALID_SHARE:.0%} of {text.name}"
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


# ------------------------------------------------------------------------------------------- state


def num_layers(model: heads.Model) -> int:
    """Layers of the model's stack (weight_ih_l0, weight_ih_l1, ...)."""
    return model.num_layers


def _initial_state(state: dict | None, model: heads.Model):
    """(h0, c0) as the cells take them, from a carried state {"h": (L, B, H), "c": (L, B, H)}; None = zeros.
    THE place where the carried state goes in (the cells take (L, B, H) for a stack of L layers)."""
    if not state:
        return None, None
    return state["h"], state.get("c")


def _final_state(fwd) -> dict:
    """The state after a forward pass as {"h": (L, B, H), "c": ...} (every layer's, from the cells' h_n and
    c_n), copied: the next pass cannot overwrite it, and no gradient flows through it (for the next chunk it is
    a constant)."""
    out = {"h": np.array(fwd.h_n)}
    c_n = getattr(fwd, "c_n", None)
    if c_n is not None:
        out["c"] = np.array(c_n)
    return out


def loss_and_grads(model: heads.Model, x: np.ndarray, y: np.ndarray, state: dict | None = None,
                   train: bool = True):
    """Cross-entropy per character (nats) on one chunk and every parameter's gradient.

    x (B, T, V) one-hot, y (B, T) the next characters. The cells start from ``state`` (a dict from the previous
    chunk; empty or None: zeros) and, when ``state`` is a dict, leave their final state in it for the next chunk.
    The gradient of the loss stops at the chunk's start: the initial state is a constant (truncated BPTT).
    Returns (loss, grads, logits (B, T, V))."""
    W, b = model.params["head.weight"], model.params["head.bias"]
    h0, c0 = _initial_state(state, model)
    fwd = heads._forward(model, x, h0=h0, c0=c0, ws_key="enc" if train else None)
    h = np.asarray(fwd.h)  # (B, T, H) top layer
    logits = heads.linear(W, b, h)  # (B, T, V)   logits = h W^T + b
    loss, dlogits = heads.cross_entropy(logits, y)  # mean over B T of -ln softmax(logits)[y]
    dW, db, dh = heads.linear_backward(W, h, dlogits)
    new_state = _final_state(fwd) if state is not None else None
    g = heads._backward(model, fwd, dh=dh)  # dh0 is not passed on: the gradient stops here
    if new_state is not None:
        state.clear()
        state.update(new_state)
    grads = {k: g[k] for k in model.params if k in g}
    grads["head.weight"], grads["head.bias"] = dW, db
    return loss, grads, logits


# ------------------------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Score:
    log2p: np.ndarray  # (E, n) log2 of the probability given to each target
    right: np.ndarray  # (E, n) bool: the target had the highest probability
    extra: np.ndarray | None  # (E, n, k) probabilities of the ``extra_ids`` at every position


def score(model: heads.Model, x_ids: np.ndarray, y_ids: np.ndarray, extra_ids=None,
          chunk: int = EVAL_LENGTH) -> Score:
    """Read each track of ``x_ids`` (E, n) from a zero state, state carried, in passes of ``chunk`` steps."""
    E, n = x_ids.shape
    V = model.task.input_size
    dtype = model.params["head.weight"].dtype
    W, b = model.params["head.weight"], model.params["head.bias"]
    log2p = np.empty((E, n))
    right = np.empty((E, n), dtype=bool)
    extra = None if extra_ids is None else np.empty((E, n, len(extra_ids)))
    state: dict = {}
    rows = np.arange(E)[:, None]
    for s in range(0, n, chunk):
        xs = one_hot(x_ids[:, s : s + chunk], V, dtype)
        T = xs.shape[1]
        h0, c0 = _initial_state(state, model)
        fwd = heads._forward(model, xs, h0=h0, c0=c0, ws_key="eval" if T == chunk else "eval-last")
        logits = heads.linear(W, b, np.asarray(fwd.h)).astype(np.float64)  # (E, T, V)
        state = _final_state(fwd)
        z = logits - logits.max(-1, keepdims=True)
        logz = np.log(np.exp(z).sum(-1))  # (E, T)
        ys = y_ids[:, s : s + T].astype(np.intp)
        picked = z[rows, np.arange(T)[None, :], ys]
        log2p[:, s : s + T] = (picked - logz) / LN2
        right[:, s : s + T] = logits.argmax(-1) == ys
        if extra is not None:
            extra[:, s : s + T] = np.exp(z[..., list(extra_ids)] - logz[..., None])
    return Score(log2p, right, extra)


def evaluate(model: heads.Model, x_ids: np.ndarray, y_ids: np.ndarray) -> heads.Evaluation:
    """Held-out loss (nats per character) and top-1 accuracy of the next character."""
    s = score(model, x_ids, y_ids)
    return heads.Evaluation(float(-np.mean(s.log2p) * LN2), float(np.mean(s.right)))


def bpc(loss_nats: float | None) -> float | None:
    return None if loss_nats is None else loss_nats / LN2


# ------------------------------------------------------------------------------------------- one step at a time


class Stepper:
    """Feed a language model one character at a time (``batch`` streams side by side), carrying its state.

        st = Stepper(model)
        p = st.step([vocab_id])     # (1, V): the distribution of the next character

    The same cell code as training (heads._forward with T = 1)."""

    def __init__(self, model: heads.Model, batch: int = 1):
        self.model = model
        self.B = int(batch)
        self.V = model.task.input_size
        self.dtype = model.params["head.weight"].dtype
        self.state: dict = {}
        self.last_fwd = None  # the last step's forward result (gates, states), for inspection

    def reset(self) -> None:
        self.state = {}

    def logits(self, ids) -> np.ndarray:
        ids = np.asarray(ids).reshape(self.B)
        x = one_hot(ids[:, None], self.V, self.dtype)  # (B, 1, V)
        h0, c0 = _initial_state(self.state, self.model)
        fwd = heads._forward(self.model, x, h0=h0, c0=c0, ws_key=f"step{self.B}")
        self.state = _final_state(fwd)
        self.last_fwd = fwd
        W, b = self.model.params["head.weight"], self.model.params["head.bias"]
        return heads.linear(W, b, np.asarray(fwd.h)[:, 0]).astype(np.float64)  # (B, V)

    def step(self, ids) -> np.ndarray:
        return heads.softmax(self.logits(ids))


def start_symbol(vocab: Vocab) -> int:
    """What the model reads before a text or a sample without --prime: a newline (a line starts), else a
    space, else the first character of the vocabulary."""
    for ch in ("\n", " "):
        if ch in vocab.chars:
            return vocab.chars.index(ch)
    return 0


def tempered(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature); temperature 0 puts all the mass on the argmax (the first, on ties)."""
    if temperature == 0:
        p = np.zeros_like(logits)
        np.put_along_axis(p, logits.argmax(-1)[..., None], 1.0, axis=-1)
        return p
    return heads.softmax(logits / temperature)


def check_temperature(t) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or not 0 <= t <= 100:
        raise BadValueError("--temperature", f"must be a number from 0 (always the likeliest) to 100, got {t!r}")
    return float(t)


@dataclass(frozen=True)
class SampledChar:
    index: int  # 0-based position in the sample
    char: str
    id: int
    probability: float  # the model's probability for it (temperature 1)
    sampled_probability: float  # its probability under the temperature used to draw it


def encode_prime(vocab: Vocab, prime: str, option: str = "--prime") -> np.ndarray:
    """Ids of a text the model is to read; a character it does not know is an error (unless the model has the
    unknown symbol, which then stands for it)."""
    if not vocab.unknown:
        known = set(vocab.chars)
        bad = next((c for c in prime if c not in known), None)
        if bad is not None:
            shown = "".join(vocab.chars[:80])
            raise BadValueError(option, f"{bad!r} is not a character the model knows; it knows {shown!r}")
    return vocab.encode(prime)[0]


def sample(model: heads.Model, length: int, temperature: float = 1.0, prime: str = "", seed: int = 0,
           batch: int = 1):
    """Generate ``length`` characters per stream, one at a time (a generator of lists of SampledChar, one per
    stream). The same seed gives the same text; temperature 0 is the greedy argmax."""
    vocab = vocab_of(model.task)
    temperature = check_temperature(temperature)
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not 1 <= length <= MAX_SAMPLE:
        raise BadValueError("--length", f"must be a whole number from 1 to {MAX_SAMPLE:,}, got {length!r}")
    rng = np.random.default_rng([seed, 21])
    st = Stepper(model, batch)
    prime_ids = encode_prime(vocab, prime) if prime else np.array([start_symbol(vocab)])
    for i in prime_ids:
        logits = st.logits(np.full(batch, i))
    for k in range(length):
        p_model = heads.softmax(logits)
        p = tempered(logits, temperature)
        cum = np.cumsum(p, axis=-1)
        u = rng.random(batch) * cum[:, -1]
        ids = np.minimum((cum <= u[:, None]).sum(-1), vocab.size - 1)
        if temperature == 0:
            ids = logits.argmax(-1)
        out = [SampledChar(k, vocab.symbol(int(i)), int(i), float(p_model[b, i]), float(p[b, i]))
               for b, i in enumerate(ids)]
        yield out
        if k + 1 < length:
            logits = st.logits(ids)


# ------------------------------------------------------------------------------------------- brackets


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


# ------------------------------------------------------------------------------------------- saved models


def save_meta(result) -> dict[str, np.ndarray]:
    """The language model's entries of a saved model (added to train.save_model's): vocabulary and scores."""
    data: TextData = result.text
    rep = data.ngram()
    loss = result.loss
    return {
        "meta_vocab": data.vocab.codepoints(),
        "meta_text": np.array(data.name[:1000]),
        "meta_valid": np.array(data.valid_name[:1000]),
        "meta_bpc": np.array(np.nan if loss is None else loss / LN2),
        "meta_ngram_bpc": np.array(rep.best_bpc),
        "meta_ngram_order": np.array(rep.best_order, dtype=np.int64),
        "meta_ngram_smoothing": np.array(rep.smoothing),
    }


def _meta_fields():
    from rnn_tutor.core import weights

    return {
        "meta_text": weights.MetaField("text"),
        "meta_valid": weights.MetaField("text"),
        "meta_bpc": weights.MetaField("float", 0.0, None, nan_ok=True),
        "meta_ngram_bpc": weights.MetaField("float", 0.0, None),
        "meta_ngram_order": weights.MetaField("int", 1, ngrams.MAX_ORDER),
        "meta_ngram_smoothing": weights.MetaField("text"),
    }


def task_from_file(f) -> tuple[Task, dict]:
    """The task of a saved language model (its meta_vocab checked from the .npy header before it is read) and
    what its file says about it (text, bpc, the n-gram's)."""
    info = f.infos.get("meta_vocab")
    if info is None:
        raise f.bad("is a language model without meta_vocab (its characters)")
    if info.dtype.kind not in "iu" or info.ndim != 1 or not 2 <= info.shape[0] <= corpus.MAX_VOCAB:
        raise f.bad(f"meta_vocab should be 2 to {corpus.MAX_VOCAB} code points (whole numbers), got {info.dtype} "
                    f"{info.shape}")
    try:
        vocab = Vocab.from_codepoints(f.archive.read("meta_vocab"))
    except ValueError:
        raise f.bad("meta_vocab is not a list of distinct characters (code points 0 to 0x10FFFF, -1 last for the "
                    "unknown symbol)") from None
    meta = f.meta(_meta_fields())
    return vocab_task(vocab), {k[len("meta_"):]: v for k, v in meta.items()}


# ------------------------------------------------------------------------------------------- lesson numbers


# numbers kept per step and sequence for BPTT, in units of H: LSTM gates (4H), c, tanh(c), h; GRU gates (3H),
# W_hn h + b_hn, h; RNN h (cells.py's caches)
KEPT_PER_STEP = {"lstm": 7, "gru": 5, "rnn": 1}


def bptt_bytes(cell: str, hidden: int, steps: int, batch: int = 1, layers: int = 1, itemsize: int = 8) -> int:
    """Bytes of activations BPTT keeps for ``steps`` steps of ``batch`` sequences (cells.py's caches)."""
    return KEPT_PER_STEP[cell] * hidden * steps * batch * layers * itemsize


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


_LESSON_CACHE: dict = {}


def _brackets_data() -> TextData:
    if "brackets" not in _LESSON_CACHE:
        _LESSON_CACHE["brackets"] = prepare(corpus.read_source("brackets"))
    return _LESSON_CACHE["brackets"]


def lesson_value(name: str) -> str:
    """The text of one number lesson 9 quotes (lessons.VALUES['lm.<name>'])."""
    from rnn_tutor.core.lessons import human_bytes

    def probs(t):
        return ", ".join(f"{p:.3f}" for p in tempered(np.array([2.0, 1.0, 0.0]), t))

    if name.startswith("brackets"):
        data = _brackets_data()
        rep = data.ngram()
        values = {
            "brackets_v": lambda: str(data.V),
            "brackets_uniform": lambda: f"{rep.uniform_bpc:.3f}",
            "brackets_ngram_order": lambda: str(rep.best_order),
            "brackets_ngram_bpc": lambda: f"{rep.best_bpc:.3f}",
            "brackets_ngram_ppl": lambda: f"{2 ** rep.best_bpc:.2f}",
            "brackets_ngram_closers": lambda: f"{100 * ngram_closer_share(data):.0f}%",
        }
        return values[name]()
    return {
        "full_bptt": lambda: human_bytes(bptt_bytes("lstm", 128, 2_000_000)),
        "chunk_bptt": lambda: human_bytes(bptt_bytes("lstm", 128, 100, batch=32)),
        "temp_1": lambda: probs(1.0),
        "temp_05": lambda: probs(0.5),
        "temp_2": lambda: probs(2.0),
    }[name]()
