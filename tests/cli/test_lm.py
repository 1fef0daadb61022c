"""The language model on the command line: ``train --task text``, ``sample``, ``inspect``, ``compare --task text``,
with every bad input of the issue (exit 2 and a message that says what is wrong)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.fuzzing import loads_strict

TINY = ["--max-chars", "6000", "--hidden", "8", "--steps", "4", "--batch", "4", "--length", "20",
        "--eval-every", "2"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from tests.fuzzing import invoke

    path = tmp_path_factory.mktemp("lm") / "b.npz"
    r = invoke(["train", "--task", "text", "--text", "brackets", *TINY, "--save", str(path), "--sample-every", "0"])
    assert r.exit_code == 0, r.stderr
    return str(path)


def test_train_text_table_and_json(cli):
    r = cli(["train", "--task", "text", *TINY, "--sample-every", "2"])
    assert r.exit_code == 0, r.stderr
    assert "held-out bpc" in r.stdout and "best n-gram" in r.stdout and "log2 " in r.stdout
    assert r.stderr.count("sample at step") == 3  # steps 0, 2, 4: noise turning into text
    data = loads_strict(cli(["train", "--task", "text", *TINY, "--format", "json"]).stdout)
    assert data["bpc"] == pytest.approx(data["loss"] / math.log(2))
    assert data["uniform_bpc"] == pytest.approx(math.log2(data["vocab_size"]))
    ng = data["ngram"]
    assert ng["smoothing"] == "interpolated Kneser-Ney" and ng["bpc"] == min(ng["by_order"].values())
    assert ng["by_order"][str(ng["order"])] == ng["bpc"] and set(ng["by_order"]) == {str(k) for k in range(1, 9)}
    assert data["records"][-1]["bpc"] == pytest.approx(data["bpc"]) and data["text"] == "brackets"
    assert data["valid"] == "the last 10% of brackets" and data["characters"] == 4 * 4 * 20
    lines = cli(["train", "--task", "text", *TINY, "--format", "jsonl"]).stdout.splitlines()
    assert [loads_strict(x)["event"] for x in lines] == ["eval"] * 3 + ["final"]
    csv = cli(["train", "--task", "text", *TINY, "--format", "csv"]).stdout.splitlines()
    assert csv[0].startswith("step,characters,bpc")


def test_train_text_is_reproducible(cli):
    a = loads_strict(cli(["train", "--task", "text", *TINY, "--format", "json"]).stdout)
    b = loads_strict(cli(["train", "--task", "text", *TINY, "--format", "json"]).stdout)
    assert a["bpc"] == b["bpc"] and a["records"][1]["loss"] == b["records"][1]["loss"]


def test_train_from_stdin_and_with_a_valid_file(cli, tmp_path):
    text = "the quick brown fox jumps over the lazy dog\n" * 40
    r = cli(["train", "--task", "text", "--text", "-", *TINY[2:], "--format", "json"], input=text)
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["text"] == "stdin" and data["vocab_size"] == len(set(text))
    v = tmp_path / "valid.txt"
    v.write_text("a lazy dog jumps over the quick brown fox\n" * 10)
    r = cli(["train", "--task", "text", "--text", "-", "--valid", str(v), *TINY[2:], "--format", "json"], input=text)
    assert loads_strict(r.stdout)["valid"] == str(v)


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (a NUL byte at offset 8"),
    (b"plain text then caf\xe9", "not UTF-8 text: byte 0xe9 at offset 19"),
    (b"short text", "needs at least 81"),
    (b"aaaaaaaaaa" * 50, "only one distinct character"),
])
def test_bad_text_files_exit_2(cli, tmp_path, content, words):
    f = tmp_path / "t.txt"
    f.write_bytes(content)
    r = cli(["train", "--task", "text", "--text", str(f), *TINY[2:]])
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert "--text" in r.stderr and words in r.stderr, r.stderr
    r = cli(["train", "--task", "text", "--text", "-", *TINY[2:]], input=content)
    assert r.exit_code == 2 and words.split(" (")[0].split(":")[0] in r.stderr


def test_other_bad_text_options(cli, tmp_path):
    for args, words in ((["--text", str(tmp_path / "nope.txt")], "does not exist"),
                        (["--text", str(tmp_path)], "is a folder"),
                        (["--text", ""], "is empty"),
                        (["--max-chars", "10"], "--max-chars"),
                        (["--text", "-", "--valid", "-"], "stdin can be read once")):
        r = cli(["train", "--task", "text", *args, "--steps", "2", "--batch", "4", "--length", "20"], input="ab" * 99)
        assert r.exit_code == 2 and words in r.stderr, (args, r.stderr)


def test_a_large_vocabulary_keeps_the_most_frequent_and_says_how_many(cli):
    text = "".join(chr(0x4E00 + i % 400) for i in range(20_000))  # 400 distinct characters
    r = cli(["train", "--task", "text", "--text", "-", *TINY[2:], "--format", "json"], input=text)
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["vocab_size"] == 256 and data["unknown"] == 20_000 * 145 // 400
    assert "unknown symbol" in r.stderr and f"{data['unknown']:,}" in r.stderr


def test_sample_streams_is_seeded_and_greedy_at_zero(cli, model_file):
    a = cli(["sample", model_file, "--length", "50", "--seed", "3"])
    assert a.exit_code == 0, a.stderr
    assert a.stdout == cli(["sample", model_file, "--length", "50", "--seed", "3"]).stdout
    assert a.stdout != cli(["sample", model_file, "--length", "50", "--seed", "4"]).stdout
    lines = cli(["sample", model_file, "-n", "20", "-t", "0", "--prime", "(owl", "-f", "jsonl"]).stdout.splitlines()
    objs = [loads_strict(x) for x in lines]
    assert len(objs) == 20 and all(o["sampled_probability"] == 1.0 for o in objs)
    from rnn_tutor.core import lm, train

    m = train.load_model(model_file).model
    st = lm.Stepper(m)
    vocab = lm.vocab_of(m.task)
    for ch in "(owl":
        p = st.step([vocab.chars.index(ch)])[0]
    for o in objs:  # temperature 0 = the argmax at every step
        assert o["id"] == int(np.argmax(p)) and o["probability"] == pytest.approx(p.max())
        p = st.step([o["id"]])[0]
    data = loads_strict(cli(["sample", model_file, "-n", "10", "-f", "json"]).stdout)
    assert len(data["text"]) == 10 and len(data["chars"]) == 10
    assert cli(["sample", model_file, "-n", "5", "-f", "csv"]).stdout.splitlines()[0] == \
        "index,char,probability,sampled_probability"


def test_sample_bad_inputs(cli, model_file, tmp_path):
    for args, code, words in ((["--prime", "(zq"], 2, "'z' is not a character the model knows"),
                              (["--temperature", "-1"], 2, "--temperature"),
                              (["--temperature", "nan"], 2, "--temperature"),
                              (["--length", "0"], 2, "--length"),
                              (["--format", "xml"], 2, "--format")):
        r = cli(["sample", model_file, *args])
        assert r.exit_code == code and words in r.stderr, (args, r.stderr)
    from tests.fuzzing import invoke

    toy = tmp_path / "toy.npz"
    invoke(["train", "--task", "recall", "--steps", "1", "--eval-size", "4", "--length", "3", "--save", str(toy)])
    r = cli(["sample", str(toy)])
    assert r.exit_code == 1 and "not a language model" in r.stderr
    assert cli(["sample", str(tmp_path / "none.npz")]).exit_code == 1


def test_inspect_shades_with_strips_and_json(cli, model_file):
    text = "(owl [cat (fox) bee] [gnu])\n(ant)"
    r = cli(["inspect", model_file, "--text", text, "--unit", "0:3", "--show", "c"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "c 0:3" in lines[0] and "\x1b[" not in r.stdout
    assert lines[1] == "(owl [cat (fox) bee] [gnu])⏎" and set(lines[2]) <= set("▁▂▃▄▅▆▇█") and len(lines[2]) == 28
    data = loads_strict(cli(["inspect", model_file, "--text", text, "--unit", "0:3", "--format", "json"]).stdout)
    assert [c["char"] for c in data["chars"]] == list(text)
    from rnn_tutor.core import train, units

    reading = units.read(train.load_model(model_file).model, text)
    assert [c["bits"] for c in data["chars"]] == pytest.approx(list(reading.bits))
    assert [c["activations"]["h 0:3"] for c in data["chars"]] == pytest.approx(list(reading.unit(0, 3)))
    s = loads_strict(cli(["inspect", model_file, "--text", text, "--surprise", "--format", "json"]).stdout)
    assert [c["activations"]["bits"] for c in s["chars"]] == pytest.approx(list(reading.bits))


def test_inspect_find_ranks_units(cli, model_file):
    r = cli(["inspect", model_file, "--find", "--max-chars", "3000"])
    assert r.exit_code == 0, r.stderr
    assert "bracket depth" in r.stdout and "r =" in r.stdout
    data = loads_strict(cli(["inspect", model_file, "--find", "--max-chars", "3000", "--top", "2",
                             "--format", "json"]).stdout)
    by = {f["feature"]: f for f in data["features"]}
    assert len(by["bracket depth"]["units"]) == 2 and by["digit"]["units"] == []
    rs = [abs(u["r"]) for u in by["bracket depth"]["units"]]
    assert rs == sorted(rs, reverse=True) and all(r <= 1 for r in rs)


def test_inspect_bad_inputs(cli, model_file, tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"\x00\x01")
    for args, words in ((["--unit", "1:0"], "layer 1 does not exist"), (["--unit", "0:99"], "unit 99 does not exist"),
                        (["--unit", "a:b"], "LAYER:INDEX"), (["--show", "r"], "--show"),
                        (["--text", ""], "is empty"), (["--file", str(f)], "binary"),
                        (["--text", "(a", "--file", str(f)], "not both"), (["--text", "ZZ"], "'Z' is not")):
        r = cli(["inspect", model_file, *args])
        assert r.exit_code == 2 and words in r.stderr, (args, r.stderr)


def test_compare_text(cli):
    r = cli(["compare", "--task", "text", "--cells", "rnn,lstm", *TINY, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    rows = loads_strict(r.stdout)  # one object per cell, as compare's other tasks
    assert [row["cell"] for row in rows] == ["rnn", "lstm"]
    data = rows[0]
    assert data["ngram_bpc"] == min(data["ngram_by_order"].values()) and data["closers"] > 0
    assert all(0 <= row["closers_right"] <= 1 for row in rows) and 0 <= data["ngram_closers"] <= 1
    assert all(row["bpc"] == pytest.approx(row["curve"][-1]) for row in rows)
    table = cli(["compare", "--task", "text", "--cells", "gru", *TINY]).stdout
    assert "right closer" in table and "-gram" in table
    assert cli(["compare", "--task", "text", "--lengths", "2,3"]).exit_code == 2


def test_predict_on_a_language_model(cli, model_file):
    data = loads_strict(cli(["predict", model_file, "--input", "(owl [cat", "--format", "json"]).stdout)
    p = data["predictions"][0]
    assert p["input"] == "(owl [cat" and len(eval(p["prediction"])) == 1 and 0 < p["confidence"] <= 1
    r = cli(["predict", model_file])
    assert r.exit_code == 2 and "rnn-tutor sample" in r.stderr


def test_ctrl_c_keeps_and_saves_the_language_model(tmp_path):
    """A real process: SIGINT while it trains -> exit 130, the final JSON line, a model that samples."""
    import json
    import os
    import subprocess
    import sys

    from tests.cli.test_train import _default_sigint, _interrupt

    path = tmp_path / "lm.npz"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    p = subprocess.Popen(
        [sys.executable, "-m", "rnn_tutor", "train", "--task", "text", *TINY[:8], "--steps", "1000000",
         "--eval-every", "3", "--save", str(path), "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        preexec_fn=_default_sigint,
    )
    seen = [p.stdout.readline() for _ in range(2)]
    out, err = _interrupt(p)
    assert p.returncode == 130, err
    lines = [json.loads(x) for x in seen + out.splitlines() if x.strip()]
    assert lines[-1]["event"] == "final" and lines[-1]["interrupted"] is True and lines[-1]["saved"] == str(path)
    assert lines[-1]["bpc"] is not None and "Interrupted" in err and "Traceback" not in err
    from tests.fuzzing import invoke

    assert invoke(["sample", str(path), "-n", "5"]).exit_code == 0


def test_text_options_belong_to_the_text_task(cli):
    r = cli(["train", "--task", "recall", "--text", "brackets", "--steps", "1"])
    assert r.exit_code == 2 and "--text" in r.stderr and "is for --task text" in r.stderr
