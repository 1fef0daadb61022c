"""The command line: ``main()`` is the ``rnn-tutor`` console script.

The scalar ``trace`` (the lesson's exercise, the command people run most) is served by a small fast path that
does not import typer (see ``fastpath.py``); everything else, and anything the fast path is unsure of, goes
through the typer app in ``app.py``. Both share the same core and renderer, and a test checks they agree.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None, prog_name: str | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    _tolerant_streams()
    if not os.environ.get("RNN_TUTOR_NO_FASTPATH"):
        from rnn_tutor.cli.fastpath import try_fast

        code = try_fast(args)
        if code is not None:
            sys.exit(code)
    from rnn_tutor.cli.app import app

    app(args=args, prog_name=prog_name or "rnn-tutor")


def _tolerant_streams() -> None:
    """A terminal or pipe that cannot encode a glyph (PYTHONIOENCODING=ascii, LANG=C) gets '?' instead of a crash."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="replace")
        except (ValueError, OSError):
            pass


def quiet_stdout() -> None:
    """After a closed pipe (``rnn-tutor ... | head``), point stdout at /dev/null so Python's shutdown stays quiet."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except Exception:
        pass
