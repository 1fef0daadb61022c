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

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_tutor.core import cells
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
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".weights-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise RnnTutorError(
            f"cannot write weights to {target}: {exc.strerror or exc}", "check that the folder exists and is writable"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:  # a file object: numpy would otherwise append ".npz" to the name
            np.savez(fh, **arrays)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise RnnTutorError(f"cannot write weights to {target}: {exc.strerror or exc}") from None
    return target


def a_cell(cell: str) -> str:
    """'an LSTM', 'a GRU', 'an RNN': the cell named as people say it."""
    name = str(cell).upper()
    return ("an " if name[:1] in "AEFHILMNORSX" else "a ") + name


def _bad(path, what: str, hint: str | None = None) -> RnnTutorError:
    return RnnTutorError(f"weights file {path}: {what}", hint or "write one with a training run or numpy.savez")


def _read_arrays(path) -> dict[str, np.ndarray]:
    p = Path(path)
    if not p.exists():
        raise RnnTutorError(f"weights file {path} does not exist", "check the path given to --weights")
    if p.is_dir():
        raise RnnTutorError(f"weights file {path} is a folder, not a file", "give the path of a .npz file")
    try:
        with open(p, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror or exc})") from None
    if not (magic.startswith(b"PK") or magic.startswith(b"\x93NUMPY") or magic[:1] == b"\x80"):
        # numpy would call any other file "pickled data"; say what it really is
        what = "the file is empty" if not magic else "not a .npz archive (it does not start like a zip file)"
        raise _bad(path, what) from None
    try:
        loaded = np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            raise _bad(path, "holds pickled data, which is never loaded (it could run code)",
                       "save plain arrays with numpy.savez") from None
        raise _bad(path, f"is not a .npz archive ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _bad(path, f"cannot be read as a .npz archive ({exc or type(exc).__name__})") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise _bad(path, "holds a single array, not named parameters",
                   "save a dict of arrays with numpy.savez(path, **arrays)")
    arrays: dict[str, np.ndarray] = {}
    with loaded:
        for key in loaded.files:
            try:
                arrays[key] = loaded[key]
            except ValueError as exc:
                if "pickle" in str(exc):
                    raise _bad(path, f"entry {key!r} holds pickled objects, which are never loaded "
                                     "(they could run code)", "store plain numeric arrays") from None
                raise _bad(path, f"entry {key!r} is damaged ({exc})") from None
            except Exception as exc:  # truncated members: zlib.error, EOFError, BadZipFile, OSError ...
                raise _bad(path, f"entry {key!r} cannot be read; the file looks truncated or damaged "
                                 f"({type(exc).__name__})") from None
    return arrays


def _meta_str(path, arrays, key) -> str | None:
    if key not in arrays:
        return None
    v = arrays[key]
    if v.dtype.kind not in "US" or v.shape != ():
        raise _bad(path, f"{key} should be a single string, got {v.dtype} array of shape {v.shape}")
    return str(v.item().decode() if isinstance(v.item(), bytes) else v.item())


def _meta_int(path, arrays, key) -> int | None:
    if key not in arrays:
        return None
    v = arrays[key]
    if v.dtype.kind not in "iu" or v.size != 1:
        raise _bad(path, f"{key} should be a single whole number, got {v.dtype} array of shape {v.shape}")
    return int(v.reshape(()).item())


def load_weights(
    path,
    cell: str | None = None,
    input_size: int | None = None,
    hidden_size: int | None = None,
    *,
    dtype=np.float64,
) -> Weights:
    """Read and validate a weights file. ``cell``/``input_size``/``hidden_size``, when given, must match it."""
    arrays = _read_arrays(path)
    meta = {k: v for k, v in arrays.items() if k.startswith(META_PREFIX)}
    tensors = {k: v for k, v in arrays.items() if not k.startswith(META_PREFIX)}

    n_layers = 0
    while f"weight_ih_l{n_layers}" in tensors:
        n_layers += 1
    keys = cells.param_keys(max(n_layers, 1))
    extra = sorted(set(tensors) - set(keys))
    if extra:
        reverse = [k for k in extra if "_reverse" in k]
        if reverse:
            raise _bad(path, f"holds a bidirectional model ({', '.join(reverse[:4])}); rnn-tutor cells run in "
                             "one direction", "save a unidirectional model")
        stems = {k.replace("_l0", "") for k in cells.PARAM_KEYS}
        layered = [k for k in extra if k.rsplit("_l", 1)[0] in stems]
        if layered:
            raise _bad(path, f"has layer entries {', '.join(layered[:4])} beyond its {max(n_layers, 1)} "
                             f"layer(s) (weight_ih_l0 .. weight_ih_l{max(n_layers, 1) - 1}): the layers must be "
                             "numbered 0, 1, 2, ... without a gap, each with all four arrays")
        raise _bad(path, f"has unexpected entries {', '.join(extra[:6])}; expected exactly "
                         f"{', '.join(keys)} (plus meta_* metadata)")
    missing = [k for k in keys if k not in tensors]
    if missing:
        raise _bad(path, f"lacks {', '.join(missing[:4])}; every layer of a cell needs "
                         f"{', '.join(k.replace('_l0', '_lK') for k in cells.PARAM_KEYS)}")
    for k in keys:
        v = tensors[k]
        if v.dtype.kind != "f":
            raise _bad(path, f"{k} has dtype {v.dtype}; expected floating-point numbers")
        if not np.all(np.isfinite(v)):
            raise _bad(path, f"{k} contains NaN or infinite values", "the model diverged; train it again")

    w_hh, w_ih = tensors["weight_hh_l0"], tensors["weight_ih_l0"]
    if w_hh.ndim != 2 or w_ih.ndim != 2:
        raise _bad(path, f"weight_hh_l0 {w_hh.shape} and weight_ih_l0 {w_ih.shape} must both be 2-D (G*H, ...)")
    h = w_hh.shape[1]
    if h < 1 or w_hh.shape[0] % h or w_hh.shape[0] // h not in _CELL_BY_GATES:
        raise _bad(path, f"weight_hh_l0 has shape {w_hh.shape}; expected (G*H, H) with G = 1 (rnn), 3 (gru) "
                         "or 4 (lstm)")
    found = _CELL_BY_GATES[w_hh.shape[0] // h]
    meta_cell = _meta_str(path, meta, "meta_cell")
    if meta_cell is not None:
        if meta_cell not in cells.CELLS:
            raise _bad(path, f"meta_cell is {meta_cell!r}; expected one of {', '.join(cells.CELLS)}")
        if meta_cell != found:
            raise _bad(path, f"says it holds {a_cell(meta_cell)} cell, but weight_hh_l0 {w_hh.shape} has the "
                             f"shape of {a_cell(found)} cell")
    version = _meta_int(path, meta, "meta_version")
    if version is not None and version > FORMAT_VERSION:
        raise _bad(path, f"has format version {version}; this rnn-tutor reads up to {FORMAT_VERSION}",
                   "upgrade rnn-tutor")
    expected = cells.param_shapes(found, w_ih.shape[1], h, n_layers)
    for k, shape in expected.items():
        if tensors[k].shape != shape:
            raise _bad(path, f"{k} has shape {tensors[k].shape}; a {found} cell with input size "
                             f"{w_ih.shape[1]} and hidden size {h} expects {shape}"
                       + (" (layers above the first read H numbers)" if not k.endswith("_l0") else ""))
    d = w_ih.shape[1]
    for key, value in (("meta_input_size", d), ("meta_hidden_size", h)):
        stated = _meta_int(path, meta, key)
        if stated is not None and stated != value:
            raise _bad(path, f"{key} says {stated} but the weights have {value}")
    nonlinearity = _meta_str(path, meta, "meta_nonlinearity") or "tanh"
    if nonlinearity not in cells.NONLINEARITIES or (nonlinearity != "tanh" and found != "rnn"):
        raise _bad(path, f"meta_nonlinearity {nonlinearity!r} is not valid for a {found} cell")

    if cell is not None and cells.check_cell(cell) != found:
        raise _bad(path, f"holds {a_cell(found)} cell, but {a_cell(cell)} cell was asked for",
                   f"use --cell {found} or another file")
    if hidden_size is not None and int(hidden_size) != h:
        raise _bad(path, f"has hidden size {h}, but {hidden_size} was asked for",
                   f"use --hidden-size {h} or leave it out")
    if input_size is not None and int(input_size) != d:
        raise _bad(path, f"expects {d} number(s) per step, but the input has {input_size}",
                   "match the input size the weights were trained with")
    params = {k: np.array(tensors[k], dtype=dtype) for k in keys}
    return Weights(found, int(d), int(h), params, nonlinearity, str(path), n_layers)
