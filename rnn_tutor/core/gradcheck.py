"""Checking backpropagation through time against central finite differences.

The loss is a fixed random projection of every hidden state (and of the final cell state for an LSTM):

    L = sum_t <R_t, h_t> + <R_last, h_T> (+ <R_c, c_T>)

so its gradient with respect to h_t is simply R_t, which is what ``backward`` receives as ``dh``. For a stack of
L > 1 layers, h_t is the top layer's, and the final-state terms take every layer's final state (h_n, c_n of shape
(L, B, H)), so the gradient reaching each layer through its own last state is checked too. For every entry
theta of a parameter (and of the inputs and initial states) the numeric derivative is

    (L(theta + eps) - L(theta - eps)) / (2 eps)            error O(eps^2) from truncation, O(1e-16 / eps) rounding

and the relative error is |analytic - numeric| / max(|analytic|, |numeric|, floor). The floor keeps entries whose
true gradient is almost zero from turning rounding noise into a huge ratio: below it the comparison is absolute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import cells
from rnn_tutor.errors import BadValueError


def difference_error(eps: float) -> float:
    """The rough size of a central difference's own error, for derivatives of order 1.

    eps^2 from truncation (the curve is not a straight line over ±eps) plus float64's 2.2e-16 / eps from rounding
    (L(θ+eps) and L(θ-eps) agree in most of their digits). Smallest near eps = 6e-6, where both are about 4e-11.
    """
    return eps * eps + float(np.finfo(np.float64).eps) / eps


def short_e(x: float) -> str:
    """One significant digit, exponent without padding: 1e-10, 2e-6."""
    return f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e+")


def failure_hint(eps: float, tolerance: float, nonlinearity: str = "tanh") -> str:
    """What to do when a check fails: say whether the settings, not the backward pass, can explain it."""
    noise = difference_error(eps)
    if noise > tolerance / 10:
        return (f"with --eps {eps:g} the difference quotient is itself off by about {short_e(noise)}, more than "
                f"--tolerance {tolerance:g} leaves room for: keep --eps near 1e-5 and --tolerance at 1e-6 or above")
    if nonlinearity == "relu":
        return ("relu has a kink at 0: a nudge of ±eps that crosses it breaks the difference quotient; "
                "check --nonlinearity tanh, or try another --seed")
    return "the backward pass disagrees with finite differences: look for a missing or misplaced term in BPTT"


@dataclass(frozen=True)
class GradRow:
    name: str                 # parameter name, or "x", "h0", "c0"
    shape: tuple[int, ...]
    checked: int              # entries compared
    size: int                 # entries in the tensor
    max_rel_error: float
    max_abs_error: float
    worst_index: tuple[int, ...]
    analytic: float           # the two gradients at the worst entry
    numeric: float
    passed: bool


@dataclass(frozen=True)
class GradcheckResult:
    cell: str
    input_size: int
    hidden_size: int
    length: int
    batch: int
    seed: int
    eps: float
    tolerance: float
    floor: float
    loss: float
    rows: tuple[GradRow, ...]
    layers: int = 1

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def max_rel_error(self) -> float:
        return max(r.max_rel_error for r in self.rows)


def _loss(cell, params, x, h0, c0, proj, nonlinearity) -> float:
    fwd = cells.forward(cell, params, x, h0, c0, nonlinearity=nonlinearity)
    stacked = proj["dh_last"].ndim == 3  # (L, B, H): every layer's final state
    total = float(np.sum(fwd.h * proj["dh"])) + float(np.sum((fwd.h_n if stacked else fwd.h_last) * proj["dh_last"]))
    if fwd.c_last is not None:
        total += float(np.sum((fwd.c_n if stacked else fwd.c_last) * proj["dc_last"]))
    return total


def gradcheck(
    cell: str = "lstm",
    hidden_size: int = 3,
    input_size: int = 2,
    length: int = 4,
    batch: int = 2,
    seed: int = 0,
    *,
    eps: float = 1e-5,
    tolerance: float = 1e-6,
    floor: float = 1e-3,
    max_checks: int | None = 200,
    nonlinearity: str = "tanh",
    params: dict[str, np.ndarray] | None = None,
    num_layers: int = 1,
) -> GradcheckResult:
    """Compare analytic BPTT gradients with central differences for every parameter of every layer, x, h0
    (and c0); for ``num_layers`` > 1, h0 and c0 are (L, B, H).

    ``max_checks`` caps the entries compared per tensor (a seeded random sample beyond it; None = all).
    """
    cell = cells.check_cell(cell)
    for option, value, low in (
        ("--hidden-size", hidden_size, 1),
        ("--input-size", input_size, 1),
        ("--length", length, 1),
        ("--batch", batch, 1),
        ("--layers", num_layers, 1),
    ):
        if int(value) < low:
            raise BadValueError(option, f"must be a whole number of at least {low}, got {value}")
    if not (tolerance > 0):
        raise BadValueError("--tolerance", f"must be above 0, got {tolerance}")
    if not (0 < eps < 1):
        raise BadValueError("--eps", f"must be between 0 and 1, got {eps}")
    rng = np.random.default_rng(seed)
    if params is None:
        params = cells.init_params(cell, input_size, hidden_size, seed=seed, num_layers=num_layers)
    else:
        input_size, hidden_size = cells.sizes_of(cell, params)
        num_layers = cells.num_layers(params)
        params = {k: np.array(params[k], dtype=np.float64) for k in cells.param_keys(num_layers)}
    keys = cells.param_keys(num_layers)
    state = (batch, hidden_size) if num_layers == 1 else (num_layers, batch, hidden_size)
    x = rng.standard_normal((batch, length, input_size))
    h0 = 0.5 * rng.standard_normal(state)
    c0 = 0.5 * rng.standard_normal(state) if cell == "lstm" else None
    proj = {
        "dh": rng.standard_normal((batch, length, hidden_size)),
        "dh_last": rng.standard_normal(state),
        "dc_last": rng.standard_normal(state),
    }
    fwd = cells.forward(cell, params, x, h0, c0, nonlinearity=nonlinearity)
    grads = cells.backward(
        cell, params, fwd, dh=proj["dh"], dh_last=proj["dh_last"],
        dc_last=proj["dc_last"] if cell == "lstm" else None,
    )
    loss = _loss(cell, params, x, h0, c0, proj, nonlinearity)

    tensors: dict[str, np.ndarray] = dict(params)
    tensors["x"] = x
    tensors["h0"] = h0
    if c0 is not None:
        tensors["c0"] = c0

    def evaluate() -> float:
        p = {k: tensors[k] for k in keys}
        return _loss(cell, p, tensors["x"], tensors["h0"], tensors.get("c0"), proj, nonlinearity)

    rows = []
    for name in (*keys, "x", "h0", "c0"):
        if name not in tensors:
            continue
        arr = tensors[name]
        flat = arr.reshape(-1)  # a view: writing into it moves the tensor the forward pass reads
        size = flat.size
        if max_checks is not None and size > max_checks:
            idx = np.sort(rng.choice(size, size=max_checks, replace=False))
        else:
            idx = np.arange(size)
        analytic_all = grads[name].reshape(-1)
        worst = (0.0, 0.0, 0, 0.0, 0.0)
        max_abs = 0.0
        for k in idx:
            old = flat[k]
            flat[k] = old + eps
            up = evaluate()
            flat[k] = old - eps
            down = evaluate()
            flat[k] = old
            num = (up - down) / (2 * eps)
            ana = float(analytic_all[k])
            abs_err = abs(ana - num)
            rel = abs_err / max(abs(ana), abs(num), floor)
            max_abs = max(max_abs, abs_err)
            if rel > worst[0] or k == idx[0]:
                worst = (rel, abs_err, int(k), ana, num)
        rows.append(
            GradRow(
                name=name,
                shape=tuple(arr.shape),
                checked=int(len(idx)),
                size=int(size),
                max_rel_error=float(worst[0]),
                max_abs_error=float(max_abs),
                worst_index=tuple(int(i) for i in np.unravel_index(worst[2], arr.shape)),
                analytic=float(worst[3]),
                numeric=float(worst[4]),
                passed=bool(worst[0] <= tolerance),
            )
        )
    return GradcheckResult(
        cell=cell,
        input_size=int(input_size),
        hidden_size=int(hidden_size),
        length=int(length),
        batch=int(batch),
        seed=int(seed),
        eps=float(eps),
        tolerance=float(tolerance),
        floor=float(floor),
        loss=float(loss),
        rows=tuple(rows),
        layers=int(num_layers),
    )
