"""Gradient clipping side by side: by norm (g * c/||g|| when ||g|| > c: the direction is kept) and by value
(each component into [-c, c]: the direction turns), with the angle between them. A gradient may be given by
log10|g_i| and sign(g_i), so one beyond the float range is still clipped exactly (``decay --clip``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core.horizon import LOG10_MAX, _value


@dataclass(frozen=True)
class ClipComponent:
    k: int
    unit: int
    original: float | None   # None: beyond the float range
    by_norm: float
    by_value: float

    def to_record(self) -> dict:
        return {"k": self.k, "unit": self.unit, "original": self.original, "by_norm": self.by_norm,
                "by_value": self.by_value}


@dataclass(frozen=True)
class ClipResult:
    """Norm clipping (g * c/||g|| when ||g|| > c) next to value clipping (each g_i into [-c, c])."""

    threshold: float
    norm_before: float | None
    log10_norm_before: float | None
    overflow: bool
    norm_clipped: bool                 # did norm clipping change anything
    norm_after_norm_clip: float
    norm_after_value_clip: float
    angle_norm_clip_deg: float | None  # 0: direction kept (None for a zero gradient)
    angle_value_clip_deg: float | None
    values_clipped: int                # components that value clipping changed
    components: tuple[ClipComponent, ...]

    def to_record(self) -> dict:
        return {
            "threshold": self.threshold, "norm_before": self.norm_before,
            "log10_norm_before": self.log10_norm_before, "overflow": self.overflow,
            "norm_clipped": self.norm_clipped, "norm_after_norm_clip": self.norm_after_norm_clip,
            "norm_after_value_clip": self.norm_after_value_clip,
            "angle_norm_clip_deg": self.angle_norm_clip_deg, "angle_value_clip_deg": self.angle_value_clip_deg,
            "values_clipped": self.values_clipped, "components": [c.to_record() for c in self.components],
        }


def clip_by_norm(g: np.ndarray, c: float) -> np.ndarray:
    """g * c / ||g|| when ||g|| > c, else g: the direction is kept."""
    n = float(np.linalg.norm(g))
    return g * (c / n) if n > c else g.copy()


def clip_by_value(g: np.ndarray, c: float) -> np.ndarray:
    """Each component into [-c, c]: large components are flattened, so the direction changes."""
    return np.clip(g, -c, c)


def angle_deg(a: np.ndarray, b: np.ndarray) -> float | None:
    """The angle between two vectors in degrees, stable for tiny angles: 2 atan2(|a^ - b^|, |a^ + b^|)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return None
    ua, ub = a / na, b / nb
    return math.degrees(2.0 * math.atan2(float(np.linalg.norm(ua - ub)), float(np.linalg.norm(ua + ub))))


def _clip_from_logs(log_abs: np.ndarray, sign: np.ndarray, ks: np.ndarray, units: np.ndarray,
                    c: float) -> ClipResult:
    """Clip a gradient known as log10|g_i| and sign(g_i), which may lie beyond the float range."""
    lc = math.log10(c)
    finite = log_abs > -np.inf
    if not finite.any():  # the zero gradient: nothing to clip, no direction
        zeros = tuple(ClipComponent(k, u, 0.0, 0.0, 0.0) for k, u in zip(ks.tolist(), units.tolist()))
        return ClipResult(c, 0.0, None, False, False, 0.0, 0.0, None, None, 0, zeros)
    m = float(np.max(log_abs))
    # log10 ||g|| = m + 0.5 log10 sum 10^(2 (a_i - m))
    lnorm = m + 0.5 * math.log10(float(np.sum(10.0 ** (2.0 * (log_abs[finite] - m)))))
    unit_dir = sign * np.where(finite, 10.0 ** np.minimum(log_abs - lnorm, 0.0), 0.0)  # g / ||g||, exact
    norm_clipped = lnorm > lc
    within = sign * np.where(finite, 10.0 ** np.minimum(log_abs, lc), 0.0)  # g_i where |g_i| <= c
    by_norm = unit_dir * (c / float(np.linalg.norm(unit_dir))) if norm_clipped else within
    big = log_abs >= lc
    by_value = np.where(big, sign * c, within)                               # clip(g_i, -c, c)
    over = log_abs > LOG10_MAX
    with np.errstate(over="ignore"):
        orig = sign * np.where(finite & ~over, 10.0 ** np.where(over, 0.0, log_abs), 0.0)
    over |= ~np.isfinite(orig)
    originals = [None if o else v for o, v in zip(over.tolist(), orig.tolist())]
    comps = tuple(ClipComponent(k, u, o, bn, bv) for k, u, o, bn, bv in
                  zip(ks.tolist(), units.tolist(), originals, by_norm.tolist(), by_value.tolist()))
    norm_before, over = _value(lnorm)
    return ClipResult(
        threshold=c, norm_before=norm_before, log10_norm_before=lnorm, overflow=over,
        norm_clipped=bool(norm_clipped),
        norm_after_norm_clip=float(np.linalg.norm(by_norm)),
        norm_after_value_clip=float(np.linalg.norm(by_value)),
        angle_norm_clip_deg=0.0,  # a positive multiple of g: the direction is kept exactly (tests check it)
        angle_value_clip_deg=0.0 if not np.any(log_abs > lc) else angle_deg(unit_dir, by_value),
        values_clipped=int(np.sum(log_abs > lc)),
        components=comps,
    )
