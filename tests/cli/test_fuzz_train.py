"""Fuzz ``train``, ``compare`` and ``predict`` with hostile values: never a traceback, exit 0/1/2 (130 never
happens without Ctrl-C), valid JSON when they succeed. Sizes are drawn from small sets (valid and not) so every
example trains for at most a few steps."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnn_tutor.cli.compare  # noqa: F401  (registers the commands)
import rnn_tutor.cli.predict  # noqa: F401
import rnn_tutor.cli.train  # noqa: F401
from tests.fuzzing import check_invocation, formats, nasty_values

_DIR = Path(tempfile.mkdtemp(prefix="rnn-tutor-fuzz-train-"))

SIZES = {
    "--steps": ["0", "1", "2", "-1", "abc", "", "1e3", "nan", "3"],
    "--length": ["0", "1", "2", "4", "-1", "abc", "", "10001", "1.5", "nan"],
    "--hidden": ["0", "1", "3", "1025", "-3", "abc", "", "1e9"],
    "--batch": ["0", "1", "2", "-1", "4097", "abc", ""],
    "--eval-every": ["0", "1", "-1", "abc", ""],
    "--eval-size": ["0", "1", "7", "-1", "100001", "abc"],
    "--samples": ["0", "1", "2", "-1", "1001", "abc", ""],
    "--layers": ["0", "1", "2", "3", "4", "-1", "abc", "", "1.5"],
}
CHOICES = {
    "--cell": ["rnn", "gru", "lstm", "LSTM", "cnn", ""],
    "--task": ["adding", "recall", "order", "tagging", "reverse", "reorder", "ADDING", "sort", "", "forecast",
               "forecast"],
    "--decoder": ["plain", "attention", "ATTENTION", "transformer", ""],
    "--score": ["additive", "dot", "Dot", "cosine", ""],
    "--decoders": ["plain,attention", "attention", "plain,additive,dot", "dot,dot", "plain,lstm", "", ","],
    "--signal": ["knocks", "sines", "REGIMES", "", "waves", "-readings-", "-binary-", str(_DIR), str(_DIR / "no.txt"),
                 "/dev/null"],
    "--column": ["1", "2", "0", "temp", "", "x" * 50],
    "--optimizer": ["adam", "sgd", "lbfgs", ""],
    "--gate-init": ["chrono", "plain", "zeros", ""],
    "--dtype": ["float64", "float32", "FLOAT32", "float16", ""],
    "--lengths": ["2,3", "2", "0,2", "a", "", ",", "3,3", "2,10001", "1,2,3,4,5,6,7,8,9"],
    "--cells": ["rnn,gru,lstm", "lstm", "lstm,lstm", "cnn", "", ",", "gru , rnn"],
    "--save": ["", "-dir-", str(_DIR / "m.npz"), str(_DIR / "no" / "m.npz"), "/", str(_DIR)],
}
TRAIN_OPTIONS = ["--cell", "--task", "--length", "--hidden", "--steps", "--batch", "--lr", "--clip", "--optimizer",
                 "--gate-init", "--eval-every", "--eval-size", "--stop-at", "--save", "--seed", "--dtype", "--layers",
                 "--signal", "--column", "--decoder", "--score"]
COMPARE_OPTIONS = ["--task", "--length", "--lengths", "--hidden", "--steps", "--batch", "--lr", "--clip", "--cells",
                   "--eval-every", "--seed", "--layers", "--decoders"]
PREDICT_OPTIONS = ["--input", "--samples", "--length", "--cell", "--task", "--seed", "--attention"]


_READINGS = _DIR / "readings.csv"
_READINGS.write_text("t,v\n" + "".join(f"{i},{(i % 7) / 7}\n" for i in range(60)) + "x,NA\n")
_BINARY = _DIR / "binary.dat"
_BINARY.write_bytes(b"\x00\xff" * 50)


def value_for(opt: str):
    if opt == "--signal":
        return st.sampled_from(CHOICES[opt]).map(
            lambda v: str(_READINGS) if v == "-readings-" else str(_BINARY) if v == "-binary-" else v)
    if opt in SIZES:
        return st.sampled_from(SIZES[opt])
    if opt in CHOICES:
        return st.sampled_from(CHOICES[opt]).map(lambda v: str(_DIR / "-") if v == "-dir-" else v)
    return nasty_values


def build(command: str, options: list[str], draw, extra: list[str]) -> list[str]:
    opts = draw(st.lists(st.sampled_from(options), max_size=4, unique=True))
    args = [command]
    for opt in opts:
        args += [opt, draw(value_for(opt))]
    # keep each example tiny unless that option is the one being fuzzed
    for opt, safe in (("--steps", "2"), ("--length", "4"), ("--eval-size", "8"), ("--hidden", "3"),
                      ("--batch", "4")):
        if opt in extra and opt not in opts:
            args += [opt, safe]
    return args + ["--format", draw(formats)]


@st.composite
def train_args(draw):
    return build("train", TRAIN_OPTIONS, draw, ["--steps", "--length", "--eval-size", "--hidden", "--batch"])


@st.composite
def compare_args(draw):
    return build("compare", COMPARE_OPTIONS, draw, ["--steps", "--length", "--hidden", "--batch"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train_args())
def test_fuzz_train(args):
    r = check_invocation(args)
    assert "internal error" not in r.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(compare_args())
def test_fuzz_compare(args):
    r = check_invocation(args)
    assert "internal error" not in r.stderr


@pytest.fixture(scope="module")
def model_files():
    from rnn_tutor.core import train as core

    out = []
    for cell, task, decoder in (("lstm", "adding", "plain"), ("gru", "reverse", "plain"), ("rnn", "order", "plain"),
                                ("lstm", "reverse", "attention"), ("gru", "reorder", "attention")):
        r = core.train(core.TrainConfig(cell=cell, task=task, steps=2, eval_every=2, eval_size=8, hidden=3,
                                        decoder=decoder))
        out.append(str(core.save_model(_DIR / f"{cell}-{task}-{decoder}.npz", r)))
    damaged = _DIR / "damaged.npz"
    damaged.write_bytes(Path(out[0]).read_bytes()[:200])
    return out + [str(damaged), str(_DIR / "missing.npz"), str(_DIR)]


INPUTS = ["0.5* 0.1 -0.2* 0.3", "the dog bit the man", "a b c", "", " ", "-", "1* 2*", "0.1*", "nan* 0.1*",
          "a " * 1001, "the old dog bit the young man", "bit", "the the",
          "a" * 50, "the the the the the", "0.1 " * 3000 + "0.2* 0.3*"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_predict(model_files, data):
    path = data.draw(st.sampled_from(model_files))
    opts = data.draw(st.lists(st.sampled_from(PREDICT_OPTIONS), max_size=3, unique=True))
    args = ["predict", path]
    for opt in opts:
        if opt == "--attention":  # a flag
            args.append(opt)
            continue
        if opt == "--input":
            value = data.draw(st.one_of(st.sampled_from(INPUTS), nasty_values))
        else:
            value = data.draw(value_for(opt))
        args += [opt, value]
    stdin = data.draw(st.sampled_from(["", "0.1* 0.2*\n", "the dog bit the man\n\n", "\x00\n"]))
    r = check_invocation(args + ["--format", data.draw(formats)], input=stdin)
    assert "internal error" not in r.stderr
