"""The typer app: one module per command, assembled here; errors become messages and exit codes here, once.

Exit codes: 0 success; 1 a failure (``Error: <what happened> (<what to do>)``); 2 a bad value or bad usage
(one line naming the option, what was given and what is allowed); 130 interrupted (Ctrl-C, SIGTERM or SIGHUP);
141 the reader of stdout went away (``rnn-tutor ... | head``), quietly, as the shell's own tools end. No
traceback reaches a user unless they ask for it with ``--debug`` (anywhere on the line) or ``RNN_TUTOR_DEBUG=1``.

What every command gets from here, whoever wrote it (``adopt``):
- its help page drawn by ``helpfmt`` (80 columns, examples never wrapped);
- its values read by ``values`` (our words for a bad value; no pydantic at start-up);
- lazy building: ``root_command()`` builds only the command that runs (typer would build all of them, about
  40 ms), and ``rnn-tutor --help``, completion and "did you mean" see every command all the same.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Any, Sequence

import typer
from typer.core import TyperGroup

from rnn_tutor.cli import quiet_stdout, version_line
from rnn_tutor.errors import RnnTutorError

from typer._click.exceptions import (  # typer 0.29 vendors click (pinned in pyproject.toml)
    BadOptionUsage, BadParameter, ClickException, MissingParameter, NoSuchOption, UsageError,
)

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

PIPE_CLOSED = 141  # 128 + SIGPIPE: what `seq 1 100000 | head -1` reports for seq
INTERRUPTED = 130  # 128 + SIGINT; also after SIGTERM and SIGHUP, which end a command as Ctrl-C does

_debug = {"on": bool(os.environ.get("RNN_TUTOR_DEBUG"))}


def debug_enabled() -> bool:
    return _debug["on"]


def _stderr_line(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:  # stderr itself gone: nothing more we can say
        pass


# ---------------------------------------------------------------------------------------------- messages


def bad_parameter(problem, ctx, param) -> BadParameter:
    """A refused value (a ``BadValueError`` raised while reading the command line) as the click error that
    carries it to ``_usage_message``."""
    err = BadParameter(problem.message, ctx=ctx, param=param, param_hint=f"'{problem.option or _label(param)}'")
    err.hint = problem.hint
    return err


def _label(param) -> str:
    from rnn_tutor.cli.values import option_label

    return option_label(param)


def _usage_text(e: Any) -> tuple[str, str | None]:
    """click's usage errors in our words: (one line naming the option or command, a hint or None)."""
    import re

    if isinstance(e, MissingParameter) and e.param is not None:
        kind = "argument" if getattr(e.param, "param_type_name", "") == "argument" else "option"
        return f"Missing {kind} '{_label(e.param)}'", None
    if isinstance(e, BadParameter):
        hint = e.param_hint if isinstance(e.param_hint, str) else (
            f"'{_label(e.param)}'" if e.param is not None else None)
        text = f"Invalid value for {hint}: {e.message}" if hint else f"Invalid value: {e.message}"
        return text.rstrip("."), getattr(e, "hint", None)
    if isinstance(e, NoSuchOption):
        close = sorted(e.possibilities or [])[:3]
        return f"No such option '{e.option_name}'", (
            "did you mean " + " or ".join(f"'{p}'" for p in close) + "?" if close else None)
    msg = " ".join(e.format_message().split())
    if isinstance(e, BadOptionUsage) and re.search(r"requires (an argument|\d+ arguments)", msg):
        return f"Option '{e.option_name}' needs a value", None
    m = re.fullmatch(r"Got unexpected extra argument\(s\) \((.*)\)", msg)
    if m:
        return f"Unexpected extra argument: {m.group(1)}", "quote a value that has spaces"
    m = re.fullmatch(r"(No such command '[^']*')(?:[.;] [Dd]id you mean (.*)\?)?\.?", msg)
    if m:  # ours ('; did you mean') or typer's, in a subcommand group ('. Did you mean')
        return m.group(1), (f"did you mean {m.group(2)}?" if m.group(2) else None)
    return msg.rstrip("."), None


def _usage_message(e: Any) -> str:
    text, hint = _usage_text(e)
    ctx = getattr(e, "ctx", None)
    see = f"see '{ctx.command_path if ctx is not None else 'rnn-tutor'} --help'"
    notes = f"{hint} {see}" if hint and hint.endswith("?") else (f"{hint}; {see}" if hint else see)
    return f"Error: {text} ({notes})"


class InterruptReported(typer.Exit):
    """Exit 130 from a command that has already said on stderr where it was interrupted and what it kept
    (train: the step and the file saved), so no second "Interrupted." follows."""

    def __init__(self) -> None:
        super().__init__(INTERRUPTED)


class PipeClosed(Exception):
    """stdout's reader went away (EPIPE), raised past typer's own EPIPE handling (which would exit 1)."""


def run_guarded(func, *args, **kwargs) -> int:
    """Run ``func`` and turn every way it can fail into a message and an exit code (also used by the fast path)."""
    try:
        rv = func(*args, **kwargs)
        code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        if code == INTERRUPTED:  # a command that caught Ctrl-C itself and returned 130
            _stderr_line("\nInterrupted.")
        return code
    except typer.Exit as e:
        if e.exit_code == INTERRUPTED and not isinstance(e, InterruptReported):
            _stderr_line("\nInterrupted.")
        if e.exit_code == PIPE_CLOSED:
            quiet_stdout()
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
    except (typer.Abort, EOFError) as e:
        if isinstance(e, EOFError) or isinstance(e.__cause__, EOFError):
            _stderr_line("Error: input ended (stdin closed) before the command finished")
            return 1
        _stderr_line("Interrupted.")
        return INTERRUPTED
    except KeyboardInterrupt:
        _stderr_line("Interrupted.")
        return INTERRUPTED
    except (PipeClosed, BrokenPipeError):
        quiet_stdout()
        return PIPE_CLOSED
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


# ---------------------------------------------------------------------------------------------- the group


def adopt(command) -> None:
    """Our help page and our value readers for ``command`` and every subcommand already built."""
    from rnn_tutor.cli import helpfmt, values

    helpfmt.adopt(command)
    values.adopt_params(command)
    _errors_know_their_command(command)
    for sub in getattr(command, "commands", {}).values():
        adopt(sub)


def _errors_know_their_command(command) -> None:
    """click's parser raises some usage errors without a context ("Option '-w' requires an argument");
    give them this command's, so the message can point at the right --help. Also reads the parameters click
    adds late (the help option, typer's completion options) with our readers."""
    from rnn_tutor.cli import values

    parse = command.parse_args

    def parse_args(ctx, args):
        values.adopt_params(command, command.get_params(ctx))
        try:
            return parse(ctx, args)
        except UsageError as e:
            if e.ctx is None:
                e.ctx, e.cmd = ctx, command
            raise

    command.parse_args = parse_args


def strip_debug(args: list[str]) -> list[str]:
    """``--debug`` counts wherever it is on the line (before a ``--``); it is taken out before parsing."""
    end = args.index("--") if "--" in args else len(args)
    if "--debug" in args[:end]:
        _debug["on"] = True
        args = [a for a in args[:end] if a != "--debug"] + args[end:]
    return args


class RnnTutorGroup(TyperGroup):
    """The root command group: owns the error-to-exit-code policy and builds subcommands on demand."""

    _source: Any = None  # the typer app whose commands are built lazily (see root_command)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        adopt(self)

    # --- lazy commands: built (and adopted) the first time they are asked for

    def _registered(self) -> dict[str, Any]:
        if self._source is None:
            return {}
        infos: dict[str, Any] = {}
        for info in self._source.registered_commands:
            infos[info.name or typer.main.get_command_name(info.callback.__name__)] = ("command", info)
        for info in self._source.registered_groups:
            name = typer.main.solve_typer_info_defaults(info).name
            if name:
                infos[name] = ("group", info)
        return infos

    def list_commands(self, ctx) -> list[str]:
        names = list(self._registered())
        return names + [n for n in self.commands if n not in names]

    def get_command(self, ctx, cmd_name: str):
        cmd = self.commands.get(cmd_name)
        if cmd is None:
            kind, info = self._registered().get(cmd_name, (None, None))
            src = self._source
            if kind == "command":
                cmd = typer.main.get_command_from_info(
                    info, pretty_exceptions_short=src.pretty_exceptions_short, rich_markup_mode=src.rich_markup_mode)
            elif kind == "group":
                cmd = typer.main.get_group_from_info(
                    info, pretty_exceptions_short=src.pretty_exceptions_short,
                    rich_markup_mode=src.rich_markup_mode, suggest_commands=src.suggest_commands)
            if cmd is not None:
                adopt(cmd)
                self.commands[cmd_name] = cmd
        return cmd

    def resolve_command(self, ctx, args):
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as e:
            from difflib import get_close_matches

            if args and e.message.startswith("No such command"):
                matches = get_close_matches(args[0], self.list_commands(ctx))
                e.message = f"No such command '{args[0]}'" + (
                    "; did you mean " + " or ".join(f"'{m}'" for m in matches) + "?" if matches else "")
            raise

    # --- running

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        args = strip_debug(list(sys.argv[1:] if args is None else args))
        code = run_guarded(self._run, args, prog_name or "rnn-tutor", complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args: list[str], prog_name: str, complete_var: str | None, extra: dict) -> Any:
        self._main_shell_completion(extra, prog_name, complete_var)  # exits when the shell asks to complete
        with self.make_context(prog_name, args, **extra) as ctx:
            return self.invoke(ctx)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise PipeClosed() from None
        except OSError as e:
            import errno

            if e.errno == errno.EPIPE:
                raise PipeClosed() from None
            raise


app = typer.Typer(
    cls=RnnTutorGroup,
    name="rnn-tutor",
    help=(
        "A tutor and calculator for recurrent neural networks: trace hidden states by hand, "
        "watch gradients vanish or explode, quiz yourself, and train tiny RNN, GRU and LSTM models.\n\n"
        "Start with: rnn-tutor trace (the lesson's hand-trace exercise)."
    ),
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(version_line())
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", help="Show the version and exit.",
                                          callback=_version, is_eager=True)] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show tracebacks (for bug reports); works anywhere on the line.")] = False,
) -> None:
    """A tutor and calculator for recurrent neural networks."""
    if debug:
        _debug["on"] = True


def root_command() -> RnnTutorGroup:
    """The root group with every command registered but none built yet (``main()`` runs this one)."""
    saved = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = [], []
    try:
        group = typer.main.get_command(app)
    finally:
        app.registered_commands, app.registered_groups = saved
    group._source = app
    return group


def command_paths(root=None) -> list[tuple[list[str], Any]]:
    """Every visible command and subcommand as (path, command), in the order --help lists them:
    (['trace'], ...), ..., (['quiz'], ...), (['quiz', 'list'], ...). For tests and benchmarks that hold every
    command to a rule."""
    out: list[tuple[list[str], Any]] = []

    def walk(group, path: list[str]) -> None:
        for name in group.list_commands(None):
            sub = group.get_command(None, name)
            if sub is not None and not sub.hidden:
                out.append((path + [name], sub))
                if hasattr(sub, "list_commands"):
                    walk(sub, path + [name])

    walk(root if root is not None else root_command(), [])
    return out


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"rnn_tutor.cli.{name}")


_load_commands()
