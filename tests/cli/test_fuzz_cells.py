"""Fuzz ``params``, ``gradcheck`` and ``trace --cell`` (including damaged weights files) with hostile values."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnn_tutor.cli.gradcheck  # noqa: F401  (registers the commands)
import rnn_tutor.cli.params  # noqa: F401
from rnn_tutor.core import cells
from rnn_tutor.core.weights import save_weights
from tests.fuzzing import check_invocation, formats, nasty_values

PARAMS_OPTIONS = ["--cell", "--input-size", "-D", "--hidden-size", "-H", "--layers", "-L", "--proj-size", "-P", "-f"]
PARAMS_FLAGS = ["--bidirectional", "--no-bias", "--bias"]


@settings(max_examples=120, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from(PARAMS_OPTIONS), nasty_values), max_size=4),
    flags=st.lists(st.sampled_from(PARAMS_FLAGS), max_size=2, unique=True),
    fmt=formats,
)
def test_params_fuzz(pairs, flags, fmt):
    r = check_invocation(["params"] + [x for p in pairs for x in p] + flags + ["--format", fmt])
    assert "internal error" not in r.stderr


GRAD_OPTIONS = ["--cell", "--hidden-size", "--input-size", "--length", "--batch", "--seed", "--eps", "--tolerance",
                "--max-checks", "--nonlinearity", "--layers"]


@settings(max_examples=60, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from(GRAD_OPTIONS), nasty_values), max_size=3),
    fmt=formats,
)
def test_gradcheck_fuzz(pairs, fmt):
    # a failing check (exit 1) is allowed: a huge eps or a zero tolerance can fail honestly
    r = check_invocation(["gradcheck", "--max-checks", "5"] + [x for p in pairs for x in p] + ["--format", fmt])
    assert "internal error" not in r.stderr


def _damaged_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    good = folder / "good.npz"
    save_weights(good, "lstm", cells.init_params("lstm", 1, 3))
    data = good.read_bytes()
    files = {"good": good}
    for name, content in {
        "empty": b"",
        "text": b"1 2 3\n",
        "half": data[: len(data) // 2],
        "tail": data[:-10],
        "flipped": data[:200] + bytes(b ^ 0xFF for b in data[200:260]) + data[260:],
        "pickle": b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.",
    }.items():
        p = folder / f"{name}.npz"
        p.write_bytes(content)
        files[name] = p
    files["missing"] = folder / "missing.npz"
    files["stack"] = folder / "stack.npz"
    save_weights(files["stack"], "gru", cells.init_params("gru", 1, 3, num_layers=2))
    return files


TRACE_OPTIONS = ["--cell", "--hidden-size", "--seed", "--values", "--sentence", "-f", "--layer"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cell=st.sampled_from(["rnn", "gru", "lstm", "LSTM", "xyz"]),
    pairs=st.lists(st.tuples(st.sampled_from(TRACE_OPTIONS), nasty_values), max_size=3),
    weights=st.one_of(st.none(), st.sampled_from(["good", "empty", "text", "half", "tail", "flipped", "pickle",
                                                   "missing", "stack"])),
    one_hot=st.booleans(),
    fmt=formats,
)
def test_trace_cell_fuzz(tmp_path_factory, cell, pairs, weights, one_hot, fmt):
    files = _FILES.setdefault("files", _damaged_files(tmp_path_factory))
    args = ["trace", "--cell", cell] + [x for p in pairs for x in p]
    if weights:
        args += ["--weights", str(files[weights])]
    if one_hot:
        args.append("--one-hot")
    result = check_invocation(args + ["--format", fmt])
    assert "internal error" not in result.stderr
    if weights not in (None, "good") and cell.lower() in cells.CELLS and result.exit_code == 1:
        assert result.stderr.startswith("Error: weights file")


_FILES: dict = {}
