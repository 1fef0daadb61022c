"""``--layers`` across the commands: train/compare/gradcheck take it, saved stacks trace layer by layer, and
params agrees with what a stack holds."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import cells
from rnn_tutor.core.params import count_params
from tests.fuzzing import invoke, loads_strict

FAST = ["--task", "recall", "--length", "6", "--steps", "20", "--eval-every", "20", "--eval-size", "32"]


def test_train_with_two_layers_saves_every_layer_and_traces_them(tmp_path):
    path = tmp_path / "m.npz"
    r = invoke(["train", *FAST, "--layers", "2", "--hidden", "5", "--save", str(path), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)
    assert d["layers"] == 2
    assert set(cells.param_keys(2)) <= set(np.load(path).files)
    table = invoke(["train", *FAST, "--layers", "2", "--hidden", "5"])
    assert table.exit_code == 0 and "hidden 5, 2 layers" in " ".join(table.stdout.split())

    sentence = "a b c d w x y z"
    top = invoke(["trace", "--cell", "lstm", "--weights", str(path), "--one-hot", "-s", sentence, "--format", "json"])
    assert top.exit_code == 0, top.stderr
    top = loads_strict(top.stdout)
    assert (top["layer"], top["layers"], top["input_size"]) == (1, 2, 5)  # the top layer reads layer 0's h_t
    low = loads_strict(invoke(["trace", "--cell", "lstm", "--weights", str(path), "--one-hot", "-s", sentence,
                               "--layer", "0", "--format", "json"]).stdout)
    assert low["layer"] == 0 and low["input_size"] == 8
    assert [s["x"] for s in top["steps"]] == [s["h"] for s in low["steps"]]  # layer 1's input is layer 0's h
    assert sum(low["steps"][0]["x"]) == 1.0  # one-hot words at the bottom
    shown = invoke(["trace", "--cell", "lstm", "--weights", str(path), "--one-hot", "-s", sentence])
    assert shown.exit_code == 0 and "layer 1 of a 2-layer stack, reading h_t of layer 0" in shown.stdout
    bad = invoke(["trace", "--cell", "lstm", "--weights", str(path), "--one-hot", "-s", sentence, "--layer", "2"])
    assert bad.exit_code == 2 and "--layer" in bad.stderr and "0 to 1" in bad.stderr
    pred = invoke(["predict", str(path), "--samples", "2", "--format", "json"])
    assert pred.exit_code == 0, pred.stderr


def test_layers_out_of_range_and_scalar_trace():
    r = invoke(["train", *FAST, "--layers", "4"])
    assert r.exit_code == 2 and "--layers" in r.stderr
    r = invoke(["trace", "--layer", "1"])
    assert r.exit_code == 2 and "--layer" in r.stderr and "--cell" in r.stderr
    r = invoke(["trace", "--cell", "gru", "--layer", "1"])  # seeded weights are one layer
    assert r.exit_code == 2 and "one layer" in r.stderr


def test_compare_with_layers():
    from rnn_tutor.core.tasks import get_task

    r = invoke(["compare", *FAST[:-2], "--cells", "rnn,gru", "--layers", "2", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    rows = loads_strict(r.stdout)
    assert [row["layers"] for row in rows] == [2, 2]
    task = get_task("recall")
    head = task.output_size * 16 + task.output_size
    assert [row["parameters"] for row in rows] == [count_params(c, task.input_size, 16, 2).total + head
                                                   for c in ("rnn", "gru")]


def test_gradcheck_with_layers_json():
    r = invoke(["gradcheck", "--cell", "lstm", "--layers", "2", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)
    assert d["layers"] == 2 and d["passed"]
    assert [t["name"] for t in d["tensors"]] == [*cells.param_keys(2), "x", "h0", "c0"]
    assert next(t for t in d["tensors"] if t["name"] == "c0")["shape"] == [2, 2, 3]
    assert invoke(["gradcheck", "--layers", "4"]).exit_code == 2


@pytest.mark.parametrize("cell", cells.CELLS)
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_params_counts_what_a_stack_holds(cell, layers):
    p = cells.init_params(cell, 7, 5, num_layers=layers)
    pc = count_params(cell, 7, 5, layers)
    assert pc.total == sum(v.size for v in p.values())
    assert [(t.name, t.shape) for t in pc.tensors] == [(k, v.shape) for k, v in p.items()]
    r = invoke(["params", "--cell", cell, "-D", "7", "-H", "5", "--layers", str(layers), "--format", "json"])
    assert loads_strict(r.stdout)["total"] == pc.total
