import csv
import io

import pytest

from tests.fuzzing import loads_strict


def test_default_is_the_lessons_exercise(cli):
    r = cli(["trace"])
    assert r.exit_code == 0, r.stderr
    for value in ["0.5", "1.25", "2.125", "3.0625", "4.03125"]:
        assert value in r.stdout
    assert "16 times" in r.stdout
    assert "The=1" in r.stdout and "jumps=5" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_json_shape_and_numbers(cli):
    r = cli(["trace", "--format", "json"])
    assert r.exit_code == 0
    data = loads_strict(r.stdout)
    assert [s["h"] for s in data["steps"]] == [0.5, 1.25, 2.125, 3.0625, 4.03125]
    assert {"t", "token", "x", "h_prev", "h"} <= set(data["steps"][0])
    assert {"t", "token", "sensitivity", "contribution"} <= set(data["influence"][0])
    assert data["final"] == 4.03125
    assert data["half_life"] == 1.0
    assert sum(i["contribution"] for i in data["influence"]) == data["final"]
    assert r.stderr == ""


def test_two_weights_side_by_side(cli):
    r = cli(["trace", "-w", "0.5", "-w", "0.9", "--format", "json"])
    data = loads_strict(r.stdout)
    runs = data["runs"]
    assert [d["weight"] for d in runs] == [0.5, 0.9]
    assert runs[1]["final"] == 6.57205 and runs[1]["final_exact"] == "131441/20000"
    assert runs[1]["half_life"] == pytest.approx(6.5788135)
    assert data["final"] == runs[0]["final"] == 4.03125  # the first run stays at the top level
    t = cli(["trace", "-w", "0.5", "-w", "0.9"])
    assert "h_t (w=0.9)" in t.stdout and "6.57205" in t.stdout


def test_csv_one_row_per_step(cli):
    r = cli(["trace", "-f", "csv", "-w", "0.5", "-w", "0.9"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 10
    assert rows[4]["h"] == "4.03125" and rows[4]["weight"] == "0.5"


def test_values_and_stdin(cli):
    a = loads_strict(cli(["trace", "--values", "1,2,3", "-f", "json"]).stdout)
    b = loads_strict(cli(["trace", "-", "-f", "json"], input="1\n2 3\n").stdout)
    c = loads_strict(cli(["trace", "--values", "-", "-f", "json"], input="1,2,3").stdout)
    assert a["steps"] == b["steps"] == c["steps"]
    assert a["vocabulary"] is None


def test_file_input(cli, tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("1\n2\n3\n")
    assert loads_strict(cli(["trace", str(p), "-f", "json"]).stdout)["final"] == 2.125


def test_tanh_and_bias(cli):
    data = loads_strict(cli(["trace", "--values", "1 2", "-a", "tanh", "-b", "0.1", "--h0", "0.2", "-f", "json"]).stdout)
    import math

    h1 = math.tanh(0.5 * 0.2 + 0.5 * 1 + 0.1)
    assert data["steps"][0]["h"] == pytest.approx(h1)
    assert "contribution" not in data["influence"][0]


def test_overflow_is_valid_json_with_flag(cli):
    r = cli(["trace", "-w", "10", "--values", ",".join(["1"] * 400), "-f", "json"])
    assert r.exit_code == 0
    data = loads_strict(r.stdout)
    assert data["overflow"] is True and data["final"] is None
    assert "overflow" in r.stderr
    t = cli(["trace", "-w", "10", "--values", ",".join(["1"] * 400)])
    assert "overflow" in t.stdout


@pytest.mark.parametrize("args,input,option", [
    (["trace", "--values", "1,abc"], None, "--values"),
    (["trace", "--sentence", "?!"], None, "--sentence"),
    (["trace", "-"], "", "INPUT"),
    (["trace", "-"], "   \n", "INPUT"),
    (["trace", "-w", "nan"], None, "--weight"),
    (["trace", "-w", "inf"], None, "--weight"),
    (["trace", "--values", "1,inf"], None, "--values"),
    (["trace", "-a", "softmax"], None, "--activation"),
    (["trace", "--bias", "x"], None, "--bias"),
    (["trace", "--values", "1", "--sentence", "a b"], None, "--values"),
    (["trace", "--format", "xml"], None, "--format"),
])
def test_bad_input_exits_2_naming_the_option(cli, args, input, option):
    r = cli(args, input=input)
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert option in r.stderr
    assert r.stderr.startswith("Error")
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_missing_file_exits_1(cli):
    r = cli(["trace", "no-such-file.txt"])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: no such file")


def test_practice_piped_right_and_wrong(cli):
    r = cli(["trace", "--practice"], input="0.5\n1.2\n2.125\n49/16\n4.03125\n16\n")
    assert r.exit_code == 0, r.stderr
    assert "Score: 5 right of 6." in r.stdout
    assert "h_2 = w*h_1 + u*x_2 = 0.5 * 0.5 + 0.5 * 2 = 0.25 + 1 = 1.25" in r.stderr
    assert r.stderr.count("✓") == 5


def test_practice_json_and_early_end(cli):
    r = cli(["trace", "--practice", "-f", "json", "-w", "0.9"], input="0.5\nnot a number\n1.45\nq\n")
    data = loads_strict(r.stdout)
    assert data["score"] == 2 and data["answered"] == 2 and data["finished"] is False
    assert "not a number" in r.stderr
    e = cli(["trace", "--practice", "-f", "json"], input="")
    assert loads_strict(e.stdout)["answered"] == 0


def test_practice_single_weight_only(cli):
    r = cli(["trace", "--practice", "-w", "0.5", "-w", "0.9"], input="1\n")
    assert r.exit_code == 2 and "--weight" in r.stderr


def test_stream_jsonl(cli):
    r = cli(["trace", "--stream", "-f", "jsonl"], input="1\n2\nbad\n3\n")
    assert r.exit_code == 0
    lines = [loads_strict(line) for line in r.stdout.splitlines()]
    assert [l["h"] for l in lines] == [0.5, 1.25, 2.125]
    assert "line 3: must be a number, got 'bad'; skipped" in r.stderr


def test_stream_table_csv_json(cli):
    t = cli(["trace", "--stream", "-w", "0.5", "-w", "0.9"], input="1\n2\n")
    assert "1.45" in t.stdout and "1.25" in t.stdout
    c = cli(["trace", "--stream", "-f", "csv"], input="1\n2\n")
    assert c.stdout.splitlines()[0] == "t,x,weight,h_prev,h,h_exact,overflow"
    j = loads_strict(cli(["trace", "--stream", "-f", "json"], input="1 2 3").stdout)
    assert j["final"] == 2.125


def test_stream_empty_is_an_error(cli):
    r = cli(["trace", "--stream"], input="")
    assert r.exit_code == 2 and "--stream" in r.stderr


def test_stream_overflow(cli):
    r = cli(["trace", "--stream", "-w", "1e200", "-f", "jsonl"], input="1e200\n1e200\n1\n")
    lines = [loads_strict(line) for line in r.stdout.splitlines()]
    assert lines[-1]["h"] is None and lines[-1]["overflow"] is True
