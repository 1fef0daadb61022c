"""trace --weights on the state_dict of a whole torch model (the cell under its module's name, a Linear head, an
Embedding): the cell read through statedict.survey, the head left out, the embedding folded into weight_ih_l0."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnn_tutor.core import cells

SENTENCE = "a b c d b"  # one-hot inputs 0 1 2 3 1 (words numbered in order of first appearance)
IDS = [0, 1, 2, 3, 1]


def whole_model(path, V=4, E=3, H=5, embedding=True, seed=0):
    """What np.savez(path, **model.state_dict()) writes for Embedding(V, E) -> LSTM(E, H, 2) -> Linear(H, V)."""
    rng = np.random.default_rng(seed)
    p = cells.init_params("lstm", E if embedding else V, H, seed=seed, dtype=np.float32, num_layers=2)
    arrays = {"lstm." + k: v for k, v in p.items()}
    if embedding:
        arrays["encoder.weight"] = rng.normal(size=(V, E)).astype(np.float32)
    arrays["fc.weight"] = rng.normal(size=(V, H)).astype(np.float32)
    arrays["fc.bias"] = rng.normal(size=V).astype(np.float32)
    np.savez(path, **arrays)
    return arrays


def traced_h(cli, path, layer):
    r = cli(["trace", "--weights", str(path), "--one-hot", "--sentence", SENTENCE, "--layer", str(layer),
             "--format", "json"])
    assert r.exit_code == 0, r.stderr
    return np.array([s["h"] for s in json.loads(r.stdout)["steps"]]), r.stderr


@pytest.mark.parametrize("embedding", [True, False])
def test_a_whole_models_state_dict_traces_its_cell(cli, tmp_path, embedding):
    arrays = whole_model(tmp_path / "sd.npz", embedding=embedding)
    p = {k[len("lstm."):]: np.asarray(v, np.float64) for k, v in arrays.items() if k.startswith("lstm.")}
    x = (np.asarray(arrays["encoder.weight"], np.float64)[IDS] if embedding else np.eye(4)[IDS])[None]  # looked up
    h0 = cells.forward("lstm", {k: v for k, v in p.items() if k.endswith("_l0")}, x).h[0]
    h1 = cells.forward("lstm", p, x).h[0]  # the top layer
    got1, err = traced_h(cli, tmp_path / "sd.npz", 1)
    got0, _ = traced_h(cli, tmp_path / "sd.npz", 0)
    assert np.allclose(got1, h1, atol=1e-12) and np.allclose(got0, h0, atol=1e-12)
    assert "fc.weight/.bias (the head, nn.Linear) are left out" in err
    assert ("folded into weight_ih_l0" in err) == embedding


def test_the_embedding_rows_must_match_the_one_hot_words(cli, tmp_path):
    whole_model(tmp_path / "sd.npz")
    r = cli(["trace", "--weights", str(tmp_path / "sd.npz"), "--one-hot", "--sentence", "a b c"])
    assert r.exit_code == 1 and "expects input size 4" in r.stderr and "Traceback" not in r.stderr, r.stderr
    np.savez(tmp_path / "ln.npz", **whole_model(tmp_path / "x.npz"), **{"norm.weight": np.ones(5, np.float32)})
    r = cli(["trace", "--weights", str(tmp_path / "ln.npz"), "--one-hot", "--sentence", SENTENCE])
    assert r.exit_code == 1 and "norm.weight" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_real_torch_model_traces_as_torch_computes(cli, tmp_path):
    torch = pytest.importorskip("torch")

    class CharModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(4, 3)
            self.lstm = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
            self.fc = torch.nn.Linear(5, 4)

    torch.manual_seed(0)
    net = CharModel().double()
    np.savez(tmp_path / "torch.npz", **{k: v.numpy() for k, v in net.state_dict().items()})
    with torch.no_grad():
        out, _ = net.lstm(net.embed(torch.tensor([IDS])))  # (1, T, H): the top layer's h
    got, err = traced_h(cli, tmp_path / "torch.npz", 1)
    assert np.allclose(got, out[0].numpy(), atol=1e-12), err
