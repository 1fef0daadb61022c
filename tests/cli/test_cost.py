"""``rnn-tutor cost``: recurrent layer against self-attention."""

from __future__ import annotations

import csv
import io

from tests.fuzzing import invoke, loads_strict


def test_cost_json():
    r = invoke(["cost", "--length", "1024", "--hidden", "256", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    rnn, attn = data["layers_cost"]
    assert rnn["operations"] == 1024 * 256**2 and attn["operations"] == 1024**2 * 256
    assert rnn["sequential_ops"] == 1024 and attn["sequential_ops"] == 1
    assert data["cheaper"] == "recurrent"
    last = data["stream"][-1]
    assert last["tokens"] == 1024 and last["kv_numbers"] == 2 * 1024 * 256 and last["lstm_numbers"] == 2 * 256
    assert last["kv_bytes"] == 4 * last["kv_numbers"]


def test_cost_table_and_csv():
    r = invoke(["cost"])
    assert r.exit_code == 0
    assert "134,217,728" in r.stdout and "O(n²·d)" in r.stdout and "2 MiB" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    r = invoke(["cost", "-n", "8", "-d", "4", "--layers", "2", "--bytes", "2", "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["kind"] for row in rows] == ["layer", "layer", "stream", "stream", "stream", "stream"]
    assert rows[0]["operations"] == str(8 * 4 * 4) and rows[1]["operations"] == str(8 * 8 * 4)
    assert [int(row["kv_bytes"]) for row in rows[2:]] == [2 * t * 4 * 2 * 2 for t in (1, 2, 4, 8)]


def test_cost_bad_values():
    for args, option in ((["--length", "0"], "--length"), (["--hidden", "-1"], "--hidden"),
                         (["--bytes", "3"], "--bytes"), (["--layers", "0"], "--layers")):
        r = invoke(["cost", *args])
        assert r.exit_code == 2 and option in r.stderr and r.stdout == "", args
    r = invoke(["cost", "--length", "abc"])
    assert r.exit_code == 2 and "--length" in r.stderr


def test_cost_real_process_exit_codes():
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "rnn_tutor", "cost", "--length", "0"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip().splitlines() == [
        "Error: Invalid value for '--length': must be a whole number from 1 to 10,000,000, got 0"]
    p = subprocess.run(f"{sys.executable} -m rnn_tutor cost -n 100000 -f csv | head -2", shell=True,
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.splitlines()[0].startswith("kind,layer") and "Traceback" not in p.stderr


def test_huge_counts_are_never_cut_off_and_one_is_singular(cli):
    """At the limits the operation count (1e21) shows whole in scientific form, not as '1,000,000,000,…'."""
    out = cli(["cost", "-n", "10000000", "-d", "10000000"]).stdout
    assert "…" not in out and "1.00e+21" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    one = " ".join(cli(["cost", "-n", "1", "-d", "1"]).stdout.split())
    assert "n = 1 token," in one and "takes 1 step that" in one and "at 1 token." in one
    assert "1 tokens" not in one and "1 steps" not in one


def test_cost_measure_json_csv_and_table():
    args = ["cost", "--measure", "-n", "64", "-d", "8", "--repeats", "2"]
    r = invoke([*args, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["layers_cost"][0]["operations"] == 64 * 8 * 8  # today's formulas stay beside the timings
    m = data["measured"]
    assert [p["n"] for p in m["points"]] == [16, 32, 64] and m["threads"] == 1 and m["clock"] == "cpu"
    assert [g["table"] for g in m["growth"]] == ["n·d²", "n²·d"]
    assert m["memory_limit"] == 256 * 2**20 and m["max_length"] == 5792
    assert any("GPU" in s for s in m["summary"])
    r = invoke([*args, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    measured = [row for row in rows if row["kind"] == "measured"]
    assert [int(row["n"]) for row in measured] == [16, 32, 64]
    assert all(float(row["recurrent_seconds"]) > 0 for row in measured)
    assert [row["kind"] for row in rows[:2]] == ["layer", "layer"]
    r = invoke(args)
    assert r.exit_code == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "Measured here: d = 8, float32, 1 thread, median CPU time of 2 runs" in r.stdout
    assert "16 vs 1" in r.stdout and "On a GPU" in r.stdout and "sequential for both" in r.stdout
    assert "fully used" not in r.stdout and "idle" not in r.stdout


def test_cost_measure_bad_values():
    for args, option in ((["--length", "5793"], "--length"), (["--hidden", "1025"], "--hidden"),
                         (["--repeats", "0"], "--repeats"), (["--threads", "0"], "--threads"),
                         (["--threads", "999"], "--threads")):
        r = invoke(["cost", "--measure", "-n", "32", "-d", "4", *args, "--format", "json"])
        assert r.exit_code == 2 and option in r.stderr and r.stdout == "", (args, r.stderr)
    r = invoke(["cost", "--measure", "--length", "6000"])
    assert "MiB" in r.stderr
    for args, option in ((["--repeats", "3"], "--repeats"), (["--threads", "1"], "--threads")):
        r = invoke(["cost", *args])
        assert r.exit_code == 2 and option in r.stderr and "--measure" in r.stderr


def test_cost_measure_work_ratio_rounds_half_away_from_zero():
    """At n = 16, d = 64 the work ratio is (4·16·64² + 2·16²·64) / (8·16·64²) = 0.5625 exactly: to three digits
    that is 0.563 by the rounding every table uses, not the 0.562 of Python's round-half-to-even format."""
    r = invoke(["cost", "--measure", "-n", "16", "-d", "64", "--repeats", "1"])
    assert r.exit_code == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "0.563×" in out and "0.562×" not in out


def test_cost_measure_says_the_n2_term_is_larger_only_past_n_equal_2d():
    """4·n·d² against 2·n²·d: equal at n = 2·d, the n² term larger only for n > 2·d. At n = 2·d (the largest length
    measured here) the sentence must neither call one term the larger nor say n stays below 2·d."""
    d = 8
    assert 2 * (2 * d) ** 2 * d == 4 * (2 * d) * d * d and 2 * (2 * d + 1) ** 2 * d > 4 * (2 * d + 1) * d * d
    r = invoke(["cost", "--measure", "-n", str(2 * d), "-d", str(d), "--repeats", "1"])
    assert r.exit_code == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert f"the n² term is the larger once n > 2·d = {2 * d}; at n = 2·d the two are equal" in out
    assert "from n = 16 = 2·d on" not in out and "stays below" not in out
    assert "here n goes up to 2·d, where the projections and the n² term are the same work" in out
    below = " ".join(invoke(["cost", "--measure", "-n", str(d), "-d", str(d), "--repeats", "1"]).stdout.split())
    assert "here n stays below that, so its n·d² projections still weigh most" in below
