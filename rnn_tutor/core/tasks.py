"""Toy sequence tasks for training tiny recurrent models, one or more per output pattern.

Every task makes batches on the fly from a numpy ``Generator``: inputs ``x`` of shape (B, T, D) and targets whose
shape depends on the output pattern:

- one output per sequence: ``adding`` (regression, y (B, 1)), ``recall`` and ``order`` (class, y (B,) int);
- one output per step: ``tagging`` (class per token, y (B, T) int);
- encoder-decoder: ``reverse`` (the decoder emits the input reversed, y (B, T) int) and ``reorder`` (subject-verb-
  object sentences rewritten subject-object-verb, y (B, T) int: an alignment that is not a diagonal);
- one number per step: ``forecast`` (the next reading of a signal, y (B, T, 1); see ``signals.py``).

Labels are correct by construction: each generator builds the answer together with the input.
Each task can also read a user's own input (``encode``) and describe a prediction in words (``describe``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnn_tutor.core.corpus import BRACKETS_VOCAB, brackets_text
from rnn_tutor.core.numbers import plain_float
from rnn_tutor.errors import BadValueError

# Output patterns ("kinds") the heads know how to train.
SEQ_REGRESSION = "sequence-regression"  # one real number per sequence, squared error
SEQ_CLASS = "sequence-class"  # one class per sequence, cross-entropy
STEP_CLASS = "step-class"  # one class per step, cross-entropy
SEQ2SEQ = "seq2seq"  # encoder -> context vector -> decoder, one class per output step
STEP_REGRESSION = "step-regression"  # one real number per step (the next reading), squared error
NEXT_CHAR = "next-char"  # a language model: the next character at every step, state carried (core/lm.py)

MAX_LENGTH = 10_000
ADDING_TOLERANCE = 0.04  # a sequence of the adding task counts as solved when |prediction - target| < 0.04


@dataclass(frozen=True)
class Batch:
    x: np.ndarray  # (B, T, D) float
    y: np.ndarray  # (B, 1) float | (B,) int | (B, T) int
    state: dict | None = None  # a language model's carried state (core/lm.py); None for the other tasks


@dataclass(frozen=True)
class Task:
    name: str
    kind: str
    input_size: int
    output_size: int
    min_length: int
    default_length: int
    summary: str
    vocab: tuple[str, ...] = ()  # input tokens, one-hot order (not for adding)
    classes: tuple[str, ...] = ()  # output labels (not for adding)
    example: str = ""  # an input for `predict --input`
    extra: dict = field(default_factory=dict, compare=False)

    def check_length(self, length: int, option: str = "--length") -> int:
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
            raise BadValueError(option, f"must be a whole number, got {length!r}")
        if length < self.min_length or length > MAX_LENGTH:
            why = self.extra.get("why_min_length") if length < self.min_length else None
            raise BadValueError(
                option,
                f"the {self.name} task needs a length from {self.min_length} to {MAX_LENGTH:,}, got {length}"
                + (f" ({why})" if why else ""),
            )
        return int(length)

    def batch(self, rng: np.random.Generator, batch_size: int, length: int, dtype=np.float64) -> Batch:
        """A fresh batch of ``batch_size`` sequences of ``length`` steps."""
        length = self.check_length(length)
        if batch_size < 1:
            raise BadValueError("--batch", f"must be at least 1, got {batch_size}")
        x, y, *state = _GENERATORS[self.name](self, rng, int(batch_size), length)
        return Batch(x.astype(dtype, copy=False), y, *state)

    def heldout(self, rng: np.random.Generator, size: int, length: int, dtype=np.float64) -> Batch:
        """The held-out set: ``size`` fresh sequences of ``length`` steps; for ``forecast``, the prepared signal's
        held-out stretch as one sequence (1, N-1, 1), whatever ``size`` and ``length``."""
        if self.kind == STEP_REGRESSION:
            z = _signal(self).normalise(_signal(self).heldout)  # (N,)
            return Batch(z[None, :-1, None].astype(dtype), z[None, 1:, None].astype(dtype))
        return self.batch(rng, size, length, dtype)

    def encode(self, text: str) -> np.ndarray:
        """Turn a user's input text into x (1, T, D) (float64)."""
        return _ENCODERS[self.name](self, text)

    def target_of(self, text: str):
        """The correct answer for a user's input, when the rule of the task can compute it."""
        return _ANSWERS[self.name](self, text)


def _one_hot(ids: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(ids.shape + (size,), dtype=np.float64)  # (..., size)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


def _tokens(task: Task, text: str) -> list[str]:
    words = text.replace(",", " ").split()
    if not words:
        raise BadValueError("--input", f"is empty; try for example: {task.example!r}")
    unknown = [w for w in words if w.lower() not in task.vocab]
    if unknown:
        raise BadValueError(
            "--input",
            f"unknown word {unknown[0]!r} for the {task.name} task; known words: {', '.join(task.vocab)}",
        )
    return [w.lower() for w in words]


# ---------------------------------------------------------------- adding (Hochreiter & Schmidhuber 1997, exp. 4)
# Two channels per step: a value in [-1, 1] and a marker (1 at two positions, else 0). The first marked position is
# among the first ten steps, the second anywhere in the first half, so the answer must be held for >= T/2 steps.
# Target: 0.5 + (X1 + X2) / 4, which lies in [0, 1]; solved when the absolute error is below 0.04.


def _adding_positions(rng: np.random.Generator, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    half = max(2, length // 2)
    first = rng.integers(0, min(10, half - 1), size=batch) if half > 2 else np.zeros(batch, dtype=np.int64)
    # second: uniform over [0, half) without `first`
    second = rng.integers(0, half - 1, size=batch)
    second = second + (second >= first)
    return first, second


def _gen_adding(task: Task, rng, batch, length):
    values = rng.uniform(-1.0, 1.0, size=(batch, length))  # (B, T)
    first, second = _adding_positions(rng, batch, length)
    marks = np.zeros((batch, length))
    rows = np.arange(batch)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=-1)  # (B, T, 2)
    y = 0.5 + (values[rows, first] + values[rows, second]) / 4.0  # (B,)
    return x, y[:, None]  # (B, 1)


def _parse_adding(task: Task, text: str) -> tuple[np.ndarray, np.ndarray]:
    words = text.replace(",", " ").split()
    if not words:
        raise BadValueError("--input", f"is empty; try for example: {task.example!r}")
    values, marks = [], []
    for w in words:
        mark = w.endswith("*")
        try:
            v = plain_float(w.rstrip("*"))
        except ValueError:
            raise BadValueError(
                "--input", f"{w!r} is not a number; give numbers in [-1, 1], mark two of them with '*'"
            ) from None
        if not np.isfinite(v) or abs(v) > 1.0:
            raise BadValueError("--input", f"{w!r} is outside [-1, 1]")
        values.append(v)
        marks.append(1.0 if mark else 0.0)
    if sum(marks) != 2:
        raise BadValueError("--input", f"mark exactly two numbers with '*' (found {int(sum(marks))})")
    return np.array(values), np.array(marks)


def _enc_adding(task, text):
    values, marks = _parse_adding(task, text)
    return np.stack([values, marks], axis=-1)[None]  # (1, T, 2)


def _ans_adding(task, text):
    values, marks = _parse_adding(task, text)
    return float(0.5 + values[marks == 1.0].sum() / 4.0)


# ---------------------------------------------------------------- recall
# Step 0 shows one of four class symbols (A-D); the other T-1 steps are distractors (w-z). Answer: the first symbol.
RECALL_CLASSES = ("a", "b", "c", "d")
RECALL_NOISE = ("w", "x", "y", "z")


def _gen_recall(task: Task, rng, batch, length):
    label = rng.integers(0, 4, size=batch)  # (B,)
    ids = rng.integers(4, 8, size=(batch, length))  # (B, T) distractors
    ids[:, 0] = label
    return _one_hot(ids, 8), label


def _enc_recall(task, text):
    ids = np.array([task.vocab.index(w) for w in _tokens(task, text)])
    return _one_hot(ids, task.input_size)[None]


def _ans_recall(task, text):
    first = _tokens(task, text)[0]
    return first.upper() if first in RECALL_CLASSES else None


# ---------------------------------------------------------------- order
# "the [adjectives] N1 V the [adjectives] N2": the answer is the noun that does the action (N1). Swapping the nouns
# keeps every word but flips the answer, so a bag of words cannot beat 50%.
ORDER_NOUNS = ("dog", "man", "cat", "woman", "fox", "boy")
ORDER_VERBS = ("bit", "saw", "chased", "helped")
ORDER_ADJ = ("big", "small", "old", "young", "brown", "quick")
ORDER_VOCAB = ("the",) + ORDER_NOUNS + ORDER_VERBS + ORDER_ADJ


def _order_sentences(rng, batch: int, length: int):
    """The order task's sentences as word ids: (subject phrases, verbs, object phrases, subject nouns), where a
    phrase is "the [adjectives] noun" and the two nouns differ. (The reorder task rearranges the same draws.)"""
    n = len(ORDER_NOUNS)
    subj = rng.integers(0, n, size=batch)
    obj = (subj + rng.integers(1, n, size=batch)) % n  # a different noun
    verb = rng.integers(0, len(ORDER_VERBS), size=batch)
    n_adj = length - 5
    subjects, objects = [], []
    for b in range(batch):
        k1 = int(rng.integers(0, n_adj + 1))  # adjectives before the subject, the rest before the object
        adj = rng.integers(0, len(ORDER_ADJ), size=n_adj) + 1 + n + len(ORDER_VERBS)
        subjects.append([0, *adj[:k1], 1 + subj[b]])
        objects.append([0, *adj[k1:], 1 + obj[b]])
    return subjects, 1 + n + verb, objects, subj


def _gen_order(task: Task, rng, batch, length):
    subjects, verbs, objects, subj = _order_sentences(rng, batch, length)
    ids = np.array([s + [v] + o for s, v, o in zip(subjects, verbs, objects)], dtype=np.int64)  # (B, T)
    return _one_hot(ids, len(ORDER_VOCAB)), subj


def _enc_order(task, text):
    ids = np.array([task.vocab.index(w) for w in _tokens(task, text)])
    return _one_hot(ids, task.input_size)[None]


def _ans_order(task, text):
    words = _tokens(task, text)
    for i, w in enumerate(words):  # the subject is the noun right before the first verb
        if w in ORDER_VERBS:
            nouns = [v for v in words[:i] if v in ORDER_NOUNS]
            return nouns[-1] if nouns else None
    return None


# ---------------------------------------------------------------- tagging
# Sentences "DET [ADJ] NOUN VERB DET [ADJ] NOUN ." concatenated and cut to T tokens. Some words (duck, fly, watch,
# saw, run) are nouns after a determiner or adjective and verbs after a noun: the tag needs the left context.
TAGS = ("DET", "ADJ", "NOUN", "VERB", "END")
TAG_DET = ("the", "a")
TAG_ADJ = ("big", "small", "old")
TAG_NOUN = ("dog", "man", "park")
TAG_VERB = ("sees", "likes", "bit")
TAG_BOTH = ("duck", "fly", "watch", "saw", "run")
TAG_VOCAB = TAG_DET + TAG_ADJ + TAG_NOUN + TAG_VERB + TAG_BOTH + (".",)


# Every sequence starts a sentence, so word 1 is always a DET and word 2 an ADJ or a NOUN (an ambiguous word right
# after "the" is a noun): up to length 2 each word's tag follows from the word alone, and a model with no memory
# scores 100%. Word 3 is the first whose tag needs the word before it ("the big saw" NOUN, "the duck saw" VERB).
TAG_MIN_LENGTH = 3
TAG_WHY_MIN = ("a sequence starts a sentence, so up to 2 words every tag follows from the word alone and a model "
               "with no memory gets them all right; the 3rd word is the first that needs the one before it")


def _tag_sentence(rng: np.random.Generator) -> tuple[list[str], list[int]]:
    def pick(words):
        return words[int(rng.integers(0, len(words)))]

    def noun():  # half of the nouns are ambiguous words
        return pick(TAG_BOTH) if rng.random() < 0.5 else pick(TAG_NOUN)

    def verb():
        return pick(TAG_BOTH) if rng.random() < 0.5 else pick(TAG_VERB)

    words, tags = [], []

    def add(word, tag):
        words.append(word)
        tags.append(TAGS.index(tag))

    add(pick(TAG_DET), "DET")
    if rng.random() < 0.5:
        add(pick(TAG_ADJ), "ADJ")
    add(noun(), "NOUN")
    add(verb(), "VERB")
    add(pick(TAG_DET), "DET")
    if rng.random() < 0.5:
        add(pick(TAG_ADJ), "ADJ")
    add(noun(), "NOUN")
    add(".", "END")
    return words, tags


def _gen_tagging(task: Task, rng, batch, length):
    ids = np.empty((batch, length), dtype=np.int64)
    tags = np.empty((batch, length), dtype=np.int64)
    for b in range(batch):
        w_all, t_all = [], []
        while len(w_all) < length:
            w, t = _tag_sentence(rng)
            w_all += w
            t_all += t
        ids[b] = [TAG_VOCAB.index(w) for w in w_all[:length]]
        tags[b] = t_all[:length]
    return _one_hot(ids, len(TAG_VOCAB)), tags


def _ans_tagging(task, text):
    """Tags by the grammar's rule: the context decides for the ambiguous words."""
    out, prev = [], None
    for w in _tokens(task, text):
        if w in TAG_DET:
            tag = "DET"
        elif w in TAG_ADJ:
            tag = "ADJ"
        elif w in TAG_NOUN:
            tag = "NOUN"
        elif w in TAG_VERB:
            tag = "VERB"
        elif w == ".":
            tag = "END"
        else:
            tag = "VERB" if prev == "NOUN" else "NOUN"
        out.append(tag)
        prev = tag
    return out


# ---------------------------------------------------------------- reverse
# T symbols from a-h; an encoder reads them into one context vector, a decoder writes them back in reverse order.
REVERSE_VOCAB = ("a", "b", "c", "d", "e", "f", "g", "h")


def _gen_reverse(task: Task, rng, batch, length):
    ids = rng.integers(0, len(REVERSE_VOCAB), size=(batch, length))  # (B, T)
    return _one_hot(ids, len(REVERSE_VOCAB)), ids[:, ::-1].copy()


def _ans_reverse(task, text):
    return list(reversed(_tokens(task, text)))


# ---------------------------------------------------------------- reorder
# The order task's sentences, "the [adjectives] N1 V the [adjectives] N2" (subject-verb-object, as English orders
# them), rewritten subject-object-verb, the order of Japanese or Turkish: "the dog bit the man" -> "the dog the man
# bit". The subject stays in place, the object moves one step left, and the verb, read early, comes out last: the
# output step that writes it has to look back to the middle of the input.


def _gen_reorder(task: Task, rng, batch, length):
    subjects, verbs, objects, _ = _order_sentences(rng, batch, length)
    ids = np.array([s + [v] + o for s, v, o in zip(subjects, verbs, objects)], dtype=np.int64)  # (B, T) S V O
    out = np.array([s + o + [v] for s, v, o in zip(subjects, verbs, objects)], dtype=np.int64)  # (B, T) S O V
    return _one_hot(ids, len(ORDER_VOCAB)), out


def _ans_reorder(task, text):
    """Subject-object-verb by the rule: everything before the first verb, then everything after it, then the verb."""
    words = _tokens(task, text)
    verbs = [i for i, w in enumerate(words) if w in ORDER_VERBS]
    if not verbs:
        return None
    v = verbs[0]
    return words[:v] + words[v + 1:] + [words[v]]


# ---------------------------------------------------------------- forecast
# One reading per step (normalised by the training readings' mean and sd); the target at every step is the next
# reading. The readings come from a prepared signal (signals.prepare) kept in task.extra["signal"].


_DEFAULT_SIGNAL: list = []


def _signal(task: Task):
    sig = task.extra.get("signal")
    if sig is None:  # the registry's task, before a run prepared its signal: the default, from seed 0
        if not _DEFAULT_SIGNAL:
            from rnn_tutor.core import signals

            _DEFAULT_SIGNAL.append(signals.prepare(None, 0, None, task.default_length))
        sig = _DEFAULT_SIGNAL[0]
    return sig


def _gen_forecast(task: Task, rng, batch, length):
    return _signal(task).batch(rng, batch, length)


def _parse_readings(task: Task, text: str) -> np.ndarray:
    words = text.replace(",", " ").split()
    if not words:
        raise BadValueError("--input", f"is empty; try for example: {task.example!r}")
    values = []
    for w in words:
        try:
            v = plain_float(w)
        except ValueError:
            raise BadValueError("--input", f"{w!r} is not a number; give readings separated by spaces") from None
        if not np.isfinite(v):
            raise BadValueError("--input", f"{w!r} is not a finite number")
        values.append(v)
    return np.array(values)


def _enc_forecast(task, text):
    from rnn_tutor.core.stream import MAX_Z

    x = _parse_readings(task, text)
    with np.errstate(over="ignore"):
        z = _signal(task).normalise(x)  # (T,)
    far = np.flatnonzero(~(np.abs(z) <= MAX_Z))
    if far.size:  # as the stream refuses it: the cell's products would overflow to inf and NaN
        w = text.replace(",", " ").split()[int(far[0])]
        raise BadValueError("--input", f"{w!r} is more than {MAX_Z:.0e} standard deviations from the training "
                            "readings' mean, beyond what the model can take without overflowing")
    return z[None, :, None]  # (1, T, 1)


def _ans_forecast(task, text):
    return None  # the next reading has not happened yet


def forecast_task(signal: str | None = None, seed: int = 0, heldout: int | None = None, length: int | None = None,
                  column: str | None = None, prepared=None) -> Task:
    """The forecast task with its signal prepared (generated from ``seed``, or a file's readings)."""
    from rnn_tutor.core import signals

    base = TASKS["forecast"]
    sig = prepared if prepared is not None else signals.prepare(
        signal, seed, heldout, base.default_length if length is None else length, column)
    return Task(base.name, base.kind, base.input_size, base.output_size, base.min_length, base.default_length,
                base.summary, example=base.example, extra={"signal": sig})

# ---------------------------------------------------------------- text (a character-level language model)
# A Trainer on --task text replaces this task by one made from its corpus (core/lm.py: a stream of chunks with the
# state carried). On its own the task draws random windows of generated brackets text (corpus.brackets_text).


def _gen_text(task: Task, rng, batch, length):
    stream = task.extra.get("stream")
    if stream is not None:
        if (batch, length) != (stream.B, stream.T):
            raise BadValueError("--batch", f"this text stream makes batches of {stream.B} x {stream.T}")
        return stream.next()
    text = brackets_text(batch * (length + 1) * 2 + 1000, seed=int(rng.integers(2**31)))
    ids = np.array([task.vocab.index(c) for c in text[: batch * (length + 1)]]).reshape(batch, length + 1)
    return _one_hot(ids[:, :-1], task.input_size), ids[:, 1:].copy()


def _enc_text(task, text):
    from rnn_tutor.core import lm

    if not text:
        raise BadValueError("--input", "is empty; give a few characters for the model to continue")
    ids = lm.encode_prime(lm.vocab_of(task), text, option="--input")
    return _one_hot(ids.astype(np.int64), task.input_size)[None]


TEXT_VOCAB = BRACKETS_VOCAB

TASKS: dict[str, Task] = {
    "adding": Task(
        "adding", SEQ_REGRESSION, 2, 1, 2, 100,
        "two marked numbers in a long list; answer 0.5 + (sum of the two) / 4 (solved when off by < 0.04)",
        example="0.3* -0.2 0.9 0.5* 0.1 -0.7",
    ),
    "recall": Task(
        "recall", SEQ_CLASS, 8, 4, 1, 50,
        "the first symbol (a-d) is followed by distractors (w-z); answer the first symbol",
        vocab=RECALL_CLASSES + RECALL_NOISE, classes=tuple(c.upper() for c in RECALL_CLASSES),
        example="c x w z y w x",
    ),
    "order": Task(
        "order", SEQ_CLASS, len(ORDER_VOCAB), len(ORDER_NOUNS), 5, 8,
        "'the dog bit the man' vs 'the man bit the dog': answer who does the action",
        vocab=ORDER_VOCAB, classes=ORDER_NOUNS, example="the old man bit the dog",
    ),
    "tagging": Task(
        "tagging", STEP_CLASS, len(TAG_VOCAB), len(TAGS), TAG_MIN_LENGTH, 20,
        "tag every word DET/ADJ/NOUN/VERB/END; 'duck', 'fly', 'saw'... need the words before them",
        vocab=TAG_VOCAB, classes=TAGS, example="the duck saw a big fly .",
        extra={"why_min_length": TAG_WHY_MIN},
    ),
    "reverse": Task(
        "reverse", SEQ2SEQ, len(REVERSE_VOCAB), len(REVERSE_VOCAB), 1, 6,
        "encoder reads symbols a-h into one vector, decoder writes them back reversed",
        vocab=REVERSE_VOCAB, classes=REVERSE_VOCAB, example="a b c d e",
    ),
    "reorder": Task(
        "reorder", SEQ2SEQ, len(ORDER_VOCAB), len(ORDER_VOCAB), 5, 8,
        "subject-verb-object to subject-object-verb: 'the dog bit the man' -> 'the dog the man bit'",
        vocab=ORDER_VOCAB, classes=ORDER_VOCAB, example="the old dog bit the young brown man",
    ),
    "forecast": Task(
        "forecast", STEP_REGRESSION, 1, 1, 2, 100,
        "predict the next reading of a signal (knocks, sines, regimes or your file) from the readings so far",
        example="0.1 0.2 0.15 1.0 0.5 0.3",
    ),
    "text": Task(
        "text", NEXT_CHAR, len(TEXT_VOCAB), len(TEXT_VOCAB), 1, 100,
        "a character-level language model on --text (brackets, lessons, stdlib, a file or -)",
        vocab=TEXT_VOCAB, classes=TEXT_VOCAB, example="(owl [cat",
    ),
}

_GENERATORS = {
    "adding": _gen_adding, "recall": _gen_recall, "order": _gen_order,
    "tagging": _gen_tagging, "reverse": _gen_reverse, "reorder": _gen_reorder, "forecast": _gen_forecast,
    "text": _gen_text,
}
_ENCODERS = {
    "adding": _enc_adding, "recall": _enc_recall, "order": _enc_order,
    "tagging": _enc_recall, "reverse": _enc_recall, "reorder": _enc_recall, "forecast": _enc_forecast,
    "text": _enc_text,
}
_ANSWERS = {
    "adding": _ans_adding, "recall": _ans_recall, "order": _ans_order,
    "tagging": _ans_tagging, "reverse": _ans_reverse, "reorder": _ans_reorder, "forecast": _ans_forecast,
    "text": lambda task, text: None,
}


def get_task(name: str, option: str = "--task") -> Task:
    try:
        return TASKS[str(name).lower()]
    except KeyError:
        raise BadValueError(option, f"unknown task {name!r}; choose one of: {', '.join(TASKS)}") from None
