"""``rnn-tutor trace --cell``: the vector cells step by step, seeded or from a weights file."""

from __future__ import annotations

import csv
import re
import io
import subprocess
import sys

import numpy as np
import pytest

from rnn_tutor.core import cells
from rnn_tutor.core.weights import save_weights
from tests.fuzzing import loads_strict


@pytest.mark.parametrize("cell", cells.CELLS)
def test_json_shape_default_exercise(cli, cell):
    r = cli(["trace", "--cell", cell, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["cell"] == cell and data["hidden_size"] == 4 and data["input_size"] == 1
    steps = data["steps"]
    assert [s["token"] for s in steps] == ["The", "quick", "brown", "fox", "jumps"]
    assert [s["x"] for s in steps] == [[1.0], [2.0], [3.0], [4.0], [5.0]]
    assert [s["t"] for s in steps] == [1, 2, 3, 4, 5]
    for s in steps:
        assert len(s["h"]) == 4 and s["summary"]
        assert set(s["gates"]) == (set(cells.GATE_NAMES[cell]) if cell != "rnn" else set())
        assert ("c" in s) == (cell == "lstm")
    # the numbers are the core's forward pass with the seeded weights
    p = cells.init_params(cell, 1, 4, seed=0)
    fwd = cells.forward(cell, p, np.arange(1.0, 6.0).reshape(1, 5, 1))
    np.testing.assert_allclose([s["h"] for s in steps], fwd.h[0], rtol=0, atol=1e-15)
    assert r.stderr == ""


def test_seed_and_hidden_size(cli):
    a = loads_strict(cli(["trace", "--cell", "gru", "--seed", "1", "-H", "6", "-f", "json"]).stdout)
    b = loads_strict(cli(["trace", "--cell", "gru", "--seed", "1", "-H", "6", "-f", "json"]).stdout)
    c = loads_strict(cli(["trace", "--cell", "gru", "--seed", "2", "-H", "6", "-f", "json"]).stdout)
    assert a == b and a["steps"][0]["h"] != c["steps"][0]["h"]
    assert len(a["steps"][0]["gates"]["z"]) == 6


def test_one_hot_sentence(cli):
    r = cli(["trace", "--cell", "lstm", "--one-hot", "--sentence", "the dog bit the man", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["input_size"] == 4  # the, dog, bit, man
    xs = [s["x"] for s in data["steps"]]
    assert xs[0] == xs[3] == [1.0, 0.0, 0.0, 0.0]
    assert xs[4] == [0.0, 0.0, 0.0, 1.0]


def test_one_hot_needs_words(cli):
    r = cli(["trace", "--cell", "rnn", "--one-hot", "--values", "1,2,3"])
    assert r.exit_code == 2 and "--one-hot" in r.stderr


def test_values_and_stdin(cli):
    a = loads_strict(cli(["trace", "--cell", "rnn", "--values", "0.5,-1,2", "-f", "json"]).stdout)
    b = loads_strict(cli(["trace", "--cell", "rnn", "-", "-f", "json"], input="0.5 -1\n2\n").stdout)
    assert a["steps"] == b["steps"] and [s["x"] for s in a["steps"]] == [[0.5], [-1.0], [2.0]]


def test_weights_file(cli, tmp_path):
    p = cells.init_params("lstm", 1, 3, seed=42)
    save_weights(tmp_path / "w.npz", "lstm", p)
    r = cli(["trace", "--cell", "lstm", "--weights", str(tmp_path / "w.npz"), "--values", "1,2", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["hidden_size"] == 3 and data["weights"] == str(tmp_path / "w.npz")
    fwd = cells.forward("lstm", p, np.array([[[1.0], [2.0]]]))
    np.testing.assert_allclose([s["c"] for s in data["steps"]], fwd.c[0], atol=1e-15)


def test_weights_file_of_another_cell_exits_1(cli, tmp_path):
    save_weights(tmp_path / "w.npz", "gru", cells.init_params("gru", 1, 3))
    r = cli(["trace", "--cell", "lstm", "--weights", str(tmp_path / "w.npz")])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: ") and "holds a GRU cell, but an LSTM cell" in r.stderr
    assert r.stdout == ""


def test_weights_input_size_mismatch_exits_1(cli, tmp_path):
    save_weights(tmp_path / "w.npz", "rnn", cells.init_params("rnn", 5, 3))
    r = cli(["trace", "--cell", "rnn", "--weights", str(tmp_path / "w.npz")])
    assert r.exit_code == 1 and "input size 5" in r.stderr and "--one-hot" in r.stderr
    ok = cli(["trace", "--cell", "rnn", "--weights", str(tmp_path / "w.npz"), "--one-hot", "-s", "a b c d e"])
    assert ok.exit_code == 0, ok.stderr


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04 truncated"])
def test_bad_weights_files_exit_1(cli, tmp_path, content):
    (tmp_path / "w.npz").write_bytes(content)
    r = cli(["trace", "--cell", "gru", "--weights", str(tmp_path / "w.npz")])
    assert r.exit_code == 1 and r.stderr.startswith("Error: weights file")
    assert "Traceback" not in r.stderr


def test_table_80_columns_with_summaries(cli):
    r = cli(["trace", "--cell", "lstm"])
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    for word in ("LSTM", "forget gate", "What happened", "h[0]"):
        assert word in out
    data = loads_strict(cli(["trace", "--cell", "lstm", "-f", "json"]).stdout)
    assert f"{data['steps'][4]['h'][0]:+.4f}" in out  # the unit-by-unit numbers are the JSON's


def test_csv_and_jsonl(cli):
    rows = list(csv.DictReader(io.StringIO(cli(["trace", "--cell", "gru", "-H", "2", "-f", "csv"]).stdout)))
    assert len(rows) == 5
    assert {"t", "token", "x_0", "r_0", "r_1", "z_0", "n_1", "h_0", "h_1", "summary"} <= set(rows[0])
    lines = cli(["trace", "--cell", "rnn", "-f", "jsonl"]).stdout.splitlines()
    assert len(lines) == 5 and loads_strict(lines[2])["t"] == 3


def test_practice_with_cell_is_refused(cli):
    r = cli(["trace", "--cell", "lstm", "--practice"])
    assert r.exit_code == 2


def test_subprocess_bad_file_exit_code(tmp_path):
    (tmp_path / "w.npz").write_text("garbage")
    r = subprocess.run([sys.executable, "-m", "rnn_tutor", "trace", "--cell", "rnn", "--weights",
                        str(tmp_path / "w.npz")], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.startswith("Error: weights file") and r.stdout == ""


def test_every_damaged_file_is_a_clear_error(cli, tmp_path):
    good = tmp_path / "good.npz"
    save_weights(good, "lstm", cells.init_params("lstm", 1, 3))
    data = good.read_bytes()
    cases = {
        "half": data[: len(data) // 2],
        "tail": data[:-10],
        "flipped": data[:200] + bytes(b ^ 0xFF for b in data[200:260]) + data[260:],
        "pickle": b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.",
        "npy": data[:0] + b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
               + b" " * 57 + b"\n" + bytes(16),
    }
    for name, content in cases.items():
        p = tmp_path / f"{name}.npz"
        p.write_bytes(content)
        r = cli(["trace", "--cell", "lstm", "--weights", str(p)])
        assert r.exit_code == 1, (name, r.stderr)
        assert r.stderr.startswith("Error: weights file"), (name, r.stderr)
        assert "internal error" not in r.stderr


def test_hidden_size_with_weights_file_warns(cli, tmp_path):
    save_weights(tmp_path / "w.npz", "rnn", cells.init_params("rnn", 1, 3))
    r = cli(["trace", "--cell", "rnn", "--weights", str(tmp_path / "w.npz"), "-H", "8", "-f", "json"])
    assert r.exit_code == 0
    assert loads_strict(r.stdout)["hidden_size"] == 3
    assert "--hidden-size 8 is ignored" in r.stderr
    quiet = cli(["trace", "--cell", "rnn", "--weights", str(tmp_path / "w.npz"), "-f", "json"])
    assert quiet.stderr == ""


def test_overflow_json_is_valid_with_flag(cli, tmp_path):
    p = cells.init_params("rnn", 1, 2, seed=0)
    p["weight_ih_l0"][:] = 1e308
    p["weight_hh_l0"][:] = 1e308
    save_weights(tmp_path / "w.npz", "rnn", p)
    r = cli(["trace", "--cell", "rnn", "--weights", str(tmp_path / "w.npz"), "--values", "10,-10", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)  # no NaN in the JSON text
    assert data["overflow"] is True
    assert data["steps"][0]["h"] == [1.0, 1.0] and data["steps"][1]["h"] == [None, None]
    assert "Warning:" in r.stderr and "RuntimeWarning" not in r.stderr
    fine = loads_strict(cli(["trace", "--cell", "rnn", "--values", "1e308,-1e308", "-f", "json"]).stdout)
    assert fine["overflow"] is False


def test_wrapped_summaries_keep_a_hanging_indent(cli):
    """At 80 columns a step's sentence wraps under its own start, so the step numbers stand out."""
    out = cli(["trace", "--cell", "lstm"]).stdout
    said = out.splitlines()[out.splitlines().index(next(l for l in out.splitlines() if l.startswith("What happened"))) + 1:]
    steps = [i for i, line in enumerate(said) if line[:4].strip().isdigit()]
    assert [said[i].split()[0] for i in steps] == ["1", "2", "3", "4", "5"]
    continuation = [line for i, line in enumerate(said) if i not in steps and line.strip()]
    assert continuation, "the LSTM sentences are long enough to wrap at 80 columns"
    assert all(line.startswith("    ") for line in continuation)  # indented past the step number


def test_long_traces_show_the_first_and_last_steps_in_tables_and_every_step_in_json(cli):
    values = " ".join(["0.5"] * 205)
    out = cli(["trace", "--cell", "gru", "-H", "3", "--values", values]).stdout
    starts = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert "100" in starts and "106" in starts and "103" not in starts and "⋮" in starts
    assert "Steps 101 to 105 (5) are left out" in " ".join(out.split())
    data = loads_strict(cli(["trace", "--cell", "gru", "-H", "3", "--values", values, "-f", "json"]).stdout)
    assert [s["t"] for s in data["steps"]] == list(range(1, 206))
    full = cli(["trace", "--cell", "gru", "-H", "3", "--values", " ".join(["0.5"] * 200)]).stdout
    assert "⋮" not in full and "left out" not in full


def test_one_hot_uses_the_saved_models_vocabulary(cli, tmp_path):
    import json

    model = tmp_path / "recall.npz"
    r = cli(["train", "--task", "recall", "--length", "8", "--steps", "20", "--save", str(model), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    # 'c' is the third word of the recall task's vocabulary (a b c d w x y z), though first in this sentence
    out = cli(["trace", "--cell", "lstm", "--weights", str(model), "--one-hot", "--sentence", "c x y z", "-f", "json"])
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["steps"][0]["x"] == [0, 0, 1, 0, 0, 0, 0, 0]
    bad = cli(["trace", "--cell", "lstm", "--weights", str(model), "--one-hot", "--sentence", "hello x"])
    assert bad.exit_code == 2 and "unknown word 'hello' for the recall task" in bad.stderr


@pytest.mark.parametrize("cell, signed", [("lstm", "g, h: ▁ = -1"), ("gru", "n, h: ▁ = -1"), ("rnn", "h: ▁ = -1")])
def test_legend_names_the_cells_own_vectors(cli, cell, signed):
    out = " ".join(cli(["trace", "--cell", cell]).stdout.split())
    assert signed in out
    assert ("g, n" not in out) and (cell != "gru" or " g," not in out.split("Glyphs:")[1])


@pytest.mark.parametrize("cell, hidden", [("lstm", 16), ("gru", 20), ("lstm", 64)])
def test_wide_states_wrap_at_the_same_unit_in_every_column(cli, cell, hidden):
    out = cli(["trace", "--cell", cell, "-H", str(hidden)]).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    per_line = int(re.search(r"(\d+) units a line", out).group(1))
    glyphs = set("▁▂▃▄▅▆▇█")
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("───"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Glyphs:"))
    names = 6 if cell == "lstm" else 4
    step_lines = 0
    for line in lines[start + 1:end]:
        strips = [w for w in line.split() if set(w) <= glyphs]
        assert len({len(w) for w in strips}) <= 1  # every column broke at the same unit
        assert all(len(w) <= per_line for w in strips) and len(strips) in (0, names)
        step_lines += bool(strips)
    assert step_lines == 5 * -(-hidden // per_line)  # each step takes ceil(H / per_line) lines


def test_one_hot_shows_the_vocabulary_spelt_as_typed(cli):
    out = cli(["trace", "--cell", "gru", "--one-hot", "-s", "The dog saw the cat"]).stdout
    assert "Words as one-hot positions: The=1  dog=2  saw=3  cat=4" in out
    plain = cli(["trace", "--cell", "gru"]).stdout
    assert "The=1" in plain and "the=1" not in plain  # the scalar trace spells it the same way
    assert "The=1" in cli(["trace"]).stdout


def test_a_saved_adding_model_traces_in_its_own_input_format(cli, tmp_path):
    model = tmp_path / "adding.npz"
    r = cli(["train", "--cell", "lstm", "--task", "adding", "--length", "10", "--steps", "5", "--hidden", "4",
             "--save", str(model), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(cli(["trace", "--weights", str(model), "--input", "0.3* -0.2 0.9 0.5*", "-f", "json"]).stdout)
    assert data["cell"] == "lstm" and data["task"] == "adding" and data["input_size"] == 2
    assert [s["x"] for s in data["steps"]] == [[0.3, 1.0], [-0.2, 0.0], [0.9, 0.0], [0.5, 1.0]]
    assert [s["token"] for s in data["steps"]] == ["0.3*", "-0.2", "0.9", "0.5*"]
    default = cli(["trace", "--cell", "lstm", "--weights", str(model)])  # the README's command: the task's example
    assert default.exit_code == 0, default.stderr
    assert "(adding)" in default.stdout
    bad = cli(["trace", "--weights", str(model), "--one-hot"])
    assert bad.exit_code == 2 and "value and marker" in bad.stderr
    out_of_range = cli(["trace", "--weights", str(model), "--values", "1 2"])
    assert out_of_range.exit_code == 2 and "'--values'" in out_of_range.stderr and "0.3*" in out_of_range.stderr


def test_input_needs_a_saved_model(cli, tmp_path):
    save_weights(tmp_path / "w.npz", "rnn", cells.init_params("rnn", 1, 2))
    r = cli(["trace", "--weights", str(tmp_path / "w.npz"), "--input", "1 2"])
    assert r.exit_code == 2 and "--input" in r.stderr
    ok = cli(["trace", "--weights", str(tmp_path / "w.npz"), "--values", "1 2", "-f", "json"])
    assert ok.exit_code == 0 and loads_strict(ok.stdout)["cell"] == "rnn"  # the cell comes from the file
