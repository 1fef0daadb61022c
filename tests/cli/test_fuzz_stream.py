"""Fuzz ``predict --stream`` (every kind of saved model, hostile stdin and options) and ``signal``: never a
traceback, exit 0/1/2, valid JSON Lines when they succeed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnn_tutor.cli.predict  # noqa: F401  (registers the commands)
import rnn_tutor.cli.signal  # noqa: F401
from tests.fuzzing import check_invocation, formats, nasty_values

_DIR = Path(tempfile.mkdtemp(prefix="rnn-tutor-fuzz-stream-"))

LINES = ["0.1", "0.5*", "-0.3", "the", "duck", "a", "x", "nan", "inf", "1e400", "-1e308", "1e308", "abc", "",
         " ", ",", "1,2,3", "0.1 0.2", "*", "1**", "\t", "9" * 400, "🙂", "\x00", "the dog bit"]

stdin = st.one_of(
    st.lists(st.sampled_from(LINES), max_size=12).map(lambda xs: "\n".join(xs) + "\n"),
    st.text(max_size=60),
    st.binary(max_size=60),
)


@pytest.fixture(scope="module")
def model_files():
    from rnn_tutor.core import train as core

    out = []
    for cell, task in (("lstm", "forecast"), ("gru", "adding"), ("rnn", "tagging"), ("lstm", "recall"),
                       ("gru", "reverse")):
        r = core.train(core.TrainConfig(cell=cell, task=task, steps=1, eval_every=1, hidden=3,
                                        eval_size=40 if task == "forecast" else 8, length=4))
        out.append(str(core.save_model(_DIR / f"{cell}-{task}.npz", r)))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_predict_stream(model_files, data):
    args = ["predict", data.draw(st.sampled_from(model_files)), "--stream"]
    if data.draw(st.booleans()):
        args += ["--anomaly", data.draw(st.one_of(st.sampled_from(["3", "0.5", "0", "-1", "1e308"]), nasty_values))]
    r = check_invocation(args + ["--format", data.draw(formats)], input=data.draw(stdin))
    assert "internal error" not in r.stderr


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_signal(data):
    args = ["signal"]
    if data.draw(st.booleans()):
        args.append(data.draw(st.sampled_from(["knocks", "sines", "regimes", "KNOCKS", "waves", ""])))
    for opt, values in (("--length", ["0", "1", "5", "-1", "abc", "1e3", "100000001"]),
                        ("--glitches", ["0", "0.5", "1", "2", "nan", "-0.1"]),
                        ("--rate", ["-1", "nan", "inf", "1e7"]), ("--seed", ["0", "-1", "abc"])):
        if data.draw(st.booleans()):
            args += [opt, data.draw(st.one_of(st.sampled_from(values), nasty_values))]
    if "--length" not in args:
        args += ["--length", "20"]  # never endless
    if args[args.index("--length") + 1] in ("0",) or not _small(args[args.index("--length") + 1]):
        args[args.index("--length") + 1] = "20"
    if "--rate" in args and _slow(args[args.index("--rate") + 1]):
        args[args.index("--rate") + 1] = "1000"  # a valid rate that keeps 20 readings under a second
    r = check_invocation(args + ["--format", data.draw(formats)])
    assert "internal error" not in r.stderr


def _slow(v: str) -> bool:
    """A --rate signal accepts that would make the fuzz wait: positive and below 1,000 readings a second (20
    readings at the slowest allowed rate, one a day, take 19 days)."""
    from rnn_tutor.core.numbers import parse_number
    from rnn_tutor.errors import RnnTutorError

    try:
        return 0 < parse_number("--rate", v) < 1000  # as signal reads it: 1/2 too
    except RnnTutorError:
        return False


def _small(v: str) -> bool:
    """A --length the fuzz may run: a whole number up to 10,000 (anything else is refused, or is endless)."""
    try:
        return int(v) <= 10_000
    except ValueError:
        return True
