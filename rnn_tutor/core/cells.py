"""Recurrent cells (vanilla RNN, GRU, LSTM) in numpy, with full backpropagation through time.

Conventions are PyTorch's, so weights move between the two and ``torch.nn.RNN/GRU/LSTM`` can serve as a
reference in tests:

- parameters ``weight_ih_l0`` (G*H, D), ``weight_hh_l0`` (G*H, H), ``bias_ih_l0`` (G*H,), ``bias_hh_l0`` (G*H,)
  with G = 1 (RNN), 3 (GRU, rows r, z, n), 4 (LSTM, rows i, f, g, o);
- a stack of L layers adds ``weight_ih_l1`` (G*H, H), ``weight_hh_l1``, ... up to ``_l{L-1}``: layer k > 0 reads
  the hidden state h_t of layer k - 1 as its input (``torch.nn.LSTM(D, H, num_layers=L)``); the stack's output is
  the top layer's h_t, and every layer carries its own state (h0, c0 of shape (L, B, H));
- RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)           (relu instead of tanh on request)
- LSTM: i, f, o = sigmoid(...), g = tanh(...)
        c_t = f * c_{t-1} + i * g ;  h_t = o * tanh(c_t)
- GRU:  r, z = sigmoid(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))               (reset gate applied after the matmul)
        h_t = (1 - z) * n + z * h_{t-1}

Shapes: B batch, T steps, D input size, H hidden size. The computation runs in the dtype of the parameters
(float64 by default; float32 params -> float32 compute). The step-by-step description of one sequence
(``trace --cell``) is ``core/celltrace.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnn_tutor.core.cellnames import CELLS, GATE_NAMES, GATES, check_cell  # noqa: F401 (re-exported)
from rnn_tutor.errors import BadValueError

NONLINEARITIES = ("tanh", "relu")
PARAM_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")  # layer 0's names
_STEMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def param_keys(num_layers: int = 1) -> tuple[str, ...]:
    """Every parameter name of an ``num_layers``-layer stack, in PyTorch's order (layer 0's four, layer 1's, ...)."""
    return tuple(f"{stem}_l{k}" for k in range(int(num_layers)) for stem in _STEMS)


def num_layers(params: dict) -> int:
    """L, the number of layers of a parameter dict (``weight_ih_l0`` .. ``weight_ih_l{L-1}``).

    Other keys (a head, a decoder under a prefix) are ignored; a layer that is half there, one past a gap (``_l2``
    without ``_l1``), or one numbered in other digits than ASCII 0-9 (``_l²``), raises BadValueError."""
    n = 0
    while f"weight_ih_l{n}" in params:
        n += 1
    if n == 0:
        raise BadValueError(None, f"parameters lack weight_ih_l0; a cell needs {', '.join(PARAM_KEYS)}")
    missing = [k for k in param_keys(n) if k not in params]
    if missing:
        raise BadValueError(None, f"parameters lack {', '.join(missing[:4])}; layer {missing[0].rsplit('_l', 1)[1]} "
                                  f"of a {n}-layer cell needs all of {', '.join(_STEMS)}")
    layered = {k: k.rsplit("_l", 1)[1] for k in params if isinstance(k, str) and k.rsplit("_l", 1)[0] in _STEMS}
    # str.isdigit() also holds for '²', '٣' or '１', which int() refuses or reads as another number: only 0-9 count
    foreign = sorted(k for k, number in layered.items() if number.isdigit() and not number.isascii())
    if foreign:
        raise BadValueError(None, f"parameters have {', '.join(foreign[:4])}: a layer is numbered in ASCII digits "
                                  f"0-9 (weight_ih_l0, weight_ih_l1, ...)")
    beyond = sorted(k for k, number in layered.items() if number.isascii() and number.isdigit() and int(number) >= n)
    if beyond:
        raise BadValueError(None, f"parameters have {', '.join(beyond[:4])} but no weight_ih_l{n}: the layers must "
                                  f"be numbered 0, 1, 2, ... without a gap")
    return n


def layer_params(params: dict, layer: int) -> dict[str, np.ndarray]:
    """Layer ``layer`` of a stack as a one-layer parameter dict (under layer 0's names)."""
    return {f"{stem}_l0": params[f"{stem}_l{layer}"] for stem in _STEMS}


def param_shapes(cell: str, input_size: int, hidden_size: int, num_layers: int = 1) -> dict[str, tuple[int, ...]]:
    """Expected shape of every parameter of a cell with ``num_layers`` layers (layer k > 0 reads H inputs)."""
    g = GATES[check_cell(cell)]
    gh = g * hidden_size
    shapes: dict[str, tuple[int, ...]] = {}
    for k in range(int(num_layers)):
        shapes[f"weight_ih_l{k}"] = (gh, input_size if k == 0 else hidden_size)  # (G*H, D) or (G*H, H)
        shapes[f"weight_hh_l{k}"] = (gh, hidden_size)                             # (G*H, H)
        shapes[f"bias_ih_l{k}"] = (gh,)                                           # (G*H,)
        shapes[f"bias_hh_l{k}"] = (gh,)                                           # (G*H,)
    return shapes


def init_params(
    cell: str, input_size: int, hidden_size: int, seed: int = 0, dtype=np.float64, num_layers: int = 1
) -> dict[str, np.ndarray]:
    """Fresh parameters drawn from U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default, from ``seed``.

    Layer 0 is drawn first, so it is the same whatever ``num_layers`` is."""
    cell = check_cell(cell)
    if int(input_size) < 1:
        raise BadValueError("--input-size", f"must be a whole number of at least 1, got {input_size}")
    if int(hidden_size) < 1:
        raise BadValueError("--hidden-size", f"must be a whole number of at least 1, got {hidden_size}")
    if int(num_layers) < 1:
        raise BadValueError("--layers", f"must be a whole number of at least 1, got {num_layers}")
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden_size)
    return {
        key: rng.uniform(-bound, bound, size=shape).astype(dtype)
        for key, shape in param_shapes(cell, int(input_size), int(hidden_size), int(num_layers)).items()
    }


def sizes_of(cell: str, params: dict[str, np.ndarray]) -> tuple[int, int]:
    """(input_size, hidden_size) of a parameter dict, after checking every layer's shapes against the cell."""
    cell = check_cell(cell)
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise BadValueError(None, f"parameters lack {', '.join(missing)}; a {cell} cell needs {', '.join(PARAM_KEYS)}")
    n = num_layers(params)
    w_hh = np.asarray(params["weight_hh_l0"])
    w_ih = np.asarray(params["weight_ih_l0"])
    if w_hh.ndim != 2 or w_ih.ndim != 2:
        raise BadValueError(None, "weight_ih_l0 and weight_hh_l0 must be 2-D matrices")
    hidden = w_hh.shape[1]
    expected = param_shapes(cell, w_ih.shape[1], hidden, n)
    for key, shape in expected.items():
        got = tuple(np.shape(params[key]))
        if got != shape:
            raise BadValueError(
                None, f"{key} has shape {got}, a {cell} cell with H={hidden} expects {shape}"
            )
    return w_ih.shape[1], hidden


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # sigmoid(a) = 1 / (1 + exp(-a)) = (1 + tanh(a/2)) / 2  -- the tanh form never overflows
    return 0.5 * (1.0 + np.tanh(0.5 * a))


@dataclass
class Forward:
    """Everything a forward pass produced, and everything the backward pass needs."""

    cell: str
    h: np.ndarray                      # (B, T, H) hidden state after every step
    h_last: np.ndarray                 # (B, H)
    c: np.ndarray | None               # (B, T, H) LSTM cell states, else None
    c_last: np.ndarray | None          # (B, H)
    gates: dict[str, np.ndarray]       # name -> (B, T, H) activations (LSTM i,f,g,o; GRU r,z,n; RNN empty)
    nonlinearity: str = "tanh"
    # private cache for the backward pass
    _x: np.ndarray | None = field(default=None, repr=False)       # (B, T, D)
    _h0: np.ndarray | None = field(default=None, repr=False)      # (B, H)
    _c0: np.ndarray | None = field(default=None, repr=False)      # (B, H)
    _acts: np.ndarray | None = field(default=None, repr=False)    # (B, T, G*H) gate activations, stacked
    _tanh_c: np.ndarray | None = field(default=None, repr=False)  # (B, T, H) LSTM tanh(c_t)
    _ghn: np.ndarray | None = field(default=None, repr=False)     # (B, T, H) GRU W_hn h_{t-1} + b_hn
    # LSTM keeps its caches time-major, so every per-step slice is one contiguous block:
    # _acts (T, B, 4H), _tanh_c (T, B, H), and the states _h_tm, _c_tm (T, B, H)
    _h_tm: np.ndarray | None = field(default=None, repr=False)
    _c_tm: np.ndarray | None = field(default=None, repr=False)
    # a stack: the passes of the layers below this one (bottom first); this object is the top layer's pass
    _below: tuple = field(default=(), repr=False, compare=False)
    _state_3d: tuple[bool, bool] = field(default=(False, False), repr=False)  # h0, c0 given as (L, B, H)

    @property
    def layers(self) -> tuple["Forward", ...]:
        """One pass per layer, bottom first (each with its own h, c, gates); the last one is this object."""
        return (*self._below, self)

    @property
    def h_n(self) -> np.ndarray:  # (L, B, H) every layer's final hidden state
        return np.stack([f.h_last for f in self.layers])

    @property
    def c_n(self) -> np.ndarray | None:  # (L, B, H) every layer's final cell state (LSTM), else None
        return None if self.c_last is None else np.stack([f.c_last for f in self.layers])


def stack_states(value, layers: int, batch: int, hidden: int, dtype, name: str) -> tuple[list, bool]:
    """Initial states per layer: (L, B, H) -> L arrays (B, H); (B, H) or (H,) when L = 1; None -> zeros.
    Also says whether the value was given as (L, B, H)."""
    if value is None:
        return [None] * layers, layers > 1
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 3:
        if arr.shape != (layers, batch, hidden):
            raise BadValueError(None, f"{name} has shape {arr.shape}, expected (L, B, H) = {(layers, batch, hidden)}")
        return list(arr), True
    if layers > 1:
        raise BadValueError(None, f"{name} has shape {arr.shape}; a {layers}-layer stack needs one state per layer, "
                                  f"(L, B, H) = {(layers, batch, hidden)}")
    return [arr], False


def _as_state(value, batch: int, hidden: int, dtype, name: str) -> np.ndarray:
    if value is None:
        return np.zeros((batch, hidden), dtype=dtype)
    arr = np.asarray(value, dtype=dtype)
    if arr.shape == (hidden,):
        arr = np.broadcast_to(arr, (batch, hidden)).copy()
    if arr.shape != (batch, hidden):
        raise BadValueError(None, f"{name} has shape {arr.shape}, expected (B, H) = {(batch, hidden)}")
    return arr


def forward(cell, params, x, h0=None, c0=None, *, nonlinearity: str = "tanh") -> Forward:
    """Run ``cell`` (one layer, or a stack of L) over a batch of sequences ``x`` (B, T, D).

    h0/c0: (L, B, H), or (B, H) for one layer; zeros when None. The result describes the top layer (``h``,
    ``h_last``, ``c_last``, ``gates``); ``layers`` holds every layer's pass and ``h_n``, ``c_n`` (L, B, H) every
    layer's final state. Layer k > 0 reads the hidden states h_t of layer k - 1."""
    cell = check_cell(cell)
    if nonlinearity not in NONLINEARITIES:
        raise BadValueError("--nonlinearity", f"{nonlinearity!r} is not allowed; choose tanh or relu")
    if nonlinearity != "tanh" and cell != "rnn":
        raise BadValueError("--nonlinearity", f"only the rnn cell takes relu; {cell} always uses tanh/sigmoid")
    d, hsz = sizes_of(cell, params)
    n = num_layers(params)
    w_ih = params["weight_ih_l0"]
    dtype = w_ih.dtype if np.issubdtype(w_ih.dtype, np.floating) else np.float64
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3 or x.shape[2] != d:
        raise BadValueError(None, f"input has shape {x.shape}, expected (B, T, D) with D = {d}")
    bsz = x.shape[0]
    h0s, h3 = stack_states(h0, n, bsz, hsz, dtype, "h0")
    c0s, c3 = stack_states(c0, n, bsz, hsz, dtype, "c0")
    passes: list[Forward] = []
    for k in range(n):
        fwd = _layer_forward(cell, layer_params(params, k), x, h0s[k], c0s[k], nonlinearity, dtype)
        passes.append(fwd)
        x = fwd.h  # (B, T, H): the next layer's input
    top = passes[-1]
    top._below = tuple(passes[:-1])
    top._state_3d = (h3, c3)
    return top


def _layer_forward(cell, params, x, h0, c0, nonlinearity, dtype) -> Forward:
    """One layer (parameters under layer 0's names) over x (B, T, D)."""
    d, hsz = np.shape(params["weight_ih_l0"])[1], np.shape(params["weight_hh_l0"])[1]
    w_ih = np.asarray(params["weight_ih_l0"], dtype=dtype)
    w_hh_t = np.ascontiguousarray(np.asarray(params["weight_hh_l0"], dtype=dtype).T)  # (H, G*H), C order: faster matmul
    b_ih = np.asarray(params["bias_ih_l0"], dtype=dtype)
    b_hh = np.asarray(params["bias_hh_l0"], dtype=dtype)
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3 or x.shape[2] != d:
        raise BadValueError(None, f"input has shape {x.shape}, expected (B, T, D) with D = {d}")
    bsz, steps, _ = x.shape
    if steps < 1 or bsz < 1:
        raise BadValueError(None, f"input has shape {x.shape}; it needs at least one sequence and one step")
    h_prev = _as_state(h0, bsz, hsz, dtype, "h0")
    h0 = h_prev
    g = GATES[cell]

    if cell == "lstm":
        # one input projection for all steps, time-major: W_ih x_t + b_ih + b_hh   (T, B, 4H)
        xs = x.transpose(1, 0, 2) @ w_ih.T
        xs += b_ih + b_hh
        return _lstm_forward(xs, w_hh_t, x, h0, _as_state(c0, bsz, hsz, dtype, "c0"))

    # one input projection for all steps: W_ih x_t + b_ih (+ b_hh where it simply adds)
    xp = x @ w_ih.T  # (B, T, G*H)
    xp += b_ih
    if cell == "gru":
        xp[..., : 2 * hsz] += b_hh[: 2 * hsz]  # r, z: both biases add; n keeps b_hn inside r * (...)
    else:
        xp += b_hh
    hs = np.empty((bsz, steps, hsz), dtype=dtype)  # (B, T, H)
    acts = np.empty((bsz, steps, g * hsz), dtype=dtype) if cell != "rnn" else None  # (B, T, G*H)

    if cell == "rnn":
        act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0.0))
        for t in range(steps):
            # h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
            h_prev = act(xp[:, t] + h_prev @ w_hh_t)  # (B, H)
            hs[:, t] = h_prev
        return Forward(cell, hs, h_prev, None, None, {}, nonlinearity, x, h0)

    # GRU
    ghn = np.empty((bsz, steps, hsz), dtype=dtype)
    h2 = 2 * hsz
    b_hn = b_hh[h2:]
    for t in range(steps):
        gh = h_prev @ w_hh_t  # (B, 3H)  W_hr h, W_hz h, W_hn h
        a = acts[:, t]
        a[:, :h2] = _sigmoid(xp[:, t, :h2] + gh[:, :h2])  # r, z
        hn = gh[:, h2:] + b_hn                             # W_hn h_{t-1} + b_hn
        a[:, h2:] = np.tanh(xp[:, t, h2:] + a[:, :hsz] * hn)  # n = tanh(W_in x + b_in + r*(W_hn h + b_hn))
        z = a[:, hsz:h2]
        h_prev = a[:, h2:] + z * (h_prev - a[:, h2:])      # h_t = (1-z)*n + z*h_{t-1}
        ghn[:, t] = hn
        hs[:, t] = h_prev
    gates = {name: acts[..., k * hsz : (k + 1) * hsz] for k, name in enumerate(GATE_NAMES["gru"])}
    return Forward(cell, hs, h_prev, None, None, gates, nonlinearity, x, h0, None, acts, None, ghn)


def backward(cell, params, fwd: Forward, dh=None, dh_last=None, dc_last=None) -> dict[str, np.ndarray]:
    """Backpropagation through time, through every layer of the stack.

    ``dh`` (B, T, H) is the gradient of the loss with respect to every h_t of the top layer (None = zeros);
    ``dh_last`` and ``dc_last`` with respect to the final states: (B, H) for the top layer, or (L, B, H) for every
    layer (what a state carried on to a next pass, such as a decoder's, receives). Returns gradients for every
    parameter key of every layer plus ``x`` (B, T, D), ``h0`` and, for LSTM, ``c0``, in the shape h0/c0 were given
    ((L, B, H), or (B, H) for one layer).

    A layer k < L - 1 receives on its h_t the gradient that flows back from layer k + 1's input, dL/dx of k + 1.
    """
    cell = check_cell(cell)
    if cell != fwd.cell:
        raise BadValueError(None, f"backward for {cell} got a forward pass of {fwd.cell}")
    passes = fwd.layers
    n = len(passes)
    if num_layers(params) != n:
        raise BadValueError(None, f"backward got {num_layers(params)} layers of parameters for a {n}-layer pass")
    bsz, _, hsz = fwd.h.shape
    dhl = final_state_grads(dh_last, n, bsz, hsz, "dh_last")
    dcl = final_state_grads(dc_last, n, bsz, hsz, "dc_last")
    grads: dict[str, np.ndarray] = {}
    h0s: list = [None] * n
    c0s: list = [None] * n
    for k in reversed(range(n)):
        g = _layer_backward(cell, layer_params(params, k), passes[k], dh, dhl[k], dcl[k])
        for stem in _STEMS:
            grads[f"{stem}_l{k}"] = g[f"{stem}_l0"]
        h0s[k], c0s[k] = g["h0"], g.get("c0")
        dh = g["x"]  # (B, T, D_k): the gradient on the layer below's h_t
    out = {key: grads[key] for key in param_keys(n)}
    out["x"] = dh
    h3, c3 = fwd._state_3d
    out["h0"] = np.stack(h0s) if h3 else h0s[0]
    if cell == "lstm":
        out["c0"] = np.stack(c0s) if c3 else c0s[0]
    return out


def final_state_grads(value, layers: int, batch: int, hidden: int, name: str) -> list:
    """A final-state gradient per layer: (L, B, H) gives every layer's, (B, H) the top layer's, None none."""
    if value is None:
        return [None] * layers
    arr = np.asarray(value)
    if arr.ndim == 3:
        if arr.shape != (layers, batch, hidden):
            raise BadValueError(None, f"{name} has shape {arr.shape}, expected (L, B, H) = {(layers, batch, hidden)}")
        return list(arr)
    return [None] * (layers - 1) + [arr]


def _layer_backward(cell, params, fwd: Forward, dh, dh_last, dc_last) -> dict[str, np.ndarray]:
    """BPTT through one layer (parameters under layer 0's names); ``fwd`` is that layer's pass."""
    if cell == "lstm":
        return _lstm_backward(params, fwd, dh, dh_last, dc_last)
    x = fwd._x
    bsz, steps, d = x.shape
    hsz = fwd.h.shape[2]
    dtype = fwd.h.dtype
    g = GATES[cell]
    w_ih = np.asarray(params["weight_ih_l0"], dtype=dtype)  # (G*H, D)
    w_hh = np.asarray(params["weight_hh_l0"], dtype=dtype)  # (G*H, H)

    dh_all = np.zeros((bsz, steps, hsz), dtype=dtype) if dh is None else np.asarray(dh, dtype=dtype)
    if dh_all.shape != (bsz, steps, hsz):
        raise BadValueError(None, f"dh has shape {dh_all.shape}, expected {(bsz, steps, hsz)}")
    dh_next = np.zeros((bsz, hsz), dtype=dtype) if dh_last is None else np.array(dh_last, dtype=dtype)
    # h_{t-1} for every step: h0, h_1, ..., h_{T-1}
    h_prev_all = np.concatenate([fwd._h0[:, None, :], fwd.h[:, :-1]], axis=1)  # (B, T, H)
    dxp = np.empty((bsz, steps, g * hsz), dtype=dtype)  # dL/d(input projection)  (B, T, G*H)
    out: dict[str, np.ndarray] = {}

    if cell == "rnn":
        for t in range(steps - 1, -1, -1):
            dht = dh_all[:, t] + dh_next  # (B, H)
            ht = fwd.h[:, t]
            if fwd.nonlinearity == "tanh":
                da = dht * (1.0 - ht * ht)   # tanh'(a) = 1 - h^2
            else:
                da = dht * (ht > 0)          # relu'(a) = [a > 0] = [h > 0]
            dxp[:, t] = da
            dh_next = da @ w_hh              # dL/dh_{t-1} through W_hh
        dgh = dxp                            # the recurrent pre-activation gets the same gradient
    else:  # GRU
        dgh = np.empty_like(dxp)
        h2 = 2 * hsz
        for t in range(steps - 1, -1, -1):
            a = fwd._acts[:, t]
            r, z, n = a[:, :hsz], a[:, hsz:h2], a[:, h2:]
            hp = h_prev_all[:, t]
            dht = dh_all[:, t] + dh_next
            # h = (1-z)*n + z*h_prev
            dn_pre = dht * (1.0 - z) * (1.0 - n * n)           # through tanh
            dz_pre = dht * (hp - n) * z * (1.0 - z)
            dr_pre = dn_pre * fwd._ghn[:, t] * r * (1.0 - r)   # n_pre = ... + r*(W_hn h + b_hn)
            dp = dxp[:, t]
            dp[:, :hsz] = dr_pre
            dp[:, hsz:h2] = dz_pre
            dp[:, h2:] = dn_pre
            dq = dgh[:, t]
            dq[:, :h2] = dp[:, :h2]
            dq[:, h2:] = dn_pre * r
            dh_next = dht * z + dq @ w_hh
    # parameter gradients, summed over batch and time in one matmul each
    dxp2 = dxp.reshape(-1, g * hsz)   # (B*T, G*H)
    dgh2 = dgh.reshape(-1, g * hsz)   # (B*T, G*H)
    out["weight_ih_l0"] = dxp2.T @ x.reshape(-1, d)                 # (G*H, D)
    out["weight_hh_l0"] = dgh2.T @ h_prev_all.reshape(-1, hsz)      # (G*H, H)
    out["bias_ih_l0"] = dxp2.sum(axis=0)                            # (G*H,)
    out["bias_hh_l0"] = dgh2.sum(axis=0)                            # (G*H,)
    out["x"] = dxp @ w_ih                                           # (B, T, D)
    out["h0"] = dh_next                                             # (B, H)
    return out


# ---------------------------------------------------------------------------------------------- LSTM, time-major


def _lstm_forward(xs, w_hh_t, x, h0, c0) -> Forward:
    """LSTM over all steps. ``xs`` (T, B, 4H) = W_ih x_t + b_ih + b_hh (time-major, overwritten);
    ``w_hh_t`` (H, 4H) = W_hh^T.

    sigmoid(a) = 0.5 * tanh(a / 2) + 0.5, so the i, f, o columns are pre-scaled by 1/2 (exact in floating point)
    and a single tanh per step covers all four gates.
    """
    steps, bsz, g4 = xs.shape
    hsz = g4 // 4
    h2, h3 = 2 * hsz, 3 * hsz
    dtype = xs.dtype
    mul = np.full(g4, 0.5, dtype=dtype)  # scale of each gate's tanh output
    mul[h2:h3] = 1.0
    add = np.full(g4, 0.5, dtype=dtype)
    add[h2:h3] = 0.0
    xs *= mul                                                # pre-activations halved for i, f, o
    w_s = w_hh_t * mul                                       # (H, 4H), C order like w_hh_t
    acts = np.empty((steps, bsz, g4), dtype=dtype)          # (T, B, 4H) i, f, g, o
    cs = np.empty((steps, bsz, hsz), dtype=dtype)           # (T, B, H)
    tcs = np.empty((steps, bsz, hsz), dtype=dtype)          # (T, B, H) tanh(c_t)
    hs = np.empty((steps, bsz, hsz), dtype=dtype)           # (T, B, H)
    ig = np.empty((bsz, hsz), dtype=dtype)
    h_prev, c_prev = h0, c0
    for t in range(steps):
        a = acts[t]
        np.matmul(h_prev, w_s, out=a)               # W_hh h_{t-1}                      (B, 4H)
        a += xs[t]                                  # + W_ih x_t + b_ih + b_hh
        np.tanh(a, out=a)
        a *= mul
        a += add                                    # i, f, o = sigmoid(.), g = tanh(.)
        c = cs[t]
        np.multiply(a[:, hsz:h2], c_prev, out=c)    # f * c_{t-1}
        np.multiply(a[:, :hsz], a[:, h2:h3], out=ig)
        c += ig                                     # c_t = f * c_{t-1} + i * g
        np.tanh(c, out=tcs[t])
        np.multiply(a[:, h3:], tcs[t], out=hs[t])   # h_t = o * tanh(c_t)
        h_prev, c_prev = hs[t], c
    acts_bt = acts.transpose(1, 0, 2)  # (B, T, 4H) view
    gates = {name: acts_bt[..., k * hsz : (k + 1) * hsz] for k, name in enumerate(GATE_NAMES["lstm"])}
    return Forward(
        "lstm", np.ascontiguousarray(hs.transpose(1, 0, 2)), hs[-1].copy(),
        np.ascontiguousarray(cs.transpose(1, 0, 2)), cs[-1].copy(), gates, "tanh",
        _x=x, _h0=h0, _c0=c0, _acts=acts, _tanh_c=tcs, _h_tm=hs, _c_tm=cs,
    )


def _lstm_backward(params, fwd: Forward, dh, dh_last, dc_last) -> dict[str, np.ndarray]:
    acts, tcs = fwd._acts, fwd._tanh_c  # (T, B, 4H), (T, B, H)
    steps, bsz, g4 = acts.shape
    hsz = g4 // 4
    h2, h3 = 2 * hsz, 3 * hsz
    dtype = acts.dtype
    x = fwd._x
    d = x.shape[2]
    w_ih = np.asarray(params["weight_ih_l0"], dtype=dtype)  # (4H, D)
    w_hh = np.asarray(params["weight_hh_l0"], dtype=dtype)  # (4H, H)
    if dh is None:
        dh_tm = np.zeros((steps, bsz, hsz), dtype=dtype)
    else:
        dh = np.asarray(dh, dtype=dtype)
        if dh.shape != (bsz, steps, hsz):
            raise BadValueError(None, f"dh has shape {dh.shape}, expected {(bsz, steps, hsz)}")
        dh_tm = dh.transpose(1, 0, 2)  # (T, B, H) view
    dh_next = np.zeros((bsz, hsz), dtype=dtype) if dh_last is None else np.array(dh_last, dtype=dtype)
    dc_next = np.zeros((bsz, hsz), dtype=dtype) if dc_last is None else np.array(dc_last, dtype=dtype)
    c_prev = np.concatenate([fwd._c0[None], fwd._c_tm[:-1]])  # (T, B, H) c_{t-1}
    h_prev = np.concatenate([fwd._h0[None], fwd._h_tm[:-1]])  # (T, B, H) h_{t-1}
    # each activation's derivative, for all steps at once: sigmoid' = s(1 - s), tanh' = 1 - tanh^2
    dact = 1.0 - acts                                                   # (T, B, 4H)
    dact *= acts                                                        # s (1 - s): right for i, f, o
    dg = dact[..., h2:h3]
    np.multiply(acts[..., h2:h3], acts[..., h2:h3], out=dg)
    np.subtract(1.0, dg, out=dg)                                        # 1 - g^2 for g
    dtanh_c = tcs * tcs                                                 # (T, B, H)
    np.subtract(1.0, dtanh_c, out=dtanh_c)                              # 1 - tanh^2(c_t)
    dpre = np.empty((steps, bsz, g4), dtype=dtype)                      # dL/d pre-activation (T, B, 4H)
    for t in range(steps - 1, -1, -1):
        a = acts[t]
        dht = dh_tm[t] + dh_next                       # dL/dh_t: from above and from step t+1
        dp = dpre[t]
        np.multiply(dht, tcs[t], out=dp[:, h3:])       # dL/do = dh * tanh(c_t)
        dc = dht * a[:, h3:]
        dc *= dtanh_c[t]
        dc += dc_next                                  # dL/dc_t = dh * o * (1 - tanh^2 c_t) + from step t+1
        np.multiply(dc, a[:, h2:h3], out=dp[:, :hsz])  # dL/di = dc * g
        np.multiply(dc, c_prev[t], out=dp[:, hsz:h2])  # dL/df = dc * c_{t-1}
        np.multiply(dc, a[:, :hsz], out=dp[:, h2:h3])  # dL/dg = dc * i
        dp *= dact[t]                                  # through sigmoid / tanh
        dc_next = dc * a[:, hsz:h2]                    # c_t = f * c_{t-1} + ...
        dh_next = dp @ w_hh                            # through W_hh h_{t-1}
    dpre2 = dpre.reshape(-1, g4)                                     # (T*B, 4H)
    out = {
        "weight_ih_l0": dpre2.T @ x.transpose(1, 0, 2).reshape(-1, d),  # (4H, D)
        "weight_hh_l0": dpre2.T @ h_prev.reshape(-1, hsz),             # (4H, H)
        "bias_ih_l0": dpre2.sum(axis=0),                                # (4H,)
    }
    out["bias_hh_l0"] = out["bias_ih_l0"].copy()
    out["x"] = np.ascontiguousarray((dpre @ w_ih).transpose(1, 0, 2))  # (B, T, D)
    out["h0"] = dh_next
    out["c0"] = dc_next
    return out
