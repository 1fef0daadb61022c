"""``rnn-tutor compare``: one row per cell, the same budget and seed, a sentence that matches the numbers."""

from __future__ import annotations

import pytest

from rnn_tutor.core.compare import CompareRow, compare_sentence
from tests.cli.test_train import _default_sigint, _interrupt
from tests.fuzzing import invoke, loads_strict

SMALL = ["--task", "recall", "--length", "5", "--steps", "60", "--eval-every", "20"]


def test_json_is_a_list_with_cell_and_accuracy():
    r = invoke(["compare", *SMALL, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert [d["cell"] for d in data] == ["rnn", "gru", "lstm"]
    for d in data:
        assert 0 <= d["accuracy"] <= 1 and d["loss"] > 0
        assert d["task"] == "recall" and d["length"] == 5 and d["budget"] == 60
        assert d["steps"] <= 60 and len(d["curve"]) >= 2
        assert isinstance(d["summary"], str) and d["summary"]
        if d["solved_step"] is not None:  # stopped once solved
            assert d["steps"] == d["solved_step"] and d["curve"][-1] >= 0.99


def test_cells_option_and_table():
    r = invoke(["compare", *SMALL, "--cells", "lstm,rnn"])
    assert r.exit_code == 0, r.stderr
    assert "lstm" in r.stdout and "rnn" in r.stdout and "gru" not in r.stdout
    assert "constant guess" in r.stdout
    r = invoke(["compare", *SMALL, "--cells", "gru", "--format", "csv"])
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("cell,length,accuracy,loss") and lines[1].startswith("gru,5,") and len(lines) == 2


@pytest.mark.parametrize("cells", ["", "lstm,lstm", "lstm,cnn", ","])
def test_bad_cells(cells):
    r = invoke(["compare", *SMALL, "--cells", cells, "--format", "json"])
    assert r.exit_code == 2 and "--cells" in r.stderr


def test_lengths_sweep_shows_accuracy_against_length():
    r = invoke(["compare", "--task", "reverse", "--cells", "gru", "--lengths", "2,12", "--steps", "150",
                "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert [(d["cell"], d["length"]) for d in data] == [("gru", 2), ("gru", 12)]
    assert data[0]["accuracy"] > data[1]["accuracy"]  # the fixed-size context holds 2 symbols, not 12
    assert data[0]["summary"].startswith("Accuracy against length") and "fixed-size" in data[0]["summary"]
    r = invoke(["compare", "--task", "reverse", "--cells", "gru", "--lengths", "2,3", "--steps", "5"])
    assert r.exit_code == 0 and "length" in r.stdout


@pytest.mark.parametrize("args", [["--lengths", "0,4"], ["--lengths", "a,b"], ["--lengths", "4,4"],
                                  ["--lengths", ""], ["--lengths", "2,4", "--length", "3"],
                                  ["--lengths", ",".join(str(n) for n in range(2, 12))]])
def test_bad_lengths(args):
    r = invoke(["compare", "--task", "reverse", *args, "--format", "json"])
    assert r.exit_code == 2 and "--length" in r.stderr, r.stderr


def test_bad_length():
    r = invoke(["compare", "--length", "0"])
    assert r.exit_code == 2 and "--length" in r.stderr


def _row(cell, acc, solved):
    return CompareRow(cell, acc, 0.1, solved, None if solved is None else solved * 32, 100, 1.0, 10, (acc,))


def test_sentence_says_who_solved_it_and_who_stayed_at_the_baseline():
    s = compare_sentence([_row("rnn", 0.15, None), _row("lstm", 1.0, 300)], "adding", 100, 1000, 0.15)
    assert "lstm (after 9,600 sequences) solved" in s and "rnn (15.0%)" in s and "constant guess" in s
    s = compare_sentence([_row("rnn", 1.0, 50), _row("lstm", 1.0, 40)], "adding", 10, 1000, 0.15)
    assert s.startswith("All cells solved")
    s = compare_sentence([_row("rnn", 0.2, None), _row("lstm", 0.6, None)], "adding", 100, 1000, 0.15)
    assert "No cell reached" in s and "lstm at 60.0%" in s
    # the sentence writes a number as the table does: 14.6%, not "near the 15% of a constant guess"
    s = compare_sentence([_row("rnn", 0.141, None), _row("lstm", 1.0, 30)], "adding", 100, 1000, 0.1459)
    assert "rnn (14.1%)" in s and "the 14.6% of a constant guess" in s
    cut = CompareRow("rnn", 0.15, 0.1, None, None, 120, 1.0, 10, (0.15,), interrupted=True)
    s = compare_sentence([cut], "adding", 100, 1000, 0.15)  # Ctrl-C in the first cell: no verdict on it
    assert s.startswith("Interrupted while training rnn (step 120 of 1,000)") and "try more" not in s
    from rnn_tutor.core.compare import length_sentence

    done = CompareRow("gru", 1.0, 0.1, 10, 320, 10, 1.0, 10, (1.0,), length=2)
    cut = CompareRow("gru", 0.3, 0.1, None, None, 5, 1.0, 10, (0.3,), interrupted=True, length=8)
    assert length_sentence([done, cut], 16).startswith("Interrupted while training gru at length 8")


def test_sentences_give_the_cause_that_fits_the_task():
    """The bottleneck explains a drop only for an encoder-decoder; a far-back answer only for the long-lag tasks."""
    from rnn_tutor.core.compare import length_sentence

    short, long = (CompareRow("lstm", a, 0.1, None, None, 10, 1.0, 10, (a,), length=n)
                   for a, n in ((1.0, 4), (0.3, 32)))
    assert "bottleneck" in length_sentence([short, long], 16, "reverse")
    recall = length_sentence([short, long], 16, "recall")
    assert "bottleneck" not in recall and "further back" in recall
    tagging = length_sentence([short, long], 16, "tagging")
    assert "bottleneck" not in tagging and "further back" not in tagging
    solved = [_row("rnn", 1.0, 50), _row("lstm", 1.0, 40)]
    assert "a longer --length" in compare_sentence(solved, "recall", 10, 1000, 0.25)
    assert "a longer --length" not in compare_sentence(solved, "tagging", 20, 1000, 0.25)
    assert "first inputs" not in compare_sentence([_row("rnn", 0.3, None), _row("lstm", 1.0, 30)], "tagging", 20,
                                                  1000, 0.25)


def _percentages(text):
    import re

    return re.findall(r"\d+(?:\.\d+)?%", text)


def test_every_percentage_in_the_sentence_is_one_the_table_shows():
    r = invoke(["compare", "--task", "adding", "--length", "20", "--steps", "300", "--seed", "0"])
    assert r.exit_code == 0, r.stderr
    table, _, after = r.stdout.partition("A constant guess gets")
    shown = set(_percentages(table)) | set(_percentages(after.splitlines()[0]))
    sentence = " ".join(after.splitlines()[1:])
    quoted = [p for p in _percentages(sentence) if p != "99%"]  # 99% is the header's "seqs to 99%"
    assert quoted and set(quoted) <= shown, (quoted, shown)


def test_tables_use_the_house_style_within_80_columns():
    """Like trace and decay: a rule under the header and no heavy frame, no line wider than the screen."""
    for args in (["compare", *SMALL], ["compare", "--task", "reverse", "--cells", "gru,lstm", "--lengths", "2,3",
                                        "--steps", "5"]):
        r = invoke(args)
        assert r.exit_code == 0, r.stderr
        assert "─" in r.stdout and not set("┏┃│┡┗└") & set(r.stdout), r.stdout
        assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_ctrl_c_prints_what_was_measured(tmp_path):
    """A real process interrupted mid-comparison: exit 130, and whatever it prints is valid JSON."""
    import json
    import os
    import subprocess
    import sys
    import time

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    p = subprocess.Popen([sys.executable, "-m", "rnn_tutor", "compare", "--cells", "rnn,lstm", "--steps", "1000000",
                          "--length", "50", "--eval-every", "1", "--format", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                         preexec_fn=_default_sigint)
    time.sleep(3.0)  # let it start training the first cell
    out, err = _interrupt(p)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "Interrupted" in err
    if out.strip():
        rows = json.loads(out)
        assert rows and rows[-1]["interrupted"] is True and rows[-1]["cell"] == "rnn"


def test_gate_init_and_dtype_as_in_train():
    """The options train has for the start and the number type, so a class can compare chrono with PyTorch's init."""
    args = ["compare", *SMALL, "--cells", "lstm", "--format", "json"]
    chrono = loads_strict(invoke(args).stdout)[0]
    r = invoke([*args, "--gate-init", "plain", "--dtype", "float32"])
    assert r.exit_code == 0, r.stderr
    plain = loads_strict(r.stdout)[0]
    assert (chrono["gate_init"], chrono["dtype"]) == ("chrono", "float64")
    assert (plain["gate_init"], plain["dtype"]) == ("plain", "float32")
    assert plain["curve"][0] != chrono["curve"][0] or plain["loss"] != chrono["loss"]
    bad = invoke([*args, "--dtype", "float16"])
    assert bad.exit_code == 2 and "--dtype" in bad.stderr


def test_learning_curves_share_the_budget_axis():
    """A cell that solved the task at step 100 of 400 fills a quarter of the curve, not all 16 glyphs beside a
    cell that used the whole budget."""
    from rnn_tutor import render
    from rnn_tutor.render.train import budget_curve

    def glyphs(values):
        return render.sparkline(values, lo=0.0, hi=1.0)

    assert budget_curve((0.1, 0.5, 1.0), 50, 100, 400, width=8) == glyphs([0.5, 1.0])
    full = budget_curve(tuple(i / 8 for i in range(9)), 50, 400, 400, width=8)
    assert full == glyphs([i / 8 for i in range(1, 9)]) and len(full) == 8
    assert budget_curve((0.2, 0.9), 50, 7, 400, width=8) == glyphs([0.9])  # stopped (Ctrl-C) at step 7
    r = invoke(["compare", "--task", "recall", "--length", "5", "--steps", "60", "--eval-every", "20",
                "--cells", "rnn"])
    curve = r.stdout.splitlines()[4].split("s ", 1)[1].strip()  # the row after the header rule
    assert 0 < len(curve) <= 16


def test_titles_fit_80_columns_on_one_line_with_every_fact(cli):
    """rich wraps a title to its table's width: 'recall at lengths 2, 3, 4, 5, 6: same budget (5 steps) and seed, 2
    / layers each' broke over two lines at 80 columns, as did train's '... (length 10, hidden / 100, 2 layers)'."""
    r = cli(["compare", "--task", "recall", "--lengths", "2,3,4,5,6", "--layers", "2", "--steps", "5",
             "--cells", "rnn"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].rstrip() == "recall at lengths 2, 3, 4, 5, 6: same budget (5 steps) and seed, 2 layers each"
    assert max(map(len, lines)) <= 80
    r = cli(["train", "--task", "reverse", "--length", "10", "--layers", "2", "--steps", "2", "--hidden", "100",
             "--decoder", "attention"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].rstrip() == "lstm on reverse with attention (length 10, hidden 100, 2 layers)"
    assert max(map(len, lines)) <= 80


def test_a_sweep_title_too_long_for_80_columns_names_its_lengths_by_range(cli):
    """Eight lengths do not fit in the title at 80 columns: it gives their number and range (each is in the length
    column) and stays on one line."""
    r = cli(["compare", "--task", "recall", "--lengths", "2,3,4,5,6,7,8,10", "--layers", "2", "--steps", "10",
             "--cells", "rnn", "--hidden", "2"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].rstrip() == "recall at 8 lengths, 2-10: same budget (10 steps) and seed, 2 layers each"
    assert max(map(len, lines)) <= 80
    assert [ln.split()[1] for ln in lines[4:12]] == ["2", "3", "4", "5", "6", "7", "8", "10"]
