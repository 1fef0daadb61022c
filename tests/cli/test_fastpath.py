"""The fast path must print exactly what the typer command prints, or step aside."""

import contextlib
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_tutor.cli import fastpath
from tests.fuzzing import invoke, nasty_values


def _fast(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = fastpath.try_fast(args)
    return code, out.getvalue(), err.getvalue()


def _assert_same(args):
    code, out, err = _fast(args)
    if code is None:
        return False
    r = invoke(args)
    assert (code, out, err) == (r.exit_code, r.stdout, r.stderr), args
    return True


def test_plain_cases_take_the_fast_path_and_agree():
    cases = [
        ["trace"],
        ["trace", "-w", "0.5", "-w", "0.9"],
        ["trace", "--format", "json"],
        ["trace", "-f", "csv", "--sentence", "The dog bit the man"],
        ["trace", "--values", "1,2,3", "-a", "TANH", "-b", "0.1", "--h0=0.3", "-u", "2"],
        ["trace", "-w", "10", "--values", ",".join(["1"] * 400), "-f", "jsonl"],
        ["trace", "-w", "-1.5", "--format=table"],
        ["trace", "-w", "1/3", "--values", "1 2/7 0.1", "--fractions"],
        ["trace", "-w", "+0.5", "-u", "5/4", "-f", "markdown"],
        ["trace", "-w", "0.9", "-w", "1/2", "-f", "json"],
        ["trace", "-a", "relu", "--values", "1,-2,3", "--fractions", "-f", "csv"],
    ]
    for args in cases:
        assert _assert_same(args), args


def test_anything_unusual_is_left_to_typer():
    for args in (["trace", "--help"], ["trace", "-"], ["trace", "--practice"], ["trace", "--stream"],
                 ["trace", "--cell", "lstm"], ["trace", "-w"], ["trace", "-w", "x"], ["trace", "--values", "-"],
                 ["trace", "--bias", "1", "--bias", "2"], ["trace", "file.txt"], ["decay"], [],
                 ["trace", "--sentence", "!!!"], ["trace", "-w", "nan"], ["trace", "-w", "1/0"],
                 ["trace", "--worksheet"], ["trace", "--step"], ["trace", "--fractions", "-a", "tanh"],
                 ["trace", "--fractions", "--fractions"], ["trace", "-w", "1,5"]):
        code, out, err = _fast(args)
        assert code is None and out == "" and err == "", args


opts = st.sampled_from(["-w", "--weight", "-u", "--input-weight", "-b", "--bias", "--h0", "-a", "--activation",
                        "-f", "--format", "--values", "--sentence", "-s"])
arg_values = st.one_of(nasty_values, st.sampled_from(["tanh", "relu", "sigmoid", "linear", "json", "csv", "jsonl",
                                                      "table", "markdown", "1,2,3", "The dog bit the man", "1/3",
                                                      "-5/4", "+0.25", "1 2/3 0.1", "1e-400", "0,5"]))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(opts, arg_values), max_size=5), st.booleans())
def test_fast_and_full_paths_agree(pairs, fractions):
    args = ["trace"] + [x for pair in pairs for x in pair] + (["--fractions"] if fractions else [])
    _assert_same(args)


def test_a_bug_in_the_fast_path_is_a_message_not_a_traceback(monkeypatch):
    from rnn_tutor.render import trace as rtrace

    def boom(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(rtrace, "emit_traces", boom)
    code, out, err = _fast(["trace"])
    assert code == 1 and err.startswith("Error: internal error: ZeroDivisionError: boom") and "Traceback" not in err
