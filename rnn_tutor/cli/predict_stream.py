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
    """One line at a time; every word (or number) of a line is one input. Bad ones are reported and skipped."""
    raw = getattr(sys.stdin, "buffer", None)
    readline = raw.readline if raw is not None else sys.stdin.readline
    numbers = st.unit == "reading"
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
        parts = line.replace(",", " ").split() if numbers else line.split()
        for part in parts:
            try:
                rec = st.feed_text(part)
            except Skip as exc:
                render.warn(f"line {lineno}: {exc}; skipped")
                continue
            writer.write(rec)


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
