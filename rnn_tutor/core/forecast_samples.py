"""``predict --samples`` on a forecast model: fresh windows of the generated signal, each with the model's
prediction of the reading after it, the reading that really came next, and the error.

A forecast sample has a right answer: the generator draws T + 1 readings, the model sees the first T and the
last is the truth. (The other tasks' samples come from ``predict.sample_inputs``, whose windows these are.)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from rnn_tutor.core import predict
from rnn_tutor.core.tasks import STEP_REGRESSION


def is_forecast(saved) -> bool:
    return saved.model.task.kind == STEP_REGRESSION


def forecast_samples(saved, n: int, length: int, seed: int) -> list:
    """``n`` windows of ``length`` readings as ``predict.Prediction`` records with ``expected`` / ``target`` the
    true next reading (signal units). The model predicts from the window as written (six significant digits,
    so ``predict --input`` with the same text gives the same number); the truth is the generator's own."""
    task = saved.model.task
    texts = predict.sample_inputs(task, n, length, seed)  # refuses what --samples cannot do (a file's signal, ...)
    batch = task.batch(np.random.default_rng([seed, 3]), n, length)  # the generator sample_inputs drew them from
    sig = task.extra["signal"]
    truth = batch.y[:, -1, 0] * sig.std + sig.mean  # (n,) the reading after each window
    out = []
    for text, nxt in zip(texts, truth):  # the same windows (a test checks), so each truth is its window's
        p = predict.predict_one(saved, text)
        target = float(nxt) if math.isfinite(float(nxt)) else None
        out.append(dataclasses.replace(p, expected=None if target is None else f"{target:.4g}", target=target))
    return out


def error(p) -> float | None:
    """The true next reading minus the prediction (as ``predict --stream``'s error: reading - predicted)."""
    if p.value is None or p.target is None:
        return None
    e = p.target - p.value
    return e if math.isfinite(e) else None
