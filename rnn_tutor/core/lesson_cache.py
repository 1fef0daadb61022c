"""Lesson values kept between reads, so a lesson that trains models to fill in its figures (lesson 6 trains four
LSTMs) is slow only the first time.

One JSON file per lesson, ``<data dir>/lesson-cache/<topic>.json`` (the data directory is the quiz store's:
``rnn_tutor.quiz.paths.data_dir``; the caller passes it in). Each file holds the text of every placeholder the
lesson used, with the fingerprint of everything those texts could depend on:

- the package version, Python's version, the machine's architecture, where numpy is installed and the contents
  of its ``version.py`` (its version and git revision), and the environment variables that choose numpy's and
  the BLAS library's code paths (``OPENBLAS_*``, ``OMP_*``, ``MKL_*``, ``NPY_*``...), which can change the
  last bits of a product and so the outcome of training;
- the settings the lesson's calculators pass in (seeds, sizes, steps: ``lessons.cache_parameters()``);
- a SHA-256 of every source file of rnn_tutor that was loaded when the values were computed (whatever computed
  them was loaded by then, so a developer's edit to any of it is seen) and of the package's data files
  (``rnn_tutor/content``: lessons and deck, which a calculator could read).

A read that finds anything different, or a file it cannot use (missing, corrupt, truncated, not a regular file,
unreadable, too large), returns None and the caller computes the values afresh. Writing goes to a temporary file
beside the target, renamed into place (``os.replace``), so a reader never sees half a file; a folder that cannot
be written (read-only, absent, full) is skipped silently. Nothing here ever raises to the caller.

``RNN_TUTOR_NO_CACHE=1`` (or ``rnn-tutor learn --no-cache``) bypasses the cache: nothing is read or written.

Standard library only; numpy is never imported here (its version is read from its files).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
import time
from pathlib import Path
from typing import Any, Mapping

FORMAT = 1  # the layout of a cache file; a change of layout makes every older file a miss
FOLDER = "lesson-cache"
ENV_VAR = "RNN_TUTOR_NO_CACHE"
MAX_BYTES = 1 << 20  # a cache file is a few KB; anything larger is not ours
ENV_PREFIXES = ("OPENBLAS_", "GOTO", "OMP_", "MKL_", "BLIS_", "VECLIB_", "NPY_", "NUMPY_")
_TOPIC = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_STARTED = time.time()  # a source file changed after this may not be what ran: such values are not saved
_PACKAGE = Path(__file__).resolve().parent.parent  # .../rnn_tutor


def disabled_by_env(environ: Mapping[str, str] | None = None) -> bool:
    """RNN_TUTOR_NO_CACHE set to anything but '', 0, false, no or off."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _numpy() -> dict[str, Any]:
    """Where numpy lives and what its version file says, without importing it (that costs 0.1 s)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("numpy")
    except (ImportError, ValueError):
        spec = None
    origin = getattr(spec, "origin", None)
    if not origin:
        return {"path": None}
    folder = Path(origin).parent
    version = folder / "version.py"
    return {"path": str(folder), "version_py": _sha256(version if version.is_file() else Path(origin))}


def environment() -> dict[str, Any]:
    """What besides our own code decides the computed numbers (see the module's docstring)."""
    import platform

    from rnn_tutor import __version__

    return {
        "rnn_tutor": __version__,
        "python": sys.version,
        "implementation": sys.implementation.name,
        "machine": platform.machine(),
        "byteorder": sys.byteorder,
        "numpy": _numpy(),
        "env": {k: v for k, v in sorted(os.environ.items()) if k.upper().startswith(ENV_PREFIXES)},
    }


def _content_files() -> set[Path]:
    """The package's data files (lessons, the deck), which a calculator could read."""
    content = _PACKAGE / "content"
    if not content.is_dir():
        return set()
    return {p.resolve() for p in content.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")}


def _source_files() -> list[Path]:
    """Every rnn_tutor module loaded now, and the package's data files."""
    files = _content_files()
    for name, module in list(sys.modules.items()):
        if name != "rnn_tutor" and not name.startswith("rnn_tutor."):
            continue
        path = getattr(module, "__file__", None)
        if path and path.endswith(".py"):
            files.add(Path(path).resolve())
    return sorted(files)


def _key(path: Path) -> str:
    """A file's name in the cache: relative to the package (so a moved checkout still matches), else absolute."""
    try:
        return path.relative_to(_PACKAGE).as_posix()
    except ValueError:
        return str(path)


def _path(key: str) -> Path:
    p = Path(key)
    return p if p.is_absolute() else _PACKAGE / p


class LessonCache:
    """The computed values of lessons, one file per lesson in ``folder`` (``<data dir>/lesson-cache``)."""

    def __init__(self, folder: str | os.PathLike, parameters: Mapping[str, Any] | None = None):
        self.folder = Path(folder)
        self.parameters = json.loads(json.dumps(dict(parameters or {})))  # as it reads back from the file

    @classmethod
    def in_data_dir(cls, data_dir: str | os.PathLike, parameters: Mapping[str, Any] | None = None) -> "LessonCache":
        return cls(Path(data_dir) / FOLDER, parameters)

    def file(self, topic: str) -> Path | None:
        return self.folder / f"{topic}.json" if _TOPIC.fullmatch(topic) else None

    def writable(self) -> bool:
        """Whether a save could work: the folder, or the nearest folder above it that exists, is writable."""
        p = self.folder
        try:
            while not p.exists():
                if p.parent == p:
                    return False
                p = p.parent
            return p.is_dir() and os.access(p, os.W_OK | os.X_OK)
        except OSError:
            return False

    # -- reading -------------------------------------------------------------------------------------------

    def load(self, topic: str, names: list[str]) -> dict[str, str] | None:
        """The saved text of every placeholder in ``names`` (in that order), or None when there is none to trust."""
        try:
            entry = self._read(topic)
            if entry is None or not self._current(entry, topic):
                return None
            values = entry["values"]
            if not isinstance(values, dict) or not all(isinstance(values.get(n), str) for n in names):
                return None
            return {n: values[n] for n in names}
        except Exception:  # a file we cannot use is a miss, whatever is wrong with it
            return None

    def _read(self, topic: str) -> dict | None:
        path = self.file(topic)
        if path is None:
            return None
        try:  # O_NONBLOCK: a FIFO put there must not hang the read; fstat then refuses it
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
                return None
            data = fh.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            return None
        entry = json.loads(data.decode("utf-8"))
        return entry if isinstance(entry, dict) else None

    def _current(self, entry: dict, topic: str) -> bool:
        if entry.get("format") != FORMAT or entry.get("topic") != topic:
            return False
        if entry.get("environment") != environment() or entry.get("parameters") != self.parameters:
            return False
        sources = entry.get("sources")
        if not isinstance(sources, dict) or not sources:
            return False
        # the data files present now must be the ones hashed then (a new lesson or deck file is a change too)
        if not {_key(p) for p in _content_files()} <= set(sources):
            return False
        return all(isinstance(k, str) and isinstance(h, str) and _sha256(_path(k)) == h for k, h in sources.items())

    # -- writing -------------------------------------------------------------------------------------------

    def save(self, topic: str, values: Mapping[str, str]) -> bool:
        """Keep ``values`` for ``topic``; False (and nothing changed) when they cannot be kept."""
        path = self.file(topic)
        if path is None:
            return False
        tmp = None
        try:
            sources = {}
            for p in _source_files():
                digest = _sha256(p)
                if digest is None or p.stat().st_mtime > _STARTED:  # edited while this ran: not what ran
                    return False
                sources[_key(p)] = digest
            entry = {"format": FORMAT, "topic": topic, "environment": environment(), "parameters": self.parameters,
                     "sources": sources, "values": dict(values)}
            text = json.dumps(entry, indent=1, sort_keys=True, allow_nan=False)
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):  # a folder, FIFO or link there is not ours
                    return False
            except FileNotFoundError:
                pass
            import tempfile

            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{topic}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
            tmp = None
            return True
        except Exception:  # read-only, absent, full, a name that is a file...: carry on without the cache
            return False
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
