"""``train --decoder attention``, ``predict --attention`` (the heat map) and ``compare --decoders``."""

from __future__ import annotations

import re

import pytest

from tests.fuzzing import invoke, loads_strict

ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from rnn_tutor.core import train as core

    folder = tmp_path_factory.mktemp("attention-models")
    out = {}
    for name, task, decoder, score, steps in (("reverse", "reverse", "attention", None, 400),
                                              ("reorder", "reorder", "attention", "dot", 40),
                                              ("plain", "reverse", "plain", None, 5), ("adding", "adding", "plain",
                                                                                      None, 2)):
        r = core.train(core.TrainConfig(task=task, decoder=decoder, score=score, steps=steps, eval_every=steps,
                                        eval_size=32, stop_at=0.99))
        out[name] = str(core.save_model(folder / f"{name}.npz", r))
    return out


def test_train_saves_an_attention_model(tmp_path):
    path = tmp_path / "m.npz"
    r = invoke(["train", "--task", "reverse", "--decoder", "attention", "--score", "dot", "--steps", "4",
                "--eval-every", "2", "--eval-size", "8", "--hidden", "4", "--save", str(path), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)
    assert (d["decoder"], d["score"]) == ("attention", "dot") and 0 <= d["sequence_accuracy"] <= 1
    assert all("sequence_accuracy" in rec for rec in d["records"])
    import numpy as np

    with np.load(path) as z:
        assert str(z["meta_decoder_kind"]) == "attention" and "meta_attention.combine.weight" in z.files
    r = invoke(["train", "--task", "reverse", "--steps", "2", "--eval-every", "2", "--eval-size", "8", "--format",
                "json"])
    d = loads_strict(r.stdout)
    assert (d["decoder"], d["score"]) == ("plain", None)  # plain stays the default
    r = invoke(["train", "--task", "adding", "--steps", "2", "--format", "json"])
    assert "decoder" not in loads_strict(r.stdout)  # tasks without a decoder say nothing about one


def test_train_table_names_the_decoder():
    r = invoke(["train", "--task", "reorder", "--decoder", "attention", "--steps", "2", "--eval-every", "2",
                "--eval-size", "8", "--hidden", "4"])
    assert r.exit_code == 0, r.stderr
    assert "reorder with attention" in r.stdout and "Bahdanau, Cho & Bengio 2014" in r.stdout
    assert "right in every symbol" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


@pytest.mark.parametrize("args,option", [
    (["train", "--task", "reverse", "--decoder", "transformer"], "--decoder"),
    (["train", "--task", "adding", "--decoder", "attention"], "--decoder"),
    (["train", "--task", "tagging", "--decoder", "attention"], "--decoder"),
    (["train", "--task", "reverse", "--score", "dot"], "--score"),
    (["train", "--task", "reverse", "--decoder", "attention", "--score", "cosine"], "--score"),
    (["train", "--task", "reverse", "--decoder", "attention", "--length", "1001"], "--length"),
    (["compare", "--task", "adding", "--decoders", "plain,attention"], "--decoders"),
    (["compare", "--task", "reverse", "--decoders", "plain,lstm"], "--decoders"),
    (["compare", "--task", "reverse", "--decoders", "attention,additive"], "--decoders"),
    (["compare", "--task", "reverse", "--decoders", ","], "--decoders"),
    (["compare", "--task", "reverse", "--decoders", "plain,attention", "--lengths", "2,1001"], "--lengths"),
])
def test_bad_choices_exit_2_naming_the_option(args, option):
    r = invoke([*args, "--steps", "1", "--format", "json"])
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert option in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_heat_map_reads_at_80_columns_without_colour(models):
    r = invoke(["predict", models["reverse"], "--input", "a b c d e f", "--attention"], env={"NO_COLOR": "1"})
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert not ANSI.search(out)
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "rows = output steps, columns = inputs" in out
    rows = [line for line in out.splitlines() if "→" in line]
    assert len(rows) == 6
    # reversal is the anti-diagonal: row t's largest weight is on input 7 - t, and every row names it
    for t, line in enumerate(rows, start=1):
        assert f"→ {7 - t} " in line, line
        assert re.search(r"[▓█]", line)
    assert "anti-diagonal): 6 of 6 rows" in out


def test_heat_map_of_long_words_numbers_its_columns(models):
    long_input = "the big small old young brown quick dog chased the small quick brown old young man"
    r = invoke(["predict", models["reorder"], "--input", long_input, "--attention"])
    assert r.exit_code == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "inputs: 1 the, 2 big" in r.stdout  # the key that names the numbered columns
    wide = "a " * 300
    r = invoke(["predict", models["reverse"], "--input", wide, "--attention"])
    assert r.exit_code == 0, r.stderr
    assert "drawn for inputs of up to 200 tokens" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    r = invoke(["predict", models["reverse"], "--input", "a " * 90, "--attention"])  # cut into blocks
    assert "inputs 1-" in r.stdout and max(len(line) for line in r.stdout.splitlines()) <= 80


def test_heat_map_numbers_in_json_and_csv(models):
    r = invoke(["predict", models["reverse"], "-i", "a b c d e f", "-i", "h g f e d c", "--attention",
                "--format", "json"])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)
    assert (d["decoder"], d["score"]) == ("attention", "additive")
    for p in d["predictions"]:
        a = p["attention"]
        assert len(a["weights"]) == 6 and all(len(row) == 6 for row in a["weights"])
        assert all(abs(sum(row) - 1) < 1e-9 for row in a["weights"])
        assert a["outputs"] == p["prediction"].split() and a["inputs"] == p["input"].split()
        assert a["peaks"] == [5, 4, 3, 2, 1, 0]
    r = invoke(["predict", models["reverse"], "-i", "a b c d e f", "-i", "a b c", "--attention", "-f", "jsonl"])
    lines = [loads_strict(line) for line in r.stdout.splitlines()]
    assert [d["input"] for d in lines] == ["a b c d e f", "a b c"] and len(lines[1]["attention"]["weights"]) == 3
    r = invoke(["predict", models["reverse"], "-i", "a b c d e f", "--attention", "--format", "csv"])
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "example,output_step,output,expected,input_step,input,weight"
    assert len(lines) == 1 + 36
    first = lines[1].split(",")
    assert first[:6] == ["1", "1", "f", "f", "1", "a"] and 0 <= float(first[6]) <= 1


def test_attention_on_a_model_without_it_exits_2(models):
    for name, words in (("plain", "plain decoder"), ("adding", "no decoder")):
        r = invoke(["predict", models[name], "--attention", "--format", "json"])
        assert r.exit_code == 2 and "--attention" in r.stderr and words in r.stderr, r.stderr
        assert r.stdout == ""
    r = invoke(["predict", models["reverse"], "--input", "a " * 1001, "--format", "json"])
    assert r.exit_code == 2 and "1,000" in r.stderr


def test_plain_predictions_of_an_attention_model(models):
    r = invoke(["predict", models["reorder"], "--samples", "3", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)
    assert d["task"] == "reorder" and len(d["predictions"]) == 3
    assert all(len(p["expected"].split()) == 8 for p in d["predictions"])  # trained at the default length 8


def test_compare_decoders_json_and_table():
    args = ["compare", "--task", "reverse", "--lengths", "2,5", "--decoders", "plain,attention", "--steps", "60",
            "--eval-every", "30"]
    r = invoke([*args, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    rows = loads_strict(r.stdout)
    assert [(d["decoder"], d["score"], d["length"]) for d in rows] == [
        ("plain", None, 2), ("attention", "additive", 2), ("plain", None, 5), ("attention", "additive", 5)]
    assert all(d["cell"] == "lstm" and d["hidden"] == 16 and d["budget"] == 60 and d["seed"] == 0 for d in rows)
    assert all(0 <= d["sequence_accuracy"] <= d["accuracy"] <= 1 for d in rows)
    assert rows[0]["decoders"] == ["plain", "additive"]
    assert rows[0]["summary"].startswith("Outputs right in every symbol: plain")
    r = invoke(args)
    assert r.exit_code == 0, r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert "whole" in r.stdout and "additive" in r.stdout
    table, _, sentence = r.stdout.partition("Outputs right in every symbol")
    shown = set(re.findall(r"\d+\.\d%", table))
    assert set(re.findall(r"\d+\.\d%", sentence)) <= shown  # the sentence quotes the table's numbers
    r = invoke([*args, "--format", "csv"])
    assert r.stdout.splitlines()[0].startswith("decoder,score,cell,length,sequence_accuracy")


def test_decoder_sentence_names_the_first_failing_length():
    from rnn_tutor.core.decoders import decoder_sentence, first_plain_failure
    from rnn_tutor.core.compare import CompareRow

    def row(decoder, length, whole):
        return CompareRow("lstm", whole, 0.1, None, None, 100, 1.0, 10, (whole,), length=length, decoder=decoder,
                          score=None if decoder == "plain" else "additive", sequence_accuracy=whole)

    rows = [row("plain", 4, 0.9), row("attention", 4, 1.0), row("plain", 8, 0.389), row("attention", 8, 0.992),
            row("plain", 16, 0.0), row("attention", 16, 0.975)]
    assert first_plain_failure(rows) == 8
    s = decoder_sentence(rows, 16)
    assert "At length 8, the first where the plain decoder gets fewer than half right (38.9%)" in s
    assert "additive attention with the same lstm, hidden size 16, budget and seed gets 99.2%" in s
    assert "one state of 16 numbers" in s
    s = decoder_sentence([row("plain", 4, 0.9), row("attention", 4, 1.0)], 16)
    assert "at least half right at every length" in s
    s = decoder_sentence([row("plain", 8, 0.3), row("attention", 8, 0.35)], 16)
    assert "did not help" in s


def test_the_same_seed_gives_the_same_numbers():
    args = ["train", "--task", "reorder", "--decoder", "attention", "--steps", "6", "--eval-every", "3",
            "--eval-size", "16", "--hidden", "5", "--format", "json"]
    a, b = invoke(args), invoke(args)
    assert a.exit_code == 0, a.stderr

    def numbers(result):
        return [{k: v for k, v in rec.items() if k != "seconds"} for rec in loads_strict(result.stdout)["records"]]

    assert numbers(a) == numbers(b) and len(numbers(a)) == 3


@pytest.mark.slow
def test_the_comparison_bar_with_the_defaults():
    """Issue 14: at the first length where the plain decoder gets fewer than half of the outputs right, attention
    with the same cell, size and budget gets at least 95% (the run takes about 30 s of CPU)."""
    r = invoke(["compare", "--task", "reverse", "--lengths", "2,4,8,16,32", "--decoders", "plain,attention",
                "--format", "json"])
    assert r.exit_code == 0, r.stderr
    rows = loads_strict(r.stdout)
    at = rows[0]["first_plain_below_half"]
    assert at is not None
    attentive = next(d for d in rows if d["decoder"] == "attention" and d["length"] == at)
    assert attentive["sequence_accuracy"] >= 0.95
    assert all(d["sequence_accuracy"] >= 0.95 for d in rows if d["decoder"] == "attention")
