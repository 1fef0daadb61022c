"""``rnn-tutor bottleneck``: a fixed-size context against every encoder state, measured."""

from __future__ import annotations

import csv
import io

from tests.fuzzing import invoke, loads_strict


def test_bottleneck_json_follows_the_bound():
    r = invoke(["bottleneck", "--size", "4", "--max-length", "32", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert [row["length"] for row in data["rows"]] == [1, 2, 4, 8, 16, 32]
    for row in data["rows"]:
        assert row["bound"] == min(1, 4 / row["length"])
        assert abs(row["context_measured"] - row["bound"]) < 0.05
        assert row["all_states_measured"] > 0.999
    assert len(data["per_position"]) == 32


def test_bottleneck_table_and_csv():
    r = invoke(["bottleneck", "-d", "2", "-T", "8"])
    assert r.exit_code == 0
    assert "min(1,d/T)" in r.stdout and "25.0%" in r.stdout  # d/T = 2/8
    assert "leans to the end" in " ".join(r.stdout.split())
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    r = invoke(["bottleneck", "-d", "2", "-T", "8", "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [int(row["length"]) for row in rows] == [1, 2, 4, 8]
    assert float(rows[-1]["bound"]) == 0.25


def test_bottleneck_bad_values():
    for args, option in ((["--size", "0"], "--size"), (["--max-length", "1000"], "--max-length"),
                         (["--weight", "2"], "--weight"), (["--samples", "1"], "--samples"),
                         (["--seed", "-1"], "--seed")):
        r = invoke(["bottleneck", *args])
        assert r.exit_code == 2 and option in r.stderr and r.stdout == "", (args, r.stderr)
