"""``rnn-tutor predict``: a saved model on the user's input, stdin, random samples, and wrong files."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fuzzing import invoke, loads_strict


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from rnn_tutor.core import train as core

    folder = tmp_path_factory.mktemp("models")
    out = {}
    for name, cell, task, length, steps in (("recall", "lstm", "recall", 6, 150), ("adding", "gru", "adding", 6, 60),
                                            ("tagging", "rnn", "tagging", 8, 40), ("reverse", "lstm", "reverse", 3, 40),
                                            ("order", "lstm", "order", 6, 30)):
        r = core.train(core.TrainConfig(cell=cell, task=task, length=length, steps=steps, eval_every=steps,
                                        eval_size=64))
        out[name] = core.save_model(folder / f"{name}.npz", r)
    return out


def test_recall_on_user_input(models):
    r = invoke(["predict", str(models["recall"]), "--input", "c x y z w", "-i", "a w w w w", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)
    assert d["task"] == "recall" and d["cell"] == "lstm" and len(d["predictions"]) == 2
    p = d["predictions"]
    assert [x["expected"] for x in p] == ["C", "A"]
    assert [x["prediction"] for x in p] == ["C", "A"]  # 150 steps solve recall at length 6
    assert all(x["correct"] and 0 < x["confidence"] <= 1 for x in p)


def test_adding_reports_the_number(models):
    r = invoke(["predict", str(models["adding"]), "-i", "0.5* 0.2 -0.1* 0.3 0.0 0.9", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    p = loads_strict(r.stdout)["predictions"][0]
    assert p["target"] == pytest.approx(0.5 + 0.4 / 4) and isinstance(p["value"], float)
    assert p["correct"] == (abs(p["value"] - p["target"]) < 0.04)
    r = invoke(["predict", str(models["adding"]), "-i", "0.5* 0.2 -0.1* 0.3 0.0 0.9"])
    assert "0.5 + (sum of the two marked numbers) / 4" in r.stdout and "0.6000" in r.stdout  # the rule, said


def test_a_long_adding_input_shows_its_marked_numbers(models):
    """At length 100 the cut used to fall before the second marked number: now both are shown with positions."""
    values = ["0.10"] * 100
    values[2], values[70] = "-0.36*", "0.45*"
    r = invoke(["predict", str(models["adding"]), "-i", " ".join(values)])
    assert r.exit_code == 0, r.stderr
    assert "-0.36* at 3, 0.45* at 71 (of 100)" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_stdin_one_input_per_line(models):
    r = invoke(["predict", str(models["tagging"]), "--input", "-", "--format", "json"],
               input="the duck saw a fly .\nthe big dog bit the man .\n")
    assert r.exit_code == 0, r.stderr
    p = loads_strict(r.stdout)["predictions"]
    assert [x["expected"] for x in p] == ["DET NOUN VERB DET NOUN END", "DET ADJ NOUN VERB DET NOUN END"]
    assert len(p[0]["prediction"].split()) == 6


def test_random_samples_without_input(models):
    for name in models:
        r = invoke(["predict", str(models[name]), "--samples", "3", "--format", "json"])
        assert r.exit_code == 0, (name, r.stderr)
        p = loads_strict(r.stdout)["predictions"]
        assert len(p) == 3 and all(x["expected"] is not None for x in p)
    r = invoke(["predict", str(models["reverse"]), "--samples", "2"])
    assert "─" in r.stdout and not set("┏┃│┡┗└") & set(r.stdout), r.stdout  # the house table style
    assert r.exit_code == 0 and "right answer" in r.stdout


@pytest.mark.parametrize("args, text", [
    (["--cell", "gru"], "holds an LSTM cell"),
    (["--task", "adding"], "for the recall task"),
])
def test_wrong_cell_or_task(models, args, text):
    r = invoke(["predict", str(models["recall"]), *args])
    assert r.exit_code == 1 and text in r.stderr and "Error:" in r.stderr


def test_bad_inputs(models, tmp_path):
    r = invoke(["predict", str(models["recall"]), "-i", "c q"])
    assert r.exit_code == 2 and "--input" in r.stderr and "unknown word" in r.stderr
    r = invoke(["predict", str(models["adding"]), "-i", "0.1 0.2"])
    assert r.exit_code == 2 and "mark exactly two" in r.stderr
    r = invoke(["predict", str(tmp_path / "nope.npz")])
    assert r.exit_code == 1 and "model file" in r.stderr and "does not exist" in r.stderr
    assert "--weights" not in r.stderr and "rnn-tutor train --save" in r.stderr  # predict has no --weights
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    r = invoke(["predict", str(junk)])
    assert r.exit_code == 1 and "Error:" in r.stderr
    r = invoke(["predict", str(models["recall"]), "-i", "-"], input="\n\n")
    assert r.exit_code == 2 and "--input" in r.stderr


def test_a_bare_cell_file_is_refused_with_a_hint(tmp_path):
    from rnn_tutor.core import cells
    from rnn_tutor.core.weights import save_weights

    path = tmp_path / "cell.npz"
    save_weights(path, "lstm", cells.init_params("lstm", 8, 4))
    r = invoke(["predict", str(path)])
    assert r.exit_code == 1 and "without a trained task head" in r.stderr and "train" in r.stderr


def test_damaged_head_is_refused(models, tmp_path):
    with np.load(models["recall"]) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta_head.weight"] = arrays["meta_head.weight"][:, :3]
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    r = invoke(["predict", str(path)])
    assert r.exit_code == 1 and "meta_head.weight" in r.stderr


def test_a_hand_edited_length_is_refused_before_sampling(models, tmp_path):
    with np.load(models["recall"]) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta_length"] = np.array(10**9)
    path = tmp_path / "long.npz"
    np.savez(path, **arrays)
    r = invoke(["predict", str(path), "--format", "json"])
    assert r.exit_code == 1 and "meta_length" in r.stderr and r.stdout == ""


def test_stdin_from_a_terminal_says_why_it_waits(models):
    """`--input -` typed at a terminal: a line on stderr says it is reading (a silent wait looks like a hang)."""
    import os
    import subprocess
    import sys

    master, slave = os.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "rnn_tutor", "predict", str(models["recall"]), "--input", "-",
                              "--format", "json"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        os.write(master, b"c x y\n\x04")
        out, err = p.communicate(timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert p.returncode == 0, err
    assert "Reading inputs from the terminal" in err and "Ctrl-D" in err
    assert loads_strict(out)["predictions"][0]["expected"] == "C"
    piped = invoke(["predict", str(models["recall"]), "--input", "-"], input="c x y\n")
    assert "Reading inputs" not in piped.stderr


def test_an_input_of_another_length_than_the_trained_one_is_pointed_out(models):
    """The README's `predict model.npz --input "0.3* -0.2 0.9 0.5* 0.1 -0.7"` on a model trained at T = 100 is
    usually wrong; a new user must learn why (another length than it learned), not conclude the model is broken."""
    r = invoke(["predict", str(models["adding"]), "-i", "0.5* 0.2 -0.1*", "-i", "0.5* 0.2 -0.1* 0.3 0.0 0.9"])
    assert r.exit_code == 0, r.stderr
    err = " ".join(r.stderr.split())
    assert "learned sequences of 6 steps" in err and "3 steps" in err
    same = invoke(["predict", str(models["adding"]), "-i", "0.5* 0.2 -0.1* 0.3 0.0 0.9"])
    assert "learned sequences" not in same.stderr
    assert "learned sequences" not in invoke(["predict", str(models["adding"]), "--samples", "2"]).stderr
