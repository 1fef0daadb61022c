"""The CLI-invocation checker every command's fuzz test uses.

``check_invocation(args, input)`` runs the CLI in-process and asserts the conventions every command follows:
no traceback and no "internal error", exit code in {0, 1, 2}, an ``Error:`` line on stderr when it fails, and
valid JSON (no NaN or Infinity) on stdout whenever ``--format json`` (or ``jsonl``) succeeded.
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
    # the app's catch-all for bugs ("Error: internal error: ... this is a bug in rnn-tutor"): no input may reach it
    assert "internal error" not in err, f"internal error from {where}:\n{err}"
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


# ------------------------------------------------------------------------------------------- hostile files
# (issue 17) Files a user might hand any loader: model archives that lie about their size or content, decks and
# exports that break parsers, things that are not regular files. ``hostile_specs`` draws one; ``write_hostile``
# makes it in a folder and returns its path. Every loader's fuzz test can feed these to its command.

MODEL_KINDS = ["bomb", "extra-bomb", "raw-member", "pickle-member", "not-npy-member", "twice", "bad-meta",
               "cut", "flip", "empty", "text"]
TEXT_KINDS = ["deep-arrays", "deep-tables", "deep-json", "big-int", "nan-state", "edge-date", "bytes", "nul",
              "long-line", "bad-utf8"]
PLACES = ["fifo", "dev-zero-link", "folder", "long-name", "missing"]


@st.composite
def hostile_specs(draw, kinds=None):
    """(kind, suffix, seed, fraction): enough to build one hostile file reproducibly."""
    kind = draw(st.sampled_from(kinds or MODEL_KINDS + TEXT_KINDS + PLACES))
    suffix = draw(st.sampled_from([".npz", ".toml", ".csv", ".jsonl", ".txt"]))
    return kind, suffix, draw(st.integers(0, 2**32 - 1)), draw(st.floats(0.0, 1.0))


def write_hostile(folder, spec) -> str:
    import os
    import random

    import numpy as np

    from tests import hostile

    kind, suffix, seed, fraction = spec
    rng = random.Random(seed)
    path = folder / f"hostile-{kind}{suffix}"
    if kind == "bomb":
        hostile.bomb_model(path, shape=(rng.choice([16, 64]), 2**25))
    elif kind == "extra-bomb":
        hostile.extra_bomb_model(path, size=rng.choice([2**30, 2**31]))
    elif kind in ("raw-member", "pickle-member"):
        data = b"\x80\x04\x95evil" if kind == "pickle-member" else bytes(rng.randrange(256) for _ in range(40))
        hostile.raw_member_model(path, member=rng.choice(["weight_ih_l0.npy", "meta_cell.npy"]), data=data)
    elif kind == "not-npy-member":
        members = hostile.npz_bytes(hostile.good_arrays())
        hostile.write_zip(path, members + [(rng.choice(["a.txt", "dir/", "x.pkl"]), b"hi", 2, 0)])
    elif kind == "twice":
        members = hostile.npz_bytes(hostile.good_arrays())
        hostile.write_zip(path, members + [rng.choice(members)])
    elif kind == "bad-meta":
        key = rng.choice(["meta_cell", "meta_input_size", "meta_hidden_size", "meta_version", "meta_task",
                          "meta_length", "meta_seed", "meta_accuracy"])
        value = rng.choice([np.array(b"\xff"), np.array(np.inf), np.array(-1), np.array(["a", "b"]),
                            np.array("x" * 2000), np.array(np.nan), np.array(10**15)])
        hostile.model_with(path, hostile.good_arrays(), **{key: value})
    elif kind in ("cut", "flip"):
        hostile.model_with(path, hostile.good_arrays(), meta_task=np.array("recall"))
        data = bytearray(path.read_bytes())
        if kind == "cut":
            data = data[: int(len(data) * fraction)]
        else:
            data[int((len(data) - 1) * fraction)] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("hello\n")
    elif kind == "deep-arrays":
        path.write_text('[[card]]\nquestion = "q"\nanswer = "a"\nx = ' + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "deep-tables":
        path.write_text('[[card]]\nquestion = "q"\nanswer = "a"\nx = ' + "{a=" * 3000 + "1" + "}" * 3000 + "\n")
    elif kind == "deep-json":
        path.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    elif kind == "big-int":
        path.write_text('{"uid": "a", "grade": ' + "9" * 5001 + "}\n" if suffix == ".jsonl"
                        else '[[card]]\nquestion = "q"\nanswer = "a"\nlength = ' + "9" * 5001 + "\n")
    elif kind == "nan-state":
        path.write_text('{"uid": "u", "card_id": "c", "reviewed_at": "2026-11-28T09:00:00Z", "grade": 3, '
                        '"state_after": {"card_id": 1, "state": 2, "step": null, "stability": NaN, '
                        '"difficulty": Infinity, "due": "2026-12-01T00:00:00Z", "last_review": null}}\n')
    elif kind == "edge-date":
        at = rng.choice(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
        path.write_text(f'{{"uid": "u", "card_id": "c", "reviewed_at": "{at}", "grade": 3, "cram": true}}\n')
    elif kind == "bytes":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))))
    elif kind == "nul":
        path.write_bytes(b"question,answer\nq\x00,a\x00\n")
    elif kind == "long-line":
        path.write_text("question,answer\n" + "q" * 200_000 + ",a\n")
    elif kind == "bad-utf8":
        path.write_bytes(b'[[card]]\nquestion = "\xff\xfe"\nanswer = "a"\n')
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero-link":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "long-name":
        path = folder / ("x" * 300 + suffix)
    elif kind == "missing":
        pass
    return str(path)
