"""The training loop: mini-batches made on the fly from a seed, Adam or SGD, global-norm clipping, a held-out
evaluation set from another seed, evaluation records streamed as training goes.

    trainer = Trainer(TrainConfig(cell="lstm", task="adding", length=100))
    for record in trainer.run():      # one EvalRecord every `eval_every` steps (and at the end)
        ...
    result = trainer.result()         # also valid after an interruption (KeyboardInterrupt in the loop)

A NaN or exploding loss stops training with an ``RnnTutorError`` that says what to change. Everything random
comes from ``seed``: the same config gives the same numbers.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

import numpy as np

from rnn_tutor.core import cells, heads, optim
from rnn_tutor.core.tasks import Task, get_task
from rnn_tutor.errors import BadValueError, RnnTutorError

SOLVED = 0.99  # a run counts as solved once the held-out accuracy reaches 99%
MAX_HIDDEN = 1024
MAX_BATCH = 4096
MAX_STEPS = 10_000_000
EVAL_CHUNK = 256
DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass(frozen=True)
class TrainConfig:
    cell: str = "lstm"
    task: str = "adding"
    length: int | None = None  # None: the task's default length
    hidden: int = 16
    steps: int = 1500
    batch: int = 32
    lr: float = 0.01
    clip: float | None = 1.0  # global-norm clipping threshold; None or 0: no clipping
    optimizer: str = "adam"
    seed: int = 0
    eval_every: int = 50
    eval_size: int = 512
    stop_at: float | None = None  # stop once the held-out accuracy reaches this (e.g. 0.99)
    dtype: str = "float64"
    gate_init: str = "chrono"  # or "plain" (PyTorch's init); see heads.init_model

    def checked(self) -> "TrainConfig":
        """The config with the task's default length filled in; BadValueError for any value out of range."""
        cell = cells.check_cell(self.cell)
        task = get_task(self.task)
        length = task.default_length if self.length is None else self.length
        task.check_length(length)
        _whole("--hidden", self.hidden, 1, MAX_HIDDEN)
        _whole("--steps", self.steps, 1, MAX_STEPS)
        _whole("--batch", self.batch, 1, MAX_BATCH)
        _whole("--eval-every", self.eval_every, 1, MAX_STEPS)
        _whole("--eval-size", self.eval_size, 1, 100_000)
        _whole("--seed", self.seed, 0, 2**32 - 1)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise BadValueError("--lr", f"must be a number in (0, 10], got {self.lr}")
        clip = self.clip
        if clip is not None and not (isinstance(clip, (int, float)) and math.isfinite(clip) and clip >= 0):
            raise BadValueError("--clip", f"must be a number >= 0 (0 turns clipping off), got {clip}")
        if str(self.optimizer).lower() not in optim.OPTIMIZERS:
            raise BadValueError("--optimizer", f"choose one of {', '.join(optim.OPTIMIZERS)}, got {self.optimizer!r}")
        if self.stop_at is not None and not (0 < self.stop_at <= 1):
            raise BadValueError("--stop-at", f"must be an accuracy in (0, 1], got {self.stop_at}")
        if self.gate_init not in heads.GATE_INITS:
            raise BadValueError("--gate-init", f"choose one of {', '.join(heads.GATE_INITS)}, got {self.gate_init!r}")
        if self.dtype not in DTYPES:
            raise BadValueError("--dtype", f"choose one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.hidden * self.batch * length > 50_000_000:
            raise BadValueError(
                "--hidden", f"hidden x batch x length = {self.hidden * self.batch * length:,} is too much memory",
                "use smaller sizes (at most 50,000,000)",
            )
        return TrainConfig(**{**asdict(self), "cell": cell, "task": task.name, "length": int(length),
                              "optimizer": str(self.optimizer).lower(), "clip": clip or None})


def _whole(option: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise BadValueError(option, f"must be a whole number from {low} to {high:,}, got {value!r}")


@dataclass(frozen=True)
class EvalRecord:
    """One evaluation on the held-out set."""

    step: int  # optimizer steps done
    sequences: int  # training sequences seen (step x batch)
    loss: float  # held-out loss
    accuracy: float  # held-out accuracy (adding: fraction with |error| < 0.04)
    train_loss: float | None  # mean training loss since the previous record (None before training)
    grad_norm: float | None  # mean gradient norm (before clipping) since the previous record
    seconds: float  # wall time since training started

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrainResult:
    config: TrainConfig
    records: tuple[EvalRecord, ...]
    params: dict[str, np.ndarray] = field(repr=False)
    solved_step: int | None  # first evaluated step with accuracy >= 99%
    interrupted: bool
    seconds: float
    baseline_accuracy: float  # accuracy of the best constant answer on the same held-out set
    baseline_loss: float

    @property
    def final(self) -> EvalRecord | None:
        return self.records[-1] if self.records else None

    @property
    def accuracy(self) -> float | None:
        return self.final.accuracy if self.final else None

    @property
    def loss(self) -> float | None:
        return self.final.loss if self.final else None

    @property
    def solved_sequences(self) -> int | None:
        return None if self.solved_step is None else self.solved_step * self.config.batch


def baseline(task: Task, y: np.ndarray) -> tuple[float, float]:
    """(accuracy, loss) of the best answer that ignores the input: the mean for adding, the commonest class."""
    from rnn_tutor.core.tasks import ADDING_TOLERANCE, SEQ_REGRESSION

    if task.kind == SEQ_REGRESSION:
        guess = float(np.mean(y))
        return float(np.mean(np.abs(y - guess) < ADDING_TOLERANCE)), float(np.mean((y - guess) ** 2))
    counts = np.bincount(np.asarray(y).reshape(-1), minlength=task.output_size).astype(float)
    p = counts / counts.sum()
    with np.errstate(divide="ignore"):
        loss = float(-np.sum(p[p > 0] * np.log(p[p > 0])))
    return float(p.max()), loss


class Trainer:
    """Holds the model, optimizer and data streams; ``run()`` trains and yields evaluation records."""

    def __init__(self, config: TrainConfig):
        self.config = cfg = config.checked()
        self.task = get_task(cfg.task)
        self.dtype = DTYPES[cfg.dtype]
        self.model = heads.init_model(cfg.cell, self.task, cfg.hidden, seed=cfg.seed, dtype=self.dtype,
                                      gate_init=cfg.gate_init, length=cfg.length)
        self.optimizer = optim.make_optimizer(cfg.optimizer, self.model.params, cfg.lr)
        self.train_rng = np.random.default_rng([cfg.seed, 1])  # training batches
        eval_rng = np.random.default_rng([cfg.seed, 2])  # the held-out set: another stream, fixed
        ev = self.task.batch(eval_rng, cfg.eval_size, cfg.length, dtype=self.dtype)
        self.eval_x, self.eval_y = ev.x, ev.y
        self.baseline_accuracy, self.baseline_loss = baseline(self.task, self.eval_y)
        self.records: list[EvalRecord] = []
        self.step = 0
        self.solved_step: int | None = None
        self.seconds = 0.0
        self.interrupted = False
        self._first_loss: float | None = None

    def evaluate(self) -> heads.Evaluation:
        n = len(self.eval_x)
        losses, accs, sizes = [], [], []
        for start in range(0, n, EVAL_CHUNK):
            xs, ys = self.eval_x[start : start + EVAL_CHUNK], self.eval_y[start : start + EVAL_CHUNK]
            e = heads.evaluate(self.model, xs, ys)
            losses.append(e.loss)
            accs.append(e.accuracy)
            sizes.append(len(xs))
        w = np.array(sizes, dtype=float) / n
        return heads.Evaluation(float(np.dot(w, losses)), float(np.dot(w, accs)))

    def _diverged(self, what: str) -> RnnTutorError:
        cfg = self.config
        hint = f"lower the learning rate (--lr {cfg.lr / 10:g})"
        hint += " or clip the gradient norm (--clip 1)" if cfg.clip is None else f" or clip harder (--clip {cfg.clip / 10:g})"
        return RnnTutorError(f"training diverged at step {self.step}: {what}", hint)

    def run(self) -> Iterator[EvalRecord]:
        """Train for ``config.steps`` steps (or until ``stop_at``), yielding an EvalRecord every ``eval_every``
        steps and at the end. Safe to stop at any point: ``result()`` reports what was done."""
        cfg = self.config
        t0 = time.perf_counter() - self.seconds
        loss_sum = norm_sum = 0.0
        n_since = 0
        if self.step == 0 and not self.records:
            e = self.evaluate()
            self.records.append(EvalRecord(0, 0, e.loss, e.accuracy, None, None, 0.0))
            yield self.records[-1]
        while self.step < cfg.steps:
            batch = self.task.batch(self.train_rng, cfg.batch, cfg.length, dtype=self.dtype)
            loss, grads, _ = heads.loss_and_grads(self.model, batch.x, batch.y)
            norm = optim.clip_global_norm(grads, cfg.clip)
            if not math.isfinite(loss):
                raise self._diverged("the loss became NaN or infinite")
            if not math.isfinite(norm):
                raise self._diverged("the gradient became NaN or infinite")
            if self._first_loss is None:
                self._first_loss = max(loss, 1e-3)
            elif loss > 1e3 * self._first_loss:
                raise self._diverged(f"the loss exploded to {loss:.3g} (it started at {self._first_loss:.3g})")
            self.optimizer.step(grads)
            self.step += 1
            loss_sum += loss
            norm_sum += norm
            n_since += 1
            self.seconds = time.perf_counter() - t0
            if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
                e = self.evaluate()
                if not math.isfinite(e.loss):
                    raise self._diverged("the held-out loss became NaN or infinite")
                self.seconds = time.perf_counter() - t0
                rec = EvalRecord(self.step, self.step * cfg.batch, e.loss, e.accuracy,
                                 loss_sum / n_since, norm_sum / n_since, self.seconds)
                loss_sum = norm_sum = 0.0
                n_since = 0
                self.records.append(rec)
                if self.solved_step is None and rec.accuracy >= SOLVED:
                    self.solved_step = rec.step
                yield rec
                if cfg.stop_at is not None and rec.accuracy >= cfg.stop_at:
                    return

    def result(self, interrupted: bool | None = None) -> TrainResult:
        if interrupted is not None:
            self.interrupted = interrupted
        return TrainResult(self.config, tuple(self.records), {k: v.copy() for k, v in self.model.params.items()},
                           self.solved_step, self.interrupted, self.seconds,
                           self.baseline_accuracy, self.baseline_loss)


def train(config: TrainConfig) -> TrainResult:
    """Train to the end and return the result (no streaming)."""
    trainer = Trainer(config)
    for _ in trainer.run():
        pass
    return trainer.result()
