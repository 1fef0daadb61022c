"""Errors in our words (issue 12 §2): every bad value of every option of every command, in one style.

    Error: Invalid value for '--weight': must be a number, got 'abc' (see 'rnn-tutor trace --help')

The options are discovered from the app, so options added later are held to the same style.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path

import pytest

from rnn_tutor.cli import helpfmt
from rnn_tutor.cli.app import root_command
from tests.commands import discovered

LIBRARY_WORDS = ("Input should", "Value error", "valid number", "valid integer", "unable to parse", "pydantic",
                 "Possible options", "Try '", "is not one of", "Traceback")


ROOT = root_command()  # commands are built once and reused: each run parses afresh


def run(capsys, args):
    code = ROOT.main(args=args, prog_name="rnn-tutor", standalone_mode=False)
    out = capsys.readouterr()
    return code, out.out, out.err


def _command(path: str):
    cmd = ROOT
    for name in path.split():
        cmd = cmd.get_command(None, name)
    return cmd


def _options():
    for path in discovered():
        for p in _command(path).params:
            if getattr(p, "param_type_name", "") == "option" and not p.hidden and not p.is_flag:
                yield path, p


def _bad_values(p, tmp: Path):
    """(text given, words the message must contain) for this option's type."""
    ann = helpfmt._annotation(p)
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        yield "no-such-choice", "must be one of " + ", ".join(helpfmt.choices(p))
    elif ann is float:
        yield "abc", "must be a number"
        yield "0.5,0.9", "must be one number"
        yield "1,5", "must be one number"  # a decimal comma in an option is refused, never read as 1.5
    elif ann is int:
        yield "1.5", "must be a whole number"
        yield "1,500", "must be one whole number"
    elif isinstance(ann, type) and issubclass(ann, Path) and not p.type_descriptor.parameter_info.dir_okay:
        yield str(tmp), "must be a file"


CASES = [(path, p, value, words) for path, p in _options() for value, words in _bad_values(p, Path("/"))]


@pytest.mark.parametrize("path, param, value, words", CASES, ids=[f"{c[0]} {c[1].opts[0]} {c[2]}" for c in CASES])
def test_every_bad_value_says_which_option_what_was_given_and_what_is_allowed(capsys, path, param, value, words):
    opt = param.opts[-1]  # the short name where there is one: messages still name the long one
    code, out, err = run(capsys, path.split() + [opt, value])
    long = next((o for o in param.opts if o.startswith("--")), opt)
    want = f"Error: Invalid value for '{long}': {words}"
    assert code == 2 and out == "", (code, err)
    assert err.startswith(want) and f"got {value!r}" in err, (
        f"rnn-tutor {path} {opt} {value!r} said {err.strip()!r}; every bad value reads {want!r}..., got "
        f"{value!r} (values are read by rnn_tutor/cli/values.py: use a type it knows)")
    assert err.count("\n") == 1 and not any(w in err for w in LIBRARY_WORDS), err
    if "," in value and param.multiple:
        assert "to give several, repeat it:" in err, err


def test_a_comma_in_an_option_is_never_a_decimal_point(capsys):
    """'-w 1,5' could mean 1.5 or the two weights 1 and 5: it is refused with both readings, not taken as 1.5."""
    _, _, err = run(capsys, ["trace", "-w", "1,5"])
    assert ("must be one number, got '1,5' (a decimal is written with a point: 1.5; to give several, repeat it: "
            "-w 1 -w 5") in err, err
    _, _, err = run(capsys, ["decay", "-w", "1,5"])
    assert "a decimal is written with a point: 1.5" in err and "repeat" not in err, err
    _, _, err = run(capsys, ["cost", "-n", "1,500"])
    assert "must be one whole number, got '1,500' (write it without separators: 1500" in err, err


def test_a_list_where_one_number_goes_suggests_repeating_the_option(capsys):
    _, _, err = run(capsys, ["trace", "-w", "0.5,0.9"])
    assert err.startswith("Error: Invalid value for '--weight': must be one number, got '0.5,0.9' "
                          "(to give several, repeat it: -w 0.5 -w 0.9; see 'rnn-tutor trace --help')"), err


@pytest.mark.parametrize("args, start", [
    (["decay", "--format", "markdown"], "Error: Invalid value for '--format': must be one of table, json, csv, "
                                        "got 'markdown'"),
    (["trace", "-a", "sigmoi"], "Error: Invalid value for '--activation': must be one of linear, tanh, relu, "
                                "sigmoid, got 'sigmoi' (did you mean 'sigmoid'?"),
    (["trace", "-H", "100"], "Error: Invalid value for '--hidden-size': must be from 1 to 64, got '100'"),
    (["quiz", "--deck", "/"], "Error: Invalid value for '--deck': must be a file, got '/' (it is a folder"),
    (["trace", "--weight"], "Error: Option '--weight' needs a value (see 'rnn-tutor trace --help')"),
    (["trace", "--bogus"], "Error: No such option '--bogus' (did you mean '--bias'? see 'rnn-tutor trace --help')"),
    (["trac"], "Error: No such command 'trac' (did you mean 'trace' or 'train'? see 'rnn-tutor --help')"),
    (["quiz", "lsit"], "Error: No such command 'lsit' (did you mean 'list'? see 'rnn-tutor quiz --help')"),
    (["order", "a b"], "Error: Invalid value for 'SENTENCE_B': missing, got only SENTENCE_A 'a b' (give two "
                       "sentences to compare, or none for the lesson's pair)"),
    (["predict"], "Error: Missing argument 'MODEL' (see 'rnn-tutor predict --help')"),
    (["trace", "a", "b"], "Error: Unexpected extra argument: b"),
    (["quiz", "list", "--format", "jsonl"], "Error: Invalid value for '--format': must be one of table, json, csv, "
                                            "got 'jsonl' (did you mean 'json'? see 'rnn-tutor quiz list --help')"),
])
def test_usage_errors_read_in_our_words(capsys, args, start):
    code, _, err = run(capsys, args)
    assert code == 2 and err.startswith(start) and err.count("\n") == 1, err
    assert not any(w in err for w in LIBRARY_WORDS), err


@pytest.mark.parametrize("args", [["trace", "--debug", "--values", "1"], ["trace", "--values", "1", "--debug"],
                                  ["--debug", "trace", "--values", "1"]])
def test_debug_works_wherever_it_is_put(cli, monkeypatch, args):
    from rnn_tutor.cli import trace_impl

    def boom(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(trace_impl, "run_trace", boom)
    r = cli(args)
    assert isinstance(r.exception, ZeroDivisionError), (r.exit_code, r.stderr)  # the traceback, as asked


def test_debug_after_a_double_dash_is_an_argument(cli):
    r = cli(["trace", "--", "--debug"])
    assert r.exit_code == 1 and "--debug" in r.stderr  # a file named --debug, which does not exist


def test_a_value_is_never_echoed_raw(capsys):
    _, _, err = run(capsys, ["trace", "-w", "\x1b[31mred"])
    assert "\x1b" not in err and re.search(r"got '\\x1b\[31mred'", err), err
