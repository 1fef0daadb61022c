"""``rnn-tutor bottleneck``: a fixed-size context against every encoder state, measured."""

from __future__ import annotations

import csv
import io

import pytest

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


def test_few_samples_do_not_turn_noise_into_a_claim(cli):
    """With 10 samples the measured shares are noisy: the lean sentence follows the exact shares (flat at w = 1,
    where nothing fades) and a note says the measured numbers wander."""
    few = " ".join(cli(["bottleneck", "-d", "3", "-T", "12", "-w", "1", "--samples", "10"]).stdout.split())
    assert "leans" not in few
    assert "Measured on 10 sequences, the shares wander" in few and "more --samples" in few
    default = " ".join(cli(["bottleneck"]).stdout.split())
    assert "leans to the end" in default and "wander" not in default


def test_exact_first_and_last_against_an_independent_projection(cli):
    import numpy as np

    data = loads_strict(cli(["bottleneck", "-d", "4", "-T", "16", "-f", "json"]).stdout)
    rng = np.random.default_rng(0)  # the demo's documented construction: W = 0.9 Q, Q random orthogonal; U ~ N(0, 1)
    q, r = np.linalg.qr(rng.normal(size=(4, 4)))
    w, u = 0.9 * q * np.sign(np.diag(r)), rng.normal(size=4)
    e = np.stack([np.linalg.matrix_power(w, 15 - t) @ u for t in range(16)], axis=1)  # h_16 = E x
    p = np.linalg.pinv(e) @ e
    row = data["rows"][-1]
    assert row["length"] == 16
    assert row["context_first_exact"] == pytest.approx(p[0, 0], abs=1e-9)
    assert row["context_last_exact"] == pytest.approx(p[-1, -1], abs=1e-9)
