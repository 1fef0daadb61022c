"""Optimizers (SGD with optional momentum, Adam) and global-norm gradient clipping.

Parameters and gradients are dicts of numpy arrays with the same keys; updates happen in place.
"""

from __future__ import annotations

import math

import numpy as np

from rnn_tutor.errors import BadValueError

OPTIMIZERS = ("adam", "sgd")


def global_norm(grads: dict[str, np.ndarray]) -> float:
    """sqrt(sum over all arrays of sum(g^2)): the length of the whole gradient as one vector."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_global_norm(grads: dict[str, np.ndarray], max_norm: float | None) -> float:
    """Scale all gradients in place by min(1, max_norm / norm); return the norm before clipping.

    The direction of the update is kept; only its length is capped (Pascanu et al. 2013).
    """
    norm = global_norm(grads)
    if max_norm is not None and max_norm > 0 and norm > max_norm and math.isfinite(norm):
        scale = max_norm / (norm + 1e-6)  # torch.nn.utils.clip_grad_norm_'s epsilon, so the two runs agree
        for g in grads.values():
            g *= scale
    return norm


class SGD:
    """theta <- theta - lr * v,  v <- momentum * v + g."""

    def __init__(self, params: dict[str, np.ndarray], lr: float = 0.1, momentum: float = 0.0):
        self.params, self.lr, self.momentum = params, float(lr), float(momentum)
        self.velocity = {k: np.zeros_like(p) for k, p in params.items()} if momentum else None

    def step(self, grads: dict[str, np.ndarray]) -> None:
        for k, p in self.params.items():
            g = grads[k]
            if self.velocity is not None:
                v = self.velocity[k]
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g


class Adam:
    """Kingma & Ba 2015: m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2;
    theta <- theta - lr * m_hat / (sqrt(v_hat) + eps), with bias-corrected m_hat, v_hat."""

    def __init__(self, params: dict[str, np.ndarray], lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.eps = params, float(lr), float(eps)
        self.b1, self.b2 = betas
        self.t = 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        c1 = 1.0 - self.b1**self.t
        c2 = 1.0 - self.b2**self.t
        step = self.lr * math.sqrt(c2) / c1  # folds both bias corrections into the step size
        eps = self.eps * math.sqrt(c2)
        for k, p in self.params.items():
            g, m, v = grads[k], self.m[k], self.v[k]
            m *= self.b1
            m += (1.0 - self.b1) * g  # m = b1 m + (1 - b1) g
            v *= self.b2
            v += (1.0 - self.b2) * (g * g)  # v = b2 v + (1 - b2) g^2
            p -= step * m / (np.sqrt(v) + eps)


def make_optimizer(name: str, params: dict[str, np.ndarray], lr: float):
    name = str(name).lower()
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 10):
        raise BadValueError("--lr", f"must be a number in (0, 10], got {lr}")
    if name == "adam":
        return Adam(params, lr=lr)
    if name == "sgd":
        return SGD(params, lr=lr, momentum=0.9)
    raise BadValueError("--optimizer", f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")
