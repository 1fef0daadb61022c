"""trace prints exact numbers (or marks them ≈), one JSON shape, bounded tables and a step cap."""

import csv
import io
import re
import subprocess
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzzing import invoke, loads_strict


def test_exact_decimals_not_rounded_lookalikes(cli):
    out = cli(["trace", "--values", "1,2,3,4,5,6,7"]).stdout
    assert "5.015625" in out and "6.0078125" in out and "5.01562" not in out.replace("5.015625", "")
    s = cli(["trace", "-s", "The cat saw the dog. The dog ran!"]).stdout
    assert "1.390625" in s and "1.890625" in s and "1.39062 " not in s
    assert "Every number here is exact." in s


def test_non_terminating_values_carry_the_marker_and_json_keeps_the_fraction(cli):
    r = cli(["trace", "-w", "1/3", "--values", "1,2,3"])
    assert "≈1.16667" in r.stdout and "h_t = 1/3·h_{t-1}" in r.stdout
    data = loads_strict(cli(["trace", "-w", "1/3", "--values", "1,2,3", "-f", "json"]).stdout)
    assert data["weight_exact"] == "1/3" and [s["h_exact"] for s in data["steps"]] == ["1/2", "7/6", "17/9"]
    assert data["final"] == 17 / 9 and data["exact"] is True


def test_fractions_column(cli):
    out = cli(["trace", "--fractions"]).stdout
    assert "4.03125 = 129/32" in out and "3.0625 = 49/16" in out
    r = cli(["trace", "--fractions", "-a", "tanh"])
    assert r.exit_code == 2 and "--fractions" in r.stderr


def test_every_number_option_takes_what_practice_takes(cli):
    a = loads_strict(cli(["trace", "-w", "1/2", "-u", "+0.5", "-b", "-0", "--h0", "0", "-f", "json"]).stdout)
    b = loads_strict(cli(["trace", "-f", "json"]).stdout)
    assert a["steps"] == b["steps"]
    r = cli(["trace", "-w", "1/0"])
    assert r.exit_code == 2 and "'--weight'" in r.stderr and "divides by zero" in r.stderr


def _tables(markdown: str) -> list[list[dict]]:
    """The Markdown tables of a trace: one list of {header: cell} per table."""
    tables, head = [], None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            head = None
            continue
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if head is None:
            head = cells
            tables.append([])
        elif not set(line) <= set("|-: "):
            tables[-1].append(dict(zip(head, cells)))
    return tables


def _dec(n, k):
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(k + 1, "0")
    return f"{sign}{digits[:-k]}.{digits[-k:]}" if k else f"{n}"


decimals = st.builds(_dec, st.integers(-999, 999), st.integers(0, 3))


def _agrees(cell: str, exact: Fraction) -> bool:
    """A printed value is the exact one, or carries the marker (and is then the exact one rounded)."""
    if cell.startswith("≈"):
        return abs(Fraction(cell[1:]) - exact) <= abs(exact) * Fraction(1, 10**5)
    return Fraction(cell) == exact


@settings(max_examples=15, deadline=None)
@given(xs=st.lists(decimals, min_size=1, max_size=8), w=decimals, u=decimals, b=decimals)
def test_no_printed_value_differs_from_the_exact_one_unless_marked(xs, w, u, b):
    cli = invoke
    args = ["trace", "--values", " ".join(xs), "-w", w, "-u", u, "-b", b]
    steps_md, infl_md = _tables(cli(args + ["-f", "markdown"]).stdout)
    data = loads_strict(cli(args + ["-f", "json"]).stdout)
    qw, qu, qb = (Fraction(data[k]) for k in ("weight_exact", "input_weight_exact", "bias_exact"))
    for row, s in zip(steps_md, data["steps"]):
        h_prev = Fraction(data["h0_exact"]) if s["t"] == 1 else Fraction(data["steps"][s["t"] - 2]["h_exact"])
        want = {"x_t": Fraction(s["x_exact"]), "w·h_{t-1}": qw * h_prev, "u·x_t": qu * Fraction(s["x_exact"]),
                "h_t": Fraction(s["h_exact"]), "b": qb}
        for key, exact in want.items():
            if key in row:
                assert _agrees(row[key], exact), (key, row, args)
    T = len(xs)
    for row, i in zip(infl_md, data["influence"]):
        assert _agrees(row[f"dh_{T}/dx_t"], Fraction(i["sensitivity_exact"])), (row, args)
        assert _agrees(row["contribution"], Fraction(i["contribution_exact"])), (row, args)


def test_one_json_shape_for_one_and_two_weights(cli):
    one = loads_strict(cli(["trace", "-f", "json"]).stdout)
    two = loads_strict(cli(["trace", "-w", "0.5", "-w", "0.9", "-f", "json"]).stdout)
    for data, n in ((one, 1), (two, 2)):
        assert isinstance(data, dict) and len(data["runs"]) == n
        first = {k: v for k, v in data.items() if k != "runs"}
        assert first == data["runs"][0]  # the first run is reachable at the top level
        assert data["final"] == 4.03125
    assert [r["weight"] for r in two["runs"]] == [0.5, 0.9]


def test_readme_jq_examples(tmp_path):
    import shutil

    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    import sys

    exe = f"'{sys.executable}' -m rnn_tutor"
    one = subprocess.run(f"{exe} trace --values 1,2,3 --format json | jq .final", shell=True,
                         capture_output=True, text=True)
    assert one.stdout.strip() == "2.125"
    many = subprocess.run(f"{exe} trace -w 0.5 -w 0.9 --format json | jq -c '[.runs[].final]'", shell=True,
                          capture_output=True, text=True)
    assert many.stdout.strip() == "[4.03125,6.57205]"


def test_stream_json_has_the_same_shape(cli):
    data = loads_strict(cli(["trace", "--stream", "-f", "json"], input="1\n2\n3\n").stdout)
    assert data["final"] == 2.125 and len(data["runs"]) == 1 and data["steps"][2]["h_exact"] == "17/8"
    lines = [loads_strict(x) for x in cli(["trace", "--stream", "-f", "jsonl"], input="1/3\n").stdout.splitlines()]
    assert lines[0]["h_exact"] == "1/6"


def test_long_traces_show_first_and_last_rows(cli):
    values = "\n".join(str(i) for i in range(1, 2001))  # (issue 12: `seq 1 20000 | trace -` printed 40,017 lines)
    out = cli(["trace", "-"], input=values).stdout
    assert len(out.splitlines()) < 500
    assert "Steps 101 to 1,900 (1,800) are left out of these tables" in " ".join(out.split())
    starts = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert "100" in starts and "1901" in starts and "1000" not in starts and "⋮" in starts
    rows = list(csv.DictReader(io.StringIO(cli(["trace", "-", "-f", "csv"], input=values).stdout)))
    assert len(rows) == 2000


def test_step_cap_but_stream_is_unbounded(cli, monkeypatch):
    from rnn_tutor.core import scalar

    monkeypatch.setattr(scalar, "MAX_STEPS", 10)
    r = cli(["trace", "-"], input=" ".join(["1"] * 11))
    assert r.exit_code == 2 and "at most 10 steps" in r.stderr and "--stream" in r.stderr
    s = cli(["trace", "--stream", "-f", "jsonl"], input="\n".join(["1"] * 30))
    assert s.exit_code == 0 and len(s.stdout.splitlines()) == 30
    j = cli(["trace", "--stream", "-f", "json"], input="\n".join(["1"] * 30))
    assert j.exit_code == 2 and j.stdout == "" and "jsonl" in j.stderr


def test_markdown_format(cli):
    md = cli(["trace", "-f", "markdown"]).stdout
    assert "| `t` | `token` | `x_t` | `w·h_{t-1}` | `u·x_t` | `h_t` |" in md
    assert "| 5 | jumps | 5 | 1.53125 | 2.5 | 4.03125 |" in md
    assert "16 times as much" in md


def test_linear_inputs_too_long_for_exact_arithmetic(cli):
    r = cli(["trace", "-u", "1e-400"])
    assert r.exit_code == 0 and "too long to compute with exactly" in r.stdout
