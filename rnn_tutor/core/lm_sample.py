"""Sampling a language model: it reads a prime (or the start symbol), then draws each next character from its
distribution (softmax(logits / temperature)) and reads it back in, one step at a time through the package's one
stepper (``stepper.TextStepper``). The same seed gives the same text; temperature 0 is the greedy argmax.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import heads
from rnn_tutor.core.corpus import Vocab
from rnn_tutor.core.lm_data import vocab_of
from rnn_tutor.core.stepper import TextStepper
from rnn_tutor.errors import BadValueError

MAX_SAMPLE = 100_000


def start_symbol(vocab: Vocab) -> int:
    """What the model reads before a text or a sample without --prime: a newline (a line starts), else a
    space, else the first character of the vocabulary."""
    for ch in ("\n", " "):
        if ch in vocab.chars:
            return vocab.chars.index(ch)
    return 0


def tempered(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature); temperature 0 puts all the mass on the argmax (the first, on ties).

    The logits are shifted by their maximum BEFORE the division (the same probabilities: softmax ignores a shift):
    the shifted logits are <= 0, so dividing by any positive temperature, however small (1e-310), can only give a
    finite number <= 0 or -inf (probability 0), never +inf (inf - inf is NaN). A temperature that small leaves
    the mass on the maximum, as temperature 0 does."""
    if temperature == 0:
        p = np.zeros_like(logits)
        np.put_along_axis(p, logits.argmax(-1)[..., None], 1.0, axis=-1)
        return p
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (..., V), every entry <= 0
    with np.errstate(over="ignore"):  # -x / 1e-310 may overflow to -inf: exp(-inf) = 0, the right limit
        return heads.softmax(shifted / temperature)


def check_temperature(t, typed: str | None = None) -> float:
    """The temperature as a float, checked: a number from 0 to 100. ``typed`` is what the user wrote (the
    message echoes it, not the float it became: "-1", not "-1.0")."""
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or not 0 <= t <= 100:
        shown = repr(typed) if typed is not None else repr(t)
        raise BadValueError("--temperature", f"must be a number from 0 (always the likeliest) to 100, got {shown}")
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
    st = TextStepper(model, batch)
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
