"""Conventions every command follows, checked once for all of them."""

import subprocess
import sys


from rnn_tutor import __version__
from rnn_tutor.cli.app import COMMAND_MODULES, app


def _commands():
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_import_core_loads_neither_typer_nor_rich():
    code = ("import sys, importlib, pkgutil, rnn_tutor.core as c\n"
            "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('rnn_tutor.core.' + m.name)\n"
            "import rnn_tutor.quiz as q\n"
            "for m in pkgutil.iter_modules(q.__path__): importlib.import_module('rnn_tutor.quiz.' + m.name)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('typer', 'rich', 'click')]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_scalar_trace_needs_no_numpy_or_typer():
    code = ("import sys\nfrom rnn_tutor.cli.fastpath import try_fast\n"
            "import io, contextlib\nbuf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf): rc = try_fast(['trace', '--format', 'json'])\n"
            "assert rc == 0, rc\n"
            "bad = [m for m in ('numpy', 'typer', 'pydantic') if m in sys.modules]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_version(cli):
    r = cli(["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"rnn-tutor {__version__}"


def test_every_command_has_help_with_an_example(cli):
    names = _commands()
    assert "trace" in names
    for name in names:
        r = cli([name, "--help"])
        assert r.exit_code == 0, name
        assert "rnn-tutor" in r.stdout and "Usage" in r.stdout, name
        assert "rnn-tutor " + name in r.stdout.replace("\n", " "), f"{name}: help shows no example invocation"


def test_every_listed_command_module_exists():
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"rnn_tutor.cli.{name}")


def test_no_args_shows_help(cli):
    r = cli([])
    assert r.exit_code == 0 and "trace" in r.stdout


def test_unknown_command_exits_2(cli):
    r = cli(["frobnicate"])
    assert r.exit_code == 2 and r.stderr.startswith("Error")


def test_internal_errors_are_reported_without_traceback(cli, monkeypatch):
    from rnn_tutor.cli import trace_impl

    def boom(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(trace_impl, "run_trace", boom)
    r = cli(["trace", "--values", "1"])
    assert r.exit_code == 1
    assert "internal error" in r.stderr and "Traceback" not in r.stderr
    d = cli(["--debug", "trace", "--values", "1"])
    assert isinstance(d.exception, ZeroDivisionError)


def test_keyboard_interrupt_exits_130(cli, monkeypatch):
    from rnn_tutor.cli import trace_impl

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(trace_impl, "run_trace", interrupted)
    r = cli(["trace", "--values", "1"])
    assert r.exit_code == 130 and "Traceback" not in r.stderr
    assert "Interrupted." in r.stderr


def test_messages_read_the_same_whatever_ran_before(capsys):
    from rnn_tutor import render

    long = "word " * 30
    render.message(long)
    render.err_console()  # creating the rich console must not change how later messages are written
    render.message(long)
    render.warn(long)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == err[1] == long and err[2] == "Warning: " + long
