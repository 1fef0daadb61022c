"""The linear algebra of backpropagation through time: the spectral radius and largest singular value of W, a
tanh trajectory, the step Jacobians J_t = dh_t/dh_{t-1} and their products dh_T/dh_{T-k} = J_T ... J_{T-k+1},
kept in log10 so that a factor of 1e-500 or 1e+500 stays exact (``decay``, core/decay.py).

    linear  h_t = W h_{t-1} + u x_t            ->  J_t = W
    tanh    h_t = tanh(W h_{t-1} + u x_t)      ->  J_t = diag(1 - h_t^2) W
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def spectral_radius(w: np.ndarray) -> float:
    """rho(W) = max |eigenvalue|: the long-run growth rate per step of W^k."""
    return float(np.max(np.abs(np.linalg.eigvals(np.atleast_2d(w)))))


def max_singular_value(w: np.ndarray) -> float:
    """sigma_max(W) = ||W||_2: the most one step can stretch any vector."""
    return float(np.linalg.svd(np.atleast_2d(w), compute_uv=False)[0])


def tanh_trajectory(w: np.ndarray, x: np.ndarray, input_weight: float = 1.0,
                    h0: np.ndarray | None = None) -> np.ndarray:
    """States h_0..h_T of h_t = tanh(W h_{t-1} + u x_t); x is (T, N). Returns (T+1, N), row 0 = h_0."""
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))  # (N, N)
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)  # (T, N)
    n = w.shape[0]
    hs = np.zeros((len(x) + 1, n))  # (T+1, N)
    if h0 is not None:
        hs[0] = h0
    for t in range(1, len(x) + 1):
        hs[t] = np.tanh(w @ hs[t - 1] + input_weight * x[t - 1])  # h_t = tanh(W h_{t-1} + u x_t)
    return hs


def step_jacobians(w: np.ndarray, hs: np.ndarray | None, steps: int) -> np.ndarray:
    """J_t = dh_t/dh_{t-1} for t = 1..T: W (linear, hs None) or diag(1 - h_t^2) W (tanh). Returns (T, N, N)."""
    w = np.atleast_2d(w)
    if hs is None:
        return np.broadcast_to(w, (steps,) + w.shape)
    h = hs[1:]                          # (T, N)
    d = (1.0 - h) * (1.0 + h)           # 1 - h_t^2, without cancellation near |h| = 1
    return d[:, :, None] * w[None]      # (T, N, N)


def jacobian_product(w: np.ndarray, hs: np.ndarray | None, steps: int, k: int) -> np.ndarray:
    """dh_T/dh_{T-k} = J_T ... J_{T-k+1}, computed directly (for checks; may overflow for large k)."""
    js = step_jacobians(w, hs, steps)
    p = np.eye(js.shape[1])
    for t in range(steps, steps - k, -1):
        p = p @ js[t - 1]
    return p


@dataclass(frozen=True)
class _Products:
    log10_norm: np.ndarray   # (K,) log10 ||dh_T/dh_{T-k}||_2, -inf when exactly zero
    log10_scale: np.ndarray  # (K,) log10 of the scale s_k with P_k = s_k Q_k
    q: np.ndarray            # (K, N, N) the normalised products Q_k
    sign: np.ndarray | None  # (K,) the sign of P_k for a 1x1 recurrence, else None


def _log_products(w: np.ndarray, hs: np.ndarray | None, steps: int) -> _Products:
    """log10 ||J_T ... J_{T-k+1}||_2 for k = 1..steps without ever forming a number that can overflow.

    Each step multiplies a Frobenius-normalised running product by a Jacobian divided by its largest entry,
    and keeps the logs of both scales; the 2-norms of the normalised products come from one batched SVD.
    """
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))  # (N, N)
    n = w.shape[0]
    wmax = float(np.max(np.abs(w)))
    if n == 1:  # scalar: a cumulative sum of logs, exact and vectorised
        if hs is None:
            f = np.full(steps, w[0, 0])
        else:
            h = hs[1:steps + 1, 0]
            f = w[0, 0] * ((1.0 - h) * (1.0 + h))  # w (1 - h_t^2), t = 1..T
        f = f[::-1]                                  # J_T first: k = 1 uses t = T
        with np.errstate(divide="ignore"):
            logs = np.cumsum(np.log10(np.abs(f)))
        logs[np.cumsum(f == 0) > 0] = -np.inf
        sign = np.cumprod(np.sign(f))
        return _Products(logs, logs.copy(), np.ones((steps, 1, 1)), sign)
    out_scale = np.full(steps, -np.inf)
    qs = np.zeros((steps, n, n))
    if wmax == 0.0:
        return _Products(out_scale.copy(), out_scale, qs, None)
    wn = w / wmax                          # entries in [-1, 1]
    lw = math.log10(wmax)
    js = step_jacobians(wn, hs, steps)     # (T, N, N)
    q = np.eye(n)
    ls = 0.0
    for k in range(1, steps + 1):
        q = q @ js[steps - k]              # P_k = P_{k-1} J_{T-k+1}, scaled
        ls += lw
        fro = float(np.sqrt(np.sum(q * q)))
        if fro == 0.0:
            break                          # the product is exactly zero from here on
        q = q / fro
        ls += math.log10(fro)
        qs[k - 1] = q
        out_scale[k - 1] = ls
    sv = np.linalg.svd(qs, compute_uv=False)[:, 0]  # (K,) ||Q_k||_2 in [1/sqrt(N), 1]
    with np.errstate(divide="ignore"):
        logs = out_scale + np.where(sv > 0, np.log10(np.where(sv > 0, sv, 1.0)), -np.inf)
    return _Products(logs, out_scale, qs, None)
