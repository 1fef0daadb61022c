"""The output layer: the one place that turns results into tables, JSON, CSV and JSON Lines.

Rules every command gets from here:
- data goes to stdout, messages to stderr (``err()``, ``hint()``, ``warn()``);
- JSON is always valid: numpy values become plain Python numbers, NaN and infinity become null (the result
  itself carries an explicit flag such as ``"overflow": true``);
- rich is imported only when a table is actually drawn, so ``--format json`` and the core stay light;
- colour follows rich's detection (NO_COLOR, non-TTY, TERM=dumb) and is never the only carrier of meaning:
  every bar, strip and verdict is also a glyph, a word or a number.

Command-specific tables live in ``rnn_tutor/render/<command>.py`` and use the helpers below.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
import math
import os
import sys
from pathlib import PurePath
from typing import Any, Callable, Iterable, Mapping, Sequence

_stdout_console = None
_stderr_console = None


# ---------------------------------------------------------------------------------------------- consoles

def _console_kwargs() -> dict:
    kw: dict[str, Any] = {"highlight": False, "soft_wrap": False, "emoji": False}
    if os.environ.get("NO_COLOR"):
        kw["no_color"] = True
    return kw


def console():
    """The rich Console for data on stdout (created on first use, so JSON output never imports rich)."""
    global _stdout_console
    from rich.console import Console

    if _stdout_console is None or _stdout_console.file is not sys.stdout:
        _stdout_console = Console(file=sys.stdout, **_console_kwargs())
        _stdout_console.on_broken_pipe = _pipe_closed
    return _stdout_console


def _pipe_closed() -> None:
    """rich's own reaction to a closed pipe is SystemExit(1); every command ends the same way instead (the
    CLI turns it into a quiet exit 141, see rnn_tutor/cli/app.py)."""
    raise BrokenPipeError("stdout was closed")


def err_console():
    """The rich Console for messages on stderr."""
    global _stderr_console
    from rich.console import Console

    if _stderr_console is None or _stderr_console.file is not sys.stderr:
        _stderr_console = Console(file=sys.stderr, **_console_kwargs())
        _stderr_console.on_broken_pipe = _pipe_closed
    return _stderr_console


def message(text: str, style: str | None = None) -> None:
    """A line for the person on stderr (progress, hints, notes). Plain text; markup is not interpreted.

    Always written as is (the terminal wraps it), so a message reads the same whatever ran before it; only the
    colour of a styled message on a colour terminal goes through rich.
    """
    stream = sys.stderr
    if style is not None and stream is not None and stream.isatty() and not os.environ.get("NO_COLOR"):
        c = err_console()
        if c.is_terminal and c.color_system is not None:
            c.print(text, style=style, markup=False, highlight=False, soft_wrap=True)
            return
    stream.write(text + "\n")
    stream.flush()


def hint(text: str) -> None:
    message(text, style="dim")


def warn(text: str) -> None:
    message(f"Warning: {text}", style="yellow")


def print_table(renderables: Iterable[Any]) -> None:
    """Print rich renderables (tables, text) to stdout."""
    c = console()
    for r in renderables:
        if isinstance(r, str):
            c.print(r, markup=False, highlight=False)
        else:
            c.print(r)


# ---------------------------------------------------------------------------------------------- JSON / CSV

def jsonable(obj: Any) -> Any:
    """Plain JSON values: dataclasses -> dicts, numpy -> Python, NaN/inf -> None, tuples -> lists."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, enum.Enum):
        return jsonable(obj.value)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, PurePath):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars, without importing numpy here
        return jsonable(obj.tolist())
    if hasattr(obj, "item"):
        return jsonable(obj.item())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def dumps(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(jsonable(obj), indent=indent, ensure_ascii=False, allow_nan=False)


def write_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def write_jsonl(obj: Any) -> None:
    """One JSON object per line, flushed at once (for streams)."""
    sys.stdout.write(dumps(obj, indent=None) + "\n")
    sys.stdout.flush()


def csv_cell(v: Any) -> str:
    v = jsonable(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


class CsvWriter:
    """CSV rows to stdout, header first; usable for streams (``row`` flushes)."""

    def __init__(self, columns: Sequence[str], stream=None):
        self.columns = list(columns)
        self.stream = stream or sys.stdout
        self._w = csv.writer(self.stream, lineterminator="\n")
        self._w.writerow(self.columns)

    def row(self, record: Mapping[str, Any]) -> None:
        self._w.writerow([csv_cell(record.get(c)) for c in self.columns])
        self.stream.flush()


def write_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> None:
    if columns is None:
        columns = list(rows[0].keys()) if rows else []
    w = CsvWriter(columns)
    for r in rows:
        w.row(r)


def emit(fmt: str, *, data: Any = None, rows: Sequence[Mapping[str, Any]] | None = None,
         columns: Sequence[str] | None = None, table: Callable[[], Iterable[Any]] | None = None) -> None:
    """Write one result in the chosen format: ``data`` for json/jsonl, ``rows`` for csv, ``table()`` for table."""
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        write_json(data)
    elif fmt == "jsonl":
        items = data if isinstance(data, list) else [data]
        for item in items:
            write_jsonl(item)
    elif fmt == "csv":
        write_csv(rows or [], columns)
    else:
        print_table(table() if table else [])


# ---------------------------------------------------------------------------------------------- glyphs

_EIGHTHS = " ▏▎▍▌▋▊▉█"
_SPARK = "▁▂▃▄▅▆▇█"


def bar(fraction: float | None, width: int = 20) -> str:
    """A horizontal bar for a fraction in [0, 1], drawn in eighths of a cell: bar(0.5, 4) -> '██'."""
    if fraction is None or not math.isfinite(fraction):
        return ""
    f = min(max(fraction, 0.0), 1.0)
    eighths = round(f * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def log_bar(value: float | None, lo: float, hi: float, width: int = 20) -> str:
    """A bar whose length is log10(value) placed between 10**lo (empty) and 10**hi (full)."""
    if value is None or not math.isfinite(value) or value <= 0:
        return ""
    if hi <= lo:
        return bar(1.0, width)
    return bar((math.log10(value) - lo) / (hi - lo), width)


def sparkline(values: Sequence[float | None], lo: float | None = None, hi: float | None = None) -> str:
    """'▁▂▄█' for a series; missing values (None, NaN, inf) are drawn as '·'."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return "·" * len(values)
    lo = min(finite) if lo is None else lo
    hi = max(finite) if hi is None else hi
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append("·")
        elif hi == lo:
            out.append(_SPARK[len(_SPARK) // 2])
        else:
            i = int((min(max(v, lo), hi) - lo) / (hi - lo) * (len(_SPARK) - 1) + 0.5)
            out.append(_SPARK[i])
    return "".join(out)


def heat_strip(values: Sequence[float], lo: float = -1.0, hi: float = 1.0) -> str:
    """One glyph per vector element, its height placing the value between lo and hi (tanh: -1..1; gates: 0..1)."""
    return sparkline(list(values), lo=lo, hi=hi)


def verdict_glyph(verdict: str) -> str:
    """Words carry the meaning; the glyph only helps the eye."""
    return {"vanishing": "↓", "exploding": "↑", "neither": "→", "stable": "→"}.get(verdict, "·")
