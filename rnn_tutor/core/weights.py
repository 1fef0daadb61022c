"""Weights files: cell parameters (one layer or a stack) in a ``.npz`` archive that PyTorch can read and write.

Layout (all plain numeric or string arrays; nothing pickled):

    weight_ih_l0 (G*H, D)  weight_hh_l0 (G*H, H)  bias_ih_l0 (G*H,)  bias_hh_l0 (G*H,)   -- PyTorch's names
    weight_ih_l1 (G*H, H)  weight_hh_l1 (G*H, H)  ...  bias_hh_l{L-1}                   -- a stack of L layers
    meta_cell "lstm"  meta_input_size D  meta_hidden_size H  meta_nonlinearity "tanh"  meta_version 1

A ``state_dict`` of ``torch.nn.RNN/GRU/LSTM`` (any number of layers, one direction) saved with ``numpy.savez``
loads as-is (the cell is then told apart by G = rows / H; the layers by the names). Files are always opened with ``allow_pickle=False``, so no code
inside a file ever runs; every problem becomes an ``RnnTutorError`` (exit 1) saying what is wrong and what was
expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_tutor.core import cells, fileio
from rnn_tutor.errors import BadValueError, RnnTutorError

FORMAT_VERSION = 1
META_PREFIX = "meta_"
_CELL_BY_GATES = {g: c for c, g in cells.GATES.items()}


@dataclass(frozen=True)
class Weights:
    cell: str
    input_size: int
    hidden_size: int
    params: dict[str, np.ndarray]  # every layer's, under PyTorch's names
    nonlinearity: str = "tanh"
    source: str = ""
    num_layers: int = 1


def save_weights(path, cell: str, params: dict[str, np.ndarray], *, nonlinearity: str = "tanh") -> Path:
    """Write ``params`` and metadata to ``path`` (exactly that name), atomically. Returns the path."""
    cell = cells.check_cell(cell)
    try:
        d, h = cells.sizes_of(cell, params)
    except BadValueError as exc:
        raise RnnTutorError(f"cannot save these weights: {exc.message}") from None
    if nonlinearity not in cells.NONLINEARITIES or (nonlinearity != "tanh" and cell != "rnn"):
        raise BadValueError("--nonlinearity", f"{nonlinearity!r} is not allowed for a {cell} cell")
    arrays = {k: np.ascontiguousarray(params[k]) for k in cells.param_keys(cells.num_layers(params))}
    arrays.update(
        meta_cell=np.array(cell),
        meta_input_size=np.array(d, dtype=np.int64),
        meta_hidden_size=np.array(h, dtype=np.int64),
        meta_nonlinearity=np.array(nonlinearity),
        meta_version=np.array(FORMAT_VERSION, dtype=np.int64),
    )
    # a file object: numpy would otherwise append ".npz" to the name
    return fileio.write_atomic(path, lambda fh: np.savez(fh, **arrays), what="weights file",
                               hint="check that the folder exists and is writable")


def a_cell(cell: str) -> str:
    """'an LSTM', 'a GRU', 'an RNN': the cell named as people say it."""
    name = str(cell).upper()
    return ("an " if name[:1] in "AEFHILMNORSX" else "a ") + name


HINT = "write one with a training run or numpy.savez"


@dataclass(frozen=True)
class MetaField:
    """What one scalar ``meta_*`` entry of a model file must be. A table of these (``WEIGHTS_META``, and the
    saved model's in ``core.train``) is checked from each entry's .npy header, then its value; adding a field is
    one line."""

    kind: str  # "text" | "int" | "float"
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()  # text: the allowed values (empty: any text up to MAX_META_TEXT characters)
    nan_ok: bool = False  # float: NaN stands for "not measured"

    def allowed(self) -> str:
        if self.kind == "text":
            return "one of " + ", ".join(self.choices) if self.choices else "text"
        noun = "a whole number" if self.kind == "int" else "a number"
        if self.low is not None and self.high is not None:
            return f"{noun} from {self.low:,} to {self.high:,}"
        if self.low is not None:
            return f"{noun} of at least {self.low:,}"
        return noun


MAX_META_TEXT = 1000
MAX_SIZE = 1_000_000  # input and hidden sizes a file may state
WEIGHTS_META: dict[str, MetaField] = {
    "meta_cell": MetaField("text", choices=cells.CELLS),
    "meta_input_size": MetaField("int", 1, MAX_SIZE),
    "meta_hidden_size": MetaField("int", 1, MAX_SIZE),
    "meta_nonlinearity": MetaField("text", choices=cells.NONLINEARITIES),
    "meta_version": MetaField("int", 1, 2**31 - 1),  # newer than FORMAT_VERSION: "upgrade rnn-tutor"
}
_KINDS = {"text": "US", "int": "iu", "float": "fiu"}
_DTYPE_WORDS = {"U": "text", "S": "bytes", "f": "a floating-point number", "i": "a whole number",
                "u": "a whole number", "b": "true/false", "c": "a complex number"}


class ModelFile:
    """An open weights or model file. Its entries' names, shapes and dtypes (``infos``) are known from the .npy
    headers before any data is read (``fileio.NpzArchive``: no pickles, no zip bombs, a documented size cap);
    ``meta``, ``array`` and ``cell_weights`` check each entry against what is expected before reading it. Every
    problem is an ``RnnTutorError`` (exit 1) naming the file, the entry and what was expected."""

    def __init__(self, path, what: str = "weights file", *, hint: str = HINT, missing_hint: str | None = None):
        self.path, self.what = path, what
        try:
            self.archive = fileio.NpzArchive(path, what=what, hint=hint)
        except fileio.FileError as exc:
            if exc.kind == "missing" and missing_hint:
                exc.hint = missing_hint
            raise
        self.infos = self.archive.infos

    def __enter__(self) -> "ModelFile":
        return self

    def __exit__(self, *exc) -> None:
        self.archive.close()

    def bad(self, message: str, hint: str | None = None) -> RnnTutorError:
        return self.archive.bad(message, hint)

    def meta(self, fields: dict[str, MetaField]) -> dict:
        """The scalar metadata named in ``fields``, each checked (type from its header, then its value); None for
        an entry the file does not have. Entries not in ``fields`` are never read."""
        return {key: self._meta_value(key, field) if key in self.infos else None for key, field in fields.items()}

    def _meta_value(self, key: str, field: MetaField):
        info = self.infos[key]
        if info.size != 1 or info.ndim > 1:
            raise self.bad(f"{key} should be a single value ({field.allowed()}), got an array of shape {info.shape}")
        if info.dtype.kind not in _KINDS[field.kind]:
            got = _DTYPE_WORDS.get(info.dtype.kind, "another type")
            raise self.bad(f"{key} should be {field.allowed()}, got {got} ({info.dtype})")
        if field.kind == "text" and info.dtype.itemsize > 4 * MAX_META_TEXT:
            raise self.bad(f"{key} is longer than {MAX_META_TEXT:,} characters")
        value = self.archive.read(key).reshape(()).item()
        if field.kind == "text":
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    raise self.bad(f"{key} should be {field.allowed()}, got bytes that are not text "
                                   f"({value[:20]!r})") from None
            if field.choices and value not in field.choices:
                raise self.bad(f"{key} is {value[:40]!r}; expected {field.allowed()}")
            return value
        if field.kind == "int":
            value = int(value)
        else:
            value = float(value)
            if value != value:
                if field.nan_ok:
                    return value
                raise self.bad(f"{key} is NaN; expected {field.allowed()}")
            if value in (float("inf"), float("-inf")):
                raise self.bad(f"{key} is {value}; expected {field.allowed()} (a finite one)")
        if not (field.low is None or value >= field.low) or not (field.high is None or value <= field.high):
            raise self.bad(f"{key} is {value:,}; expected {field.allowed()}")
        return value

    def array(self, key: str, shape: tuple[int, ...], hint: str | None = None, *, dtype=np.float64) -> np.ndarray:
        """A floating-point array of exactly ``shape``, all finite, as ``dtype`` (checked from its header first)."""
        info = self.infos.get(key)
        if info is None:
            raise self.bad(f"lacks {key}", hint)
        if info.dtype.kind != "f" or info.shape != tuple(shape):
            raise self.bad(f"{key} should be finite numbers of shape {tuple(shape)}, got {info.dtype} {info.shape}",
                           hint)
        v = self.archive.read(key)
        if not np.all(np.isfinite(v)):
            raise self.bad(f"{key} contains NaN or infinite values", hint or "the model diverged; train it again")
        return np.array(v, dtype=dtype)

    def cell_weights(self, cell: str | None = None, input_size: int | None = None, hidden_size: int | None = None,
                     *, dtype=np.float64) -> "Weights":
        """The cell (one layer or a stack) the file holds, checked (names, dtypes, shapes, metadata, the caller's
        request) before its arrays are read."""
        infos = self.infos
        tensors = {k: v for k, v in infos.items() if not k.startswith(META_PREFIX)}
        n_layers = 0
        while f"weight_ih_l{n_layers}" in tensors:
            n_layers += 1
        keys = cells.param_keys(max(n_layers, 1))
        extra = sorted(set(tensors) - set(keys))
        if extra:
            reverse = [k for k in extra if "_reverse" in k]
            if reverse:
                raise self.bad(f"holds a bidirectional model ({', '.join(reverse[:4])}); rnn-tutor cells run in "
                               "one direction", "save a unidirectional model")
            stems = {k.replace("_l0", "") for k in cells.PARAM_KEYS}
            layered = [k for k in extra if k.rsplit("_l", 1)[0] in stems]
            if layered:
                raise self.bad(f"has layer entries {', '.join(layered[:4])} beyond its {max(n_layers, 1)} "
                               f"layer(s) (weight_ih_l0 .. weight_ih_l{max(n_layers, 1) - 1}): the layers must be "
                               "numbered 0, 1, 2, ... without a gap, each with all four arrays")
            raise self.bad(f"has unexpected entries {', '.join(extra[:6])}; expected exactly "
                           f"{', '.join(keys)} (plus meta_* metadata)")
        missing = [k for k in keys if k not in tensors]
        if missing:
            raise self.bad(f"lacks {', '.join(missing[:4])}; every layer of a cell needs "
                           f"{', '.join(k.replace('_l0', '_lK') for k in cells.PARAM_KEYS)}")
        for k in keys:
            if tensors[k].dtype.kind != "f":
                raise self.bad(f"{k} has dtype {tensors[k].dtype}; expected floating-point numbers")

        w_hh, w_ih = tensors["weight_hh_l0"], tensors["weight_ih_l0"]
        if w_hh.ndim != 2 or w_ih.ndim != 2:
            raise self.bad(f"weight_hh_l0 {w_hh.shape} and weight_ih_l0 {w_ih.shape} must both be 2-D (G*H, ...)")
        h = w_hh.shape[1]
        if h < 1 or w_hh.shape[0] % h or w_hh.shape[0] // h not in _CELL_BY_GATES:
            raise self.bad(f"weight_hh_l0 has shape {w_hh.shape}; expected (G*H, H) with G = 1 (rnn), 3 (gru) "
                           "or 4 (lstm)")
        found = _CELL_BY_GATES[w_hh.shape[0] // h]
        meta = self.meta(WEIGHTS_META)
        if meta["meta_cell"] is not None and meta["meta_cell"] != found:
            raise self.bad(f"says it holds {a_cell(meta['meta_cell'])} cell, but weight_hh_l0 {w_hh.shape} has the "
                           f"shape of {a_cell(found)} cell")
        version = meta["meta_version"]
        if version is not None and version > FORMAT_VERSION:
            raise self.bad(f"has format version {version}; this rnn-tutor reads up to {FORMAT_VERSION}",
                           "upgrade rnn-tutor")
        d = w_ih.shape[1]
        expected = cells.param_shapes(found, d, h, n_layers)
        for k, shape in expected.items():
            if tensors[k].shape != shape:
                raise self.bad(f"{k} has shape {tensors[k].shape}; a {found} cell with input size "
                               f"{d} and hidden size {h} expects {shape}"
                               + (" (layers above the first read H numbers)" if not k.endswith("_l0") else ""))
        for key, value in (("meta_input_size", d), ("meta_hidden_size", h)):
            if meta[key] is not None and meta[key] != value:
                raise self.bad(f"{key} says {meta[key]} but the weights have {value}")
        nonlinearity = meta["meta_nonlinearity"] or "tanh"
        if nonlinearity != "tanh" and found != "rnn":
            raise self.bad(f"meta_nonlinearity {nonlinearity!r} is not valid for {a_cell(found)} cell")

        if cell is not None and cells.check_cell(cell) != found:
            raise self.bad(f"holds {a_cell(found)} cell, but {a_cell(cell)} cell was asked for",
                           f"use --cell {found} or another file")
        if hidden_size is not None and int(hidden_size) != h:
            raise self.bad(f"has hidden size {h}, but {hidden_size} was asked for",
                           f"use --hidden-size {h} or leave it out")
        if input_size is not None and int(input_size) != d:
            raise self.bad(f"expects {d} number(s) per step, but the input has {input_size}",
                           "match the input size the weights were trained with")
        params = {}
        for k in keys:
            v = self.archive.read(k)
            if not np.all(np.isfinite(v)):
                raise self.bad(f"{k} contains NaN or infinite values", "the model diverged; train it again")
            params[k] = np.array(v, dtype=dtype)
        return Weights(found, int(d), int(h), params, nonlinearity, str(self.path), n_layers)


def load_weights(
    path,
    cell: str | None = None,
    input_size: int | None = None,
    hidden_size: int | None = None,
    *,
    dtype=np.float64,
) -> Weights:
    """Read and validate a weights file. ``cell``/``input_size``/``hidden_size``, when given, must match it."""
    with ModelFile(path, missing_hint="check the path given to --weights") as f:
        return f.cell_weights(cell, input_size, hidden_size, dtype=dtype)


def _read_arrays(path) -> dict[str, np.ndarray]:
    """Every array of a weights file, after the archive's checks. Prefer ``ModelFile``, which checks each entry
    against what is expected and reads only what is needed."""
    with ModelFile(path) as f:
        return {k: f.archive.read(k) for k in f.infos}
