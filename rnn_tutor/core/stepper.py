"""One step at a time: a model's cell stack carries its state from one input to the next, with nothing allocated
per step. This is the one stepping code of the package: ``predict --stream`` (every kind of model, ``stream.py``),
``sample`` (``lm_sample.py``) and the text streams all step through ``Stepper``.

Per layer the stepper keeps one buffer v = [h_(t-1); x_t; 1] (H + D + 1,) (or (H + D + 1, B) for B streams side
by side, one per column) and one matrix with the cell's weights and both biases side by side, so a step is one
matrix product per layer plus a few in-place element-wise calls:

    RNN:   h_t = tanh([W_hh | W_ih | b_ih + b_hh] v)
    LSTM:  [i; f; o; g] = [W_h | W_i | b_i + b_h] v  (rows reordered, i, f, o halved: sigmoid(a) = (1 + tanh(a/2)) / 2)
           c_t = f * c_(t-1) + i * g ;  h_t = o * tanh(c_t)
    GRU:   [a_r; a_z] = [W_h{r,z} | W_i{r,z} | b_i + b_h] v,  x_n = [0 | W_in | b_in] v,  h_n = [W_hn | 0 | b_hn] v
           r, z = sigmoid(a_r), sigmoid(a_z) ;  n = tanh(x_n + r * h_n) ;  h_t = n + z * (h_(t-1) - n)

These are the equations of ``cells.py`` (PyTorch's gate order and GRU reset-gate placement), written in the fused
form the training LSTM uses (``fastlstm.py``: the same [W_hh | W_ih | b] v product and the same halved sigmoid
rows), so a stream gives the batch forward pass's numbers: the tests check every state and output against
``cells.forward``/``heads.predict`` over the same inputs to 1e-12. Stacked layers (``weight_ih_l1``, ...) are
stepped bottom to top; the state is (L, H) per cell state ((L, B, H) for B streams).

Two readouts of the top layer's h_t:
- ``step(x)``: y = W h + b as one more product, [W | 0 | b] v (a stream's reading, token or character);
- ``logits(ids)``: the next character's logits h W^T + b (``heads.linear``, as in training and scoring) after
  reading one character id per stream; ``probs(ids)`` is their softmax.
"""

from __future__ import annotations

import numpy as np

from rnn_tutor.core import cells, heads
from rnn_tutor.errors import BadValueError


class Stepper:
    """One step at a time through a model's cells (any number of layers) and its readout.

    ``dtype``: what the steps compute in (None: the model's own, its head's dtype); ``batch``: None for one stream
    (states (H,), ``step`` takes x (D,) and gives y (O,)), or B streams side by side (``step`` takes (D, B) and
    gives (O, B); ``logits`` takes B ids and gives (B, V))."""

    def __init__(self, model: heads.Model, dtype=None, batch: int | None = None):
        self.model = model
        self.cell = model.cell
        p = model.params
        self.dtype = dt = np.dtype(p["head.weight"].dtype if dtype is None else dtype)
        self.batch = None if batch is None else int(batch)
        if self.batch is not None and self.batch < 1:
            raise BadValueError(None, f"a stepper needs at least one stream, got batch={batch}")
        cols = () if self.batch is None else (self.batch,)
        self.layers = L = cells.num_layers(p)
        H = model.hidden_size
        self.hidden_size = H
        self.input_size = int(p["weight_ih_l0"].shape[1])
        self._v, self._A, self._kernels = [], [], []
        self._c = []
        for layer in range(L):
            w_ih = np.asarray(p[f"weight_ih_l{layer}"], dtype=np.float64)
            w_hh = np.asarray(p[f"weight_hh_l{layer}"], dtype=np.float64)
            b = (np.asarray(p[f"bias_ih_l{layer}"], dtype=np.float64),
                 np.asarray(p[f"bias_hh_l{layer}"], dtype=np.float64))
            D = w_ih.shape[1]
            v = np.zeros((H + D + 1, *cols), dtype=dt)  # [h_(t-1); x_t; 1]
            v[-1] = 1.0
            A = fused(self.cell, w_ih, w_hh, *b, H).astype(dt)
            self._v.append(v)
            self._A.append(A)
            self._kernels.append(self._kernel(v, A, H, cols))
        W = np.asarray(p["head.weight"], dtype=np.float64)  # (O, H)
        top = self._v[-1]
        R = np.zeros((W.shape[0], top.shape[0]))
        R[:, :H] = W
        R[:, -1] = np.asarray(p["head.bias"], dtype=np.float64)
        self._R = R.astype(dt)  # [W | 0 | b]: y = R v after v's h slot holds h_t
        self._y = np.empty((W.shape[0], *cols), dtype=dt)
        self._x0 = self._v[0][H : H + self.input_size]  # where the input goes
        self._links = [(self._v[k][H : 2 * H], self._v[k - 1][:H]) for k in range(1, L)]
        self._cols = None if self.batch is None else np.arange(self.batch)
        self.steps = 0

    def _kernel(self, v: np.ndarray, A: np.ndarray, H: int, cols: tuple):
        """The step of one layer as a closure over its buffers (views made once: a step allocates nothing)."""
        dt = self.dtype
        h = v[:H]  # h_t is written over h_(t-1), in place: it is the next step's input
        dot, tanh, mul, add, sub = np.dot, np.tanh, np.multiply, np.add, np.subtract
        if self.cell == "rnn":
            a = np.empty((H, *cols), dtype=dt)

            def step():
                dot(A, v, a)
                tanh(a, h)  # h_t = tanh(W_hh h + W_ih x + b)
            return step
        if self.cell == "lstm":
            z = np.empty((4 * H, *cols), dtype=dt)
            sig, half = z[: 3 * H], np.full((3 * H, *cols), 0.5, dtype=dt)
            i, f, o, g = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
            c = np.zeros((H, *cols), dtype=dt)
            ig, tc = np.empty((H, *cols), dtype=dt), np.empty((H, *cols), dtype=dt)
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
        a = np.empty((4 * H, *cols), dtype=dt)
        rz, half = a[: 2 * H], np.full((2 * H, *cols), 0.5, dtype=dt)
        r, zg, xn, hn = a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
        n, d = np.empty((H, *cols), dtype=dt), np.empty((H, *cols), dtype=dt)

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

    def _advance(self) -> None:
        """Every layer's step, bottom to top, on the input already in layer 0's x slot."""
        kernels = self._kernels
        kernels[0]()
        for (dst, src), kernel in zip(self._links, kernels[1:]):
            dst[:] = src  # layer l reads layer l-1's h_t
            kernel()
        self.steps += 1

    def step(self, x) -> np.ndarray:
        """Feed x_t (D,) (a number when D = 1; (D, B) for B streams); returns the readout y_t (O,) ((O, B)), a view
        overwritten by the next step (copy it to keep it)."""
        self._x0[:] = x
        kernels = self._kernels  # _advance() inlined: a stream's step is a few microseconds, a call is a tenth
        kernels[0]()
        for (dst, src), kernel in zip(self._links, kernels[1:]):
            dst[:] = src
            kernel()
        np.dot(self._R, self._v[-1], self._y)
        self.steps += 1
        return self._y

    def logits(self, ids) -> np.ndarray:
        """Read one character id per stream (as a one-hot input over the V characters) and give the logits of the
        next character, h W^T + b (returned as float64): (B, V) for B streams, (V,) for one."""
        x0, B = self._x0, self.batch
        ids = np.asarray(ids, dtype=np.intp)
        hot = (ids.reshape(()),) if B is None else (ids.reshape(B), self._cols)
        x0[...] = 0.0  # (whatever the last step wrote there)
        x0[hot] = 1.0  # x_t = one-hot(id)   (V,) or (V, B)
        self._advance()
        W, b = self.model.params["head.weight"], self.model.params["head.bias"]
        h = self._v[-1][: self.hidden_size]  # (H,) or (H, B)
        return heads.linear(W, b, h.T).astype(np.float64)  # (V,) or (B, V)   logits = h W^T + b

    def probs(self, ids) -> np.ndarray:
        """softmax(logits(ids)): the distribution of the next character, (B, V) or (V,)."""
        return heads.softmax(self.logits(ids))

    @property
    def h(self) -> np.ndarray:
        """The hidden state now, (L, H) ((L, B, H) for B streams; a copy)."""
        H = self.hidden_size
        hs = np.stack([v[:H] for v in self._v])
        return hs if self.batch is None else hs.transpose(0, 2, 1).copy()

    @property
    def c(self) -> np.ndarray | None:
        """The LSTM cell state now, (L, H) ((L, B, H); a copy); None for other cells."""
        if not self._c:
            return None
        cs = np.stack(self._c)
        return cs if self.batch is None else cs.transpose(0, 2, 1).copy()

    @property
    def state_numbers(self) -> int:
        """How many numbers one stream's state holds: h (and c) of every layer, the same after every step."""
        return self.layers * self.hidden_size * (2 if self.cell == "lstm" else 1)

    def reset(self) -> None:
        """Back to the zero state, as before the first input."""
        H = self.hidden_size
        for v in self._v:
            v[:H] = 0.0
        for c in self._c:
            c[:] = 0.0
        self.steps = 0


class TextStepper(Stepper):
    """A language model fed one character id per stream (``batch`` streams, 1 by default):

        st = TextStepper(model)
        p = st.step([vocab_id])     # (1, V): the distribution of the next character

    ``step(ids)`` is ``probs(ids)``: the Stepper of a model whose inputs are characters."""

    def __init__(self, model: heads.Model, batch: int = 1, dtype=None):
        super().__init__(model, dtype, batch=batch)

    def step(self, ids) -> np.ndarray:  # type: ignore[override]
        return self.probs(ids)


def fused(cell: str, w_ih, w_hh, b_ih, b_hh, H: int) -> np.ndarray:
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
