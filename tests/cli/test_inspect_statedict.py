"""``inspect`` and ``sample`` on a bare PyTorch state_dict (numpy.savez, torch's names), with ``--vocab`` /
``--vocab-file``; with and without the head."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.core.test_statedict import CHARS, TEXT, make_arrays, reference_bits
from tests.fuzzing import loads_strict


@pytest.fixture
def files(tmp_path):
    arrays = make_arrays()
    np.savez(tmp_path / "sd.npz", **arrays)
    np.savez(tmp_path / "bare.npz", **make_arrays(head=None, prefix=""))
    (tmp_path / "vocab.txt").write_text(CHARS)
    return tmp_path, arrays


def test_inspect_a_state_dict_with_its_head(cli, files):
    d, arrays = files
    r = cli(["inspect", str(d / "sd.npz"), "--vocab-file", str(d / "vocab.txt"), "--text", TEXT, "--surprise",
             "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    bits, _ = reference_bits(arrays, "lstm", TEXT, CHARS)
    assert [c["char"] for c in data["chars"]] == list(TEXT)
    assert np.allclose([c["bits"] for c in data["chars"]], bits, atol=1e-9)
    table = cli(["inspect", str(d / "sd.npz"), "--vocab", CHARS, "--text", TEXT])
    assert table.exit_code == 0 and TEXT in table.stdout and "no head" not in table.stderr


def test_inspect_a_state_dict_without_a_head(cli, files):
    d, _ = files
    args = ["inspect", str(d / "bare.npz"), "--vocab-file", str(d / "vocab.txt"), "--text", TEXT]
    r = cli(args + ["--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert all(c["bits"] is None for c in loads_strict(r.stdout)["chars"])
    assert "has no head" in r.stderr and "--surprise need the head's logits" in r.stderr
    found = cli(args + ["--find", "--format", "json"])
    assert found.exit_code == 0 and loads_strict(found.stdout)["features"][0]["feature"] == "bracket depth"
    r = cli(args + ["--surprise"])
    assert r.exit_code == 2 and "--surprise" in r.stderr and "needs the model's head" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_state_dict_needs_its_vocabulary(cli, files):
    d, _ = files
    r = cli(["inspect", str(d / "sd.npz"), "--text", TEXT])
    assert r.exit_code == 2 and "bare state_dict" in r.stderr and "--vocab" in r.stderr
    r = cli(["inspect", str(d / "sd.npz"), "--vocab", "abc", "--text", TEXT])
    assert r.exit_code == 2 and "reads 19 one-hot inputs" in r.stderr
    r = cli(["inspect", str(d / "sd.npz"), "--vocab", CHARS, "--vocab-file", str(d / "vocab.txt"), "--text", TEXT])
    assert r.exit_code == 2 and "not both" in r.stderr
    r = cli(["inspect", str(d / "sd.npz"), "--vocab", CHARS])
    assert r.exit_code == 2 and "state_dict, which does not say what it was trained on" in r.stderr


def test_sample_a_state_dict(cli, files):
    d, _ = files
    (d / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(CHARS)}))
    args = ["sample", str(d / "sd.npz"), "--vocab-file", str(d / "vocab.json"), "-n", "30", "--seed", "3"]
    a, b = cli(args), cli(args)
    assert a.exit_code == 0 and a.stdout == b.stdout and set(a.stdout) <= set(CHARS)
    r = cli(["sample", str(d / "bare.npz"), "--vocab", CHARS])
    assert r.exit_code == 1 and "has no head" in r.stderr


def test_an_rnn_tutor_model_refuses_a_vocab(cli, tmp_path):
    from tests.cli.test_lm import TINY

    path = tmp_path / "m.npz"
    assert cli(["train", "--task", "text", *TINY, "--save", str(path), "--sample-every", "0"]).exit_code == 0
    r = cli(["inspect", str(path), "--vocab", "abc", "--text", "(owl)"])
    assert r.exit_code == 2 and "knows its characters" in r.stderr
