"""The step-by-step trace of a vector cell behind ``trace --cell``: one sequence through ``cells.forward``, every
step's input, gates and states as plain numbers, and what happened in plain words.

    tr = trace("lstm", params, x, tokens)   # x (T, D); tr.steps[t].h, .c, .gates["f"], .summary

The numbers are the forward pass's own (``rnn_tutor.core.cells``); this module only reads them out and describes
them, so a trace can never disagree with training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_tutor.core.cellnames import check_cell
from rnn_tutor.core.cells import forward, num_layers
from rnn_tutor.core.numfmt import percent
from rnn_tutor.errors import BadValueError


@dataclass(frozen=True)
class CellStep:
    t: int                              # 1-based step number
    token: str
    x: tuple[float, ...]                # (D,)
    h: tuple[float, ...]                # (H,)
    c: tuple[float, ...] | None         # (H,) LSTM only
    gates: dict[str, tuple[float, ...]]  # name -> (H,)
    summary: str                        # what happened, in plain words


@dataclass(frozen=True)
class CellTrace:
    cell: str
    input_size: int
    hidden_size: int
    nonlinearity: str
    steps: tuple[CellStep, ...]
    overflow: bool = False  # some number left the float range (huge inputs or weights); shown as null in JSON
    layer: int = 0          # which layer of a stack the steps show (0 = the bottom one, as in weight_ih_l0)
    layers: int = 1         # layers in the stack


def _pct(v: float) -> str:
    return percent(v, 0)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _summary(cell: str, t: int, h_prev, h, c_prev, c, gates, nonlinearity: str) -> str:
    hsz = h.shape[0]
    if cell == "lstm":
        i, f, g, o = (gates[k] for k in "ifgo")
        kept = np.abs(f * c_prev).sum()  # what survived from the old cell
        new = np.abs(i * g).sum()        # what was written into it
        share = kept / (kept + new) if kept + new > 0 else 0.0
        if not np.any(c_prev):
            empty = "started empty" if t == 1 else "was still empty (nothing had been written to it)"
            first = (f"the cell {empty}, so the forget gate had nothing to keep; the input gate let in "
                     f"{_pct(i.mean())} of the candidate g")
        else:
            first = (f"the forget gate kept {_pct(f.mean())} of the old cell and the input gate let in "
                     f"{_pct(i.mean())} of the candidate g ({_pct(share)} of the new cell is memory)")
        return first + f"; the output gate showed {_pct(o.mean())} of tanh(c)"
    if cell == "gru":
        r, z = gates["r"], gates["z"]
        if not np.any(h_prev):
            return (f"the state h started at zero, so h = (1 - z) * n: the update gate passed "
                    f"{_pct(1 - z.mean())} of the candidate n (the reset gate, mean {r.mean():.2f}, only scaled "
                    "the bias b_hn)")
        return (f"the update gate kept {_pct(z.mean())} of the old state and took {_pct(1 - z.mean())} from the "
                f"candidate n; the reset gate passed {_pct(r.mean())} of W_hn·h + b_hn into n")
    moved = float(np.abs(h - h_prev).mean())
    if nonlinearity == "relu":
        off = int(np.sum(h == 0.0))
        return f"the state h moved by {moved:.3g} per unit on average; {off} of {hsz} units {'is' if off == 1 else 'are'} off (relu gave 0)"
    sat = int(np.sum(np.abs(h) > 0.95))
    text = f"the state h moved by {moved:.3g} per unit on average"
    if sat:
        text += (f"; {sat} of {hsz} units {'is' if sat == 1 else 'are'} saturated (|h| > 0.95, so the slope "
                 f"1 - h² is below 0.1): little gradient passes back through {'it' if sat == 1 else 'them'}")
    else:
        text += "; no unit is saturated"
    return text


def trace(cell, params, x, tokens=None, h0=None, c0=None, *, nonlinearity: str = "tanh",
          layer: int | None = None) -> CellTrace:
    """Run one sequence ``x`` (T, D) and describe every step: inputs, gates, states and a plain-words summary.

    For a stack, ``layer`` (0 .. L-1, default the top one) chooses whose steps are described; its input x_t is
    then the h_t of the layer below (the sequence's x for layer 0). h0/c0: (H,), or (L, H) for a stack."""
    cell = check_cell(cell)
    x = np.asarray(x)
    if x.ndim != 2:
        raise BadValueError(None, f"a traced sequence has shape (T, D), got {x.shape}")
    n = num_layers(params)
    k = n - 1 if layer is None else int(layer)
    if not 0 <= k < n:
        raise BadValueError("--layer", f"these weights have {n} layer(s), numbered 0 to {n - 1}; got {layer}"
                            if n > 1 else f"these weights have one layer (0); got {layer}")

    def batch_of_one(state):  # (H,) -> (1, H); (L, H) -> (L, 1, H)
        return None if state is None else np.expand_dims(np.asarray(state), -2)

    with np.errstate(over="ignore", invalid="ignore"):  # huge inputs saturate the gates; flagged below
        top = forward(cell, params, x[None], batch_of_one(h0), batch_of_one(c0), nonlinearity=nonlinearity)
    fwd = top.layers[k]
    if k > 0:
        x = top.layers[k - 1].h[0]  # (T, H): what this layer reads
    arrays = [fwd.h, *fwd.gates.values()] + ([fwd.c] if fwd.c is not None else [])
    overflow = not all(np.all(np.isfinite(a)) for a in arrays)
    d, hsz = x.shape[1], fwd.h.shape[2]
    tokens = list(tokens) if tokens is not None else [str(t + 1) for t in range(x.shape[0])]
    h_prev = fwd._h0[0]
    c_prev = fwd._c0[0] if cell == "lstm" else None
    steps = []
    for t in range(x.shape[0]):
        h = fwd.h[0, t]
        c = fwd.c[0, t] if cell == "lstm" else None
        gates = {k: v[0, t] for k, v in fwd.gates.items()}
        finite = all(np.all(np.isfinite(a)) for a in (h, h_prev, *gates.values()) if a is not None) and (
            c is None or (np.all(np.isfinite(c)) and np.all(np.isfinite(c_prev))))
        steps.append(CellStep(
            t=t + 1,
            token=str(tokens[t]),
            x=tuple(float(v) for v in x[t]),
            h=tuple(float(v) for v in h),
            c=None if c is None else tuple(float(v) for v in c),
            gates={k: tuple(float(u) for u in v) for k, v in gates.items()},
            summary=_capital(_summary(cell, t + 1, h_prev, h, c_prev, c, gates, nonlinearity)) if finite
            else "Overflow: a number left the float range at this step (shown as nan)",
        ))
        h_prev, c_prev = h, c
    return CellTrace(cell, int(d), int(hsz), nonlinearity, tuple(steps), overflow, k, n)
