"""Models with stacked cells: every layer's parameters are the model's, the decoder starts from every encoder
layer's state, and the whole-model gradient matches finite differences for every task and cell."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import cells, heads
from rnn_tutor.core.tasks import TASKS, get_task
from tests.core.test_heads import numeric_grad


@pytest.mark.parametrize("cell", cells.CELLS)
@pytest.mark.parametrize("task_name", list(TASKS))
def test_stacked_model_gradients_match_finite_differences(cell, task_name):
    task = get_task(task_name)
    T = max(task.min_length, 4)
    model = heads.init_model(cell, task, 3, seed=2, length=T, num_layers=2)
    assert model.num_layers == 2
    expected = set(cells.param_keys(2)) | set(heads.HEAD_KEYS)
    if task.kind == "seq2seq":
        expected |= {heads.DECODER_PREFIX + k for k in cells.param_keys(2)}
    assert set(model.params) == expected
    batch = task.batch(np.random.default_rng(4), 2, T)
    loss, grads, _ = heads.loss_and_grads(model, batch.x, batch.y)
    assert set(grads) == set(model.params)

    def f():
        return heads.loss_and_grads(model, batch.x, batch.y, train=False)[0]

    rng = np.random.default_rng(7)
    for key, arr in model.params.items():
        for j in rng.choice(arr.size, size=min(3, arr.size), replace=False):
            idx = np.unravel_index(j, arr.shape)
            assert numeric_grad(f, arr, idx) == pytest.approx(grads[key][idx], rel=1e-4, abs=1e-8), (key, idx)


def test_one_layer_model_is_unchanged_by_the_layers_option():
    task = get_task("reverse")
    a = heads.init_model("lstm", task, 4, seed=1, length=6)
    b = heads.init_model("lstm", task, 4, seed=1, length=6, num_layers=1)
    assert a.params.keys() == b.params.keys()
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert "weight_ih_l1" not in a.params and a.num_layers == 1


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_chrono_init_in_every_layer(cell):
    H = 5
    model = heads.init_model(cell, get_task("adding"), H, seed=0, length=50, num_layers=3)
    for k in range(3):
        b = model.params[f"bias_ih_l{k}"][H : 2 * H]  # LSTM forget gate / GRU update gate
        assert np.all(b >= 0) and np.all(b <= np.log(49) + 1e-12) and b.std() > 0
        assert not np.any(model.params[f"bias_hh_l{k}"][H : 2 * H])


def test_the_decoder_starts_from_every_encoder_layer():
    """Seq2seq with two layers: decoder layer k starts from encoder layer k's final state (h_n), so its first
    output is the stack run by hand from h_n, and not what starting only the top layer would give."""
    task = get_task("reverse")
    model = heads.init_model("lstm", task, 6, seed=3, length=5, num_layers=2)
    x = task.batch(np.random.default_rng(1), 4, 5).x
    _, logits = heads.greedy_decode(model, x)
    enc = cells.forward("lstm", model.cell_params(), x)
    start = np.zeros((4, 1, task.output_size + 1))
    start[:, 0, -1] = 1.0
    W, b = model.params["head.weight"], model.params["head.bias"]
    dec = model.cell_params(heads.DECODER_PREFIX)
    first = cells.forward("lstm", dec, start, enc.h_n, enc.c_n)
    np.testing.assert_allclose(logits[:, 0], heads.linear(W, b, first.h_last), rtol=1e-12, atol=1e-12)
    top_only = np.zeros_like(enc.h_n), np.zeros_like(enc.c_n)
    top_only[0][-1], top_only[1][-1] = enc.h_last, enc.c_last
    other = cells.forward("lstm", dec, start, *top_only)
    assert not np.allclose(logits[:, 0], heads.linear(W, b, other.h_last))
    probs = heads.predict(model, x)  # predict runs the stack too
    assert probs.shape == (4, 5, task.output_size)
    np.testing.assert_allclose(probs.sum(-1), 1.0)
