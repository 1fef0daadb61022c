"""The app as a whole: the two fast answers print what the typer path prints, and main()'s lazily built
commands behave as the app built whole (which the in-process tests use)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rnn_tutor.cli.app import root_command


def _main(args, env=None):
    e = {k: v for k, v in os.environ.items() if k != "RNN_TUTOR_NO_FASTPATH"}
    e.update(env or {})
    return subprocess.run([sys.executable, "-c", "from rnn_tutor.cli import main; main()", *args],
                          capture_output=True, env=e, timeout=120)


def test_version_fast_answer_equals_the_typer_path():
    fast, slow = _main(["--version"]), _main(["--version"], {"RNN_TUTOR_NO_FASTPATH": "1"})
    assert fast.returncode == slow.returncode == 0 and fast.stdout == slow.stdout and fast.stdout.strip()
    assert _main(["-V"]).stdout == fast.stdout


@pytest.mark.parametrize("args", [["trace", "--format", "json"], ["decay", "-w", "0.5", "--format", "csv"],
                                  ["params", "--cell", "gru", "-f", "json"], ["quiz", "list", "--format", "csv"],
                                  ["learn"], ["order", "-w", "abc"], ["frobnicate"]])
def test_lazy_root_matches_the_whole_app(cli, capsys, args):
    whole = cli(args)
    code = root_command().main(args=args, prog_name="rnn-tutor", standalone_mode=False)
    lazy = capsys.readouterr()
    assert (code, lazy.out, lazy.err) == (whole.exit_code, whole.stdout, whole.stderr)


def test_an_options_own_parser_is_used_without_pydantic():
    """typer would wrap a parser= in a pydantic adapter; our reader calls it directly (and on defaults too)."""
    code = r"""
import sys
from typing import Annotated
import typer
from rnn_tutor.cli.app import RnnTutorGroup
from rnn_tutor.errors import BadValueError

def half(text):
    if str(text) == "bad":
        raise BadValueError("--x", "must be a fraction, got 'bad'")
    return float(str(text).split("/")[0]) / float(str(text).split("/")[1]) if "/" in str(text) else float(text)

t = typer.Typer(cls=RnnTutorGroup)
@t.command("show")
def show(x: Annotated[float, typer.Option("--x", parser=half)] = 1.0):
    print(x)
@t.command("other")
def other():
    pass
group = typer.main.get_command(t)
assert group.main(args=["show", "--x", "1/2"], standalone_mode=False) == 0
assert group.main(args=["show"], standalone_mode=False) == 0
assert group.main(args=["show", "--x", "bad"], standalone_mode=False) == 2
print("pydantic" in sys.modules)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0.5", "1.0", "False"], r.stdout
    assert "must be a fraction, got 'bad'" in r.stderr


def test_every_number_option_takes_the_shared_grammar():
    """issue 11's grammar (decimals, fractions, a decimal comma) is how every command reads a number, not only
    trace: each option read as a float takes a fraction ('1/2', or one inside its range)."""
    from rnn_tutor.cli import helpfmt, values
    from rnn_tutor.cli.app import command_paths

    checked = []
    for path, cmd in command_paths():
        values.adopt_params(cmd)
        for p in cmd.params:
            if helpfmt._annotation(p) is float and not p.hidden:
                from fractions import Fraction

                lo = -1e300 if p.min is None else p.min
                hi = 1e300 if p.max is None else p.max
                x = Fraction(min(max(0.5, lo), hi)).limit_denominator(10**6)  # 1/2, or a fraction in its range
                text = f"{x.numerator}/{x.denominator}"
                got = p._runtime_param.coerce([text] if p.multiple else text, p, None)
                assert got == ([float(x)] if p.multiple else float(x)), (path, p.opts, text)
                checked.append(f"{' '.join(path)} {p.opts[0]}")
    assert "trace --weight" in checked and "decay --weight" in checked and "train --lr" in checked
