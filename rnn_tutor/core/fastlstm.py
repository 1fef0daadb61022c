"""A fast LSTM (forward and BPTT) for training, numerically the same as ``cells.forward``/``backward``.

Same parameters as ``cells.py`` and PyTorch (``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H), ``bias_ih_l0``,
``bias_hh_l0``, gate order i, f, g, o; a stack of L layers adds ``weight_ih_l1`` (4H, H) ... ``bias_hh_l{L-1}``,
layer k > 0 reading the h_t of layer k - 1, states (L, B, H) as in ``torch.nn.LSTM(D, H, num_layers=L)``).
Same equations:

    i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)      f = sigmoid(...)      o = sigmoid(...)
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)
    c_t = f * c_{t-1} + i * g                        h_t = o * tanh(c_t)

Small models are bound by the number of numpy calls per time step, not by arithmetic (each call costs about a
microsecond whatever its size), so this path is built to make few calls on contiguous memory:

- feature-major layout: every per-step array is (features, B), so each gate block is one contiguous slab;
- one matmul per step computes all four gates *and* the input projection: W [h_{t-1}; x_t; 1] with
  W = [W_hh | W_ih | b_ih + b_hh] (rows permuted to the internal order [g, f, i, o]);
- the previous cell state sits right above the gates, [c_{t-1}; g; f; i; o] (5H, B), so one multiply gives
  [f * c_{t-1}; i * g]; one tanh covers all four gates: sigmoid(z) = 0.5 tanh(z / 2) + 0.5, with the 1/2 folded
  into the weights of f, i, o. Eight calls per step forward;
- the forward pass keeps the products [f c_{t-1}; i g] it makes anyway, and BPTT computes every factor that does
  not depend on the incoming gradient from them, for all steps at once, in nine calls (i (1 - g^2) = i - (i g) g,
  and so on);
- BPTT lays the per-step gradient out as [dc_prev; dg; df; di; do; dh_out; dtanh] (7H, B) so that five calls per
  step do the whole backward step for H <= 24 (one matmul [W_hh^T | I] also adds the output's gradient), and the
  weight gradient comes from one batched product over all steps afterwards; for larger H, eleven calls per
  step, two of them the step's share of the weight gradient while dz_t is still in cache; from H = 96 (WIDE_H)
  the products decide, and the step loop leaves the weight gradient out: the dz_t and [h_{t-1}; x_t; 1] of all
  steps are gathered (in blocks of steps, while they are in cache) into a (4H, T*B) and a (T*B, K) matrix, and
  the gradient is one product of the two, which BLAS runs near its peak (about 5% faster in all at H = 128
  with two layers; the factors are made block by block, just before their steps read them);
- a stack runs layer by layer: layer k's input rows of HX are the h_t of layer k - 1 (one copy per layer), and
  the gradient on them, W_ih^T dz_t for every step (one batched product), is the gradient on layer k - 1's h_t.
  Computing a layer's input projection for all steps at once, outside the recurrence, measured slower at
  H = 128 than keeping it in the per-step product (the one product over [h_{t-1}; x_t; 1] costs less than the
  separate products plus an addition per step);
- BLAS gets its operands in the form it is fastest on: the weight-gradient product multiplies by a contiguous
  (B, H+D+1) block rather than a transposed view (about a third faster);
- the cheapest call forms: np.dot rather than np.matmul (less overhead per call), positional ``out`` arguments,
  array operands rather than Python floats, and same-shape contiguous operands, which numpy runs without setting
  up an iterator (a broadcast multiply costs about twice a same-shape one at these sizes);
- every buffer is preallocated and updated in place (``out=``); a ``Workspace`` passed in by the training loop
  keeps the buffers (and the per-step views into them) from one batch to the next, so the memory is not
  allocated and faulted in again for every batch.

It works in the dtype of ``x`` (float32 for speed, float64 for exact teaching numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_tutor.core.cells import final_state_grads, layer_params, num_layers, param_keys, stack_states

# Internal gate block k holds PyTorch block _PERM[k]: internal [g, f, i, o] <- PyTorch [i, f, g, o].
_PERM = (2, 1, 0, 3)
# Up to this H the backward step adds the output's gradient inside its one matmul and the weight gradient comes
# from one batched product afterwards; above it, the extra flops of that matmul cost more than the call they save,
# and the weight gradient is taken step by step while dz_t is in cache (the two ways measure about equal at H = 32).
SMALL_H = 24
# From this H on, BPTT leaves the weight gradient out of the step loop: the dz_t of all steps are copied into one
# (4H, T*B) matrix and the gradient is one product with the [h_{t-1}; x_t; 1] of all steps, which BLAS runs near
# its peak, where T products with an inner dimension of only B (and T sums of 4H x K numbers) run far below it.
WIDE_H = 96
# steps per copy when the dz_t and [h_{t-1}; x_t; 1] are gathered for that product: a block of steps copies about
# twice as fast as all T at once (it stays in cache)
_CHUNK = 10


def _rows(H: int) -> np.ndarray:
    return np.concatenate([np.arange(p * H, (p + 1) * H) for p in _PERM])


def _bufsize(H: int, B: int) -> int:
    """numpy's ufunc buffer size (in elements) for the all-steps factor calls.

    Their operands are (T, H, B) views whose rows (one step's H x B block, contiguous) are far apart. With the
    default buffer of 8192 elements a chunk of work spans several rows, so numpy copies the operands through its
    buffers; with a buffer that divides the rows it works on them in place, about twice as fast (measured:
    400 -> 190 us for the nine calls at H = 32, B = 32, T = 100). numpy wants a multiple of 16."""
    n = H * B
    return n if n % 16 == 0 and n <= 8192 else 8192


class Workspace:
    """Buffers and per-step views for one shape (T, B, H, D, dtype), reused across calls.

    A forward pass that uses a workspace overwrites the previous pass's results: run forward, then backward,
    then the next forward."""

    def __init__(self):
        self.key = None
        self._above: list[Workspace] = []  # the workspaces of layers 1, 2, ... of a stack

    def layer(self, k: int) -> "Workspace":
        """The workspace of layer ``k`` of a stack (this one for layer 0)."""
        while len(self._above) < k:
            self._above.append(Workspace())
        return self if k == 0 else self._above[k - 1]

    def ensure(self, T: int, B: int, H: int, D: int, dt) -> "Workspace":
        key = (T, B, H, D, np.dtype(dt))
        if key == self.key:
            return self
        self.key = key
        K = H + D + 1
        h2, h3, h4, h5, h6 = 2 * H, 3 * H, 4 * H, 5 * H, 6 * H
        self.HX = HX = np.zeros((T + 1, K, B), dtype=dt)  # HX[t] = [h_{t-1}; x_t; 1]
        HX[:, H + D] = 1.0
        self.Z = Z = np.zeros((T + 1, h5, B), dtype=dt)  # Z[t] = [c_{t-1}; g; f; i; o]
        self.TC = TC = np.empty((T, H, B), dtype=dt)  # tanh(c_t)
        self.P = P = np.empty((T, h2, B), dtype=dt)  # P[t] = [f c_{t-1}; i g], kept for the backward factors
        self.half = np.full((h3, B), 0.5, dtype=dt)  # an array, not a Python float: same-shape ufuncs are faster
        # backward factors, which do not depend on the incoming gradient:
        # AF[t] = [f; i (1 - g^2); c_{t-1} f (1 - f); g i (1 - i)] (dc_t times these gives [dc_{t-1}; dz_g; dz_f;
        # dz_i]), KB[t] = [tanh(c_t) o (1 - o); o (1 - tanh(c_t)^2)] (dh_t times these gives dz_o and dh's share
        # of dc_t)
        self.AF = AF = np.empty((T, 4, H, B), dtype=dt)
        self.KB = KB = np.empty((T, 2, H, B), dtype=dt)
        # G[t] = [dc_{t-1}; dz_g; dz_f; dz_i; dz_o; dh_out_{t-1}; k]: the step's gradients (dz internal order),
        # the output's gradient on h_{t-1} right after dz (so that [W_hh^T | I] G[t, H:6H] is one matmul), and
        # k = dh o (1 - tanh^2 c)
        self.G = G = np.zeros((T + 1, 7 * H, B), dtype=dt)
        self.dht = np.empty((H, B), dtype=dt)
        self.dc = np.empty((H, B), dtype=dt)
        wide = H >= WIDE_H
        self.dWt = None if wide else np.empty((h4, K), dtype=dt)  # one step's share of the weight gradient
        self.DZT = np.empty((h4, T, B), dtype=dt) if wide else None  # every dz_t, time-inner: (4H, T*B)
        # every step's share (small H only: T x 4H x K numbers), summed afterwards
        self.dW3 = np.empty((T, h4, K), dtype=dt) if H <= SMALL_H else None
        # [h_{t-1}; x_t; 1]^T as a contiguous (B, K) block per step: BLAS multiplies by it about a third faster
        # than by the transposed view HX[t].T
        self.HXT = HXT = np.empty((T, B, K), dtype=dt)

        # forward views for step t: (gates, sigmoid part, [c, g], [f, i], o, c_t, h_{t-1} & x_t, h_t slot,
        # tanh c_t, [f c; i g], f c, i g)
        self.fviews = [
            (Z[t, H:], Z[t, h2:], Z[t, :h2], Z[t, h2:h4], Z[t, h4:], Z[t + 1, :H], HX[t], HX[t + 1, :H], TC[t],
             P[t], P[t, :H], P[t, H:])
            for t in range(T)
        ]
        # backward views for step t, in the order the loop visits them (t = T-1 .. 0). Both ways: the dc_t f_{t+1}
        # part of G[t+1], G[t]'s dz_o and k slots, KB[t]'s two factors. Small H: G[t+1]'s [dz; dh_out], and
        # [dc_{t-1}; dz_g; dz_f; dz_i] and AF[t] each as one (4, H, B) block. Large H: G[t+1]'s dz and dh_out,
        # those four blocks one by one, G[t]'s dz and [h_{t-1}; x_t; 1]^T
        self.bsteps = []
        for t in reversed(range(T)):
            common = (G[t + 1, :H], G[t, h4:h5], G[t, h6:], KB[t, 0], KB[t, 1])
            if H <= SMALL_H:
                oc = G[t, :h4].reshape(4, H, B)
                assert np.shares_memory(oc, G)
                self.bsteps.append((G[t + 1, H:h6], oc, AF[t], *common))
            else:
                own = (G[t, :h4].reshape(4, H, B), AF[t]) if wide else (G[t, H:h5], HXT[t])
                self.bsteps.append((G[t + 1, H:h5], G[t + 1, h5:h6], G[t, :H], G[t, H:h2], G[t, h2:h3], G[t, h3:h4],
                                    AF[t, 0], AF[t, 1], AF[t, 2], AF[t, 3], *own, *common))
        # the factors for all steps at once (T, ., B): (P, [f; i], [c f (1 - f); g i (1 - i)] slot, i g, g,
        # i (1 - g^2) slot, i, h, o, kb_o slot, tanh c, kb_c slot, f slot, f). Nine calls over all steps; computing
        # them step by step in the forward pass while its values are in cache, or in chunks of steps, measured no
        # faster: nine calls per step cost as much as the passes over memory.
        Zs = Z[:T]
        af_fi = AF[:, 2:4].reshape(T, h2, B)
        assert np.shares_memory(af_fi, AF)
        self.factors = (P, Zs[:, h2:h4], af_fi, P[:, H:], Zs[:, H:h2], AF[:, 1], Zs[:, h3:h4], HX[1:, :H],
                        Zs[:, h4:], KB[:, 0], TC, KB[:, 1], AF[:, 0], Zs[:, h2:h3])
        # wide: the steps in blocks of _CHUNK from the end, each with its factors' views and its step views: the
        # factors of a block are made just before its steps read them (still in cache: at large H the buffers of
        # all T steps are far bigger than the cache)
        self.chunks = []
        if wide:
            for s in reversed(range(0, T, _CHUNK)):
                e = min(s + _CHUNK, T)
                self.chunks.append((s, e, tuple(v[s:e] for v in self.factors), self.bsteps[T - e : T - s]))
        return self


@dataclass
class FastForward:
    """What the forward pass keeps for BPTT (feature-major buffers; the cells-API views are properties).

    For a stack this is the top layer's pass; ``layers`` holds every layer's (bottom first)."""

    ws: Workspace
    W: np.ndarray  # (4H, H+D+1) [W_hh | W_ih | b] in internal order, unscaled
    H: int
    D: int
    _below: tuple = ()  # the passes of the layers below (bottom first)
    _state_3d: tuple[bool, bool] = (False, False)  # h0, c0 given as (L, B, H)

    @property
    def layers(self) -> tuple["FastForward", ...]:
        return (*self._below, self)

    @property
    def h_n(self) -> np.ndarray:  # (L, B, H) every layer's final hidden state
        return np.stack([f.h_last for f in self.layers])

    @property
    def c_n(self) -> np.ndarray:  # (L, B, H) every layer's final cell state
        return np.stack([f.c_last for f in self.layers])

    @property
    def h(self) -> np.ndarray:  # (B, T, H)
        return self.ws.HX[1:, : self.H].transpose(2, 0, 1)

    @property
    def h_last(self) -> np.ndarray:  # (B, H)
        return self.ws.HX[-1, : self.H].T

    @property
    def c(self) -> np.ndarray:  # (B, T, H)
        return self.ws.Z[1:, : self.H].transpose(2, 0, 1)

    @property
    def c_last(self) -> np.ndarray:  # (B, H)
        return self.ws.Z[-1, : self.H].T

    @property
    def gates(self) -> dict[str, np.ndarray]:  # each (B, T, H)
        H, Zg = self.H, self.ws.Z[:-1]
        return {
            "i": Zg[:, 3 * H : 4 * H].transpose(2, 0, 1),
            "f": Zg[:, 2 * H : 3 * H].transpose(2, 0, 1),
            "g": Zg[:, H : 2 * H].transpose(2, 0, 1),
            "o": Zg[:, 4 * H :].transpose(2, 0, 1),
        }


def _factors(P, fi, af_fi, p_ig, g, af_g, i, h, o, kb_o, tc, kb_c, af_f, f) -> None:
    """The backward factors from the products the forward pass kept: nine calls, 11 H numbers per column."""
    mul, sub = np.multiply, np.subtract
    mul(P, fi, af_fi)
    sub(P, af_fi, af_fi)  # [c_{t-1} f (1 - f); g i (1 - i)] = P - P [f; i]
    mul(p_ig, g, af_g)
    sub(i, af_g, af_g)  # i (1 - g^2) = i - (i g) g
    mul(h, o, kb_o)
    sub(h, kb_o, kb_o)  # tanh(c_t) o (1 - o) = h - h o
    mul(h, tc, kb_c)
    sub(o, kb_c, kb_c)  # o (1 - tanh(c_t)^2) = o - h tanh(c_t)
    np.copyto(af_f, f)  # dc_{t-1} = dc_t f


def forward(params: dict[str, np.ndarray], x: np.ndarray, h0=None, c0=None, ws: Workspace | None = None) -> FastForward:
    """LSTM (one layer or a stack) over x (B, T, D) from (h0, c0): (B, H) for one layer or (L, B, H), zeros when
    None. Computes in x's dtype (float32/float64). The result is the top layer's pass (``h``, ``h_last``,
    ``c_last``); ``layers``, ``h_n`` and ``c_n`` give every layer's."""
    x = np.asarray(x)
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    B, T, D = x.shape
    L = num_layers(params)
    H = np.shape(params["weight_hh_l0"])[1]
    h0s, h3 = stack_states(h0, L, B, H, dt, "h0")
    c0s, c3 = stack_states(c0, L, B, H, dt, "c0")
    ws = ws or Workspace()
    passes = []
    inp = np.asarray(x, dt).transpose(1, 2, 0)  # x_t as (D, B), for every t: (T, D, B)
    for k in range(L):
        f = _layer_forward(layer_params(params, k), inp, h0s[k], c0s[k], ws.layer(k), dt)
        passes.append(f)
        inp = f.ws.HX[1:, :H]  # (T, H, B): this layer's h_t, the next layer's input
    top = passes[-1]
    top._below, top._state_3d = tuple(passes[:-1]), (h3, c3)
    return top


def _layer_forward(params, xf: np.ndarray, h0, c0, ws: Workspace, dt) -> FastForward:
    """One layer over xf (T, D, B) (feature-major input), parameters under layer 0's names."""
    T, D, B = xf.shape
    W_hh = np.asarray(params["weight_hh_l0"], dtype=dt)
    H = W_hh.shape[1]
    b = np.asarray(params["bias_ih_l0"], dtype=dt) + np.asarray(params["bias_hh_l0"], dtype=dt)
    W = np.concatenate([W_hh, np.asarray(params["weight_ih_l0"], dtype=dt), b[:, None]], axis=1)[_rows(H)]
    W[H:] *= 0.5  # f, i, o rows use tanh(z / 2); g keeps tanh(z)
    Ws = W  # (4H, H+D+1) scaled copy
    W = Ws.copy()
    W[H:] *= 2.0  # unscaled, for the backward pass

    ws = ws.ensure(T, B, H, D, dt)
    HX, Z = ws.HX, ws.Z
    HX[:T, H : H + D] = xf  # x_t as (D, B)
    HX[0, :H] = 0.0 if h0 is None else np.asarray(h0, dt).T
    Z[0, :H] = 0.0 if c0 is None else np.asarray(c0, dt).T
    half = ws.half
    # np.dot with a positional out is the cheapest call into BLAS for these small products (less overhead than
    # np.matmul), and positional out arguments are parsed faster than out=
    mul, add, tanh, dot = np.multiply, np.add, np.tanh, np.dot
    for a, s, cg, fi, o, c, hx, h, tc, prod, p_fc, p_ig in ws.fviews:
        dot(Ws, hx, a)  # z = W_hh h_{t-1} + W_ih x_t + b (f, i, o halved)      # (4H, B)
        tanh(a, a)  # g = tanh(z_g); tanh(z / 2) for f, i, o
        mul(s, half, s)
        add(s, half, s)  # f, i, o = sigmoid(z) = 0.5 tanh(z / 2) + 0.5
        mul(cg, fi, prod)  # [f * c_{t-1}; i * g]
        add(p_fc, p_ig, c)  # c_t = f c_{t-1} + i g
        tanh(c, tc)
        mul(o, tc, h)  # h_t = o tanh(c_t)
    return FastForward(ws, W, H, D)


def backward(
    params: dict[str, np.ndarray],
    fwd: FastForward,
    dh: np.ndarray | None = None,
    dh_last: np.ndarray | None = None,
    dc_last: np.ndarray | None = None,
    need_x: bool = True,
) -> dict[str, np.ndarray]:
    """BPTT through every layer. dh (B, T, H): loss gradient w.r.t. every h_t of the top layer; dh_last and
    dc_last: extra gradient on the final states, (B, H) for the top layer or (L, B, H) for every layer. Returns
    grads for every layer's four parameters (PyTorch names and order, same dtype as the forward pass) and "x"
    (B, T, D) (left out when ``need_x`` is False: training does not need it), "h0", "c0" ((L, B, H), or (B, H)
    when they were given so)."""
    passes = fwd.layers
    L = len(passes)
    dt = fwd.ws.TC.dtype
    B, H = fwd.h_last.shape
    dhl, dcl = final_state_grads(dh_last, L, B, H, "dh_last"), final_state_grads(dc_last, L, B, H, "dc_last")
    dhf = None if dh is None else np.asarray(dh, dt).transpose(1, 2, 0)  # (T, H, B)
    grads: dict[str, np.ndarray] = {}
    h0s, c0s = [None] * L, [None] * L
    for k in reversed(range(L)):
        g, dhf = _layer_backward(passes[k], dhf, dhl[k], dcl[k], need_x or k > 0)
        for name, v in g.items():
            grads[name.replace("_l0", f"_l{k}")] = v
        h0s[k], c0s[k] = grads.pop(f"h0_l{k}"), grads.pop(f"c0_l{k}")
    out = {key: grads[key] for key in param_keys(L)}
    if need_x:
        out["x"] = dhf.transpose(2, 0, 1)  # (B, T, D)
    h3, c3 = fwd._state_3d
    out["h0"] = np.stack(h0s) if h3 else h0s[0]
    out["c0"] = np.stack(c0s) if c3 else c0s[0]
    return out


def _layer_backward(fwd: FastForward, dhf, dh_last, dc_last, need_x: bool):
    """BPTT through one layer; dhf (T, H, B) the gradient on its h_t (None: zero). Returns (grads under layer 0's
    names plus "h0_l0", "c0_l0"; the gradient on its input x_t, (T, D, B), or None when not ``need_x``)."""
    ws, H, D = fwd.ws, fwd.H, fwd.D
    HX, TC, G = ws.HX, ws.TC, ws.G
    T, _, B = TC.shape
    dt = TC.dtype
    G[T, : 5 * H] = 0.0
    if dc_last is not None:
        G[T, :H] = np.asarray(dc_last, dt).T
    if dhf is None:
        G[1:, 5 * H : 6 * H] = 0.0
    else:
        G[1:, 5 * H : 6 * H] = dhf
    if dh_last is not None:
        G[T, 5 * H : 6 * H] += np.asarray(dh_last, dt).T
    Wh = fwd.W[:, :H]  # (4H, H) internal order
    wide = H >= WIDE_H
    if not wide:
        with np.errstate():  # restores the buffer size on the way out
            np.setbufsize(_bufsize(H, B))
            _factors(*ws.factors)

    dht, dc = ws.dht, ws.dc
    dc1 = dc[None]
    mul, add, dot = np.multiply, np.add, np.dot
    # the step loop: np.dot and positional out arguments (see forward), and same-shape operands: numpy runs a
    # call on contiguous same-shape arrays without setting up an iterator (a broadcast costs ~1 us more)
    if H <= SMALL_H:  # calls cost more than flops: one matmul also adds the output's gradient
        WbT = np.concatenate([Wh.T, np.eye(H, dtype=dt)], axis=1)  # dh_t = [W_hh^T | I] G[t+1, H:6H]
        for gn, oc, af, dcn, dzo, k, kb_o, kb_c in ws.bsteps:
            dot(WbT, gn, dht)  # dL/dh_t = W_hh^T dz_{t+1} + (output's gradient at t)    # (H, B)
            mul(dht, kb_o, dzo)  # dz_o = dh tanh(c_t) o (1 - o)
            mul(dht, kb_c, k)  # dh o (1 - tanh^2 c_t)
            add(k, dcn, dc)  # dc_t = dc_{t+1} f_{t+1} + dh o (1 - tanh^2 c_t)
            mul(dc1, af, oc)  # [dc_{t-1}; dz_g; dz_f; dz_i] (one broadcast beats four calls at small H)
        # the weight gradient: one batched product over the steps, then a sum  sum_t dz_t [h_{t-1}; x_t; 1]^T
        np.copyto(ws.HXT, HX[:T].transpose(0, 2, 1))
        np.matmul(G[:T, H : 5 * H], ws.HXT, out=ws.dW3)
        dW = ws.dW3.sum(axis=0)  # (4H, H+D+1)
    elif wide:  # blocks of steps without the weight gradient; then one product over all steps
        WhT = np.ascontiguousarray(Wh.T)  # (H, 4H)
        DZT, HXT = ws.DZT, ws.HXT
        with np.errstate():  # restores the buffer size on the way out
            np.setbufsize(_bufsize(H, B))
            for s, e, factors, steps in ws.chunks:
                _factors(*factors)  # this block's factors, just before its steps read them
                for gz, gh, dcp, dzg, dzf, dzi, af_f, af_g, af_fz, af_i, oc, af, dcn, dzo, k, kb_o, kb_c in steps:
                    dot(WhT, gz, dht)  # dL/dh_t = W_hh^T dz_{t+1}
                    add(dht, gh, dht)  # + (output's gradient at t)
                    mul(dht, kb_o, dzo)
                    mul(dht, kb_c, k)
                    add(k, dcn, dc)
                    mul(dc1, af, oc)  # [dc_{t-1}; dz_g; dz_f; dz_i]
                # this block's dz_t (time-inner) and [h_{t-1}; x_t; 1]^T (as rows), while they are in cache
                np.copyto(DZT[:, s:e], G[s:e, H : 5 * H].transpose(1, 0, 2))
                np.copyto(HXT[s:e], HX[s:e].transpose(0, 2, 1))
        dW = np.dot(DZT.reshape(4 * H, T * B), HXT.reshape(T * B, H + D + 1))  # sum_t dz_t [h_{t-1}; x_t; 1]^T
    else:  # the weight gradient step by step, while dz_t is in cache
        WhT = np.ascontiguousarray(Wh.T)  # (H, 4H)
        dW = np.zeros((4 * H, H + D + 1), dtype=dt)
        dWt = ws.dWt
        np.copyto(ws.HXT, HX[:T].transpose(0, 2, 1))
        for gz, gh, dcp, dzg, dzf, dzi, af_f, af_g, af_fz, af_i, dz, hxT, dcn, dzo, k, kb_o, kb_c in ws.bsteps:
            dot(WhT, gz, dht)  # dL/dh_t = W_hh^T dz_{t+1}
            add(dht, gh, dht)  # + (output's gradient at t)
            mul(dht, kb_o, dzo)
            mul(dht, kb_c, k)
            add(k, dcn, dc)
            mul(dc, af_f, dcp)  # [dc_{t-1}; dz_g; dz_f; dz_i]: four same-shape calls beat one broadcast here
            mul(dc, af_g, dzg)
            mul(dc, af_fz, dzf)
            mul(dc, af_i, dzi)
            dot(dz, hxT, dWt)  # dz_t [h_{t-1}; x_t; 1]^T      # (4H, H+D+1)
            add(dW, dWt, dW)

    DG = G[:T, H : 5 * H]  # (T, 4H, B) dL/dz, internal order [g, f, i, o]
    rows = _rows(H)
    grads: dict[str, np.ndarray] = {}
    for name, part in (("weight_hh_l0", dW[:, :H]), ("weight_ih_l0", dW[:, H : H + D]), ("bias_ih_l0", dW[:, H + D])):
        out = np.empty_like(part)
        out[rows] = part
        grads[name] = out
    grads["bias_hh_l0"] = grads["bias_ih_l0"].copy()
    grads["h0_l0"] = (Wh.T @ G[0, H : 5 * H]).T  # (B, H)
    grads["c0_l0"] = G[0, :H].T.copy()
    dx = None
    if need_x:
        Wi = fwd.W[:, H : H + D]  # (4H, D)
        dx = np.matmul(Wi.T, DG)  # dx_t = W_ih^T dz_t       # (T, D, B)
    return grads, dx
