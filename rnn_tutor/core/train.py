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
import sys
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


# ------------------------------------------------------------------------------------------- saved models
# A saved model is the cells' weights file (rnn_tutor.core.weights: PyTorch names for every layer, meta_cell,
# meta_input_size, meta_hidden_size, meta_nonlinearity, meta_version) plus the task's metadata and the head.
# weights.load_weights accepts only the cell's arrays (four per layer) besides ``meta_*`` entries, so the head and
# the decoder are stored under ``meta_head.weight``, ``meta_head.bias`` and ``meta_decoder.<name>``: ``trace
# --weights`` reads the same file.

EXTRA_PREFIX = "meta_"


@dataclass(frozen=True)
class SavedModel:
    model: heads.Model
    length: int  # the length it was trained on
    meta: dict  # seed, steps, accuracy, loss, gate_init (what the file says)
    path: str


def check_save_path(path) -> None:
    """Fail before training, not after, when ``--save`` cannot be written (a bad name, a missing or read-only
    folder, a target that is not a regular file)."""
    from rnn_tutor.core import fileio

    fileio.check_writable(path, doing="save the model to")


# Scalar metadata of a saved model beyond the cell's (weights.WEIGHTS_META), checked from each entry's header and
# value by weights.ModelFile.meta: one line per field.
MODEL_META: dict[str, weights.MetaField] = {
    **weights.WEIGHTS_META,
    "meta_task": weights.MetaField("text"),  # a task name; get_task says which exist
    "meta_length": weights.MetaField("int", 1, 10**9),  # then the task's own check_length
    "meta_seed": weights.MetaField("int", 0, 2**32 - 1),
    "meta_steps": weights.MetaField("int", 0, MAX_STEPS),
    "meta_accuracy": weights.MetaField("float", 0.0, 1.0, nan_ok=True),  # NaN: not evaluated
    "meta_loss": weights.MetaField("float", 0.0, None, nan_ok=True),
    "meta_gate_init": weights.MetaField("text", choices=heads.GATE_INITS),
    "meta_decoder_kind": weights.MetaField("text", choices=attention.DECODERS),  # encoder-decoders; none: plain
    "meta_attention_score": weights.MetaField("text", choices=attention.SCORES),
}
_MISSING_MODEL = "check the path, or train one with: rnn-tutor train --save model.npz"


def save_model(path, result: TrainResult):
    """Write the trained model (atomically). Returns the path."""
    from rnn_tutor.core import fileio

    cfg = result.config
    task = get_task(cfg.task)
    p = result.params
    cell_keys = cells.param_keys(cfg.layers)  # every layer's, under PyTorch's names
    arrays = {k: np.ascontiguousarray(p[k]) for k in cell_keys}
    arrays.update(
        meta_cell=np.array(cfg.cell),
        meta_input_size=np.array(p["weight_ih_l0"].shape[1], dtype=np.int64),
        meta_hidden_size=np.array(cfg.hidden, dtype=np.int64),
        meta_nonlinearity=np.array("tanh"),
        meta_version=np.array(weights.FORMAT_VERSION, dtype=np.int64),
        meta_task=np.array(cfg.task),
        meta_length=np.array(cfg.length, dtype=np.int64),
        meta_seed=np.array(cfg.seed, dtype=np.int64),
        meta_steps=np.array(result.final.step if result.final else 0, dtype=np.int64),
        meta_accuracy=np.array(result.accuracy if result.accuracy is not None else np.nan),
        meta_loss=np.array(result.loss if result.loss is not None else np.nan),
        meta_gate_init=np.array(cfg.gate_init),
    )
    if task.kind == SEQ2SEQ:  # which decoder reads the meta_decoder.* cell (files without it: plain)
        arrays["meta_decoder_kind"] = np.array(cfg.decoder)
        if cfg.decoder == "attention":
            arrays["meta_attention_score"] = np.array(cfg.score)
    for k, v in p.items():
        if k not in cell_keys:
            arrays[EXTRA_PREFIX + k] = np.ascontiguousarray(v)
    arrays.update(_forecast_meta(result))
    if task.kind == NEXT_CHAR:
        from rnn_tutor.core import lm

        arrays.update(lm.save_meta(result))
    check_save_path(path)
    # a file object, so numpy does not append ".npz"
    return fileio.write_atomic(path, lambda fh: np.savez(fh, **arrays), doing="save the model to",
                               hint="check the disk space and the --save path")


# a forecast model's metadata: what undoes the normalisation, and the held-out errors predict --stream reports
MAX_SCALE = 1e150  # |mean| and sd of the readings a forecast model accepts in its file (squares stay finite)
FORECAST_META: dict[str, weights.MetaField] = {
    "meta_norm_mean": weights.MetaField("float", -MAX_SCALE, MAX_SCALE),
    "meta_norm_std": weights.MetaField("float", sys.float_info.min, MAX_SCALE),  # above 0: it divides
    "meta_error_std": weights.MetaField("float", 0.0, MAX_SCALE),
    "meta_heldout_mse": weights.MetaField("float", 0.0, None),
    "meta_ar_mse": weights.MetaField("float", 0.0, None),
    "meta_persistence_mse": weights.MetaField("float", 0.0, None),
    "meta_signal": weights.MetaField("text", choices=("knocks", "sines", "regimes", "file")),
    "meta_signal_source": weights.MetaField("text"),
    "meta_ar_order": weights.MetaField("int", 1, 1000),
}
FORECAST_REQUIRED = ("meta_norm_mean", "meta_norm_std", "meta_error_std")


def _forecast_meta(result: TrainResult) -> dict[str, np.ndarray]:
    f = result.forecast
    if f is None:
        return {}
    values = {"norm_mean": f.mean, "norm_std": f.std, "error_std": f.error_std, "heldout_mse": f.mse,
              "ar_mse": f.ar_mse, "persistence_mse": f.persistence_mse}
    out = {EXTRA_PREFIX + k: np.array(float(v), dtype=np.float64) for k, v in values.items()}
    out[EXTRA_PREFIX + "signal"] = np.array(f.signal)
    out[EXTRA_PREFIX + "signal_source"] = np.array(f.source[: weights.MAX_META_TEXT])
    out[EXTRA_PREFIX + "ar_order"] = np.array(f.ar_order, dtype=np.int64)
    return out


def _forecast_task(f: "weights.ModelFile") -> tuple[Task, dict]:
    """The forecast task of a saved model, with the normalisation its file records (each field checked)."""
    from rnn_tutor.core import signals, tasks

    meta = f.meta(FORECAST_META)
    for key in FORECAST_REQUIRED:
        if meta[key] is None:
            raise f.bad(f"lacks {key}, which a forecast model needs")
    info = {k[len(EXTRA_PREFIX):]: v for k, v in meta.items()}
    name = info["signal"] or "file"
    source = info["signal_source"] or name
    info.update(signal=name, signal_source=source)
    sig = signals.Signal(name, source, info["norm_mean"], info["norm_std"], np.zeros(0),
                         np.zeros(signals.AR_ORDER + 1))
    return tasks.forecast_task(prepared=sig), info


def task_vocabulary(path) -> tuple[str, ...] | None:
    """The one-hot words, in their input order, of the task a saved model was trained on; None for a plain
    weights file (or a task fed numbers). A file that cannot be read raises what ``load_weights`` would."""
    with weights.ModelFile(path, missing_hint="check the path given to --weights") as f:
        name = f.meta({"meta_task": MODEL_META["meta_task"]})["meta_task"]
    if name is None:
        return None
    try:
        vocab = get_task(name).vocab
    except BadValueError:
        return None
    return tuple(w.casefold() for w in vocab) or None


def load_model(path, cell: str | None = None, task: str | None = None) -> SavedModel:
    """Read a model written by ``save_model``: every entry is checked against what is expected (from its .npy
    header) before it is read. ``cell``/``task``, when given, must match the file."""
    with weights.ModelFile(path, "model file", hint="train and save the model again",
                           missing_hint=_MISSING_MODEL) as f:
        w = f.cell_weights(cell)
        meta = f.meta(MODEL_META)
        task_name = meta["meta_task"]
        if task_name is None:
            raise RnnTutorError(f"{path} holds a bare {w.cell} cell without a trained task head",
                                "train one with: rnn-tutor train --save model.npz")
        try:
            t = get_task(task_name)
        except BadValueError:
            raise f.bad(f"was trained on an unknown task {task_name[:40]!r}") from None
        if task is not None and get_task(task).name != t.name:
            raise RnnTutorError(f"{path} holds a model for the {t.name} task, not {task}",
                                f"use --task {t.name} or another model file")
        forecast_info = {}
        if t.kind == STEP_REGRESSION:
            t, forecast_info = _forecast_task(f)
        if t.kind == NEXT_CHAR:  # a language model: its vocabulary makes its task (lm.py)
            from rnn_tutor.core import lm

            t, forecast_info = lm.task_from_file(f)
        if w.input_size != t.input_size:
            raise f.bad(f"input size {w.input_size} does not fit the {t.name} task ({t.input_size})")
        length = meta["meta_length"] or t.default_length
        try:  # a hand-edited file must not ask predict for a billion-step sample
            t.check_length(length)
        except BadValueError:
            raise f.bad(f"meta_length {length} is not a length the {t.name} task allows") from None
        H = w.hidden_size
        params = dict(w.params)
        expected = {"head.weight": (t.output_size, H), "head.bias": (t.output_size,)}
        decoder, score = _saved_decoder(f, meta, t)
        if t.kind == "seq2seq":
            dec_shapes = cells.param_shapes(w.cell, heads.decoder_input_size(t, decoder, H), H, w.num_layers)
            expected.update({heads.DECODER_PREFIX + k: s for k, s in dec_shapes.items()})
            if decoder == "attention":
                expected.update(attention.param_shapes(t, H, score))
        for key, shape in expected.items():  # shapes from the headers, then the numbers
            params[key] = f.array(EXTRA_PREFIX + key, shape)
    info = {"seed": meta["meta_seed"], "steps": meta["meta_steps"], "accuracy": meta["meta_accuracy"],
            "loss": meta["meta_loss"], "gate_init": meta["meta_gate_init"], **forecast_info}
    return SavedModel(heads.Model(w.cell, t, H, params, decoder, score), int(length), info, str(path))


def _saved_decoder(f, meta: dict, task: Task) -> tuple[str, str | None]:
    """(decoder, score) of a saved model: meta_decoder_kind and meta_attention_score (files without: plain)."""
    decoder = meta["meta_decoder_kind"] or "plain"
    if task.kind != SEQ2SEQ or decoder == "plain":
        if decoder != "plain":
            raise f.bad(f"meta_decoder_kind {decoder!r} for the {task.name} task, which has no decoder")
        return "plain", None
    score = meta["meta_attention_score"]
    if score is None:
        raise f.bad("has an attention decoder but no meta_attention_score "
                    f"(one of {', '.join(attention.SCORES)})")
    return decoder, score


# ------------------------------------------------------------------------------------------- predictions


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


# ------------------------------------------------------------------------------------------- compare


@dataclass(frozen=True)
class CompareRow:
    cell: str
    accuracy: float | None
    loss: float | None
    solved_step: int | None
    solved_sequences: int | None
    steps: int
    seconds: float
    parameters: int
    curve: tuple[float, ...]  # held-out accuracy at every evaluation
    interrupted: bool = False
    length: int = 0
    forecast: object = None  # signals.ForecastReport of a forecast run
    decoder: str = "plain"  # encoder-decoder tasks: which decoder (compare --decoders)
    score: str | None = None
    sequence_accuracy: float | None = None  # encoder-decoder: held-out outputs right in every symbol


def compare_row(result: TrainResult) -> CompareRow:
    n = sum(int(v.size) for v in result.params.values())
    cfg = result.config
    return CompareRow(cfg.cell, result.accuracy, result.loss, result.solved_step, result.solved_sequences,
                      result.final.step if result.final else 0, result.seconds, n,
                      tuple(r.accuracy for r in result.records), result.interrupted, result.config.length,
                      result.forecast, cfg.decoder, cfg.score,
                      result.final.sequence_accuracy if result.final else None)


def pct(v: float | None) -> str:
    """An accuracy as tables and sentences both write it ('14.6%', '-' for none), so the two always agree."""
    return "-" if v is None else f"{100 * v:.1f}%"


LONG_LAG_TASKS = ("adding", "recall", "order")  # the answer depends on the first inputs, read at the end


def compare_sentence(rows: list[CompareRow], task: str, length: int, steps: int, baseline_accuracy: float) -> str:
    """One sentence saying what the comparison shows."""
    stopped = next((r for r in rows if r.interrupted), None)
    if stopped is not None:  # a half-run budget shows nothing about the cells: say so, not "try more --steps"
        return (f"Interrupted while training {stopped.cell} (step {stopped.steps:,} of {steps:,}): these numbers "
                "are partial, not a comparison; run it to the end to compare.")
    if rows and all(r.forecast is not None for r in rows):
        return _forecast_compare_sentence(rows)
    solved = [r for r in rows if r.solved_step is not None]
    unsolved = [r for r in rows if r.solved_step is None]
    base = pct(baseline_accuracy)
    if rows and not solved:
        best = max(rows, key=lambda r: r.accuracy or 0.0)
        return (f"No cell reached {SOLVED:.0%} within {steps:,} steps at length {length}; the best was "
                f"{best.cell} at {pct(best.accuracy or 0)} (a constant guess gets {base}): try more --steps.")
    if not unsolved:
        if task in LONG_LAG_TASKS:
            return (f"All cells solved {task} at length {length}; a longer --length (say 100 or 200) is where the "
                    "plain rnn usually falls behind.")
        return (f"All cells solved {task} at length {length}; the plain rnn usually falls behind where the answer "
                "lies far back, as in recall or adding with --length 100.")
    won = " and ".join(f"{r.cell} (after {r.solved_sequences:,} sequences)" for r in solved)
    lost = " and ".join(f"{r.cell} ({pct(r.accuracy or 0)})" for r in unsolved)
    near = all((r.accuracy or 0) < baseline_accuracy + 0.1 for r in unsolved)
    if not near:
        tail = f"did not reach {SOLVED:.0%} in {steps:,} steps"
    else:
        tail = f"stayed near the {base} of a constant guess"
        if task in LONG_LAG_TASKS:  # the usual cause, not one this run measured: say so
            tail += (f": over {length} steps its gradient usually shrinks too far for the first inputs to register "
                     "in training")
    return f"With the same budget and seed, {won} solved {task} at length {length}, while {lost} {tail}."


def _forecast_compare_sentence(rows: list[CompareRow]) -> str:
    """Forecasts have no "solved": the held-out errors side by side, then what the best cell's memory bought."""
    f = rows[0].forecast
    errors = ", ".join(f"{r.cell} {r.forecast.mse:.4g}" for r in rows)
    best = min(rows, key=lambda r: r.forecast.mse)
    return (f"Held-out mean squared error on {f.source} ({f.readings:,} readings): {errors}; AR({f.ar_order}) "
            f"{f.ar_mse:.4g}, persistence {f.persistence_mse:.4g} (the accuracy column is the share of the variance "
            f"explained). {best.forecast.sentence}")


def length_sentence(rows: list[CompareRow], hidden: int, task: str | None = None) -> str:
    """One sentence on accuracy against length (the encoder-decoder's bottleneck, or any task's memory)."""
    stopped = next((r for r in rows if r.interrupted), None)
    if stopped is not None:
        return (f"Interrupted while training {stopped.cell} at length {stopped.length}: these numbers are "
                "partial; run it to the end to see accuracy against length.")
    parts = []
    falls = False
    for cell in dict.fromkeys(r.cell for r in rows):
        mine = sorted((r for r in rows if r.cell == cell), key=lambda r: r.length)
        if len(mine) < 2:
            continue
        a, b = mine[0], mine[-1]
        parts.append(f"{cell} {pct(a.accuracy or 0)} at length {a.length} -> {pct(b.accuracy or 0)} at {b.length}")
        falls = falls or (b.accuracy or 0) < (a.accuracy or 0) - 0.05
    if not parts:
        return ""
    text = "Accuracy against length: " + "; ".join(parts) + ". "
    kind = TASKS[task].kind if task in TASKS else None
    if falls and kind == SEQ2SEQ:
        text += (f"The longer the input, the less of it a fixed-size state of {hidden} numbers can carry to the "
                 "output (the encoder-decoder's bottleneck, which attention later removed).")
    elif falls and task in LONG_LAG_TASKS:
        text += ("The longer the input, the further back the answer's evidence lies, and the weaker the gradient "
                 "that gets back to it through the steps.")
    elif falls:
        text += "Accuracy falls as the input grows, with the same budget for every length."
    else:
        text += "No drop yet: try longer lengths or a smaller --hidden."
    return text
