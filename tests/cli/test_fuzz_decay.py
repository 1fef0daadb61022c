"""``rnn-tutor decay`` under hostile values: never a traceback, exit 0/1/2, valid JSON when it succeeds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnn_tutor.cli.decay  # noqa: F401  (registers the command)
from tests.fuzzing import NASTY, check_invocation, formats, nasty_values

VALUE_OPTIONS = ["-w", "--matrix", "--size", "--radius", "--steps", "--activation", "--inputs", "--input-weight",
                 "--threshold", "--clip", "--cell", "--forget", "--forget-bias", "--seed"]

# matrices that break naive parsers: ragged, non-square, non-numeric, empty rows, huge, tiny, NaN
MATRICES = ["0.5,2;0,0.5", "1,2;3", "1,2,3;4,5,6", "1,a;2,3", ";", "1;;2", "1;", "nan,0;0,1", "1e100,1e100;1e100,1e100",
            "1e-300,0;0,1e-300", "0", "-1", "1 2;3 4", "1,,2;3,4,5", "inf", "1e400", "0,0;0,0",
            ";".join([",".join(["0.3"] * 64)] * 64), ";".join([",".join(["1"] * 65)] * 65)]
matrices = st.one_of(st.sampled_from(MATRICES), st.text(alphabet="0123456789.,;- e", max_size=20))

# sizes and steps kept modest so the fuzz run stays fast; the limits themselves are tried too
small_ints = st.sampled_from(["0", "1", "2", "3", "64", "65", "-1", "1000", "1001", "20", "abc", "1e3", ""])


def option_value(opt: str):
    if opt == "--matrix":
        return matrices
    if opt in ("--size", "--steps"):
        return small_ints
    if opt == "--activation":
        return st.sampled_from(["linear", "tanh", "TANH", "relu", ""])
    if opt == "--cell":
        return st.sampled_from(["rnn", "lstm", "gru", "LSTM", "xyz"])
    return nasty_values


@st.composite
def invocations(draw):
    opts = draw(st.lists(st.sampled_from(VALUE_OPTIONS), max_size=4, unique=True))
    args = ["decay"]
    for opt in opts:
        args += [opt, draw(option_value(opt))]
    if "--size" in opts and "--steps" not in opts:
        args += ["--steps", "30"]  # a 64x64 matrix over 1000 steps is valid but slow; keep the run short
    args += ["--format", draw(formats)]
    return args


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invocations())
def test_fuzz_decay(args):
    check_invocation(args)


@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_every_nasty_matrix(matrix, fmt):
    check_invocation(["decay", "--matrix", matrix, "--steps", "50", "--clip", "1", "--format", fmt])


@pytest.mark.parametrize("value", NASTY)
def test_every_nasty_weight_with_tanh_and_clip(value):
    check_invocation(["decay", "-w", value, "--activation", "tanh", "--clip", "1", "--cell", "gru",
                      "--forget-bias", "1", "--format", "json"])


def test_limits_themselves_are_fine():
    res = check_invocation(["decay", "--size", "64", "--radius", "1.5", "--steps", "1000", "--activation", "tanh",
                            "--clip", "1", "--format", "json"])
    assert res.exit_code == 0
    res = check_invocation(["decay", "-w", "1e100", "--steps", "1000", "--clip", "1e-300", "--format", "json"])
    assert res.exit_code == 0
