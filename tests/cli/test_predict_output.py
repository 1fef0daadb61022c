"""What predict shows (issue 12 §5): a word when the input's length is not the trained one, and tagging output
with each tag under its word."""

from __future__ import annotations

import json
import re

import pytest


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from tests.fuzzing import invoke

    folder = tmp_path_factory.mktemp("models")
    out = {}
    for task in ("order", "tagging"):
        path = folder / f"{task}.npz"
        r = invoke(["train", "--task", task, "-n", "1", "--eval-size", "8", "-H", "2", "--save", str(path),
                    "--format", "json"])
        assert r.exit_code == 0, r.stderr
        out[task] = str(path)
    return out


def test_another_length_is_said_beside_the_answer_and_in_json(cli, models):
    short = "the dog bit the man"  # 5 words; the order model was trained at its default T = 8
    fits = "the big old dog bit the small man"
    data = json.loads(cli(["predict", models["order"], "-i", short, "-i", fits, "--format", "json"]).stdout)
    assert data["trained_length"] == 8
    (a, b) = data["predictions"]
    assert (a["length"], a["other_length"]) == (5, True) and (b["length"], b["other_length"]) == (8, False)
    table = cli(["predict", models["order"], "-i", short, "-i", fits]).stdout
    rows = [ln for ln in table.splitlines() if ln.lstrip().startswith("the ")]
    assert "†" in rows[0] and "†" not in rows[1]  # beside the answer of the short input only
    assert "† Given T = 5: the model was trained at T = 8" in " ".join(table.split())
    plain = cli(["predict", models["order"], "-i", fits]).stdout
    assert "†" not in plain and "trained at T" not in plain
    csv = cli(["predict", models["order"], "-i", short, "--format", "csv"]).stdout.splitlines()
    assert csv[0].endswith("length,other_length") and csv[1].endswith("5,true")


def _columns(line: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", line)]


def test_tagging_keeps_each_tag_under_its_word(cli, models):
    r = cli(["predict", models["tagging"], "--samples", "3", "--length", "20"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    rows = [i for i, ln in enumerate(lines) if ln.lstrip().startswith("words ")]
    assert len(rows) >= 3  # 20 words do not fit one block at 80 columns: several blocks per sample
    words_seen = 0
    for i in rows:
        words, model, right = lines[i], lines[i + 1], lines[i + 2]
        assert model.lstrip().startswith("model ") and right.lstrip().startswith("right ")
        assert _columns(words) == _columns(model) == _columns(right), (words, model, right)
        words_seen += len(_columns(words)) - 1
    assert words_seen == 3 * 20
    short = cli(["predict", models["tagging"], "-i", "the duck saw a big fly ."]).stdout
    assert "(trained at T = 20, given 7)" in short
    assert max(len(ln) for ln in lines) <= 80
