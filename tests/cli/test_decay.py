"""``rnn-tutor decay`` through the CLI: formats, exit codes, messages, the plot option."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import rnn_tutor.cli.decay  # noqa: F401  (registers the command, as the app's module list does)
from tests.fuzzing import invoke, loads_strict


def run_json(*args):
    res = invoke(["decay", *args, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    return loads_strict(res.stdout)


def test_scalar_json_fields():
    data = run_json("-w", "0.9")
    assert data["verdict"] == "vanishing" and data["horizon"] == 66 and data["horizon_reached"] is True
    assert data["spectral_radius"] == pytest.approx(0.9) and data["max_singular_value"] == pytest.approx(0.9)
    assert [s["k"] for s in data["steps"]] == list(range(1, 21))
    assert data["steps"][4]["norm"] == pytest.approx(0.9 ** 5)
    assert data["half_life"] == pytest.approx(np.log(0.5) / np.log(0.9))
    assert "66" in data["summary"]


def test_shell_users_example_in_a_real_subprocess():
    exe = shutil.which("rnn-tutor")
    if exe is None:
        pytest.skip("rnn-tutor is not installed on PATH")
    out = subprocess.run([exe, "decay", "-w", "0.9", "--format", "json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["horizon"] == 66
    if shutil.which("jq"):
        piped = subprocess.run(f"'{exe}' decay -w 0.9 --format json | jq .horizon", shell=True,
                               capture_output=True, text=True)
        assert piped.stdout.strip() == "66"
    bad = subprocess.run([exe, "decay", "--matrix", "1,2;3"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "--matrix" in bad.stderr and "Traceback" not in bad.stderr


def test_matrix_json_and_numpy():
    data = run_json("--matrix", "0.5,2;0,0.5", "--steps", "8")
    m = np.array([[0.5, 2.0], [0.0, 0.5]])
    assert data["spectral_radius"] == pytest.approx(0.5)
    assert data["max_singular_value"] == pytest.approx(np.linalg.norm(m, 2))
    assert data["transient_growth"] is True and data["peak"]["k"] == 1
    assert data["steps"][2]["norm"] == pytest.approx(np.linalg.norm(np.linalg.matrix_power(m, 3), 2))
    assert data["horizon"] == 16 and data["horizon_searched_to"] == 1000
    assert [c["holds"] for c in data["conditions"]] == [True, False]


def test_random_matrix_seeded():
    a = run_json("--size", "5", "--radius", "1.2", "--seed", "3", "--activation", "tanh")
    b = run_json("--size", "5", "--radius", "1.2", "--seed", "3", "--activation", "tanh")
    assert a == b
    assert max(abs(np.linalg.eigvals(np.array(a["matrix"])))) == pytest.approx(1.2)
    assert a["conditions"][0]["quantity"] == "largest singular value"


def test_csv_one_row_per_k_matches_json():
    res = invoke(["decay", "-w", "0.5", "--steps", "6", "--format", "csv"])
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0].keys()) == ["k", "norm", "log10_norm", "overflow"]
    assert [int(r["k"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [float(r["norm"]) for r in rows] == pytest.approx([0.5 ** k for k in range(1, 7)])


def test_table_words_and_width():
    res = invoke(["decay", "--matrix", "0.5,2;0,0.5", "--clip", "1", "--cell", "lstm", "--forget", "0.95"])
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    for word in ("vanishing", "spectral radius", "largest singular value", "horizon", "Pascanu",
                 "by norm", "by value", "LSTM", "transient growth", "curve"):
        assert word in out, word
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "\x1b[" not in out  # no colour codes when not a terminal


@pytest.mark.parametrize("args", [
    ["-w", "1.2", "--steps", "80"],
    ["-w", "1e6", "--steps", "200", "--clip", "1"],
    ["--size", "64", "--radius", "1.1", "-a", "tanh", "--steps", "300", "--clip", "0.5", "--cell", "lstm",
     "--forget-bias", "3"],
    ["-w", "0.7", "-a", "tanh", "--inputs", ",".join(["1.5"] * 30), "--cell", "gru", "--forget", "0.99"],
])
def test_tables_fit_80_columns(args):
    res = invoke(["decay", *args])
    assert res.exit_code == 0, res.stderr
    assert max(len(line) for line in res.stdout.splitlines()) <= 80


def test_long_table_is_sampled_but_csv_is_complete():
    res = invoke(["decay", "-w", "0.99", "--steps", "500"])
    assert res.exit_code == 0
    assert "rows shown" in res.stdout and "◀ horizon" not in res.stdout  # 0.99 reaches 1e-3 only at k = 688
    res = invoke(["decay", "-w", "0.98", "--steps", "500"])
    assert "◀ horizon" in res.stdout  # k = 342 is always among the rows shown
    res = invoke(["decay", "-w", "0.99", "--steps", "500", "--format", "csv"])
    assert len(res.stdout.strip().splitlines()) == 501


def test_overflow_is_null_and_flagged():
    data = run_json("-w", "1e6", "--steps", "60")
    assert data["overflow"] is True and data["verdict"] == "exploding"
    assert data["steps"][51]["norm"] is None and data["steps"][51]["overflow"] is True
    assert data["steps"][51]["log10_norm"] == pytest.approx(312)
    res = invoke(["decay", "-w", "1e6", "--steps", "60", "--format", "csv"])
    row52 = res.stdout.splitlines()[52].split(",")
    assert row52[0] == "52" and row52[1] == "" and row52[3] == "true"
    res = invoke(["decay", "-w", "1e6", "--steps", "60"])
    assert "overflow" in res.stdout


def test_clip_json():
    data = run_json("-w", "2", "--steps", "5", "--clip", "5")
    c = data["clip"]
    assert c["norm_before"] == pytest.approx(np.linalg.norm(2.0 ** np.arange(1, 6)))
    assert c["norm_after_norm_clip"] == pytest.approx(5.0) and c["angle_norm_clip_deg"] == 0.0
    assert c["values_clipped"] == 3 and c["angle_value_clip_deg"] > 1
    assert [p["by_value"] for p in c["components"]] == [2.0, 4.0, 5.0, 5.0, 5.0]


def test_gated_cell_paths():
    data = run_json("--cell", "lstm", "--forget", "0.95", "-w", "0.5", "--steps", "30")
    assert data["steps"][29]["cell_path"] == pytest.approx(0.95 ** 30)
    assert data["cell"]["horizon"] == 135 and data["horizon"] == 10
    gru = run_json("--cell", "gru", "--forget-bias", "2", "--steps", "10")
    assert gru["cell"]["gate"] == "z" and gru["cell"]["source"] == "seeded"
    assert all(0 < s["cell_path"] <= 1 for s in gru["steps"])
    res = invoke(["decay", "--cell", "lstm", "--forget", "0.95", "--format", "csv"])
    assert res.stdout.splitlines()[0] == "k,norm,log10_norm,overflow,cell_path,cell_log10"


def test_threshold_edge_through_the_cli():
    assert run_json("-w", "0.1", "--threshold", "1e-3")["horizon"] == 3
    assert run_json("-w", "0.1", "--threshold", "0.000999999")["horizon"] == 4


@pytest.mark.parametrize("args, option", [
    (["--matrix", "1,2;3"], "--matrix"),
    (["--matrix", "1,2,3;4,5,6"], "--matrix"),
    (["--matrix", "1,x;2,3"], "--matrix"),
    (["--matrix", "nan"], "--matrix"),
    (["--size", "0"], "--size"),
    (["--size", "65"], "--size"),
    (["--steps", "1001"], "--steps"),
    (["--steps", "0"], "--steps"),
    (["-w", "nan"], "--weight"),
    (["-w", "inf"], "--weight"),
    (["--threshold", "0"], "--threshold"),
    (["--threshold", "2"], "--threshold"),
    (["--clip", "0"], "--clip"),
    (["--forget", "0.5"], "--cell"),
    (["--cell", "lstm", "--forget", "2"], "--forget"),
    (["-w", "0.5", "--matrix", "1"], "--weight"),
    (["--inputs", "1,2", "--steps", "3"], "--steps"),
    (["--plot", "out.txt"], "--plot"),
    (["--activation", "relu"], "--activation"),
])
def test_bad_values_exit_2_naming_the_option(args, option):
    res = invoke(["decay", *args, "--format", "json"])
    assert res.exit_code == 2, res.stdout
    assert option in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_help_has_examples():
    res = invoke(["decay", "--help"])
    assert res.exit_code == 0
    assert "rnn-tutor decay -w 0.9 --format json | jq .horizon" in res.stdout


# ---------------------------------------------------------------------------------------------- --plot


def test_plot_written_when_matplotlib_is_there(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "decay.png"
    res = invoke(["decay", "--cell", "lstm", "--forget", "0.9", "--plot", str(target), "--format", "json"])
    assert res.exit_code == 0, res.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Plot written" in res.stderr
    loads_strict(res.stdout)  # stdout still holds only the data
    huge = tmp_path / "over.svg"
    res = invoke(["decay", "-w", "1e10", "--steps", "100", "--plot", str(huge)])
    assert res.exit_code == 0 and huge.read_text().startswith("<?xml")


def test_plot_without_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    res = invoke(["decay", "--plot", str(tmp_path / "x.png")])
    assert res.exit_code == 1
    assert "matplotlib" in res.stderr and "pip install" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.png").exists()
    depth, deepest = 0, 0  # one level of brackets: "(install it with ... 'rnn-tutor[plot]', or ...)"
    for ch in re.sub(r"'[^']*'", "''", res.stderr):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    assert deepest == 1, res.stderr


def test_plot_into_a_missing_folder_is_exit_1(tmp_path):
    pytest.importorskip("matplotlib")
    res = invoke(["decay", "--plot", str(tmp_path / "no" / "such" / "x.png")])
    assert res.exit_code == 1 and "cannot write the plot" in res.stderr


# ---------------------------------------------------------------------------------------------------------------
# help (every command's page at 80 columns is checked in tests/cli/test_help.py)


def test_plot_help_names_the_extra_to_install():
    res = invoke(["decay", "--help"], env={"COLUMNS": "200"})
    assert "rnn-tutor[plot]" in res.stdout  # rich markup must not eat the [plot]


@pytest.mark.parametrize("args, said, not_said", [
    (["--matrix", "1e100,0;0,1e100", "-T", "10"], ["doubles every 0.00301 steps", "larger after 1 step."],
     ["every 0 steps", "after 1 steps"]),
    (["--matrix", "0", "-T", "3"], ["halves at once", "after 1 step."], ["after 1 steps"]),
    (["-w", "1.5"], ["doubles every 1.71 steps", "after 18 steps"], []),
])
def test_summary_numbers_and_plurals(args, said, not_said):
    text = run_json(*args)["summary"]
    for s in said:
        assert s in text
    for s in not_said:
        assert s not in text


@pytest.mark.parametrize("args, advice", [(["--cell", "lstm", "--forget-bias", "1"], "--forget-bias 3"),
                                          (["--cell", "gru", "--forget", "0.3", "-w", "0.99"], "--forget 0.95")])
def test_a_gate_path_that_fades_faster_is_not_called_slower(args, advice):
    data = run_json(*args, "-T", "5")
    last = data["steps"][-1]
    assert last["cell_log10"] < last["log10_norm"]  # the gated lane keeps less than the vanilla path here
    assert "is a slower memory lane" not in data["summary"]
    assert "less than the" in data["summary"] and advice in data["summary"]
    kept = run_json("--cell", "lstm", "--forget", "0.95", "-T", "5")["summary"]
    assert "is a slower memory lane" in kept  # 0.95^5 = 77.4% against 0.9^5 = 59%


def test_plot_ticks_k_in_whole_steps(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    saved = []
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (saved.append(self), real(self, *a, **k))[1])
    res = invoke(["decay", "-w", "0.5", "-T", "7", "--plot", str(tmp_path / "d.png")])
    assert res.exit_code == 0, res.stderr
    ticks = [t for t in saved[0].axes[0].get_xticks() if 1 <= t <= 7]
    assert ticks and all(float(t).is_integer() for t in ticks)  # no tick at k = 2.5
