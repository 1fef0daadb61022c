"""The typer app: one module per command, assembled here; errors become messages and exit codes here, once.

Exit codes: 0 success; 1 a failure (``Error: <what happened> (<what to do>)``); 2 a bad value or bad usage
(one line naming the option and what is allowed); 130 Ctrl-C. No traceback reaches a user unless they ask
for it with ``--debug`` or ``RNN_TUTOR_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Any, Sequence

import typer
from typer.core import TyperGroup

from rnn_tutor import __version__
from rnn_tutor.cli import quiet_stdout
from rnn_tutor.errors import RnnTutorError

try:  # typer >= 0.22 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on real click
    from click.exceptions import ClickException

# Each name is a module rnn_tutor/cli/<name>.py that registers its command(s) on ``app`` when imported.
# Command modules import numpy and the core inside their functions, so listing them here costs little.
COMMAND_MODULES = [
    "trace",
    "learn", "order", "cost", "bottleneck",
    "quiz",
    "decay",
    "params", "gradcheck",
    "train", "compare", "predict",
    "signal",
    "sample", "inspect",
]

_debug = {"on": bool(os.environ.get("RNN_TUTOR_DEBUG"))}


def debug_enabled() -> bool:
    return _debug["on"]


def _stderr_line(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:  # stderr itself gone: nothing more we can say
        pass


def _usage_message(e: Any) -> str:
    msg = e.format_message().replace("\n", " ").strip()
    ctx = getattr(e, "ctx", None)
    where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"Error: {msg}{where}"


def run_guarded(func, *args, **kwargs) -> int:
    """Run ``func`` and turn every way it can fail into a message and an exit code (also used by the fast path)."""
    try:
        rv = func(*args, **kwargs)
        code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        if code == 130:  # typer turns Ctrl-C into a returned 130 when not standalone
            _stderr_line("\nInterrupted.")
        return code
    except typer.Exit as e:
        if e.exit_code == 130:
            _stderr_line("\nInterrupted.")
        return e.exit_code
    except ClickException as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # bare `rnn-tutor`: show the help, as asked
            sys.stdout.write(e.format_message() + "\n")
            return 0
        _stderr_line(_usage_message(e))
        return e.exit_code
    except RnnTutorError as e:
        if debug_enabled():
            raise
        _stderr_line(e.user_message())
        return e.exit_code
    except typer.Abort as e:
        if isinstance(e.__cause__, EOFError):
            _stderr_line("Error: input ended (stdin closed) before the command finished")
            return 1
        _stderr_line("Interrupted.")
        return 130
    except KeyboardInterrupt:
        _stderr_line("Interrupted.")
        return 130
    except BrokenPipeError:
        quiet_stdout()
        return 1
    except MemoryError:
        _stderr_line("Error: out of memory (try smaller sizes or fewer steps)")
        return 1
    except Exception as e:  # a bug: say so plainly, keep the traceback for --debug
        if debug_enabled():
            raise
        _stderr_line(
            f"Error: internal error: {type(e).__name__}: {e} "
            "(this is a bug in rnn-tutor; rerun with --debug or RNN_TUTOR_DEBUG=1 to see the traceback)"
        )
        return 1


class RnnTutorGroup(TyperGroup):
    """The root command group: owns the error-to-exit-code policy for every command."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if args is not None and "--debug" in list(args)[:1]:
            _debug["on"] = True
        code = run_guarded(super().main, args=args, prog_name=prog_name or "rnn-tutor",
                           complete_var=complete_var, standalone_mode=False, **extra)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=RnnTutorGroup,
    name="rnn-tutor",
    help=(
        "A tutor and calculator for recurrent neural networks: trace hidden states by hand, "
        "watch gradients vanish or explode, quiz yourself, and train tiny RNN, GRU and LSTM models.\n\n"
        "Start with:  rnn-tutor trace   (the lesson's hand-trace exercise)"
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"rnn-tutor {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", help="Show the version and exit.",
                                          callback=_version, is_eager=True)] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (for bug reports).")] = False,
) -> None:
    """A tutor and calculator for recurrent neural networks."""
    if debug:
        _debug["on"] = True


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"rnn_tutor.cli.{name}")


_load_commands()
