"""trace --practice, --worksheet and --step, piped (a real terminal is covered by tests/test_subprocess.py)."""

import csv
import io

from tests.fuzzing import loads_strict


def _practice(cli, answers, *args):
    return cli(["trace", "--practice", *args], input="".join(a + "\n" for a in answers))


def test_practice_rejects_wrong_arithmetic_and_accepts_right_rounding(cli):
    r = _practice(cli, ["0.5", "1.25", "2.125", "3.05", "4.02", "16"], "-f", "json")
    data = loads_strict(r.stdout)
    verdicts = {a["question"]: a["correct"] for a in data["answers"]}
    assert verdicts == {"h_1": True, "h_2": True, "h_3": True, "h_4": False, "h_5": False, "ratio": True}
    assert "h_4 = w*h_3 + u*x_4 = 0.5 * 2.125 + 0.5 * 4 = 1.0625 + 2 = 3.0625" in r.stderr  # the working
    for h4 in ("3.0625", "3.063", "3.062", "49/16"):
        d = loads_strict(_practice(cli, ["0.5", "1.25", "2.125", h4], "-f", "json").stdout)
        assert d["answers"][3]["correct"] is True, h4
        assert d["answers"][3]["given"] == h4  # echoed exactly as typed


def test_practice_echoes_the_answer_as_typed(cli):
    r = _practice(cli, ["0,50", "5/4"])
    assert "0,50" in r.stdout and "5/4" in r.stdout  # the table's "you typed" column
    assert "✓ right: h_1 = 0.5 exactly (1/2)" in r.stderr


def test_practice_asks_step_fives_ratio(cli):
    r = _practice(cli, ["0.5", "1.25", "2.125", "3.0625", "4.03125", "15"], "-f", "json")
    data = loads_strict(r.stdout)
    last = data["answers"][-1]
    assert last["question"] == "ratio" and last["expected"] == 16 and last["correct"] is False
    assert "dh_5/dx_5 = 0.5 and dh_5/dx_1 = 0.03125, so the ratio is 0.5 / 0.03125 = 16" in r.stderr
    assert "(|dh_5/dx_5| divided by |dh_5/dx_1|)" in r.stderr  # the answer is a ratio of sizes
    assert data["score"] == 5 and data["total"] == 6 and data["finished"] is True
    r = _practice(cli, ["0.5", "0.75", "1.125", "1.4375", "-8"], "-w", "-0.5", "--values", "1,2,3,4")
    assert "so the ratio is |0.5| / |-0.0625| = 8" in r.stderr  # never "0.5 / -0.0625 = 8"


def test_practice_score_line_when_stopping_early(cli):
    r = _practice(cli, ["0.5", "1.25", "2.125", "q"])
    assert "Score: 3 right of 3 answered; stopped at h_4 (question 4 of 6)." in r.stdout
    assert "stopped after" not in r.stdout
    done = _practice(cli, ["0.5", "1.25", "2.125", "3.0625", "4.03125", "16"])
    assert "Score: 6 right of 6." in done.stdout
    none = _practice(cli, [])
    assert "Score: none answered" in none.stdout


def test_practice_tolerance_is_opt_in(cli):
    strict = loads_strict(_practice(cli, ["0.5", "1.25", "2.125", "3.05"], "-f", "json").stdout)
    loose = loads_strict(_practice(cli, ["0.5", "1.25", "2.125", "3.05"], "-f", "json", "--tolerance", "0.01").stdout)
    assert strict["answers"][3]["correct"] is False and loose["answers"][3]["verdict"] == "tolerance"


def test_practice_tanh_three_digits(cli):
    r = _practice(cli, ["0.462", "0.46"], "-a", "tanh", "--values", "1 1", "-f", "json")
    d = loads_strict(r.stdout)
    assert d["answers"][0]["correct"] is True and d["answers"][1]["correct"] is False


def test_worksheet_piped(cli):
    r = cli(["trace", "--worksheet"])
    assert r.exit_code == 0, r.stderr
    assert "Worksheet: h_t = 0.5·h_{t-1} + 0.5·x_t" in r.stdout and "jumps" in r.stdout
    for answer in ("3.0625", "4.03125", "1.25"):
        assert answer not in r.stdout  # the computed columns are blank
    assert "Answer key" in r.stdout and max(len(line) for line in r.stdout.splitlines()) <= 80
    rows = list(csv.DictReader(io.StringIO(cli(["trace", "--worksheet", "-f", "csv"]).stdout)))
    assert [r_["token"] for r_ in rows] == ["The", "quick", "brown", "fox", "jumps"]
    assert all(r_["h"] == "" and r_["w_h_prev"] == "" and r_["u_x"] == "" for r_ in rows)
    md = cli(["trace", "--worksheet", "-f", "markdown"]).stdout
    assert "| 5 | jumps | 5 |  |  |  |" in md
    js = loads_strict(cli(["trace", "--worksheet", "-f", "json"]).stdout)
    assert js["rows"][0] == {"t": 1, "token": "The", "x": 1.0, "w_h_prev": None, "u_x": None, "h": None}


def test_step_mode_piped_one_line_per_step(cli):
    r = cli(["trace", "--step"], input="\n\n")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1].split()[:2] == ["2", "quick"] and "2.125" not in r.stdout
    assert "Stopped after step 2 of 5" in r.stderr
    q = cli(["trace", "--step"], input="\nq\n")
    assert q.stdout.splitlines()[-1].split()[:2] == ["1", "The"] and "1.25" not in q.stdout
    full = cli(["trace", "--step"], input="\n" * 6)
    assert "4.03125" in full.stdout and "16 times as much" in full.stdout
    assert full.stdout.count("jumps") >= 2  # the row, then the influence table


def test_step_mode_refuses_machine_formats(cli):
    r = cli(["trace", "--step", "-f", "json"], input="\n")
    assert r.exit_code == 2 and "--step" in r.stderr


def test_modes_are_exclusive(cli):
    r = cli(["trace", "--practice", "--worksheet"])
    assert r.exit_code == 2 and "only one of" in r.stderr


def test_practice_ratio_with_a_negative_weight_asks_and_works_with_sizes(cli):
    # w = -0.5 over four inputs: dh_4/dx_1 = 0.5 * (-0.5)^3 = -0.0625, so "0.5 / -0.0625" is -8, not 8; the
    # question asks how many times as much (a size), so both it and the working must say so.
    r = _practice(cli, ["0.5", "0.75", "1.125", "1.4375", "8"], "-w", "-0.5", "--values", "1,2,3,4", "-f", "json")
    data = loads_strict(r.stdout)
    assert data["answers"][-1]["expected"] == 8 and data["answers"][-1]["correct"] is True
    assert "(|dh_4/dx_4| divided by |dh_4/dx_1|" in r.stderr
    wrong = _practice(cli, ["0.5", "0.75", "1.125", "1.4375", "7"], "-w", "-0.5", "--values", "1,2,3,4")
    assert "0.5 / -0.0625 = 8" not in wrong.stderr
    assert "|0.5| / |-0.0625| = 8" in wrong.stderr


def test_practice_ratio_working_under_tanh_shows_the_answer_it_checks(cli):
    # dh_5/dx_5 / dh_5/dx_1 = 1972.5065...; the answer column says 1972.51, so the working must not say "= 1970"
    answers = ["0.462", "0.8429", "0.95804", "0.7526", "0.9829", "1970"]
    r = _practice(cli, answers, "--sentence", "The dog bit the man", "-a", "tanh", "-f", "json")
    last = loads_strict(r.stdout)["answers"][-1]
    assert last["correct"] is False and abs(last["expected"] - 1972.50654) < 1e-4
    assert "0.0169637 / 8.60009e-06 = 1972.51" in r.stderr
    assert "= 1970:" not in r.stderr
