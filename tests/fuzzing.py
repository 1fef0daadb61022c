"""The CLI-invocation checker every command's fuzz test uses.

``check_invocation(args, input)`` runs the CLI in-process and asserts the conventions every command follows:
no traceback, exit code in {0, 1, 2}, an ``Error:`` line on stderr when it fails, and valid JSON (no NaN or
Infinity) on stdout whenever ``--format json`` (or ``jsonl``) succeeded.
"""

from __future__ import annotations

import json
import math

from hypothesis import strategies as st
from typer.testing import CliRunner

from rnn_tutor.cli.app import app

_runner = CliRunner()


def invoke(args: list[str], input: str | bytes | None = None, env: dict | None = None):
    return _runner.invoke(app, args, input=input, env=env, catch_exceptions=True)


def _reject_constant(name: str):
    raise AssertionError(f"JSON contains {name}, which is not valid JSON")


def loads_strict(text: str):
    """json.loads that refuses NaN/Infinity (Python's json accepts them by default)."""
    return json.loads(text, parse_constant=_reject_constant)


def output_format(args: list[str]) -> str | None:
    for i, a in enumerate(args):
        if a in ("--format", "-f") and i + 1 < len(args):
            return args[i + 1].lower()
        if a.startswith("--format="):
            return a.split("=", 1)[1].lower()
    return None


def check_invocation(args: list[str], input: str | bytes | None = None, allowed=(0, 1, 2)):
    result = invoke(args, input=input)
    out, err = result.stdout, result.stderr
    where = f"rnn-tutor {' '.join(args)!s} (input={input!r:.60})"
    assert "Traceback" not in out and "Traceback" not in err, f"traceback from {where}:\n{err}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__} from {where}: {result.exception}")
    assert result.exit_code in allowed, f"exit {result.exit_code} from {where}:\n{err}"
    if result.exit_code in (1, 2):
        assert "Error" in err, f"failure without an Error line from {where}: {err!r}"
    fmt = output_format(args)
    if result.exit_code == 0 and fmt == "json" and "--help" not in args and "-h" not in args:
        data = loads_strict(out)
        _assert_finite(data, where)
    if result.exit_code == 0 and fmt == "jsonl":
        for line in out.splitlines():
            if line.strip():
                _assert_finite(loads_strict(line), where)
    return result


def _assert_finite(data, where):
    if isinstance(data, float):
        assert math.isfinite(data), f"non-finite number in JSON from {where}"
    elif isinstance(data, dict):
        for v in data.values():
            _assert_finite(v, where)
    elif isinstance(data, list):
        for v in data:
            _assert_finite(v, where)


# Values that break naive parsers: use them for any option.
NASTY = ["", " ", "-", "--", "nan", "NaN", "inf", "-inf", "1e400", "-1e400", "1e-400", "0", "-0", "1e308",
         "0x10", "1,,2", "1;2", "abc", "１２", "1_000", "\x00", "🙂", "9" * 40, "-1", "1.5", "3", "100000"]

nasty_values = st.one_of(
    st.sampled_from(NASTY),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.text(max_size=8),
)

formats = st.sampled_from(["table", "json", "csv", "jsonl", "xml", "JSON"])
