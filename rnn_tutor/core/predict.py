"""Predictions of a saved model: one input given as text (``predict_one``), or fresh inputs of its task
(``sample_inputs``), each with the task's right answer beside the model's.

    saved = savedmodel.load_model("model.npz")
    p = predict_one(saved, "0.3* -0.2 0.9 0.5*")   # p.prediction, p.expected, p.correct, p.confidence
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import attention, heads
from rnn_tutor.core.savedmodel import SavedModel
from rnn_tutor.core.tasks import ADDING_TOLERANCE, NEXT_CHAR, SEQ_REGRESSION, STEP_REGRESSION, Task
from rnn_tutor.core.train import _whole
from rnn_tutor.errors import BadValueError


@dataclass(frozen=True)
class Prediction:
    input: str  # the input as text
    prediction: str  # the model's answer as text
    expected: str | None  # the task's rule applied to the input
    correct: bool | None
    confidence: float | None  # probability of the predicted class (mean per token for sequences)
    value: float | None = None  # adding: the predicted number
    target: float | None = None  # adding: the right number
    length: int | None = None  # steps in this input
    other_length: bool = False  # not the length the model was trained on: its answers may be wrong


def describe_input(task: Task, x: np.ndarray) -> str:
    """x (T, D) of one sequence back to the text ``predict --input`` reads."""
    if task.name == "adding":
        return " ".join(f"{v:.2f}" + ("*" if m > 0.5 else "") for v, m in x)
    if task.kind == STEP_REGRESSION:  # normalised readings back in the signal's units
        sig = task.extra["signal"]
        return " ".join(f"{v * sig.std + sig.mean:.6g}" for v in x[:, 0])
    return " ".join(task.vocab[i] for i in x.argmax(-1))


def _answer_text(task: Task, answer) -> str | None:
    if answer is None:
        return None
    if isinstance(answer, list):
        return " ".join(answer)
    if isinstance(answer, float):
        return f"{answer:.4f}"
    return str(answer)


def predict_one(saved: SavedModel, text: str) -> Prediction:
    import dataclasses

    x = saved.model.task.encode(text)  # (1, T, D)
    if x.shape[1] > 10_000:
        raise BadValueError("--input", f"at most 10,000 steps, got {x.shape[1]:,}")
    if saved.model.decoder == "attention":
        attention.check_length(x.shape[1], "--input")
    pred = _predict(saved, text, x)
    n = int(x.shape[1])
    return dataclasses.replace(pred, length=n, other_length=saved.length is not None and n != saved.length)


def _predict(saved: SavedModel, text: str, x: np.ndarray) -> Prediction:
    model, task = saved.model, saved.model.task
    out = heads.predict(model, x)
    if task.kind == STEP_REGRESSION:  # the next reading, in the signal's units
        sig = task.extra["signal"]
        value = float(out[0, -1]) * sig.std + sig.mean
        return Prediction(text, f"{value:.4g}", None, None, None, value if math.isfinite(value) else None)
    if task.kind == NEXT_CHAR:  # the likeliest next character after the whole input
        p = out[0, -1]
        k = int(p.argmax())
        return Prediction(text, repr(task.classes[k]), None, None, float(p[k]))  # quoted: ' ' and '\n' show
    if task.kind == SEQ_REGRESSION:
        value = float(out[0])
        target = task.target_of(text)
        return Prediction(text, f"{value:.4f}", f"{target:.4f}", abs(value - target) < ADDING_TOLERANCE, None,
                          value, target)
    expected = task.target_of(text)
    probs = out[0]  # (O,) or (T, O)
    if probs.ndim == 1:
        k = int(probs.argmax())
        guess = task.classes[k]
        conf = float(probs[k])
        exp = _answer_text(task, expected)
        return Prediction(text, guess, exp, None if exp is None else guess == exp, conf)
    ks = probs.argmax(-1)
    guess = [task.classes[k] for k in ks]
    conf = float(np.mean(probs[np.arange(len(ks)), ks]))
    exp = _answer_text(task, expected)
    return Prediction(text, " ".join(guess), exp, None if exp is None else " ".join(guess) == exp, conf)


def sample_inputs(task: Task, n: int, length: int, seed: int) -> list[str]:
    """``n`` fresh inputs of the task as text (from ``seed``; not the training or evaluation streams)."""
    _whole("--samples", n, 1, 1000)
    if task.kind == NEXT_CHAR:
        raise BadValueError("--input", "a language model continues a text you give: --input 'def ' (to let it "
                                       "write on its own: rnn-tutor sample MODEL)")
    if task.kind == STEP_REGRESSION and not task.extra["signal"].generated:
        raise BadValueError("--samples", f"this model learned from {task.extra['signal'].source}, which rnn-tutor "
                            "cannot make more of", "give readings with --input, or pipe them into --stream")
    if n * length > 1_000_000:
        raise BadValueError("--samples", f"samples x length = {n * length:,} is too many steps (at most 1,000,000)")
    b = task.batch(np.random.default_rng([seed, 3]), n, length)
    return [describe_input(task, x) for x in b.x]
