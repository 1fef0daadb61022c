"""A language model from a bare state_dict (numpy.savez of a torch module's state_dict) plus the vocabulary the
user gives: the names torch uses, the head and the embedding found and checked, and the numbers equal to a
forward pass computed without the loader (cells.forward on the raw arrays; torch itself where installed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnn_tutor.core import cells, statedict, units
from rnn_tutor.errors import BadValueError, RnnTutorError

TEXT = "(owl [cat (fox) bee] [gnu])"
CHARS = "".join(sorted(set(TEXT + "\n")))  # "\n ()[]abcefglnotuwx"


def make_arrays(cell="lstm", layers=2, H=6, V=len(CHARS), E=None, prefix="lstm.", head="fc", seed=0):
    """What `np.savez(f, **{k: v.numpy() for k, v in model.state_dict().items()})` writes, made with numpy."""
    rng = np.random.default_rng(seed)
    D = E or V
    p = cells.init_params(cell, D, H, seed=seed, dtype=np.float32, num_layers=layers)
    arrays = {prefix + k: v for k, v in p.items()}
    if E:
        arrays["encoder.weight"] = rng.normal(size=(V, E)).astype(np.float32)
    if head:
        arrays[head + ".weight"] = rng.normal(size=(V, H)).astype(np.float32)
        arrays[head + ".bias"] = rng.normal(size=V).astype(np.float32)
    return arrays


def reference_bits(arrays, cell, text, chars, prefix="lstm.", head="fc", emb=None):
    """-log2 p(char) for each character of ``text`` read after a newline: cells.forward on the raw arrays (the
    embedding looked up, not folded), then h W^T + b and a log-softmax."""
    p = {k[len(prefix):]: np.asarray(v, np.float64) for k, v in arrays.items() if k.startswith(prefix)}
    ids = [chars.index(c) for c in "\n" + text]
    if emb:
        x = np.asarray(arrays[emb], np.float64)[ids][None]  # (1, T, E) looked up
    else:
        x = np.eye(len(chars))[ids][None]  # (1, T, V) one-hot
    h = np.asarray(cells.forward(cell, p, x).h)[0]  # (T, H)
    logits = h @ np.asarray(arrays[head + ".weight"], np.float64).T + np.asarray(arrays[head + ".bias"], np.float64)
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) - logits.max(
        -1, keepdims=True)
    return np.array([-logp[t, ids[t + 1]] / np.log(2) for t in range(len(text))]), h[1:]


@pytest.mark.parametrize("cell, layers, prefix", [("lstm", 2, "lstm."), ("gru", 1, ""), ("rnn", 3, "model.rnn.")])
def test_bare_state_dict_reads_like_the_raw_arrays(tmp_path, cell, layers, prefix):
    head = "model.fc" if prefix.startswith("model.") else "fc"
    arrays = make_arrays(cell, layers, prefix=prefix, head=head)
    path = tmp_path / "sd.npz"
    np.savez(path, **arrays)
    saved = statedict.load(path, vocab=CHARS)
    assert saved.meta["state_dict"] and saved.meta["head"] == head
    assert saved.model.cell == cell and saved.model.num_layers == layers
    reading = units.read(saved.model, TEXT)
    bits, h = reference_bits(arrays, cell, TEXT, CHARS, prefix, head)
    assert np.allclose(reading.bits, bits, atol=1e-9)
    assert np.allclose(reading.values[(layers - 1, "h")], h, atol=1e-12)


def test_the_vocabulary_order_matters(tmp_path):
    arrays = make_arrays()
    np.savez(tmp_path / "sd.npz", **arrays)
    swapped = CHARS[1] + CHARS[0] + CHARS[2:]
    a = units.read(statedict.load(tmp_path / "sd.npz", vocab=CHARS).model, TEXT).bits
    b = units.read(statedict.load(tmp_path / "sd.npz", vocab=swapped).model, TEXT).bits
    assert not np.allclose(a, b)


def test_an_embedding_is_folded_into_the_first_layer(tmp_path):
    arrays = make_arrays("gru", 1, E=4, prefix="rnn.", head="decoder")  # torch's word_language_model names
    np.savez(tmp_path / "w.npz", **arrays)
    saved = statedict.load(tmp_path / "w.npz", vocab=CHARS)
    assert saved.model.params["weight_ih_l0"].shape == (18, len(CHARS))
    assert any("encoder.weight" in n for n in saved.meta["notes"])
    bits, h = reference_bits(arrays, "gru", TEXT, CHARS, "rnn.", "decoder", emb="encoder.weight")
    reading = units.read(saved.model, TEXT)
    assert np.allclose(reading.bits, bits, atol=1e-9) and np.allclose(reading.values[(0, "h")], h, atol=1e-12)


def test_without_a_head_the_units_are_read_and_no_bits(tmp_path):
    arrays = make_arrays(head=None, prefix="")
    np.savez(tmp_path / "bare.npz", **arrays)
    saved = statedict.load(tmp_path / "bare.npz", vocab=CHARS)
    assert saved.meta["head"] is None and "head.weight" not in saved.model.params
    reading = units.read(saved.model, TEXT)
    assert reading.bits is None
    _, h = reference_bits(make_arrays(prefix=""), "lstm", TEXT, CHARS, "", "fc")
    assert np.allclose(reading.values[(1, "h")], h, atol=1e-12)
    assert units.find(reading)[0].units  # --find needs no head


@pytest.mark.parametrize("content", [CHARS, json.dumps(list(CHARS)), json.dumps({c: i for i, c in enumerate(CHARS)}),
                                     json.dumps({str(i): c for i, c in enumerate(CHARS)})])
def test_vocab_files_in_each_form(tmp_path, content):
    np.savez(tmp_path / "sd.npz", **make_arrays())
    f = tmp_path / "vocab"
    f.write_text(content, encoding="utf-8")
    saved = statedict.load(tmp_path / "sd.npz", vocab_file=f)
    assert "".join(saved.model.task.vocab) == CHARS


@pytest.mark.parametrize("kwargs, option, words", [
    ({}, "--vocab", "without a vocabulary"),
    ({"vocab": "abc"}, "--vocab", "has 3 characters, but the model reads 19 one-hot inputs (lstm.weight_ih_l0 has "
                                  "19 columns)"),
    ({"vocab": CHARS[:-1] + "a"}, "--vocab", "has 'a' twice (indices 6 and 18)"),
    ({"vocab": ""}, "--vocab", "is empty"),
])
def test_bad_vocabularies(tmp_path, kwargs, option, words):
    np.savez(tmp_path / "sd.npz", **make_arrays())
    with pytest.raises(BadValueError) as e:
        statedict.load(tmp_path / "sd.npz", **kwargs)
    assert e.value.option == option and words in e.value.message, e.value.message


def test_a_vocab_file_with_a_final_newline_says_so(tmp_path):
    np.savez(tmp_path / "sd.npz", **make_arrays())
    f = tmp_path / "vocab.txt"
    f.write_text(CHARS + "\n")
    with pytest.raises(BadValueError, match="final newline counts"):
        statedict.load(tmp_path / "sd.npz", vocab_file=f)


@pytest.mark.parametrize("change, words", [
    (lambda a: a.update({"norm.weight": np.ones(3, np.float32)}), "cannot place: norm.weight"),
    (lambda a: a.update({"dec.weight_ih_l0": a["lstm.weight_ih_l0"]}), "holds 2 recurrent cells"),
    (lambda a: a.update({"fc.weight": np.ones((5, 6), np.float32)}), "fc.weight should be finite numbers of shape "
                                                                     "(19, 6)"),
    (lambda a: a.update({"head.weight": a["fc.weight"], "head.bias": a["fc.bias"]}), "has 2 heads"),
    (lambda a: a.pop("fc.weight"), "has fc.bias but no fc.weight"),
    (lambda a: [a.pop(k) for k in list(a) if "weight_ih" in k], "holds no recurrent cell"),
    (lambda a: a.update({"lstm.weight_ih_l0_reverse": a["lstm.weight_ih_l0"]}), "bidirectional"),
])
def test_state_dicts_rnn_tutor_cannot_read_are_named(tmp_path, change, words):
    arrays = make_arrays()
    change(arrays)
    np.savez(tmp_path / "sd.npz", **arrays)
    with pytest.raises(RnnTutorError) as e:
        statedict.load(tmp_path / "sd.npz", vocab=CHARS)
    assert words in e.value.message, e.value.message


def test_a_bias_free_head_reads_as_zero_bias(tmp_path):
    arrays = make_arrays()
    arrays.pop("fc.bias")
    np.savez(tmp_path / "sd.npz", **arrays)
    saved = statedict.load(tmp_path / "sd.npz", vocab=CHARS)
    assert np.array_equal(saved.model.params["head.bias"], np.zeros(len(CHARS)))


def test_torch_state_dict_gives_torchs_bits(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    V = len(CHARS)

    class CharLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Embedding(V, 5)
            self.lstm = torch.nn.LSTM(5, 7, num_layers=2, batch_first=True)
            self.fc = torch.nn.Linear(7, V)

        def forward(self, ids):
            return self.fc(self.lstm(self.encoder(ids))[0])

    net = CharLM().eval()
    np.savez(tmp_path / "torch.npz", **{k: v.numpy() for k, v in net.state_dict().items()})
    (tmp_path / "vocab.json").write_text(json.dumps(list(CHARS)))
    saved = statedict.load(tmp_path / "torch.npz", vocab_file=tmp_path / "vocab.json")
    ids = torch.tensor([[CHARS.index(c) for c in "\n" + TEXT]])
    with torch.no_grad():
        logp = torch.log_softmax(net(ids)[0].double(), -1).numpy()  # (T + 1, V), float32 inside torch
    theirs = -logp[np.arange(len(TEXT)), ids[0, 1:].numpy()] / np.log(2)
    ours = units.read(saved.model, TEXT).bits
    assert np.allclose(ours, theirs, atol=1e-4)  # torch computes in float32, rnn-tutor in float64
