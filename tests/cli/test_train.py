"""``rnn-tutor train``: output formats, saving, bad values, determinism, and Ctrl-C in a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from tests.fuzzing import invoke, loads_strict

FAST = ["--task", "recall", "--length", "6", "--steps", "40", "--eval-every", "20", "--eval-size", "64"]


def run_json(args):
    r = invoke(["train", *args, "--format", "json"])
    assert r.exit_code == 0, r.stderr
    return loads_strict(r.stdout)


def test_json_has_final_accuracy_and_loss():
    d = run_json(FAST)
    assert d["accuracy"] == d["records"][-1]["accuracy"] and d["loss"] == d["records"][-1]["loss"]
    assert [r["step"] for r in d["records"]] == [0, 20, 40]
    assert d["records"][0]["train_loss"] is None  # no NaN in JSON: null before any training
    assert d["cell"] == "lstm" and d["task"] == "recall" and d["length"] == 6
    assert d["loss"] < d["records"][0]["loss"]
    assert d["interrupted"] is False and d["saved"] is None


def test_float32_training():
    d = run_json(FAST + ["--dtype", "float32"])
    assert d["dtype"] == "float32" and d["loss"] < d["records"][0]["loss"]
    r = invoke(["train", *FAST, "--dtype", "float16"])
    assert r.exit_code == 2 and "--dtype" in r.stderr


def test_same_seed_same_numbers():
    strip = lambda d: [(r["loss"], r["accuracy"]) for r in d["records"]]  # noqa: E731
    a, b = run_json(FAST + ["--cell", "gru"]), run_json(FAST + ["--cell", "gru"])
    c = run_json(FAST + ["--cell", "gru", "--seed", "5"])
    assert strip(a) == strip(b) != strip(c)


def test_jsonl_streams_one_object_per_evaluation_then_the_final():
    r = invoke(["train", *FAST, "--format", "jsonl"])
    assert r.exit_code == 0, r.stderr
    lines = [loads_strict(x) for x in r.stdout.splitlines()]
    assert [x["event"] for x in lines] == ["eval", "eval", "eval", "final"]
    assert [x["step"] for x in lines[:3]] == [0, 20, 40]
    assert lines[-1]["accuracy"] == lines[-2]["accuracy"]


def test_csv_and_table():
    r = invoke(["train", *FAST, "--format", "csv"])
    assert r.exit_code == 0
    rows = r.stdout.strip().splitlines()
    assert rows[0] == "step,sequences,loss,accuracy,train_loss,grad_norm,seconds" and len(rows) == 4
    r = invoke(["train", *FAST])
    assert r.exit_code == 0
    assert "lstm on recall" in r.stdout and "learning curve" in r.stdout and "accuracy" in r.stdout
    # the house style (as trace and decay): a rule under the header, no heavy frame, within 80 columns
    assert "─" in r.stdout and not set("┏┃│┡┗└") & set(r.stdout), r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_save_round_trip_and_trace_accepts_it(tmp_path):
    from rnn_tutor.core import train as core
    from rnn_tutor.core.weights import load_weights

    path = tmp_path / "m.npz"
    d = run_json(FAST + ["--save", str(path)])
    assert d["saved"] == str(path) and path.exists()
    w = load_weights(path, cell="lstm")  # the cells' format reads it
    assert w.input_size == 8 and w.hidden_size == 16
    saved = core.load_model(path)
    assert saved.model.task.name == "recall" and saved.length == 6
    assert saved.meta["accuracy"] == pytest.approx(d["accuracy"])
    with np.load(path) as z:
        assert {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "meta_head.weight",
                "meta_head.bias", "meta_task"} <= set(z.files)
    r = invoke(["trace", "--cell", "lstm", "--weights", str(path), "--sentence", "a b c d w x y z", "--one-hot",
                "--format", "json"])
    assert r.exit_code == 0, r.stderr
    loads_strict(r.stdout)


def test_saved_model_predicts_like_the_trained_one(tmp_path):
    from rnn_tutor.core import heads, train as core

    path = tmp_path / "m.npz"
    cfg = core.TrainConfig(cell="gru", task="reverse", length=4, steps=30, eval_every=30, eval_size=32)
    t = core.Trainer(cfg)
    for _ in t.run():
        pass
    core.save_model(path, t.result())
    loaded = core.load_model(path, cell="gru", task="reverse")
    x = t.task.batch(np.random.default_rng(0), 5, 4).x
    np.testing.assert_allclose(heads.predict(loaded.model, x), heads.predict(t.model, x), rtol=1e-12)


@pytest.mark.parametrize("target", ["missing/dir/m.npz", "."])
def test_unwritable_save_fails_before_training(tmp_path, target):
    path = tmp_path / target
    r = invoke(["train", "--steps", "100000", "--save", str(path), "--format", "json"])
    assert r.exit_code == 1
    assert "Error: cannot save the model" in r.stderr and r.stdout == ""


@pytest.mark.parametrize(
    "args, option",
    [
        (["--cell", "transformer"], "--cell"),
        (["--task", "sorting"], "--task"),
        (["--length", "0"], "--length"),
        (["--length", "-5"], "--length"),
        (["--task", "order", "--length", "4"], "--length"),
        (["--hidden", "0"], "--hidden"),
        (["--hidden", "100000"], "--hidden"),
        (["--steps", "-1"], "--steps"),
        (["--batch", "0"], "--batch"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "-0.1"], "--lr"),
        (["--clip", "-1"], "--clip"),
        (["--stop-at", "2"], "--stop-at"),
        (["--eval-every", "0"], "--eval-every"),
    ],
)
def test_bad_values_exit_2_naming_the_option(args, option):
    r = invoke(["train", *args, "--format", "json"])
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert option in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def test_divergence_exits_1_with_a_hint():
    r = invoke(["train", "--cell", "rnn", "--length", "20", "--lr", "10", "--optimizer", "sgd", "--clip", "0",
                "--steps", "200", "--format", "json"])
    assert r.exit_code == 1
    assert "Error: training diverged" in r.stderr and "--lr" in r.stderr


def test_ctrl_c_prints_and_saves_what_it_has(tmp_path):
    """A real process: SIGINT after the first evaluations -> exit 130, final JSON line, model saved."""
    path = tmp_path / "m.npz"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    p = subprocess.Popen(
        [sys.executable, "-m", "rnn_tutor", "train", "--task", "recall", "--length", "10", "--steps", "1000000",
         "--eval-every", "5", "--eval-size", "32", "--save", str(path), "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        preexec_fn=_default_sigint,
    )
    seen = [p.stdout.readline() for _ in range(3)]  # three evaluations streamed: training is under way
    out, err = _interrupt(p)
    assert p.returncode == 130, err
    lines = [json.loads(x) for x in seen + out.splitlines() if x.strip()]
    assert lines[-1]["event"] == "final" and lines[-1]["interrupted"] is True
    assert lines[-1]["steps"] >= 10 and lines[-1]["saved"] == str(path)
    assert "Traceback" not in err and path.exists()
    # said once, after the results: the step, what was saved where (was three lines, the save named twice)
    assert err.count("Interrupted") == 1 and err.count(str(path)) == 2, err  # the path, and in "try: ..."
    step = int(np.load(path)["meta_steps"])
    assert f"Interrupted at step {step:,} of 1,000,000: the results are the model at that step, saved to {path} " \
           f"(try: rnn-tutor predict {path})." in err, err


def test_ctrl_c_without_save_says_nothing_was_kept(tmp_path):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    p = subprocess.Popen(
        [sys.executable, "-m", "rnn_tutor", "train", "--task", "recall", "--length", "10", "--steps", "1000000",
         "--eval-every", "5", "--eval-size", "32", "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        preexec_fn=_default_sigint,
    )
    assert json.loads(p.stdout.readline())["event"] == "eval"  # training is under way
    out, err = _interrupt(p)
    assert p.returncode == 130 and "Traceback" not in err, err
    assert err.count("Interrupted") == 1 and "(not saved: give --save FILE to keep it)." in err, err



def _interrupt(p):
    """Ctrl-C to a child process; its output. A child that does not stop within a minute is killed."""
    p.send_signal(signal.SIGINT)
    try:
        return p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def _default_sigint():
    """In the child: a shell that started the tests in the background may have set SIGINT to 'ignore', and
    Python then never raises KeyboardInterrupt. Put the default back so Ctrl-C can be simulated."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_no_terminal_no_progress_console(monkeypatch):
    """Piped, the progress bar is off without creating the shared stderr console: creating it changed how every
    later message of the process was written (wrapped by rich), which broke other commands' output in one run."""
    from rnn_tutor import render

    monkeypatch.setattr(render, "_stderr_console", None)
    r = invoke(["train", *FAST])
    assert r.exit_code == 0 and r.stderr == ""
    assert render._stderr_console is None


def test_the_learning_curve_fits_the_screen_however_many_evaluations():
    """One glyph per evaluation drew 301 glyphs here (2,001 for 100k steps): now at most 40, on the step axis."""
    r = invoke(["train", "--task", "recall", "--length", "4", "--steps", "300", "--eval-every", "1",
                "--eval-size", "16"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith("learning curve"))
    assert "over the 300-step budget" in lines[at] and len(lines[at]) <= 80
    assert 0 < len(lines[at + 1].strip()) <= 40 and len(lines[at + 1]) <= 80  # the curve, on its own line


def test_choice_lists_are_the_cores():
    """The CLI writes its choice lists out (importing the core would load numpy at start-up); they must be the
    core's lists, so that a task, cell, optimizer, dtype or gate init added there shows up in --help."""
    from rnn_tutor.cli import options, train as cli_train
    from rnn_tutor.core import cells, heads, optim, tasks
    from rnn_tutor.core import train as core_train

    for enum_cls, core_list in ((cli_train.TaskName, tasks.TASKS), (cli_train.Optimizer, optim.OPTIMIZERS),
                                (cli_train.DType, core_train.DTYPES), (cli_train.GateInit, heads.GATE_INITS),
                                (options.Cell, cells.CELLS)):
        assert [m.value for m in enum_cls] == list(core_list), enum_cls.__name__


def test_tagging_at_length_one_is_refused_saying_the_smallest_length(cli):
    """A one-word tagging sequence is always a determiner: a constant guess would 'solve' it. Refused (exit 2),
    naming --length, the smallest meaningful length and why, for train, compare and predict --samples alike."""
    for args in (["train", "--task", "tagging", "--length", "1", "--steps", "1"],
                 ["compare", "--task", "tagging", "--length", "2", "--steps", "1"]):
        r = cli(args)
        assert r.exit_code == 2, r.stdout + r.stderr
        assert "--length" in r.stderr and "from 3 to" in r.stderr and "from the word alone" in r.stderr
        assert "Traceback" not in r.stderr


def test_readings_too_large_to_square_are_refused_before_training(cli, tmp_path):
    """Readings near 1e308: every squared error in the signal's units would be past the float range, and the saved
    model's scale past what its file may hold (1e150), so it could not be loaded again. Refused up front, naming
    the size and what to do, for train and compare. A run on ordinary readings says "overflow": false."""
    big = tmp_path / "big.txt"
    big.write_text("\n".join(("1e308", "-1e308", "5e307")[i % 3] for i in range(300)) + "\n")
    for cmd in (["train"], ["compare", "--cells", "gru"]):
        r = cli([*cmd, "--task", "forecast", "--signal", str(big), "--steps", "2", "--length", "20",
                 "--format", "json", "--save", str(tmp_path / "m.npz")] if cmd == ["train"] else
                [*cmd, "--task", "forecast", "--signal", str(big), "--steps", "2", "--length", "20", "--format", "json"])
        assert r.exit_code == 2, r.stdout + r.stderr
        assert "--signal" in r.stderr and "1e+308" in r.stderr and "rescale" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "m.npz").exists()
    edge = tmp_path / "edge.txt"  # the largest allowed size trains, saves, and loads again
    edge.write_text("\n".join(str(1e150 * ((i * 7) % 11 - 5) / 5) for i in range(300)) + "\n")
    r = cli(["train", "--task", "forecast", "--signal", str(edge), "--steps", "2", "--length", "20", "--format", "json",
             "--save", str(tmp_path / "edge.npz")])
    assert r.exit_code == 0, r.stderr
    assert loads_strict(r.stdout)["forecast"]["overflow"] is False
    p = cli(["predict", str(tmp_path / "edge.npz"), "--input", " ".join(["1e149"] * 20), "--format", "json"])
    assert p.exit_code == 0, p.stderr
    small = tmp_path / "small.txt"
    small.write_text("\n".join(str((i * 7) % 11) for i in range(300)) + "\n")
    ok = loads_strict(cli(["train", "--task", "forecast", "--signal", str(small), "--steps", "2", "--length", "20",
                           "--format", "json"]).stdout)["forecast"]
    assert ok["overflow"] is False and ok["mse"] is not None
