"""``rnn-tutor gradcheck``: pass on the real backward pass, fail (exit 1) on a broken one."""

from __future__ import annotations

import csv
import io
import re

import pytest

import rnn_tutor.cli.gradcheck  # noqa: F401  (registers the command)
from rnn_tutor.core import cells
from tests.fuzzing import loads_strict


def test_lstm_passes_json(cli):
    r = cli(["gradcheck", "--cell", "lstm", "--hidden-size", "3", "--length", "5", "--seed", "2", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["passed"] is True and data["cell"] == "lstm" and data["length"] == 5
    names = [t["name"] for t in data["tensors"]]
    assert names == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "x", "h0", "c0"]
    assert all(t["max_rel_error"] <= 1e-6 for t in data["tensors"])
    assert data["tensors"][1]["shape"] == [12, 3]


def test_all_cells_table(cli):
    r = cli(["gradcheck"])
    assert r.exit_code == 0, r.stderr
    for word in ("RNN: pass", "GRU: pass", "LSTM: pass", "weight_hh_l0", "✓"):
        assert word in r.stdout
    assert "FAIL" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_csv_rows(cli):
    r = cli(["gradcheck", "--cell", "gru", "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["tensor"] for row in rows] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "x", "h0"]
    assert all(row["passed"] == "true" for row in rows)


def test_broken_backward_fails_with_exit_1(cli, monkeypatch):
    real = cells.backward

    def broken(*a, **k):
        g = real(*a, **k)
        g["bias_ih_l0"] = g["bias_ih_l0"] + 1e-3
        return g

    monkeypatch.setattr(cells, "backward", broken)
    r = cli(["gradcheck", "--cell", "rnn", "-f", "json"])
    assert r.exit_code == 1
    data = loads_strict(r.stdout)
    assert data["passed"] is False
    assert [t["name"] for t in data["tensors"] if not t["passed"]] == ["bias_ih_l0"]
    assert r.stderr.startswith("Error: gradient check failed") and "bias_ih_l0" in r.stderr
    t = cli(["gradcheck", "--cell", "rnn"])
    assert t.exit_code == 1 and "FAIL" in t.stdout
    assert "missing or misplaced term" in " ".join(r.stderr.split())  # default settings: blame the backward pass


@pytest.mark.parametrize("args, blamed", [(["--eps", "0.1"], "--eps 0.1"), (["--eps", "1e-10"], "--eps 1e-10"),
                                          (["--tolerance", "1e-12"], "--tolerance 1e-12")])
def test_a_failure_from_the_settings_says_so(cli, args, blamed):
    """A right backward pass fails when eps or the tolerance leave no room: the message blames the setting."""
    r = cli(["gradcheck", "--cell", "rnn", *args])
    assert r.exit_code == 1
    said = " ".join(r.stderr.split())  # stderr may be wrapped by a console an earlier test created
    assert blamed in said and "keep --eps near 1e-5" in said
    assert "missing or misplaced term" not in said


@pytest.mark.parametrize("eps, shown", [("1e-5", "1e-10 at eps = 1e-05"), ("0.01", "1e-4 at eps = 0.01")])
def test_why_it_works_uses_the_eps_given(cli, eps, shown):
    """eps² + 2.2e-16/eps: 1e-10 at the default, 1e-4 at eps = 0.01 (not a fixed 1e-10)."""
    out = cli(["gradcheck", "--cell", "gru", "--eps", eps, "--tolerance", "1"]).stdout
    assert shown in " ".join(out.split())


def test_relu_only_for_rnn(cli):
    assert cli(["gradcheck", "--cell", "rnn", "--nonlinearity", "relu"]).exit_code == 0
    r = cli(["gradcheck", "--cell", "lstm", "--nonlinearity", "relu"])
    assert r.exit_code == 2 and "--nonlinearity" in r.stderr


def test_sampling_caps_checks(cli):
    r = cli(["gradcheck", "--cell", "lstm", "-H", "8", "--max-checks", "10", "-f", "json"])
    data = loads_strict(r.stdout)
    w = next(t for t in data["tensors"] if t["name"] == "weight_hh_l0")
    assert w["checked"] == 10 and w["size"] == 256


def test_bad_values(cli):
    for args, option in ((["--hidden-size", "0"], "--hidden-size"), (["--length", "1000"], "--length"),
                         (["-H", "16", "-D", "16", "-T", "100", "--max-checks", "0"], "--max-checks"),
                         (["--eps", "nan"], "--eps"), (["--cell", "x"], "--cell"),
                         (["--tolerance", "0"], "--tolerance"), (["--tolerance", "1e-400"], "--tolerance")):
        r = cli(["gradcheck", *args])
        assert r.exit_code == 2, args
        assert option in r.stderr


def test_a_failing_check_shows_the_difference_that_failed_and_does_not_say_why_it_works(cli):
    r = cli(["gradcheck", "--cell", "lstm", "--tolerance", "1e-12"])
    assert r.exit_code == 1
    text = " ".join(r.stdout.split())
    assert "Why it works" not in text and "How to read it" in text
    m = re.search(r"analytic (\S+) vs numeric (\S+): a difference of (\S+), relative error (\S+)\.", text)
    assert m, text
    a, n, diff = float(m.group(1)), float(m.group(2)), float(m.group(3))
    assert m.group(1) != m.group(2) and a != n  # enough digits to see them differ
    assert diff == pytest.approx(abs(a - n), rel=0.25)  # the shown values are rounded one digit past the first that differs
    assert "Why it works" in cli(["gradcheck", "--cell", "rnn"]).stdout


def test_distinguish_gives_just_enough_digits():
    from rnn_tutor.render.cells import distinguish

    assert distinguish(-0.0392966123, -0.0392966001) == ("-0.039296612", "-0.039296600")
    assert distinguish(1.5, 2.5) == ("1.5", "2.5")  # the first digits differ: no more than that
    assert distinguish(1.25e-7, 1.26e-7) == ("1.25e-07", "1.26e-07")
    a, b = distinguish(0.1, 0.1 + 2 ** -55)
    assert a != b and len(a) <= 20


def test_the_streamed_table_is_the_whole_table(cli, capsys):
    """The heading is printed before any cell is checked and each cell's table as soon as it is done; the
    page is the same as drawn at once."""
    from rnn_tutor import render
    from rnn_tutor.core.gradcheck import gradcheck
    from rnn_tutor.render import cells as rcells

    streamed = cli(["gradcheck", "-T", "2"]).stdout
    results = [gradcheck(c, length=2) for c in cells.CELLS]
    capsys.readouterr()
    render.print_table(rcells.gradcheck_tables(results))
    assert capsys.readouterr().out == streamed and streamed.startswith("Gradient check: BPTT")
