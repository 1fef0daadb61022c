"""The command line: ``main()`` is the ``rnn-tutor`` console script.

Start-up: two answers need no typer at all. ``rnn-tutor --version`` is printed here; the scalar ``trace`` (the
lesson's exercise, the command people run most) is served by a small fast path (see ``fastpath.py``).
Everything else, and anything the fast path is unsure of, goes through the typer app in ``app.py``, which
builds only the command that runs. Both paths share the same core and renderer, and tests check they agree.

Signals: SIGTERM and SIGHUP end every command as Ctrl-C does (``KeyboardInterrupt`` unwinds it: train saves
what it has, the quiz restores the terminal), exit 130. A closed stdout (``| head``) ends it quietly, exit 141.
"""

from __future__ import annotations

import os
import sys

_COMPLETE_VAR = "_RNN_TUTOR_COMPLETE"


def main(argv: list[str] | None = None, prog_name: str | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    _tolerant_streams()
    polite_signals()
    code = _run(args, prog_name or "rnn-tutor")
    sys.exit(finish(code))


def _run(args: list[str], prog_name: str) -> int:
    completing = bool(os.environ.get(_COMPLETE_VAR))
    fast = not completing and not os.environ.get("RNN_TUTOR_NO_FASTPATH")
    if fast and args in (["--version"], ["-V"]):
        try:
            sys.stdout.write(version_line())
        except BrokenPipeError:
            return finish_closed()
        return 0
    if fast:
        from rnn_tutor.cli.fastpath import try_fast

        code = try_fast(args)
        if code is not None:
            return code
    from rnn_tutor.cli.app import root_command

    return root_command().main(args=args, prog_name=prog_name, standalone_mode=False)


def version_line() -> str:
    """What ``--version`` prints, on both paths."""
    from rnn_tutor import __version__

    return f"rnn-tutor {__version__}\n"


def finish(code: int) -> int:
    """Flush stdout before Python does: a reader that went away then gets the closed-pipe exit, quietly."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        return finish_closed()
    except (OSError, ValueError):
        pass
    return code


def finish_closed() -> int:
    quiet_stdout()
    return 141


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


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class signals_held:
    """``with signals_held():`` Ctrl-C, SIGTERM and SIGHUP wait until the block is done (say, a model being
    saved), then end the command as usual."""

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __enter__(self):
        import signal

        self.caught: list[int] = []
        self.previous = {}
        for name in self.NAMES:
            sig = getattr(signal, name, None)
            try:
                if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
                    self.previous[sig] = signal.signal(sig, lambda s, f: self.caught.append(s))
            except (ValueError, OSError):  # not the main thread: nothing to hold
                pass
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        if self.caught and exc[0] is None:
            raise KeyboardInterrupt


def polite_signals() -> None:
    """SIGTERM and SIGHUP raise KeyboardInterrupt, so every command ends as on Ctrl-C. A signal the caller
    chose to ignore (``nohup`` ignores SIGHUP) stays ignored."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue
            signal.signal(sig, _interrupt)
        except (ValueError, OSError):  # not the main thread
            pass
