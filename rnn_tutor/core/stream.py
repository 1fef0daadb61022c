"""Streaming: a saved model's state carried one input at a time, with constant memory however long the stream.

``Stepper`` runs one step of a model's cell stack and its readout. It keeps, per layer, one vector
v = [h_(t-1); x_t; 1] (H + D + 1,) and one matrix with the cell's weights and both biases side by side, so a step
is one matrix-vector product per layer plus a few in-place element-wise calls, and nothing is allocated:

    RNN:   h_t = tanh([W_hh | W_ih | b_ih + b_hh] v)
    LSTM:  [i; f; o; g] = [W_h | W_i | b_i + b_h] v  (rows reordered, i, f, o halved: sigmoid(a) = (1 + tanh(a/2)) / 2)
           c_t = f * c_(t-1) + i * g ;  h_t = o * tanh(c_t)
    GRU:   [a_r; a_z] = [W_h{r,z} | W_i{r,z} | b_i + b_h] v,  x_n = [0 | W_in | b_in] v,  h_n = [W_hn | 0 | b_hn] v
           r, z = sigmoid(a_r), sigmoid(a_z) ;  n = tanh(x_n + r * h_n) ;  h_t = n + z * (h_(t-1) - n)

These are the equations of ``cells.py`` (PyTorch's gate order and GRU reset-gate placement), so a stream gives the
batch forward pass's numbers: the tests check every state and output against ``cells.forward``/``heads.predict``
over the same inputs to 1e-12. Stacked layers (``weight_ih_l1``, ...) are stepped bottom to top, the state is
(L, H) per cell state. The readout y = W h + b is one more product with [W | 0 | b] v of the top layer.

The streams on top turn one input of each kind of model into one answer (``feed``): a reading for forecast and
adding models, a token for the symbol tasks, a character for a language model (the hook below). An
encoder-decoder cannot answer before its input ends, so it has no stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import cells, heads, tasks
from rnn_tutor.core.numbers import plain_float
from rnn_tutor.errors import BadValueError

MAX_Z = 1e100  # a reading further than this many sds from the training mean would overflow a step
MAX_TOKEN_CHARS = 200  # a stream's inputs are short: longer ones are refused before they are parsed


class Skip(Exception):
    """One input the stream cannot use (not a number, an unknown word): reported, skipped, the stream goes on."""


class Stepper:
    """One step at a time through a model's cells (any number of layers) and its readout."""

    def __init__(self, model: heads.Model, dtype=np.float64):
        self.cell = model.cell
        self.dtype = dt = np.dtype(dtype)
        p = model.params
        self.layers = L = cells.num_layers(p)
        if L < 1:
            raise BadValueError(None, "the model has no cell weights (weight_ih_l0)")
        H = model.hidden_size
        self.hidden_size = H
        self.input_size = int(p["weight_ih_l0"].shape[1])
        self._v, self._A, self._kernels = [], [], []
        self._c = []
        for layer in range(L):
            w_ih = np.asarray(p[f"weight_ih_l{layer}"], dtype=np.float64)
            w_hh = np.asarray(p[f"weight_hh_l{layer}"], dtype=np.float64)
            b = np.asarray(p[f"bias_ih_l{layer}"], dtype=np.float64), np.asarray(p[f"bias_hh_l{layer}"], dtype=np.float64)
            D = w_ih.shape[1]
            v = np.zeros(H + D + 1, dtype=dt)  # [h_(t-1); x_t; 1]
            v[-1] = 1.0
            A = _fused(self.cell, w_ih, w_hh, *b, H).astype(dt)
            self._v.append(v)
            self._A.append(A)
            self._kernels.append(self._kernel(v, A, H))
        W = np.asarray(p["head.weight"], dtype=np.float64)  # (O, H)
        top = self._v[-1]
        R = np.zeros((W.shape[0], top.shape[0]))
        R[:, :H] = W
        R[:, -1] = np.asarray(p["head.bias"], dtype=np.float64)
        self._R = R.astype(dt)  # [W | 0 | b]: y = R v after v's h slot holds h_t
        self._y = np.empty(W.shape[0], dtype=dt)
        self._x0 = self._v[0][H : H + self.input_size]  # where the input goes
        self._links = [(self._v[k][H : 2 * H], self._v[k - 1][:H]) for k in range(1, L)]
        self.steps = 0

    def _kernel(self, v: np.ndarray, A: np.ndarray, H: int):
        """The step of one layer as a closure over its buffers (views made once: a step allocates nothing)."""
        dt = self.dtype
        h = v[:H]  # h_t is written over h_(t-1), in place: it is the next step's input
        dot, tanh, mul, add, sub = np.dot, np.tanh, np.multiply, np.add, np.subtract
        if self.cell == "rnn":
            a = np.empty(H, dtype=dt)

            def step():
                dot(A, v, a)
                tanh(a, h)  # h_t = tanh(W_hh h + W_ih x + b)
            return step
        if self.cell == "lstm":
            z = np.empty(4 * H, dtype=dt)
            sig, half = z[: 3 * H], np.full(3 * H, 0.5, dtype=dt)
            i, f, o, g = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
            c = np.zeros(H, dtype=dt)
            ig, tc = np.empty(H, dtype=dt), np.empty(H, dtype=dt)
            self._c.append(c)

            def step():
                dot(A, v, z)  # [i; f; o] halved, g: pre-activations (4H,)
                tanh(z, z)
                mul(sig, half, sig)
                add(sig, half, sig)  # i, f, o = sigmoid(.) = (1 + tanh(./2)) / 2
                mul(f, c, c)  # f * c_(t-1)
                mul(i, g, ig)
                add(c, ig, c)  # c_t = f * c_(t-1) + i * g
                tanh(c, tc)
                mul(o, tc, h)  # h_t = o * tanh(c_t)
            return step
        # GRU
        a = np.empty(4 * H, dtype=dt)
        rz, half = a[: 2 * H], np.full(2 * H, 0.5, dtype=dt)
        r, zg, xn, hn = a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
        n, d = np.empty(H, dtype=dt), np.empty(H, dtype=dt)

        def step():
            dot(A, v, a)  # [r, z halved; W_in x + b_in; W_hn h + b_hn]
            tanh(rz, rz)
            mul(rz, half, rz)
            add(rz, half, rz)  # r, z = sigmoid(.)
            mul(r, hn, n)
            add(n, xn, n)
            tanh(n, n)  # n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
            sub(h, n, d)
            mul(d, zg, d)
            add(n, d, h)  # h_t = n + z * (h_(t-1) - n) = (1 - z) n + z h_(t-1)
        return step

    def step(self, x) -> np.ndarray:
        """Feed x_t (D,) (a number when D = 1); returns the readout y_t (O,), a view overwritten by the next
        step (copy it to keep it)."""
        self._x0[:] = x
        kernels = self._kernels
        kernels[0]()
        for (dst, src), kernel in zip(self._links, kernels[1:]):
            dst[:] = src  # layer l reads layer l-1's h_t
            kernel()
        np.dot(self._R, self._v[-1], self._y)
        self.steps += 1
        return self._y

    @property
    def h(self) -> np.ndarray:
        """The hidden state now, (L, H) (a copy)."""
        H = self.hidden_size
        return np.stack([v[:H] for v in self._v])

    @property
    def c(self) -> np.ndarray | None:
        """The LSTM cell state now, (L, H) (a copy); None for other cells."""
        return np.stack(self._c) if self._c else None

    @property
    def state_numbers(self) -> int:
        """How many numbers the state holds: h (and c) of every layer, the same after every step."""
        return self.layers * self.hidden_size * (2 if self.cell == "lstm" else 1)

    def reset(self) -> None:
        H = self.hidden_size
        for v in self._v:
            v[:H] = 0.0
        for c in self._c:
            c[:] = 0.0
        self.steps = 0


def _fused(cell: str, w_ih, w_hh, b_ih, b_hh, H: int) -> np.ndarray:
    """The one matrix a layer's step multiplies [h; x; 1] by (see the module docstring)."""
    D = w_ih.shape[1]
    if cell == "rnn":
        return np.hstack([w_hh, w_ih, (b_ih + b_hh)[:, None]])  # (H, H + D + 1)
    if cell == "lstm":
        full = np.hstack([w_hh, w_ih, (b_ih + b_hh)[:, None]])  # rows i, f, g, o
        order = np.concatenate([np.arange(H), np.arange(H, 2 * H), np.arange(3 * H, 4 * H), np.arange(2 * H, 3 * H)])
        A = full[order]  # rows i, f, o, g
        A[: 3 * H] *= 0.5  # sigmoid(a) = (1 + tanh(a / 2)) / 2 (halving is exact in floating point)
        return A
    A = np.zeros((4 * H, H + D + 1))  # GRU, PyTorch rows r, z, n
    A[: 2 * H, :H] = w_hh[: 2 * H]
    A[: 2 * H, H : H + D] = w_ih[: 2 * H]
    A[: 2 * H, -1] = b_ih[: 2 * H] + b_hh[: 2 * H]
    A[: 2 * H] *= 0.5
    A[2 * H : 3 * H, H : H + D] = w_ih[2 * H :]  # W_in x + b_in
    A[2 * H : 3 * H, -1] = b_ih[2 * H :]
    A[3 * H :, :H] = w_hh[2 * H :]  # W_hn h + b_hn (the reset gate multiplies this part)
    A[3 * H :, -1] = b_hh[2 * H :]
    return A


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
    """A character-level language model (the hook for ``train --task text``): one character per input. Each
    record gives the bits the model spent on this character (-log2 of the probability it gave it one step
    before) and its most likely next character."""

    unit = "character"
    columns = ("t", "char", "bits", "next", "p_next")

    def __init__(self, saved, dtype=np.float64):
        super().__init__(saved, dtype)
        self.columns = CharStream.columns
        self._p = None

    def parse(self, text: str) -> int:
        i = self.index.get(text.casefold() if text not in self.index else text)
        if i is None:
            i = self.index.get(_UNKNOWN)
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
