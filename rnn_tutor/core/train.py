"""The training loop: mini-batches made on the fly from a seed, Adam or SGD, global-norm clipping, a held-out
evaluation set from another seed, evaluation records streamed as training goes.

    trainer = Trainer(TrainConfig(cell="lstm", task="adding", length=100))
    for record in trainer.run():      # one EvalRecord every `eval_every` steps (and at the end)
        ...
    result = trainer.result()         # also valid after an interruption (KeyboardInterrupt in the loop)

A NaN or exploding loss stops training with an ``RnnTutorError`` that says what to change. Everything random
comes from ``seed``: the same config gives the same numbers.

Saving and loading a trained model is ``core/savedmodel.py``, predicting with one ``core/predict.py``, and what
``compare`` says about several runs ``core/compare.py``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator

import numpy as np

from rnn_tutor.core import attention, cells, heads, optim, weights
from rnn_tutor.core.tasks import (ADDING_TOLERANCE, NEXT_CHAR, SEQ2SEQ, SEQ_REGRESSION, STEP_REGRESSION, TASKS, Task,
                                  get_task)
from rnn_tutor.errors import BadValueError, RnnTutorError

SOLVED = 0.99  # a run counts as solved once the held-out accuracy reaches 99%
MAX_HIDDEN = 1024
MAX_BATCH = 4096
MAX_STEPS = 10_000_000
MAX_LAYERS = 3
DTYPES = {"float64": np.float64, "float32": np.float32}
# bytes of buffers a run may ask for: past the RAM, an OS kills a process more often than it refuses it memory
MEMORY_LIMIT = 4 * 2**30
DEFAULT_EVAL_SIZE = 512  # held-out sequences (a forecast holds out a stretch of readings instead)
# numbers kept per unit of width (hidden + input + 1), sequence and time step: (training: forward + BPTT buffers,
# evaluation: forward only), from the peak memory of `train` at H = 64, T = 2,000, rounded up
_NUMBERS_PER_UNIT = {"lstm": (24, 10), "gru": (12, 7), "rnn": (3, 2)}


def memory_estimate(cell: str, kind: str, width: int, batch: int, eval_size: int, length: int, dtype: str,
                    layers: int = 1, hidden: int = 0, decoder: str = "plain") -> int:
    """Bytes the model's buffers need, about: a training batch, plus one evaluation chunk (heads.EVAL_CHUNK).
    width = hidden + input size + 1 (layer 0); every further layer of a stack (``hidden`` = H) adds its own
    buffers, of width 2 H + 1 (it reads the H numbers of the layer below)."""
    train_n, eval_n = _NUMBERS_PER_UNIT[cell]
    width = width + (layers - 1) * (2 * hidden + 1)
    n = width * length * (train_n * batch + eval_n * min(eval_size, heads.EVAL_CHUNK))
    if kind == STEP_REGRESSION:  # the held-out stretch is one sequence, evaluated heads.EVAL_STEPS at a time
        n = width * (train_n * batch * length + eval_n * heads.EVAL_STEPS)
    if kind == SEQ2SEQ:
        n *= 2  # an encoder and a decoder
    if decoder == "attention":  # training keeps, per output step, tanh(...) (S, H) and the weights (S,) of every
        # sequence; greedy evaluation keeps only the weights (T_out x S per sequence)
        a = hidden if hidden else width
        n += length * length * ((a + 2) * batch + min(eval_size, heads.EVAL_CHUNK))
    return n * np.dtype(DTYPES[dtype]).itemsize


@dataclass(frozen=True)
class TrainConfig:
    cell: str = "lstm"
    task: str = "adding"
    length: int | None = None  # None: the task's default length
    hidden: int | None = None  # None: 16; for --task text lm.default_size (128; brackets 64)
    layers: int | None = None  # stacked layers of the cell (1..MAX_LAYERS); None: 1; --task text 2 (brackets 1)
    steps: int = 1500
    batch: int = 32
    lr: float = 0.01
    clip: float | None = 1.0  # global-norm clipping threshold; None or 0: no clipping
    optimizer: str = "adam"
    seed: int = 0
    eval_every: int | None = None  # None: 50; for --task text lm.EVAL_EVERY (its held-out text is long)
    eval_size: int | None = None  # None: 512 sequences; forecast: the signal's held-out stretch (signals.prepare)
    stop_at: float | None = None  # stop once the held-out accuracy reaches this (e.g. 0.99)
    dtype: str | None = None  # None: float64; for --task text float32 (see lm.py)
    gate_init: str | None = None  # "chrono" or "plain" (PyTorch's init; see heads.init_model). None: chrono; for
    # --task text plain (a language model writes to its state at every character: lm.py)
    decoder: str = "plain"  # encoder-decoder tasks: "plain" or "attention" (core/attention.py)
    score: str | None = None  # attention: "additive" (the default) or "dot"
    signal: str | None = None  # forecast: knocks | sines | regimes | a file of readings (None: knocks)
    column: str | None = None  # forecast from a CSV file: the column's name or 1-based number
    # --task text (a language model, core/lm.py): the corpus, the held-out file, the cap on characters
    text: str | None = None  # a file, or brackets / lessons / stdlib (default brackets); "-" is read by the CLI
    valid: str | None = None  # a held-out file instead of the last 10%
    max_chars: int | None = None  # None: corpus.DEFAULT_MAX_CHARS (brackets: corpus.BRACKETS_CHARS)

    def checked(self) -> "TrainConfig":
        """The config with the task's default length filled in; BadValueError for any value out of range."""
        cell = cells.check_cell(self.cell)
        task = get_task(self.task)
        length = task.default_length if self.length is None else self.length
        task.check_length(length)
        hidden, layers = self.hidden, self.layers
        if hidden is None or layers is None:  # the defaults: a language model's depend on its text (lm.py)
            from rnn_tutor.core import lm

            size = lm.default_size(self.text) if task.kind == NEXT_CHAR else (1, 16)
            layers, hidden = size[0] if layers is None else layers, size[1] if hidden is None else hidden
        _whole("--hidden", hidden, 1, MAX_HIDDEN)
        _whole("--layers", layers, 1, MAX_LAYERS)
        _whole("--steps", self.steps, 1, MAX_STEPS)
        _whole("--batch", self.batch, 1, MAX_BATCH)
        eval_every = self.eval_every
        if eval_every is None:
            from rnn_tutor.core import lm

            eval_every = lm.EVAL_EVERY if task.kind == NEXT_CHAR else 50
        _whole("--eval-every", eval_every, 1, MAX_STEPS)
        forecast = task.kind == STEP_REGRESSION
        eval_size = self.eval_size if self.eval_size is not None or forecast else DEFAULT_EVAL_SIZE
        if eval_size is not None:
            _whole("--eval-size", eval_size, 1, 100_000)
        signal, column = self.signal, self.column
        if not forecast and (signal is not None or column is not None):
            raise BadValueError("--signal" if signal is not None else "--column",
                                f"is for --task forecast, not {task.name}")
        if forecast:
            from rnn_tutor.core import signals

            if eval_size is not None and eval_size < signals.AR_ORDER + 2:
                raise BadValueError("--eval-size", f"a forecast holds out at least {signals.AR_ORDER + 2} readings "
                                    f"(AR({signals.AR_ORDER}) needs {signals.AR_ORDER} before the first), got "
                                    f"{eval_size}")
            signal = signals.DEFAULT_SIGNAL if signal is None else str(signal)
            if signal.strip().lower() in signals.SIGNALS:
                signal = signal.strip().lower()
            elif not signal.strip():
                raise BadValueError("--signal", f"is empty; choose one of {', '.join(signals.SIGNALS)} or a file")
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
        gate_init = self.gate_init or ("plain" if task.kind == NEXT_CHAR else "chrono")
        if gate_init not in heads.GATE_INITS:
            raise BadValueError("--gate-init", f"choose one of {', '.join(heads.GATE_INITS)}, got {gate_init!r}")
        dtype = self.dtype
        if dtype is None:
            dtype = "float32" if task.kind == NEXT_CHAR else "float64"  # a language model wants speed (lm.py)
        if dtype not in DTYPES:
            raise BadValueError("--dtype", f"choose one of {', '.join(DTYPES)}, got {dtype!r}")
        if task.kind != NEXT_CHAR:
            given = next((o for o, v in (("--text", self.text), ("--valid", self.valid),
                                         ("--max-chars", self.max_chars)) if v is not None), None)
            if given:
                raise BadValueError(given, f"is for --task text, not {task.name}")
        else:
            from rnn_tutor.core import corpus

            if self.max_chars is not None:
                corpus.check_max_chars(self.max_chars)
            for option, value in (("--text", self.text), ("--valid", self.valid)):
                if value is not None and not str(value).strip():
                    raise BadValueError(option, "is empty; give a file, '-' for stdin, or one of "
                                                + ", ".join(corpus.BUILTINS))
        decoder, score = _check_decoder(self.decoder, self.score, task, length)
        if not forecast and eval_size * length * task.input_size > 20_000_000:
            raise BadValueError(
                "--eval-size", f"eval-size x length x input size = {eval_size * length * task.input_size:,} "
                "numbers is too much memory (at most 20,000,000)", "use a smaller --eval-size",
            )
        width = hidden + (256 if task.kind == NEXT_CHAR else task.input_size) + 1  # text: V <= 256
        need = memory_estimate(cell, task.kind, width, self.batch, eval_size or 0, length, dtype, layers, hidden,
                               decoder)
        if need > MEMORY_LIMIT:
            stack = f", {layers} layers" if layers > 1 else ""
            raise BadValueError(
                "--hidden", f"this run would need about {need / 2**30:.1f} GB of memory for hidden {hidden} x "
                f"batch {self.batch} x length {length:,} ({weights.a_cell(cell)}{stack}, {dtype}); the limit "
                f"is {MEMORY_LIMIT // 2**30} GB",
                "use a smaller --hidden, --batch or --length" + (" or fewer --layers" if layers > 1 else "")
                + (", or --dtype float32, which halves it" if dtype == "float64" else ""),
            )
        return TrainConfig(**{**asdict(self), "cell": cell, "task": task.name, "length": int(length),
                              "hidden": hidden, "layers": layers, "eval_every": eval_every, "dtype": dtype,
                              "gate_init": gate_init,
                              "optimizer": str(self.optimizer).lower(), "clip": clip or None,
                              "eval_size": eval_size, "signal": signal, "column": column,
                              "decoder": decoder, "score": score})


def _check_decoder(decoder, score, task: Task, length: int) -> tuple[str, str | None]:
    """(decoder, score) checked against the task: only encoder-decoder tasks have a decoder to choose."""
    decoder = attention.check_decoder(decoder)
    if decoder == "plain":
        if score is not None:
            raise BadValueError("--score", "only the attention decoder has a score (use --decoder attention)")
        return decoder, None
    if task.kind != SEQ2SEQ:
        seq2seq = ", ".join(t.name for t in TASKS.values() if t.kind == SEQ2SEQ)
        raise BadValueError("--decoder", f"the {task.name} task has no decoder to give attention to; "
                            f"encoder-decoder tasks: {seq2seq}")
    attention.check_length(length)
    return decoder, attention.check_score(score or attention.DEFAULT_SCORE)


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
    sequence_accuracy: float | None = None  # encoder-decoder: held-out outputs right in every symbol

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
    forecast: object = None  # signals.ForecastReport: a forecast's held-out errors beside persistence and AR(k)
    text: object = field(default=None, repr=False)  # --task text: the lm.TextData (vocabulary, n-gram baseline)

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
    """(accuracy, loss) of the best answer that ignores the input: the mean for adding, the commonest class;
    for a forecast, the mean reading (which explains none of the variance)."""
    if task.kind == STEP_REGRESSION:
        scored = np.asarray(y)[:, heads.score_from(task) :]
        return 0.0, float(np.var(scored))
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

    def __init__(self, config: TrainConfig, text=None):
        self.config = cfg = config.checked()
        self.task = get_task(cfg.task)
        self.text = None  # a language model's lm.TextData (``text``, or read from config.text)
        if self.task.kind == NEXT_CHAR:
            from rnn_tutor.core import lm

            self.text = text if text is not None else lm.prepare_config(cfg)
            self.task = lm.text_task(self.text, cfg.batch, cfg.length)
        eval_rng = np.random.default_rng([cfg.seed, 2])  # the held-out set: another stream, fixed
        if self.task.kind == STEP_REGRESSION:  # the signal's training readings, held-out stretch and baselines
            from rnn_tutor.core import signals, tasks

            self.task = tasks.forecast_task(prepared=signals.prepare(
                cfg.signal, cfg.seed, cfg.eval_size, cfg.length, cfg.column, heldout_rng=eval_rng))
        self.dtype = DTYPES[cfg.dtype]
        self.model = heads.init_model(cfg.cell, self.task, cfg.hidden, seed=cfg.seed, dtype=self.dtype,
                                      gate_init=cfg.gate_init, length=cfg.length, num_layers=cfg.layers,
                                      decoder=cfg.decoder, score=cfg.score)
        self.optimizer = optim.make_optimizer(cfg.optimizer, self.model.params, cfg.lr)
        self.train_rng = np.random.default_rng([cfg.seed, 1])  # training batches
        if self.text is not None:  # the held-out text, as tracks of ids (lm.evaluate one-hots them as it goes)
            self.eval_x, self.eval_y = self.text.eval_tracks()
        else:
            ev = self.task.heldout(eval_rng, cfg.eval_size, cfg.length, dtype=self.dtype)
            self.eval_x, self.eval_y = ev.x, ev.y
        self.baseline_accuracy, self.baseline_loss = baseline(self.task, self.eval_y)
        self.records: list[EvalRecord] = []
        self.step = 0
        self.solved_step: int | None = None
        self.seconds = 0.0
        self.interrupted = False
        self._first_loss: float | None = None

    def evaluate(self) -> heads.Evaluation:
        if self.text is not None:
            from rnn_tutor.core import lm

            return lm.evaluate(self.model, self.eval_x, self.eval_y)  # tracks in chunks, state carried
        return heads.evaluate(self.model, self.eval_x, self.eval_y)  # in chunks: bounded memory

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
            self.records.append(EvalRecord(0, 0, e.loss, e.accuracy, None, None, 0.0, e.sequence_accuracy))
            yield self.records[-1]
        while self.step < cfg.steps:
            batch = self.task.batch(self.train_rng, cfg.batch, cfg.length, dtype=self.dtype)
            carried = {} if batch.state is None else {"state": batch.state}  # a language model's state (lm.py)
            loss, grads, _ = heads.loss_and_grads(self.model, batch.x, batch.y, **carried)
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
                                 loss_sum / n_since, norm_sum / n_since, self.seconds, e.sequence_accuracy)
                loss_sum = norm_sum = 0.0
                n_since = 0
                self.records.append(rec)
                if self.solved_step is None and rec.accuracy >= SOLVED:
                    self.solved_step = rec.step
                yield rec
                if cfg.stop_at is not None and rec.accuracy >= cfg.stop_at:
                    return

    def result(self, interrupted: bool | None = None) -> TrainResult:
        """What was done. After an interruption the model is evaluated once more if it trained past the last
        evaluation, so the accuracy reported (and saved beside the weights) is that of the weights."""
        if interrupted is not None:
            self.interrupted = interrupted
        if self.interrupted and self.records and self.records[-1].step < self.step:
            e = self.evaluate()
            if math.isfinite(e.loss):
                self.records.append(EvalRecord(self.step, self.step * self.config.batch, e.loss, e.accuracy,
                                               None, None, self.seconds, e.sequence_accuracy))
                if self.solved_step is None and e.accuracy >= SOLVED:
                    self.solved_step = self.step
        return TrainResult(self.config, tuple(self.records), {k: v.copy() for k, v in self.model.params.items()},
                           self.solved_step, self.interrupted, self.seconds,
                           self.baseline_accuracy, self.baseline_loss, self.forecast_report(),
                           self.text)

    def forecast_report(self):
        """A forecast's held-out errors (model, persistence, AR(k)) in the signal's units; None for other tasks."""
        if self.task.kind != STEP_REGRESSION:
            return None
        from rnn_tutor.core import signals

        pred = heads.predict(self.model, self.eval_x)[0]  # (N-1,) normalised predictions of readings 1 .. N-1
        return signals.report(self.task.extra["signal"], pred, self.config.cell)


def train(config: TrainConfig) -> TrainResult:
    """Train to the end and return the result (no streaming)."""
    trainer = Trainer(config)
    for _ in trainer.run():
        pass
    return trainer.result()


# Saving, predicting and comparing live in their own modules; their names stay importable from here, the module
# a caller trains with (train -> save_model -> load_model), loaded on first use: those modules import this one.
_MOVED = {
    "savedmodel": ("SavedModel", "MODEL_META", "EXTRA_PREFIX", "FORECAST_META", "check_save_path", "save_model",
                   "load_model", "task_vocabulary"),
    "predict": ("Prediction", "describe_input", "predict_one", "sample_inputs"),
    "compare": ("CompareRow", "compare_row", "pct", "compare_sentence", "length_sentence"),
}
_MOVED_TO = {name: module for module, names in _MOVED.items() for name in names}


def __getattr__(name: str):
    module = _MOVED_TO.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"rnn_tutor.core.{module}"), name)
