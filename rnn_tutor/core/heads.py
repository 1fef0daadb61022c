"""Output heads on top of a recurrent cell, their losses and gradients: the lesson's three output patterns.

- one output per sequence: a linear readout of the last hidden state, y = W h_T + b
  (squared error for a number, softmax cross-entropy for a class);
- one output per step: the same readout applied to every h_t (cross-entropy per step; squared error for a number
  per step, the next reading of a forecast);
- encoder-decoder: the encoder's final state (h_T, and c_T for an LSTM) is the *only* thing the decoder gets
  from the input (the fixed-size context vector). The decoder starts from it, reads the previous output symbol
  (a start flag first), and a readout on every decoder state gives the next symbol.

A model's parameters live in one flat dict: the cell under PyTorch's names (``weight_ih_l0`` ..., and
``weight_ih_l1`` ... for every further layer of a stack), the readout as ``head.weight`` (O, H) and ``head.bias``
(O,) on the top layer's h_t, and the decoder cell as ``decoder.weight_ih_l0`` ... (as many layers as the
encoder: the encoder's final state of every layer starts the decoder's layer).
The cells come from ``cells.py``; LSTMs run on the equal but faster ``fastlstm.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnn_tutor.core import attention, cells, fastlstm
from rnn_tutor.core.tasks import (ADDING_TOLERANCE, NEXT_CHAR, SEQ2SEQ, SEQ_CLASS, SEQ_REGRESSION, STEP_CLASS,
                                  STEP_REGRESSION, Task)

HEAD_KEYS = ("head.weight", "head.bias")
DECODER_PREFIX = "decoder."


# ------------------------------------------------------------------------------------------- losses


def linear(W: np.ndarray, b: np.ndarray, h: np.ndarray) -> np.ndarray:
    """y = h W^T + b over the last axis: h (..., H) -> (..., O)."""
    return h @ W.T + b


def linear_backward(W: np.ndarray, h: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of y = h W^T + b: (dW (O, H), db (O,), dh (..., H))."""
    h2 = h.reshape(-1, h.shape[-1])  # (N, H)
    dy2 = dy.reshape(-1, dy.shape[-1])  # (N, O)
    return dy2.T @ h2, dy2.sum(axis=0), dy @ W


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """L = mean((pred - target)^2); dL/dpred = 2 (pred - target) / N."""
    diff = pred - target
    return float(np.mean(diff * diff)), 2.0 * diff / diff.size


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)  # shift for stability, same probabilities
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """L = mean over items of -log softmax(logits)[label]; dL/dlogits = (p - onehot) / N.

    logits (..., O), labels (...) int."""
    p = softmax(logits)
    flat = p.reshape(-1, p.shape[-1])  # (N, O)
    lab = np.asarray(labels).reshape(-1)
    n = lab.size
    picked = flat[np.arange(n), lab]
    loss = float(-np.mean(np.log(np.maximum(picked, 1e-300))))
    d = flat.copy()
    d[np.arange(n), lab] -= 1.0
    return loss, (d / n).reshape(p.shape)


# ------------------------------------------------------------------------------------------- the model


@dataclass
class Model:
    """A cell plus the head its task needs. ``params`` is updated in place by the optimizer."""

    cell: str
    task: Task
    hidden_size: int
    params: dict[str, np.ndarray]
    decoder: str = "plain"  # encoder-decoder only: "plain" (the final state alone) or "attention" (attention.py)
    score: str | None = None  # attention only: "additive" (Bahdanau et al. 2014) or "dot" (Luong et al. 2015)
    _ws: dict = field(default_factory=dict, repr=False, compare=False)  # fastlstm workspaces

    @property
    def kind(self) -> str:
        return self.task.kind

    @property
    def num_layers(self) -> int:
        """Layers of the (encoder) cell: weight_ih_l0 .. weight_ih_l{L-1}."""
        return cells.num_layers(self.params)

    def cell_params(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Every layer's parameters of the cell under ``prefix`` ("" the encoder, DECODER_PREFIX the decoder),
        under the cells' names."""
        n = 0
        while f"{prefix}weight_ih_l{n}" in self.params:
            n += 1
        return {k: self.params[prefix + k] for k in cells.param_keys(max(n, 1))}


def decoder_input_size(task: Task, decoder: str = "plain", hidden: int = 0) -> int:
    if decoder == "attention":
        return attention.decoder_input_size(task, hidden)
    return task.output_size + 1  # previous symbol (one-hot) + a start flag


GATE_INITS = ("chrono", "plain")


def init_model(cell: str, task: Task, hidden_size: int, seed: int = 0, dtype=np.float64,
               gate_init: str = "chrono", length: int = 100, num_layers: int = 1, decoder: str = "plain",
               score: str | None = None) -> Model:
    """Fresh parameters from ``seed``: PyTorch's uniform(-1/sqrt(H), 1/sqrt(H)) for the cells and the readout.

    ``gate_init="chrono"`` (Tallec & Ollivier 2018) sets the bias of the gate that keeps the memory to
    log(u), u ~ uniform(1, length - 1): each unit starts out remembering for about u steps (LSTM: forget gate
    b_f = log u and input gate b_i = -log u; GRU: update gate b_z = log u), in every layer of a stack.
    ``"plain"`` keeps PyTorch's init. The readout of the adding task starts at the mean answer 0.5.
    With ``num_layers=1`` the draws are exactly those of a model made before stacks existed.
    ``decoder="attention"`` (encoder-decoder tasks) adds the attention parameters of ``score`` (attention.py);
    the plain decoder's numbers are drawn as before."""
    cell = cells.check_cell(cell)
    if gate_init not in GATE_INITS:
        from rnn_tutor.errors import BadValueError

        raise BadValueError("--gate-init", f"choose one of {', '.join(GATE_INITS)}, got {gate_init!r}")
    H = int(hidden_size)
    rng = np.random.default_rng([seed, 7])
    L = int(num_layers)
    params = dict(cells.init_params(cell, task.input_size, H, seed=int(rng.integers(2**31)), dtype=dtype,
                                    num_layers=L))
    decoder = attention.check_decoder(decoder)
    if decoder != "plain" and task.kind != SEQ2SEQ:
        from rnn_tutor.errors import BadValueError

        raise BadValueError("--decoder", f"the {task.name} task has no decoder (only encoder-decoder tasks do)")
    if task.kind == SEQ2SEQ:
        dec = cells.init_params(cell, decoder_input_size(task, decoder, H), H, seed=int(rng.integers(2**31)),
                                dtype=dtype, num_layers=L)
        params.update({DECODER_PREFIX + k: v for k, v in dec.items()})
    if gate_init == "chrono" and cell != "rnn":
        for prefix in ("", DECODER_PREFIX):
            for k in range(L):
                if prefix + f"bias_ih_l{k}" not in params:
                    continue
                b = params[prefix + f"bias_ih_l{k}"]
                keep = np.log(rng.uniform(1.0, max(2.0, length - 1.0), size=H))
                if cell == "lstm":  # rows i, f, g, o
                    b[H : 2 * H] = keep  # forget gate open: f = sigmoid(log u) = u / (1 + u)
                    b[:H] = -keep  # input gate mostly shut
                else:  # gru rows r, z, n: h = (1 - z) n + z h_prev
                    b[H : 2 * H] = keep
                params[prefix + f"bias_hh_l{k}"][(0 if cell == "lstm" else H) : 2 * H] = 0.0  # exactly log u
    bound = 1.0 / np.sqrt(H)
    params["head.weight"] = rng.uniform(-bound, bound, size=(task.output_size, H)).astype(dtype)
    params["head.bias"] = rng.uniform(-bound, bound, size=(task.output_size,)).astype(dtype)
    if task.kind == SEQ_REGRESSION:
        params["head.bias"][:] = 0.5
    if task.kind == STEP_REGRESSION:
        params["head.bias"][:] = 0.0  # the mean of the normalised readings
    if decoder == "attention" and task.kind == SEQ2SEQ:
        score = attention.check_score(score or attention.DEFAULT_SCORE)
        params.update(attention.init_params(task, H, score, seed, dtype))
        return Model(cell, task, H, params, decoder, score)
    return Model(cell, task, H, params)


def _forward(model: Model, x: np.ndarray, prefix: str = "", h0=None, c0=None, ws_key: str | None = None):
    p = model.cell_params(prefix)
    if model.cell == "lstm":
        ws = model._ws.setdefault(ws_key, fastlstm.Workspace()) if ws_key else None
        return fastlstm.forward(p, x, h0, c0, ws=ws)
    return cells.forward(model.cell, p, x, h0, c0)


def _backward(model: Model, fwd, prefix: str = "", dh=None, dh_last=None, dc_last=None) -> dict[str, np.ndarray]:
    p = model.cell_params(prefix)
    if model.cell == "lstm":
        return fastlstm.backward(p, fwd, dh=dh, dh_last=dh_last, dc_last=dc_last, need_x=False)
    return cells.backward(model.cell, p, fwd, dh=dh, dh_last=dh_last, dc_last=dc_last)


def _teacher_inputs(task: Task, y: np.ndarray, dtype) -> np.ndarray:
    """Decoder inputs: a start flag, then the previous target symbol.      y (B, T) -> (B, T, O+1)"""
    B, T = y.shape
    u = np.zeros((B, T, task.output_size + 1), dtype=dtype)
    u[:, 0, task.output_size] = 1.0
    if T > 1:
        np.put_along_axis(u[:, 1:, :], y[:, :-1, None], 1.0, axis=-1)
    return u


def loss_and_grads(model: Model, x: np.ndarray, y: np.ndarray, train: bool = True, state: dict | None = None):
    """Loss on a batch and the gradient for every parameter. Returns (loss, grads, outputs) where outputs are the
    predictions of this forward pass (teacher-forced for the encoder-decoder). ``state``: a language model's
    carried state (core/lm.py)."""
    W, b = model.params["head.weight"], model.params["head.bias"]
    kind = model.kind
    if kind == NEXT_CHAR:  # the per-step readout, with the state carried between chunks
        from rnn_tutor.core import lm

        return lm.loss_and_grads(model, x, y, state=state, train=train)
    if kind in (SEQ_REGRESSION, SEQ_CLASS):
        fwd = _forward(model, x, ws_key="enc" if train else None)
        h_last = np.array(fwd.h_last)  # (B, H)
        out = linear(W, b, h_last)  # (B, O)
        loss, dout = mse(out, y) if kind == SEQ_REGRESSION else cross_entropy(out, y)
        dW, db, dh_last = linear_backward(W, h_last, dout)
        g = _backward(model, fwd, dh_last=dh_last)
    elif kind in (STEP_CLASS, STEP_REGRESSION):
        fwd = _forward(model, x, ws_key="enc" if train else None)
        h = np.asarray(fwd.h)  # (B, T, H)
        out = linear(W, b, h)  # (B, T, O)
        loss, dout = cross_entropy(out, y) if kind == STEP_CLASS else mse(out, y)
        dW, db, dh = linear_backward(W, h, dout)
        g = _backward(model, fwd, dh=dh)
    elif kind == SEQ2SEQ and model.decoder == "attention":
        return attention.loss_and_grads(model, x, y, train)
    elif kind == SEQ2SEQ:
        enc = _forward(model, x, ws_key="enc" if train else None)
        u = _teacher_inputs(model.task, y, x.dtype)
        # every encoder layer's final state starts the same decoder layer: (L, B, H)
        dec = _forward(model, u, DECODER_PREFIX, h0=enc.h_n, c0=enc.c_n, ws_key="dec" if train else None)
        h = np.asarray(dec.h)  # (B, T, H)
        out = linear(W, b, h)  # (B, T, O)
        loss, dout = cross_entropy(out, y)
        dW, db, dh = linear_backward(W, h, dout)
        gd = _backward(model, dec, DECODER_PREFIX, dh=dh)
        # the context vector is the only path from the input to the output
        g = _backward(model, enc, dh_last=gd["h0"], dc_last=gd.get("c0") if model.cell == "lstm" else None)
        g.update({DECODER_PREFIX + k: gd[k] for k in cells.param_keys(model.num_layers)})
    else:  # pragma: no cover
        raise ValueError(kind)
    grads = {k: g[k] for k in model.params if k in g}
    grads["head.weight"], grads["head.bias"] = dW, db
    return loss, grads, out


def greedy_decode(model: Model, x: np.ndarray, length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Encoder-decoder without the answers: feed each predicted symbol back in.
    Returns (symbols (B, T) int, logits (B, T, O))."""
    if model.decoder == "attention":
        out = attention.greedy_decode(model, x, length)
        return out.symbols, out.logits
    task = model.task
    B, T, _ = x.shape
    T = length or T
    W, b = model.params["head.weight"], model.params["head.bias"]
    enc = _forward(model, x)
    h, c = enc.h_n, enc.c_n  # (L, B, H): every layer's state carries over
    O = task.output_size
    u = np.zeros((B, 1, O + 1), dtype=x.dtype)
    u[:, 0, O] = 1.0
    symbols = np.empty((B, T), dtype=np.int64)
    logits = np.empty((B, T, O), dtype=x.dtype)
    for t in range(T):
        step = _forward(model, u, DECODER_PREFIX, h0=h, c0=c)
        h, c = step.h_n, step.c_n
        logits[:, t] = linear(W, b, h[-1])
        symbols[:, t] = logits[:, t].argmax(axis=-1)
        u[:] = 0.0
        u[np.arange(B), 0, symbols[:, t]] = 1.0
    return symbols, logits


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float  # fraction of sequences solved (adding), of right classes, or of right tokens; forecast:
    # the share of the held-out readings' variance the predictions explain, 1 - MSE / variance (at least 0)
    sequence_accuracy: float | None = None  # encoder-decoder: fraction of outputs right in every symbol


EVAL_CHUNK = 128  # sequences per forward pass in evaluation: bounds its memory whatever --eval-size is
EVAL_STEPS = 4096  # steps per forward pass over a forecast's held-out stretch (the state carried between them)


def _final_state(fwd):
    """The state a forward pass ended in, to start the next piece from: (h, c), (L, B, H) once the cells stack
    layers (``h_n``), else (B, H); c is None but for an LSTM."""
    h = getattr(fwd, "h_n", None)
    c = getattr(fwd, "c_n", None)
    if h is None:
        h, c = fwd.h_last, getattr(fwd, "c_last", None)
    return np.array(h), None if c is None else np.array(c)


def step_outputs(model: Model, x: np.ndarray, ws_key: str | None = None) -> np.ndarray:
    """The readout on every step of x (B, T, D) -> (B, T, O), the state carried over pieces of EVAL_STEPS steps,
    so a long stretch needs memory for one piece only."""
    W, b = model.params["head.weight"], model.params["head.bias"]
    B, T, _ = x.shape
    out = np.empty((B, T, W.shape[0]), dtype=np.result_type(x.dtype, W.dtype))
    h = c = None
    for i in range(0, T, EVAL_STEPS):
        piece = x[:, i : i + EVAL_STEPS]
        fwd = _forward(model, piece, h0=h, c0=c, ws_key=None if piece.shape[1] < EVAL_STEPS else ws_key)
        out[:, i : i + piece.shape[1]] = linear(W, b, np.asarray(fwd.h))
        h, c = _final_state(fwd)
    return out


def evaluate(model: Model, x: np.ndarray, y: np.ndarray) -> Evaluation:
    """Loss and accuracy on a held-out set (the encoder-decoder decodes greedily, without the answers).

    Runs over chunks of EVAL_CHUNK sequences, so that the memory it needs does not grow with the set's size;
    the loss is the mean over all items and the accuracy counts every item, as if in one pass."""
    B = x.shape[0]
    loss_sum, right, items, whole = 0.0, 0, 0, 0
    for i in range(0, B, EVAL_CHUNK):
        xs, ys = x[i : i + EVAL_CHUNK], y[i : i + EVAL_CHUNK]
        # full chunks share one workspace; a shorter last chunk gets its own, so neither is reallocated
        loss, r, n, w = _evaluate_chunk(model, xs, ys, "eval" if xs.shape[0] == EVAL_CHUNK else "eval-last")
        loss_sum += loss * n
        right += r
        items += n
        whole += w or 0
    if model.kind == STEP_REGRESSION:
        return Evaluation(loss_sum / items, explained(loss_sum / items, y[:, score_from(model.task) :]))
    return Evaluation(loss_sum / items, right / items, whole / B if model.kind == SEQ2SEQ else None)


def score_from(task: Task) -> int:
    """The first step a forecast is scored at: where AR(k), its baseline, has k readings to go on (k - 1)."""
    from rnn_tutor.core.signals import AR_ORDER

    return AR_ORDER - 1 if task.kind == STEP_REGRESSION else 0


def explained(mse: float, y: np.ndarray) -> float:
    """1 - MSE / variance of the targets, floored at 0: the share of the readings' variance a forecast explains."""
    var = float(np.var(y))
    return max(0.0, 1.0 - mse / var) if var > 0 else 0.0


def _evaluate_chunk(model: Model, x: np.ndarray, y: np.ndarray, ws_key: str) -> tuple[float, int, int, int | None]:
    """(mean loss, number of items right, number of items, encoder-decoder: sequences right) for one chunk."""
    kind = model.kind
    W, b = model.params["head.weight"], model.params["head.bias"]
    if kind == SEQ2SEQ:
        symbols, logits = greedy_decode(model, x)
        loss, _ = cross_entropy(logits, y)
        return loss, int(np.sum(symbols == y)), y.size, int(np.sum(np.all(symbols == y, axis=1)))
    if kind == STEP_REGRESSION:  # scored where the baselines can be: from step k - 1 on
        s = score_from(model.task)
        out = step_outputs(model, x, ws_key)[:, s:]
        loss, _ = mse(out, y[:, s:])
        return loss, 0, out.size, None
    fwd = _forward(model, x, ws_key=ws_key)
    if kind in (STEP_CLASS, NEXT_CHAR):
        out = linear(W, b, np.asarray(fwd.h))
        loss, _ = cross_entropy(out, y)
        return loss, int(np.sum(out.argmax(-1) == y)), y.size, None
    out = linear(W, b, np.asarray(fwd.h_last))
    if kind == SEQ_REGRESSION:
        loss, _ = mse(out, y)
        return loss, int(np.sum(np.abs(out - y) < ADDING_TOLERANCE)), out.size, None
    loss, _ = cross_entropy(out, y)
    return loss, int(np.sum(out.argmax(-1) == y)), y.size, None


def predict(model: Model, x: np.ndarray) -> np.ndarray:
    """Outputs for x (B, T, D): numbers (B,) for adding; class probabilities (B, O) per sequence; (B, T, O) per
    step; numbers (B, T) per step for forecast; for the encoder-decoder, probabilities of the greedily decoded
    symbols (B, T, O)."""
    W, b = model.params["head.weight"], model.params["head.bias"]
    if model.kind == SEQ2SEQ:
        _, logits = greedy_decode(model, x)
        return softmax(logits)
    if model.kind == STEP_REGRESSION:
        return step_outputs(model, x)[..., 0]
    fwd = _forward(model, x)
    if model.kind in (STEP_CLASS, NEXT_CHAR):
        return softmax(linear(W, b, np.asarray(fwd.h)))
    out = linear(W, b, np.asarray(fwd.h_last))
    return out[:, 0] if model.kind == SEQ_REGRESSION else softmax(out)
