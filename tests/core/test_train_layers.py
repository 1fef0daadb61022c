"""Training stacked models: --layers in the config, the memory estimate of a stack, saved stacks under PyTorch's
names (and, where torch is installed, loaded into torch.nn.LSTM/GRU/RNN(num_layers=L) + nn.Linear)."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import cells, heads
from rnn_tutor.core import train as train_mod
from rnn_tutor.core.train import TrainConfig, load_model, save_model, train
from rnn_tutor.errors import BadValueError


@pytest.mark.parametrize("layers", [0, 4, 1.5, True])
def test_layers_out_of_range_are_refused(layers):
    with pytest.raises(BadValueError) as e:
        TrainConfig(layers=layers).checked()
    assert e.value.option == "--layers" and "1 to 3" in e.value.message


def test_memory_estimate_covers_a_stack_of_lstm_buffers():
    """The estimate bounds what fastlstm allocates for every layer of a stack (training workspace, and the
    forward buffers of an evaluation one), and grows with the layers."""
    from rnn_tutor.core import fastlstm

    for L in (2, 3):
        for H in (4, 25, 64, 128):  # small, large and wide buffers
            T, B, D = 50, 32, 2
            total = 0
            for k in range(L):  # what forward allocates for layer k (it reads D numbers, or H above layer 0)
                ws = fastlstm.Workspace().ensure(T, B, H, D if k == 0 else H, np.float64)
                total += sum(v.nbytes for v in vars(ws).values() if isinstance(v, np.ndarray))
                e = fastlstm.Workspace().ensure(T, heads.EVAL_CHUNK, H, D if k == 0 else H, np.float64)
                total += sum(a.nbytes for a in (e.HX, e.Z, e.TC, e.P))
            est = train_mod.memory_estimate("lstm", "sequence-regression", H + D + 1, B, 512, T, "float64", L, H)
            assert total <= est
            one = train_mod.memory_estimate("lstm", "sequence-regression", H + D + 1, B, 512, T, "float64")
            assert est > one


def test_a_stack_that_needs_too_much_memory_is_refused():
    TrainConfig(cell="lstm", task="adding", length=1000, hidden=256, dtype="float32").checked()
    with pytest.raises(BadValueError) as e:
        TrainConfig(cell="lstm", task="adding", length=1000, hidden=256, layers=3, dtype="float32").checked()
    assert "3 layers" in e.value.message and "fewer --layers" in (e.value.hint or "")


@pytest.mark.parametrize("cell", cells.CELLS)
@pytest.mark.parametrize("task", ["tagging", "reverse"])
def test_a_saved_stack_loads_back_with_every_layer(tmp_path, cell, task):
    res = train(TrainConfig(cell=cell, task=task, hidden=5, layers=2, steps=3, eval_every=3, eval_size=16))
    path = save_model(tmp_path / "m.npz", res)
    names = set(np.load(path).files)
    assert set(cells.param_keys(2)) <= names  # PyTorch's names, every layer
    saved = load_model(path)
    assert saved.model.num_layers == 2 and set(saved.model.params) == set(res.params)
    for k, v in res.params.items():
        np.testing.assert_array_equal(saved.model.params[k], v)
    x = saved.model.task.batch(np.random.default_rng(0), 3, 6).x
    again = heads.init_model(cell, saved.model.task, 5, num_layers=2)
    again.params.update(res.params)
    np.testing.assert_allclose(heads.predict(saved.model, x), heads.predict(again, x), rtol=0, atol=0)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_a_saved_stack_gives_the_same_logits_in_torch(tmp_path, cell):
    torch = pytest.importorskip("torch")
    res = train(TrainConfig(cell=cell, task="tagging", hidden=6, layers=3, steps=5, eval_every=5, eval_size=16))
    path = save_model(tmp_path / "m.npz", res)
    arrays = dict(np.load(path))
    D, H = int(arrays["meta_input_size"]), int(arrays["meta_hidden_size"])
    rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](
        D, H, num_layers=3, batch_first=True).double()
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items() if not k.startswith("meta_")})
    head = torch.nn.Linear(H, arrays["meta_head.weight"].shape[0]).double()
    head.load_state_dict({"weight": torch.from_numpy(arrays["meta_head.weight"]),
                          "bias": torch.from_numpy(arrays["meta_head.bias"])})
    saved = load_model(path)
    x = saved.model.task.batch(np.random.default_rng(1), 4, 9).x
    ours = heads.linear(saved.model.params["head.weight"], saved.model.params["head.bias"],
                        cells.forward(cell, saved.model.cell_params(), x).h)
    theirs = head(rnn(torch.from_numpy(x))[0]).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(heads.predict(saved.model, x), torch.softmax(torch.from_numpy(theirs), -1).numpy(),
                               rtol=1e-10, atol=1e-12)
