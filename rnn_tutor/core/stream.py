"""Streaming: a saved model on live inputs, one answer per input, with constant memory however long the stream.

The stepping itself (a model's cell stack and readout, one input at a time, nothing allocated per step) is
``stepper.Stepper``, the one stepping code of the package (``Stepper`` is importable from here too). The streams
here turn one input of each kind of model into one answer (``feed``): a reading for forecast and adding models,
a token for the symbol tasks, a character for a language model. An encoder-decoder cannot answer before its
input ends, so it has no stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import heads, tasks
from rnn_tutor.core.numbers import plain_float
from rnn_tutor.core.stepper import Stepper
from rnn_tutor.errors import BadValueError

MAX_Z = 1e100  # a reading further than this many sds from the training mean would overflow a step
MAX_TOKEN_CHARS = 200  # a stream's inputs are short: longer ones are refused before they are parsed


class Skip(Exception):
    """One input the stream cannot use (not a number, an unknown word): reported, skipped, the stream goes on."""


# ---------------------------------------------------------------------------------------------- streams per model


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


class Stream:
    """What every stream has: a stepper, an input counter and the state's size."""

    unit = "reading"  # what one input is: reading | token | character
    columns: tuple[str, ...] = ()

    def __init__(self, saved, dtype=np.float64):
        self.saved = saved
        self.task = saved.model.task
        self.stepper = Stepper(saved.model, dtype)
        self.t = 0

    def feed_text(self, text: str) -> dict:
        """One input as typed (a number, a word, a character): its answer as a record, or Skip."""
        if len(text) > MAX_TOKEN_CHARS:
            raise Skip(f"{text[:20]!r}... is {len(text):,} characters long; an input is one number or word")
        return self.feed(self.parse(text))

    def parse(self, text: str):
        raise NotImplementedError

    def feed(self, x) -> dict:
        raise NotImplementedError

    def summary(self) -> dict:
        s = self.stepper
        return {"inputs": self.t, "unit": self.unit, "cell": s.cell, "layers": s.layers, "hidden": s.hidden_size,
                "state_numbers": s.state_numbers,
                "state": ("h and c" if s.cell == "lstm" else "h") + f", {s.layers} x {s.hidden_size} each"}


class ForecastStream(Stream):
    """A forecast model on live readings: each reading is normalised with the saved statistics, the model
    steps, and the record says what it had predicted for this reading, the error, and its prediction of the
    next one. With ``anomaly`` = K, a reading whose error exceeds K times the held-out errors' standard
    deviation is flagged."""

    unit = "reading"

    def __init__(self, saved, anomaly: float | None = None, dtype=np.float64):
        super().__init__(saved, dtype)
        meta = saved.meta
        self.mean, self.std = float(meta["norm_mean"]), float(meta["norm_std"])
        self.error_std = meta.get("error_std")
        self.anomaly = anomaly
        self.threshold = None if anomaly is None else anomaly * float(self.error_std)
        self.columns = ("t", "reading", "predicted", "error", "next") + (("surprise", "anomaly") if anomaly else ())
        self.next: float | None = None
        self.sq_sum = 0.0
        self.scored = 0
        self.anomalies = 0

    def parse(self, text: str) -> float:
        try:
            v = plain_float(text)
        except ValueError:
            raise Skip(f"{text!r} is not a number") from None
        if not math.isfinite(v):
            raise Skip(f"{text!r} is not a finite number")
        z = (v - self.mean) / self.std
        if not abs(z) <= MAX_Z:  # the cell's products would overflow and leave NaN in the state for good
            raise Skip(f"{text!r} is more than {MAX_Z:.0e} standard deviations from the training readings' mean, "
                       "beyond what the model can take without overflowing")
        return v

    def feed(self, x: float) -> dict:
        self.t += 1
        pred = self.next
        z = (x - self.mean) / self.std
        y = self.stepper.step(z)
        nxt = float(y[0]) * self.std + self.mean
        self.next = _finite(nxt)
        rec = {"t": self.t, "reading": x, "predicted": pred, "error": None, "next": self.next}
        if pred is not None:
            err = x - pred
            rec["error"] = _finite(err)
            if math.isfinite(err) and math.isfinite(self.sq_sum + err * err):
                self.sq_sum += err * err
                self.scored += 1
        if self.anomaly is not None:
            err = rec["error"]
            flagged = err is not None and abs(err) > self.threshold
            rec["surprise"] = (None if err is None or not self.error_std else _finite(abs(err) / self.error_std))
            rec["anomaly"] = flagged
            self.anomalies += flagged
        return rec

    def summary(self) -> dict:
        out = super().summary()
        out.update(mse=self.sq_sum / self.scored if self.scored else None, scored=self.scored,
                   heldout_mse=self.saved.meta.get("heldout_mse"), error_std=self.error_std)
        if self.anomaly is not None:
            out.update(anomalies=self.anomalies, threshold=self.threshold, anomaly_k=self.anomaly)
        return out


class AddingStream(Stream):
    """An adding model: one value in [-1, 1] per input, '*' marks one of the two to add. Each record gives the
    model's answer if the sequence ended here, and the task's answer once exactly two values are marked."""

    unit = "reading"
    columns = ("t", "input", "marked", "answer", "expected")

    def __init__(self, saved, dtype=np.float64):
        super().__init__(saved, dtype)
        self.marked: list[float] = []  # at most the two the rule adds (then the count goes on)
        self.marks = 0
        self._x = np.zeros(2)

    def parse(self, text: str):
        mark = text.endswith("*")
        try:
            v = plain_float(text[:-1] if mark else text)
        except ValueError:
            raise Skip(f"{text!r} is not a number (a value in [-1, 1], '*' after one to mark it)") from None
        if not math.isfinite(v) or abs(v) > 1.0:
            raise Skip(f"{text!r} is outside [-1, 1], the values the adding task is trained on")
        return v, mark

    def feed(self, x) -> dict:
        v, mark = x
        self.t += 1
        self._x[0], self._x[1] = v, 1.0 if mark else 0.0
        y = self.stepper.step(self._x)
        if mark:
            self.marks += 1
            if len(self.marked) < 2:
                self.marked.append(v)
        expected = 0.5 + sum(self.marked) / 4.0 if self.marks == 2 else None
        return {"t": self.t, "input": v, "marked": mark, "answer": _finite(float(y[0])), "expected": expected}


class TokenStream(Stream):
    """A symbol-task model (recall, order, tagging): one word per input, one-hot over the task's vocabulary.
    Tagging answers each word's tag; a whole-sequence task answers what it would say if the input ended here."""

    unit = "token"

    def __init__(self, saved, dtype=np.float64):
        super().__init__(saved, dtype)
        self.index = {w.casefold(): i for i, w in enumerate(self.task.vocab)}
        self._x = np.zeros(len(self.task.vocab))
        self._last = None
        per_step = self.task.kind == tasks.STEP_CLASS
        self.columns = ("t", "token", "tag" if per_step else "answer", "confidence")

    def parse(self, text: str) -> int:
        i = self.index.get(text.casefold())
        if i is None:
            raise Skip(f"unknown word {text!r} for the {self.task.name} task; known words: "
                       f"{', '.join(self.task.vocab)}")
        return i

    def feed(self, i: int) -> dict:
        self.t += 1
        if self._last is not None:
            self._x[self._last] = 0.0
        self._x[i] = 1.0
        self._last = i
        logits = self.stepper.step(self._x)
        p = heads.softmax(logits)
        k = int(p.argmax())
        key = self.columns[2]
        return {"t": self.t, "token": self.task.vocab[i], key: self.task.classes[k], "confidence": float(p[k])}


class CharStream(TokenStream):
    """A character-level language model (``train --task text``): one character per input. Each record gives the
    bits the model spent on this character (-log2 of the probability it gave it one step before) and its most
    likely next character. Before the first character the model reads the start symbol (``lm.start_symbol``: a
    newline, as a line starts), from the zero state, as ``sample`` and ``inspect`` do; so the first character's
    bits are the model's guess after a newline, and a text gives the bits ``inspect --surprise`` gives it."""

    unit = "character"
    columns = ("t", "char", "bits", "next", "p_next")

    def __init__(self, saved, dtype=np.float64):
        super().__init__(saved, dtype)
        self.columns = CharStream.columns
        self.exact = {ch: i for i, ch in enumerate(self.task.vocab)}  # characters are not words: 'A' is not 'a'
        from rnn_tutor.core.lm_data import vocab_of
        from rnn_tutor.core.lm_sample import start_symbol

        start = start_symbol(vocab_of(self.task))  # read first, not counted as an input (t stays 0)
        self._x[start] = 1.0
        self._last = start
        self._p = heads.softmax(np.array(self.stepper.step(self._x)))  # p(first character | start symbol)

    def parse(self, text: str) -> int:
        """The character's id; one the model does not know is read as its other case if the model knows that
        one, else as the unknown symbol if the model has it, else skipped."""
        i = self.exact.get(text)
        if i is None:
            i = self.index.get(text.casefold())
        if i is None:
            i = self.exact.get(_UNKNOWN)
        if i is None:
            raise Skip(f"the character {text!r} is not in the model's alphabet")
        return i

    def feed(self, i: int) -> dict:
        bits = None if self._p is None else _finite(-math.log2(max(float(self._p[i]), 1e-300)))
        self.t += 1
        if self._last is not None:
            self._x[self._last] = 0.0
        self._x[i] = 1.0
        self._last = i
        self._p = heads.softmax(np.array(self.stepper.step(self._x)))
        k = int(self._p.argmax())
        return {"t": self.t, "char": self.task.vocab[i], "bits": bits, "next": self.task.classes[k],
                "p_next": float(self._p[k])}


_UNKNOWN = "\ufffd"  # a language model's "unknown character" symbol, if its vocabulary has one
LANGUAGE_TASKS = ("text",)  # tasks whose models read one character at a time


def open_stream(saved, anomaly: float | None = None, dtype=np.float64) -> Stream:
    """The stream for a saved model's kind. BadValueError for a model that cannot answer before its input ends
    (an encoder-decoder), and for --anomaly on anything but a forecast."""
    task = saved.model.task
    if anomaly is not None:
        if task.kind != tasks.STEP_REGRESSION:
            raise BadValueError("--anomaly", f"flags surprising readings of a forecast model; this one is for the "
                                f"{task.name} task")
        if not (isinstance(anomaly, (int, float)) and math.isfinite(anomaly) and anomaly > 0):
            raise BadValueError("--anomaly", f"must be a number above 0 (how many standard deviations of the "
                                f"held-out error count as a surprise), got {anomaly}")
    if task.kind == tasks.STEP_REGRESSION:
        return ForecastStream(saved, anomaly, dtype)
    if task.kind == tasks.SEQ2SEQ:
        raise BadValueError("--stream", f"a {task.name} model is an encoder-decoder: its decoder starts only once the "
                            "whole input has been read, so it has no answer per input",
                            f"use: rnn-tutor predict MODEL --input \"{task.example}\"")
    if task.name in LANGUAGE_TASKS:
        return CharStream(saved, dtype)
    if task.kind == tasks.SEQ_REGRESSION:
        return AddingStream(saved, dtype)
    return TokenStream(saved, dtype)


@dataclass(frozen=True)
class StreamEnd:
    """How a stream ended, for the closing line."""

    summary: dict
    interrupted: bool
