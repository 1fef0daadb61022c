"""Defects found using the language-model commands as a new user would, each pinned by a test."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cli.test_lm import model_file  # noqa: F401  (the module's small brackets model)
from tests.fuzzing import loads_strict


def interrupt_sampling_after(monkeypatch, n: int) -> None:
    """Ctrl-C while lm.sample makes character n (after n characters were written)."""
    from rnn_tutor.core import lm

    real = lm.sample

    def interrupted(*args, **kwargs):
        for k, chars in enumerate(real(*args, **kwargs)):
            if k == n:
                raise KeyboardInterrupt
            yield chars

    monkeypatch.setattr(lm, "sample", interrupted)


def test_a_tiny_positive_temperature_samples_the_greedy_text_not_nan(cli, model_file):  # noqa: F811
    # 1e-310 made logits / t infinite: every probability NaN, the "draw" always id 0, nulls in the JSON. The core
    # now divides the shifted logits (<= 0), so any positive temperature works and a tiny one is greedy.
    greedy = cli(["sample", model_file, "-n", "30", "--temperature", "0", "--format", "jsonl"])
    chars = [loads_strict(x)["char"] for x in greedy.stdout.splitlines()]
    assert len(set(chars)) > 1, chars  # a text that could be told from "always id 0"
    for t in ("1e-310", "5e-324", "1e-250"):
        r = cli(["sample", model_file, "-n", "30", "--temperature", t, "--format", "jsonl"])
        assert r.exit_code == 0 and "Warning" not in r.stderr, r.stderr
        rows = [loads_strict(x) for x in r.stdout.splitlines()]
        assert [x["char"] for x in rows] == chars and all(x["sampled_probability"] == 1.0 for x in rows), t


def test_a_tiny_temperature_from_python_is_greedy(model_file):  # noqa: F811
    import warnings

    from rnn_tutor.core import lm
    from rnn_tutor.core.savedmodel import load_model

    m = load_model(model_file).model
    greedy = [c[0].id for c in lm.sample(m, 30, temperature=0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warning either
        tiny = [c[0] for c in lm.sample(m, 30, temperature=1e-310, seed=3)]
    assert [c.id for c in tiny] == greedy and all(c.sampled_probability == 1.0 for c in tiny)
    p = lm.tempered(np.array([[2.0, 1.0, -3.0], [0.5, 0.5, 0.0]]), 1e-310)
    assert p.tolist() == [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]  # a tie keeps its halves, nothing is NaN


def test_a_bad_temperature_is_echoed_as_typed(cli, model_file):  # noqa: F811
    r = cli(["sample", model_file, "-n", "3", "--temperature", "-1"])
    assert r.exit_code == 2 and "got '-1'" in r.stderr and "-1.0" not in r.stderr, r.stderr
    r = cli(["sample", model_file, "-n", "3", "--temperature", "1000"])
    assert r.exit_code == 2 and "got '1000'" in r.stderr, r.stderr


def test_ctrl_c_while_sampling_ends_the_line(cli, model_file, monkeypatch):  # noqa: F811
    interrupt_sampling_after(monkeypatch, 5)
    r = cli(["sample", model_file, "-n", "50", "--prime", "(owl"])
    assert r.exit_code == 130 and len(r.stdout) == 6 and r.stdout.endswith("\n"), repr(r.stdout)


def test_inspect_names_the_text_it_read(cli, model_file):  # noqa: F811
    r = cli(["inspect", model_file, "--text", "(owl [cat])"])
    assert r.exit_code == 0 and "reading the text given (--text)" in r.stdout, r.stdout


def test_the_compare_sentence_lists_three_cells_with_one_and():
    from rnn_tutor.cli.lmtext import compare_sentence

    rows = [{"cell": c, "bpc": b, "closers_right": None} for c, b in (("rnn", 1.42), ("gru", 1.44), ("lstm", 1.41))]
    text = compare_sentence(rows, {"ngram_bpc": 1.55, "ngram_order": 5, "budget": 300}, False)
    assert "lstm, rnn and gru went below it." in text, text  # was "lstm and rnn and gru"


def test_the_training_table_says_when_it_leaves_evaluations_out(cli):
    from tests.cli.test_lm import TINY

    args = ["train", "--task", "text", *TINY[:4], "--steps", "14", "--batch", "4", "--length", "20",
            "--eval-every", "1", "--sample-every", "0"]
    r = cli(args)
    assert r.exit_code == 0, r.stderr
    assert "12 of the 15 evaluations shown (every one in --format csv or json)" in " ".join(r.stdout.split())
    assert "characters of training text" in r.stdout
    assert len(cli(args + ["--format", "csv"]).stdout.splitlines()) == 16  # header + every evaluation


def test_predict_on_a_language_model_does_not_ask_for_another_length(cli, model_file):  # noqa: F811
    # it said "the model was trained at T = 100 ... train one at that length: --length 9": a language model reads
    # a stream, its --length is the BPTT chunk
    r = cli(["predict", model_file, "--input", "(owl [cat"])
    assert r.exit_code == 0 and "†" not in r.stdout and "--length" not in r.stdout + r.stderr, r.stdout
    data = loads_strict(cli(["predict", model_file, "--input", "(owl [cat", "--format", "json"]).stdout)
    assert [p["other_length"] for p in data["predictions"]] == [False]


def test_sample_csv_streams_as_its_help_says(cli, model_file, monkeypatch):  # noqa: F811
    # the help said "json and csv all of them at the end"; csv rows go out one per character
    interrupt_sampling_after(monkeypatch, 4)
    r = cli(["sample", model_file, "-n", "50", "--format", "csv"])
    assert r.exit_code == 130 and r.stdout.count("\n") >= 5  # the header and the 4 characters made
    help_text = " ".join(cli(["sample", "--help"]).stdout.split())
    assert "json and csv all of them at the end" not in help_text and "csv one row per character" in help_text


def test_sample_json_mean_bits_is_not_the_mean_of_the_finite_ones(cli, tmp_path):
    # characters the model gives probability 0 (exp(-800) underflows) that a temperature of 100 still draws: their
    # bits are infinite, and mean_bits left them out of the sum but not of the count
    import numpy as np

    from rnn_tutor.core import cells

    chars = "ab" + "".join(chr(0x100 + i) for i in range(198))
    V = len(chars)
    p = cells.init_params("rnn", V, 1, dtype=np.float32)
    bias = np.full(V, -800.0, np.float32)
    bias[:2] = 0.0
    np.savez(tmp_path / "sd.npz", **p, **{"fc.weight": np.zeros((V, 1), np.float32), "fc.bias": bias})
    r = cli(["sample", str(tmp_path / "sd.npz"), "--vocab", chars, "-n", "400", "--temperature", "100",
             "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert any(c["probability"] == 0.0 for c in data["chars"])
    assert data["mean_bits"] is None and data["mean_bits_infinite"] is True
    r = cli(["sample", str(tmp_path / "sd.npz"), "--vocab", chars, "-n", "20", "--temperature", "1",
             "--format", "json"])
    data = loads_strict(r.stdout)
    assert data["mean_bits_infinite"] is False and data["mean_bits"] == pytest.approx(1.0)  # a or b, 1/2 each
