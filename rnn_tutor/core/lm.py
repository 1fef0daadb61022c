"""A character-level language model: the recurrent cells of ``cells.py``/``fastlstm.py`` reading one-hot characters,
and the per-step readout of ``heads.py`` predicting the next one. It trains in the one loop of ``train.py``; this
module brings its loss (with the state carried across chunks), its scoring, and what a saved one keeps. Its
other parts, each importable from here too (``lm.prepare``, ``lm.sample``, ...):

- ``lm_data.py``: the text made ready (vocabulary, ids, held-out part, n-grams), tracks, chunks and the task;
- ``lm_sample.py``: sampling, one character at a time through the one stepper (``stepper.py``);
- ``lm_brackets.py``: bracket memory (the right closer at depth) and balanced lines.

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

One step at a time (sampling, streaming): ``stepper.TextStepper(model).step(ids)`` (also ``lm.Stepper``) feeds one
character per stream and returns the distribution of the next one, with the state carried; it is the package's one
stepper (``stepper.py``), whose steps the tests hold to the batch forward pass's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import corpus, heads
from rnn_tutor.core import ngram as ngrams
from rnn_tutor.core.corpus import Vocab
from rnn_tutor.core.numfmt import percent
from rnn_tutor.core.lm_brackets import (  # noqa: F401 (re-exported: lm.bracket_memory, ...)
    BracketMemory, balanced, bracket_memory, closer_targets, ngram_closer_share)
from rnn_tutor.core.lm_data import (  # noqa: F401 (re-exported: lm.prepare, lm.one_hot, ...)
    EVAL_MIN_TRACK, EVAL_TRACKS, Stream, TextData, one_hot, prepare, prepare_config, text_task, tracks, vocab_of,
    vocab_task)
from rnn_tutor.core.lm_sample import (  # noqa: F401 (re-exported: lm.sample, lm.tempered, ...)
    MAX_SAMPLE, SampledChar, check_temperature, encode_prime, sample, start_symbol, tempered)
from rnn_tutor.core.stepper import TextStepper
from rnn_tutor.core.tasks import Task

Stepper = TextStepper  # the old name: feed one character id per stream, get the next one's distribution

LN2 = math.log(2.0)
EVAL_LENGTH = 256  # steps per forward pass in evaluation (bounded memory; the state is carried between them)
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
            "brackets_ngram_closers": lambda: percent(ngram_closer_share(data), 0),  # half away from zero
        }
        return values[name]()
    return {
        "full_bptt": lambda: human_bytes(bptt_bytes("lstm", 128, 2_000_000)),
        "chunk_bptt": lambda: human_bytes(bptt_bytes("lstm", 128, 100, batch=32)),
        "temp_1": lambda: probs(1.0),
        "temp_05": lambda: probs(0.5),
        "temp_2": lambda: probs(2.0),
    }[name]()
