"""``rnn-tutor params``: counts per tensor and total, side-by-side comparison, formats, bad values."""

from __future__ import annotations

import csv
import io

import pytest

import rnn_tutor.cli.params  # noqa: F401  (registers the command even before app.py lists it)
from tests.fuzzing import loads_strict


def test_compare_three_cells_table(cli):
    r = cli(["params", "--input-size", "10", "--hidden-size", "20"])
    assert r.exit_code == 0, r.stderr
    # G*20*(10+20+2) = G*640
    for total in ("640", "1,920", "2,560"):
        assert total in r.stdout
    assert "3/4" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert r.stderr == ""


def test_compare_json_has_total_per_cell(cli):
    r = cli(["params", "-D", "10", "-H", "20", "--format", "json"])
    data = loads_strict(r.stdout)
    assert data["totals"] == {"rnn": 640, "gru": 1920, "lstm": 2560}
    assert [c["cell"] for c in data["cells"]] == ["rnn", "gru", "lstm"]
    assert [c["total"] for c in data["cells"]] == [640, 1920, 2560]
    assert data["fraction_of_lstm"]["gru"] == 0.75


def test_one_cell_json_tensors(cli):
    r = cli(["params", "--cell", "lstm", "-D", "10", "-H", "20", "--layers", "2", "--bidirectional", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["cell"] == "lstm" and data["layers"] == 2 and data["bidirectional"] is True
    assert data["total"] == 15040  # torch.nn.LSTM(10, 20, 2, bidirectional=True)
    shapes = {t["name"]: t["shape"] for t in data["tensors"]}
    assert shapes["weight_ih_l1_reverse"] == [80, 40]
    assert sum(t["count"] for t in data["tensors"]) == data["total"]


def test_one_cell_table(cli):
    r = cli(["params", "--cell", "GRU", "-D", "3", "-H", "5"])
    assert r.exit_code == 0, r.stderr
    assert "weight_hh_l0" in r.stdout and "(15, 5)" in r.stdout
    assert "150" in r.stdout  # 3*5*(3+5+2)


def test_csv(cli):
    r = cli(["params", "-D", "1", "-H", "4", "--no-bias", "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    totals = {row["cell"]: int(row["count"]) for row in rows if row["tensor"] == "total"}
    assert totals == {"rnn": 20, "gru": 60, "lstm": 80}
    assert {row["tensor"] for row in rows} == {"weight_ih_l0", "weight_hh_l0", "total"}


@pytest.mark.parametrize(
    "args,option",
    [
        (["--hidden-size", "0"], "--hidden-size"),
        (["--input-size", "-3"], "--input-size"),
        (["--layers", "0"], "--layers"),
        (["--cell", "transformer"], "--cell"),
        (["--hidden-size", "abc"], "--hidden-size"),
        (["--proj-size", "2"], "--proj-size"),  # the comparison includes cells without a projection
        (["--cell", "rnn", "--proj-size", "2"], "--proj-size"),
        (["--cell", "lstm", "-H", "4", "--proj-size", "4"], "--proj-size"),
        (["--cell", "lstm", "--proj-size", "-1"], "--proj-size"),
    ],
)
def test_bad_values_exit_2_naming_the_option(cli, args, option):
    r = cli(["params", *args])
    assert r.exit_code == 2
    assert r.stderr.startswith("Error") and option in r.stderr
    assert r.stdout == ""


def test_lstm_projection(cli):
    r = cli(["params", "--cell", "lstm", "-D", "80", "-H", "1024", "--proj-size", "256", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    # 4H(D + P + 2) + PH, as torch.nn.LSTM(80, 1024, proj_size=256) counts it
    assert data["proj_size"] == 256 and data["total"] == 4 * 1024 * (80 + 256 + 2) + 256 * 1024
    assert {"name": "weight_hr_l0", "shape": [256, 1024], "count": 256 * 1024} in data["tensors"]
    table = cli(["params", "--cell", "lstm", "-D", "80", "-H", "1024", "-P", "256"]).stdout
    assert "projection P = 256" in table and "1,646,592" in table
