"""Attention: an encoder-decoder whose decoder looks at every encoder state at every output step.

The plain decoder (``heads.py``) gets the input only through the encoder's final state, one fixed-size vector.
Here the decoder also starts from that state, but at every output step it scores each encoder state h_j, turns
the scores into weights that sum to 1 over the input (a softmax), and reads their weighted average, the context
c_t. The weights a_tj are kept: one T_out x T_in matrix per example, what ``predict --attention`` draws.

Two forms, each as its paper wires it into the decoder (letters as in the papers):

additive -- Bahdanau, Cho & Bengio (2014), "Neural machine translation by jointly learning to align and
translate". The *previous* decoder state s_{t-1} asks where to look, and the context enters the recurrence:

    e_tj = v_a^T tanh(W_a s_{t-1} + U_a h_j)          score of input position j for output step t
    a_tj = exp(e_tj) / sum_k exp(e_tk)                 attention weights, sum_j a_tj = 1
    c_t  = sum_j a_tj h_j                              context: a weighted average of the encoder states
    s_t  = cell(s_{t-1}, [y_{t-1}; c_t])               the decoder reads the previous symbol and the context
    logits_t = W_o [s_t; c_t] + b_o

dot -- Luong, Pham & Manning (2015), "Effective approaches to attention-based neural machine translation",
global attention with the dot score and their input feeding. The *current* decoder state asks:

    s_t  = cell(s_{t-1}, [y_{t-1}; s~_{t-1}])          input feeding: the last attentional state goes back in
    e_tj = s_t . h_j                                   (s~_0 = 0)
    a_tj = exp(e_tj) / sum_k exp(e_tk)
    c_t  = sum_j a_tj h_j
    s~_t = tanh(W_c [c_t; s_t])                        the attentional state (no bias, as in the paper)
    logits_t = W_o s~_t + b_o

What differs from the papers, on purpose: the encoder is the same one-directional RNN the plain decoder gets
(Bahdanau et al. used a bidirectional one), so the two decoders are compared on equal terms; the decoder starts
from the encoder's final state, as the plain one does; the readout is one linear layer (Bahdanau et al. used a
maxout layer); the models are one layer deep.

Parameters (besides the encoder cell and ``decoder.*``, whose input grows by H numbers):
    additive: attention.query.weight W_a (A, H), attention.key.weight U_a (A, H), attention.score.weight v_a^T
              (1, A), head.weight W_o (O, 2H), head.bias b_o (O,)
    dot:      attention.combine.weight W_c (H, 2H), head.weight W_o (O, H), head.bias b_o (O,)
with A = H. Shapes: B batch, S input steps (T_in), T output steps (T_out), H hidden, O output symbols.

Stacked cells (L layers): the decoder stack starts from every encoder layer's final state, as the plain decoder
does; attention reads the top encoder layer's states, and the top decoder layer's state asks (s_t above is the
top layer's); the context enters the bottom decoder layer.

The backward pass runs through the readout, the attention weights (softmax), the scores, the decoder cell step
by step (``cells.backward`` over one step at a time, because each step's input depends on the step before)
and the encoder (every state h_j receives gradient from every output step, its final state also through s_0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import cells
from rnn_tutor.errors import BadValueError

DECODERS = ("plain", "attention")
SCORES = ("additive", "dot")
DEFAULT_SCORE = "additive"
PAPERS = {"additive": "Bahdanau, Cho & Bengio 2014", "dot": "Luong, Pham & Manning 2015"}
MAX_LENGTH = 1000  # the weights are a T_out x T_in matrix per sequence: past this, memory and time grow as T²
PREFIX = "attention."
DECODER_PREFIX = "decoder."


def check_decoder(decoder: str, option: str = "--decoder") -> str:
    name = str(decoder).lower()
    if name not in DECODERS:
        raise BadValueError(option, f"choose one of {', '.join(DECODERS)}, got {decoder!r}")
    return name


def check_score(score: str, option: str = "--score") -> str:
    name = str(score).lower()
    if name not in SCORES:
        raise BadValueError(option, f"choose one of {', '.join(SCORES)}, got {score!r}")
    return name


def check_length(length: int, option: str = "--length") -> int:
    if length > MAX_LENGTH:
        raise BadValueError(option, f"the attention decoder takes inputs of at most {MAX_LENGTH:,} steps (it keeps "
                            f"a {length:,} x {length:,} matrix of weights per sequence), got {length:,}")
    return length


def param_shapes(task, hidden: int, score: str) -> dict[str, tuple[int, ...]]:
    """Shapes of the attention parameters and of the head, for a task with ``output_size`` symbols."""
    H, O = int(hidden), task.output_size
    if score == "additive":
        return {PREFIX + "query.weight": (H, H), PREFIX + "key.weight": (H, H), PREFIX + "score.weight": (1, H),
                "head.weight": (O, 2 * H), "head.bias": (O,)}
    return {PREFIX + "combine.weight": (H, 2 * H), "head.weight": (O, H), "head.bias": (O,)}


def decoder_input_size(task, hidden: int) -> int:
    """Previous symbol (one-hot) + start flag + the context (additive) or the attentional state (dot)."""
    return task.output_size + 1 + int(hidden)


def init_params(task, hidden: int, score: str, seed: int, dtype=np.float64) -> dict[str, np.ndarray]:
    """PyTorch's nn.Linear init, uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), from its own stream of ``seed``."""
    rng = np.random.default_rng([seed, 8])
    out = {}
    for key, shape in param_shapes(task, hidden, score).items():
        fan_in = shape[1] if len(shape) == 2 else 2 * hidden if score == "additive" else hidden
        bound = 1.0 / np.sqrt(fan_in)
        out[key] = rng.uniform(-bound, bound, size=shape).astype(dtype)
    return out


def softmax(e: np.ndarray) -> np.ndarray:
    """a_j = exp(e_j) / sum_k exp(e_k) over the last axis (shifted by the max: the same numbers, no overflow)."""
    z = np.exp(e - e.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@dataclass
class _Step:
    """What one decoder step keeps for the backward pass."""

    fwd: cells.Forward  # the decoder cell (every layer) over this one step
    s_prev: np.ndarray  # (B, H) s_{t-1} of the top layer
    s: np.ndarray  # (B, H) s_t of the top layer
    a: np.ndarray  # (B, S) attention weights
    ctx: np.ndarray  # (B, H) c_t
    Z: np.ndarray | None  # (B, S, A) additive: tanh(W_a s_{t-1} + U_a h_j)
    readout: np.ndarray  # (B, 2H) [s_t; c_t] (additive) or (B, H) s~_t (dot): what W_o multiplies


@dataclass
class Decoded:
    logits: np.ndarray  # (B, T, O)
    weights: np.ndarray  # (B, T, S) a_tj; each row sums to 1
    symbols: np.ndarray | None  # (B, T) int, greedy decoding only
    steps: list  # [_Step] when kept for the backward pass


def decode(model, E: np.ndarray, s0: np.ndarray, c0: np.ndarray | None, u: np.ndarray | None = None,
           length: int | None = None, keep: bool = False) -> Decoded:
    """Run the attention decoder over the encoder states E (B, S, H), from s_0 = s0 (and c0 for an LSTM), each
    (L, B, H): every layer's starting state.

    With ``u`` (B, T, O+1) the decoder reads those inputs (teacher forcing: start flag, then the previous right
    symbol); without, it feeds back its own most likely symbol for ``length`` steps (greedy decoding)."""
    p, cell, score = model.params, model.cell, model.score
    task = model.task
    B, S, H = E.shape
    O = task.output_size
    T = u.shape[1] if u is not None else int(length or S)
    dtype = E.dtype
    dec = model.cell_params(DECODER_PREFIX)
    W_o, b_o = p["head.weight"], p["head.bias"]
    if score == "additive":
        W_a, U_a, v_a = p[PREFIX + "query.weight"], p[PREFIX + "key.weight"], p[PREFIX + "score.weight"][0]
        K = E @ U_a.T  # (B, S, A)  U_a h_j for every j, once for all output steps
    else:
        W_c = p[PREFIX + "combine.weight"]
        feed = np.zeros((B, H), dtype=dtype)  # s~_0 = 0
    logits = np.empty((B, T, O), dtype=dtype)
    weights = np.empty((B, T, S), dtype=dtype)
    symbols = None if u is not None else np.empty((B, T), dtype=np.int64)
    prev = None
    if u is None:
        prev = np.zeros((B, O + 1), dtype=dtype)
        prev[:, O] = 1.0  # the start flag
    s, c = s0, c0  # (L, B, H) every layer's state; s[-1] is the top layer's s_{t-1}
    steps = []
    for t in range(T):
        y_prev = u[:, t] if u is not None else prev  # (B, O+1)
        Z = None
        top = s[-1]  # (B, H)
        if score == "additive":
            Z = np.tanh(K + (top @ W_a.T)[:, None, :])  # (B, S, A)  tanh(W_a s_{t-1} + U_a h_j)
            a = softmax(Z @ v_a)  # (B, S)  a_tj = softmax_j(v_a^T tanh(...))
            ctx = (a[:, None, :] @ E)[:, 0]  # (B, H)  c_t = sum_j a_tj h_j
            f = cells.forward(cell, dec, np.concatenate([y_prev, ctx], axis=-1)[:, None, :], s, c)
            s_new = f.h_last  # (B, H)  s_t = cell(s_{t-1}, [y_{t-1}; c_t])
            readout = np.concatenate([s_new, ctx], axis=-1)  # (B, 2H)  [s_t; c_t]
        else:
            f = cells.forward(cell, dec, np.concatenate([y_prev, feed], axis=-1)[:, None, :], s, c)
            s_new = f.h_last  # (B, H)  s_t = cell(s_{t-1}, [y_{t-1}; s~_{t-1}])
            a = softmax((E @ s_new[:, :, None])[:, :, 0])  # (B, S)  a_tj = softmax_j(s_t . h_j)
            ctx = (a[:, None, :] @ E)[:, 0]  # (B, H)  c_t = sum_j a_tj h_j
            readout = np.tanh(np.concatenate([ctx, s_new], axis=-1) @ W_c.T)  # (B, H)  s~_t = tanh(W_c [c_t; s_t])
            feed = readout
        logits[:, t] = readout @ W_o.T + b_o  # (B, O)
        weights[:, t] = a
        if keep:
            steps.append(_Step(f, top, s_new, a, ctx, Z, readout))
        if u is None:
            symbols[:, t] = logits[:, t].argmax(axis=-1)
            prev = np.zeros((B, O + 1), dtype=dtype)
            prev[np.arange(B), symbols[:, t]] = 1.0
        s, c = f.h_n, f.c_n
    return Decoded(logits, weights, symbols, steps)


def _softmax_backward(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    """de_j = a_j (da_j - sum_k a_k da_k), the Jacobian of the softmax applied to da.   (B, S)"""
    return a * (da - np.sum(a * da, axis=-1, keepdims=True))


def decode_backward(model, E: np.ndarray, dec: Decoded, dlogits: np.ndarray):
    """Gradients of the loss through the decoder, given dL/dlogits (B, T, O).

    Returns (grads of ``decoder.*``, ``attention.*`` and ``head.*``; dE (B, S, H) for every encoder state;
    ds0 (L, B, H); dc0 (L, B, H) for an LSTM, else None)."""
    p, cell, score = model.params, model.cell, model.score
    B, S, H = E.shape
    O = model.task.output_size
    dtype = E.dtype
    dec_p = model.cell_params(DECODER_PREFIX)
    L = cells.num_layers(dec_p)
    W_o = p["head.weight"]
    g = {k: np.zeros_like(v) for k, v in p.items() if k.startswith((DECODER_PREFIX, PREFIX, "head."))}
    dE = np.zeros_like(E)  # (B, S, H) dL/dh_j
    ds_next = np.zeros((L, B, H), dtype=dtype)  # dL/ds_t of every layer, from later steps
    dc_next = np.zeros((L, B, H), dtype=dtype) if cell == "lstm" else None
    if score == "additive":
        W_a, U_a, v_a = p[PREFIX + "query.weight"], p[PREFIX + "key.weight"], p[PREFIX + "score.weight"][0]
        dK = np.zeros((B, S, W_a.shape[0]), dtype=dtype)  # dL/d(U_a h_j)
    else:
        W_c = p[PREFIX + "combine.weight"]
        dfeed = np.zeros((B, H), dtype=dtype)  # dL/ds~_t through the next step's input
    T = len(dec.steps)
    dctx_all = np.empty((B, T, H), dtype=dtype)  # dL/dc_t, for dE = sum_t a_t^T dc_t after the loop
    de_all = np.empty((B, T, S), dtype=dtype) if score == "dot" else None  # dL/de_t (dot: e_tj = s_t . h_j)
    for t in range(T - 1, -1, -1):
        st = dec.steps[t]
        dl = dlogits[:, t]  # (B, O)
        g["head.weight"] += dl.T @ st.readout  # logits = W_o r + b_o
        g["head.bias"] += dl.sum(axis=0)
        dr = dl @ W_o  # (B, 2H) or (B, H)
        if score == "additive":
            ds = ds_next.copy()  # dL/ds_t: from later steps, and for the top layer ...
            ds[-1] += dr[:, :H]  # ... through the readout
            dctx = dr[:, H:].copy()  # dL/dc_t through the readout ...
            gc = cells.backward(cell, dec_p, st.fwd, dh_last=ds, dc_last=dc_next)
            dctx += gc["x"][:, 0, O + 1:]  # ... and through the cell's input [y_{t-1}; c_t]
            ds_prev = gc["h0"]
        else:
            dr = dr + dfeed  # s~_t also fed step t+1
            dpre = dr * (1.0 - st.readout * st.readout)  # through tanh
            both = np.concatenate([st.ctx, st.s], axis=-1)  # (B, 2H) [c_t; s_t]
            g[PREFIX + "combine.weight"] += dpre.T @ both
            dboth = dpre @ W_c  # (B, 2H)
            dctx, ds = dboth[:, :H], dboth[:, H:]
        # c_t = sum_j a_tj h_j
        da = (E @ dctx[:, :, None])[:, :, 0]  # (B, S)  dL/da_tj = dL/dc_t . h_j
        dctx_all[:, t] = dctx
        de = _softmax_backward(st.a, da)  # (B, S)  dL/de_tj
        if score == "additive":
            # e_tj = v_a . Z_tj,  Z_tj = tanh(W_a s_{t-1} + U_a h_j)
            g[PREFIX + "score.weight"][0] += np.einsum("bj,bja->a", de, st.Z)
            dpre = de[:, :, None] * v_a * (1.0 - st.Z * st.Z)  # (B, S, A)
            dK += dpre
            dq = dpre.sum(axis=1)  # (B, A)  W_a s_{t-1} is shared by every j
            g[PREFIX + "query.weight"] += dq.T @ st.s_prev
            ds_next = ds_prev
            ds_next[-1] += dq @ W_a  # the top layer's s_{t-1} asked the question
        else:
            # e_tj = s_t . h_j
            ds = ds + (de[:, None, :] @ E)[:, 0]  # (B, H) the top layer's, from this step
            de_all[:, t] = de
            ds_all = ds_next.copy()
            ds_all[-1] += ds
            gc = cells.backward(cell, dec_p, st.fwd, dh_last=ds_all, dc_last=dc_next)
            dfeed = gc["x"][:, 0, O + 1:]
            ds_next = gc["h0"]
        for k in dec_p:
            g[DECODER_PREFIX + k] += gc[k]
        if cell == "lstm":
            dc_next = gc["c0"]
    dE += dec.weights.transpose(0, 2, 1) @ dctx_all  # c_t = sum_j a_tj h_j: dh_j += sum_t a_tj dc_t
    if score == "additive":  # K = U_a h_j for every j
        g[PREFIX + "key.weight"] += dK.reshape(-1, dK.shape[-1]).T @ E.reshape(-1, H)
        dE += dK @ U_a
    else:  # e_tj = s_t . h_j: dh_j += sum_t de_tj s_t
        states = np.stack([st.s for st in dec.steps], axis=1)  # (B, T, H)
        dE += de_all.transpose(0, 2, 1) @ states
    return g, dE, ds_next, dc_next


def loss_and_grads(model, x: np.ndarray, y: np.ndarray, train: bool = True):
    """Teacher-forced loss on a batch and the gradient of every parameter, through both RNNs and the weights."""
    from rnn_tutor.core import heads

    enc = heads._forward(model, x, ws_key="enc" if train else None)
    E = np.array(enc.h)  # (B, S, H) every state of the top encoder layer
    u = heads._teacher_inputs(model.task, y, x.dtype)
    dec = decode(model, E, np.array(enc.h_n), None if enc.c_n is None else np.array(enc.c_n), u=u, keep=True)
    loss, dlogits = heads.cross_entropy(dec.logits, y)
    g, dE, ds0, dc0 = decode_backward(model, E, dec, dlogits)
    # every encoder state gets gradient from the attention; every layer's final one also through s_0 (and c_0)
    ge = heads._backward(model, enc, dh=dE, dh_last=ds0, dc_last=dc0)
    g.update({k: ge[k] for k in model.cell_params()})
    return loss, g, dec.logits


def greedy_decode(model, x: np.ndarray, length: int | None = None) -> Decoded:
    """Decode without the answers, feeding back the most likely symbol; keeps the attention weights."""
    from rnn_tutor.core import heads

    enc = heads._forward(model, x)
    return decode(model, np.array(enc.h), np.array(enc.h_n), None if enc.c_n is None else np.array(enc.c_n),
                  length=length or x.shape[1])


# ------------------------------------------------------------------------------------------- what it looked at


@dataclass(frozen=True)
class AttentionMap:
    """Where the decoder looked, for one input: ``weights[t][j]`` is a_tj, output step t on input position j."""

    input: str
    inputs: tuple[str, ...]  # the input tokens: the columns
    outputs: tuple[str, ...]  # the symbols the model wrote (greedy decoding): the rows
    expected: tuple[str, ...] | None  # the right output by the task's rule
    weights: tuple[tuple[float, ...], ...]  # (T_out, T_in); every row sums to 1
    score: str

    @property
    def peaks(self) -> tuple[int, ...]:
        """For each output step, the input position (0-based) with the largest weight."""
        return tuple(int(np.argmax(row)) for row in self.weights)


def check_has_attention(model) -> None:
    """BadValueError (exit 2) for ``--attention`` on a model without attention weights."""
    if getattr(model, "decoder", "plain") == "attention":
        return
    if model.task.kind != "seq2seq":
        raise BadValueError("--attention", f"this model is for the {model.task.name} task, which has no decoder and "
                            "so no attention; attention models: train --task reverse (or reorder) --decoder attention")
    raise BadValueError("--attention", f"this {model.task.name} model has the plain decoder, which gets only the "
                        "encoder's final state and has no attention weights to show; train one with "
                        f"--task {model.task.name} --decoder attention")


def attention_map(model, text: str) -> AttentionMap:
    """Run an attention model on one input (the task's words) and return its weights with the tokens."""
    check_has_attention(model)
    task = model.task
    x = task.encode(text)  # (1, S, D)
    check_length(x.shape[1], "--input")
    out = greedy_decode(model, x)
    words = [task.vocab[i] for i in x[0].argmax(-1)]
    expected = task.target_of(text)
    return AttentionMap(
        text, tuple(words), tuple(task.classes[k] for k in out.symbols[0]),
        None if expected is None else tuple(str(e) for e in expected),
        tuple(tuple(float(v) for v in row) for row in out.weights[0]), model.score,
    )


def mirrored_share(model, x: np.ndarray) -> float:
    """Share of output steps whose largest weight is on the mirrored input position (t -> S - 1 - t): how well a
    reverse model's attention found the anti-diagonal. x (B, S, D)."""
    w = greedy_decode(model, x).weights  # (B, S, S)
    S = x.shape[1]
    return float(np.mean(w.argmax(axis=-1) == np.arange(S)[::-1]))
