"""``rnn-tutor predict MODEL --stream``: a saved model on stdin as it arrives, one answer per input, flushed.

Lines are read one at a time (a line is answered as soon as it is complete, however slowly the next comes);
a language model reads characters instead. Memory stays constant: no input, answer or line is kept after it
has been answered, over-long lines are skipped in pieces, never held whole.
"""

from __future__ import annotations

import codecs
import sys

from rnn_tutor import render
from rnn_tutor.errors import BadValueError

MAX_LINE = 4096  # characters; a longer line is skipped with a warning (read and dropped in pieces)
_HINTS = {"reading": "Type one reading per line", "token": "Type one word per line",
          "character": "Type text: every character is one input"}


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def run_stream(saved, fmt: str, anomaly: float | None) -> int:
    """Answer every input on stdin as it arrives. Returns the exit code: 0 at the end of input, 130 on Ctrl-C."""
    from rnn_tutor.core import stream as core
    from rnn_tutor.render import forecast as view

    if fmt == "json":
        raise BadValueError("--format", "--stream writes each answer as its input arrives: use table, csv or "
                            "jsonl (json would wait for the end of the stream and hold all of it)")
    st = core.open_stream(saved, anomaly)
    if sys.stdin is None:
        raise BadValueError("--stream", "stdin is not available; pipe the inputs in")
    if _stdin_is_terminal():
        render.hint(f"{_HINTS[st.unit]}; Ctrl-D ends, Ctrl-C stops.")
    writer = view.StreamWriter(st.columns, fmt)
    interrupted = False
    try:
        if st.unit == "character":
            _characters(st, writer)
        else:
            _lines(st, writer, core.Skip)
    except KeyboardInterrupt:
        interrupted = True
    if st.t == 0 and not interrupted:
        raise BadValueError("--stream", f"no {st.unit}s arrived on stdin (pipe in one per line)")
    for line in view.stream_summary(st.summary(), interrupted):
        render.message(line)
    return 130 if interrupted else 0


def _lines(st, writer, Skip) -> None:
    """One line at a time; every word (or number) of a line is one input, except that a reading stream reads
    signal's CSV and JSON Lines by their column and field (``Readings``). Bad ones are reported and skipped."""
    raw = getattr(sys.stdin, "buffer", None)
    readline = raw.readline if raw is not None else sys.stdin.readline
    numbers = st.unit == "reading"
    table = Readings()
    lineno = 0
    while True:
        line = readline(MAX_LINE + 1)
        if not line:
            return
        lineno += 1
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) > MAX_LINE and not line.endswith(newline):
            while line and not line.endswith(newline):  # drop the rest of it, a piece at a time
                line = readline(MAX_LINE + 1)
            render.warn(f"line {lineno} is longer than {MAX_LINE:,} characters; skipped")
            continue
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                render.warn(f"line {lineno} is not UTF-8 text; skipped")
                continue
        if numbers:
            parts = table.parts(line, lineno)
            if parts is None:
                continue
        else:
            parts = line.split()
        for part in parts:
            try:
                rec = st.feed_text(part)
            except Skip as exc:
                render.warn(f"line {lineno}: {exc}; skipped")
                continue
            writer.write(rec)


class Readings:
    """Which words of a line are readings. Bare numbers, any number on a line (spaces or commas between them);
    or what ``rnn-tutor signal`` writes: its CSV (a header ``t,reading``, then one row per reading: the step
    number is not a reading, only the ``reading`` column is) and its JSON Lines (``{"t": 1, "reading": ...}``).

    A first line with commas between fields none of which is a number is a CSV header: the one named
    ``reading`` is the column read; any other header is refused, naming its columns (nothing has been read
    yet). A first line with a number among words ('1,abc') is readings, the words warned about, as before.
    What is read is said once on stderr."""

    def __init__(self):
        self.column: int | None = None  # CSV: the index of the column read
        self.fields = 0  # CSV: the header's number of columns
        self.seen = False  # a non-blank line has been read
        self.jsonl_said = False

    def parts(self, line: str, lineno: int) -> list[str] | None:
        """The readings of one line as text; None when the line is a header or a row to skip (said on stderr)."""
        text = line.strip()
        if not text:
            return []
        first, self.seen = not self.seen, True
        if text.startswith("{") and self.column is None:
            return self._json(text, lineno)
        if first and "," in text and not any(_numberish(f) for f in _csv_fields(text)):
            self._header(_csv_fields(text), lineno)
            return None
        if self.column is not None:
            row = _csv_fields(text)
            if len(row) != self.fields:
                render.warn(f"line {lineno} has {len(row)} fields, the CSV header {self.fields}; skipped")
                return None
            return [row[self.column]]
        return line.replace(",", " ").split()

    def _header(self, names: list[str], lineno: int) -> None:
        keys = [n.strip().lower() for n in names]
        shown = ",".join(names)
        if "reading" in keys:
            self.column = keys.index("reading")
        else:
            raise BadValueError("--stream", f"line {lineno} is a CSV header naming {len(names)} columns ({shown}) "
                                "and none is 'reading'; give a column named 'reading' (as rnn-tutor signal "
                                "--format csv writes) or one reading per line")
        self.fields = len(names)
        others = [n for i, n in enumerate(names) if i != self.column]
        why = {"t": "the step number", "step": "the step number"}
        rest = "; ".join(f"{n!r} is {why[n.strip().lower()]}, not a reading" if n.strip().lower() in why else
                         f"{n!r} is not read" for n in others)
        render.message(f"Line {lineno} is a CSV header ({shown}): reading the {names[self.column]!r} column, one "
                       f"reading per row" + (f" ({rest})." if rest else "."))

    def _json(self, text: str, lineno: int) -> list[str] | None:
        import json

        try:
            obj = json.loads(text)
        except ValueError:
            render.warn(f"line {lineno} starts with '{{' but is not JSON; skipped")
            return None
        if not isinstance(obj, dict) or "reading" not in obj:
            render.warn(f"line {lineno} is a JSON object without a \"reading\"; skipped")
            return None
        v = obj["reading"]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            render.warn(f"line {lineno}: its \"reading\" is not a number; skipped")
            return None
        if not self.jsonl_said:
            self.jsonl_said = True
            render.message(f"Line {lineno} is a JSON object: reading its \"reading\" field, one reading per line.")
        return [repr(float(v))]


def _csv_fields(text: str) -> list[str]:
    import csv

    return next(csv.reader([text]), [])


def _numberish(field: str) -> bool:
    """A CSV field that reads as a reading (an adding value may carry its '*')."""
    from rnn_tutor.core.numbers import plain_float

    f = field.strip().rstrip("*")
    try:
        plain_float(f)
    except ValueError:
        return False
    return True


def _characters(st, writer) -> None:
    """A language model: every character is an input, newlines included; bytes that are not UTF-8 become U+FFFD."""
    from rnn_tutor.core.stream import Skip

    raw = getattr(sys.stdin, "buffer", None)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while True:
        if raw is not None:
            chunk = raw.read1(4096) if hasattr(raw, "read1") else raw.read(1)
            text = decoder.decode(chunk, final=not chunk)
        else:
            chunk = text = sys.stdin.read(1)
        for ch in text:
            try:
                writer.write(st.feed_text(ch))
            except Skip as exc:
                render.warn(f"character {st.t + 1}: {exc}; skipped")
        if not chunk:
            return
