"""Saved models: ``save_model`` writes a trained model (the cell's weights under PyTorch's names, the task's
metadata and the head) as one ``.npz``; ``load_model`` reads it back, checking every entry before reading it.

    path = save_model("model.npz", result)      # result: a train.TrainResult
    saved = load_model(path)                    # saved.model: a heads.Model; saved.length, saved.meta
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import attention, cells, heads, weights
from rnn_tutor.core.tasks import NEXT_CHAR, SEQ2SEQ, STEP_REGRESSION, Task, get_task
from rnn_tutor.core.train import MAX_STEPS, TrainResult
from rnn_tutor.errors import BadValueError, RnnTutorError


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
from rnn_tutor.core.signals import MAX_SCALE  # |mean| and sd of the readings a forecast model's file may hold
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
