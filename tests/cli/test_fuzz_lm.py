"""Fuzz the language model's commands (``train --task text``, ``compare --task text``, ``sample``, ``inspect``) with
hostile values and files: never a traceback, exit 0/1/2, valid JSON when they succeed. Sizes come from small sets
so that every example trains for a few steps at most."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import check_invocation, formats, nasty_values

_DIR = Path(tempfile.mkdtemp(prefix="rnn-tutor-fuzz-lm-"))


def _files() -> dict[str, str]:
    made = {
        "good.txt": "the cat sat on the mat\n".encode() * 60,
        "empty.txt": b"",
        "nul.txt": b"abc\x00def" * 100,
        "latin1.txt": "caf\xe9 ".encode("latin-1") * 300,
        "short.txt": b"hi",
        "one.txt": b"x" * 2000,
        "wide.txt": "".join(chr(0x3000 + i % 500) for i in range(4000)).encode(),
        "bom.txt": b"\xef\xbb\xbf" + b"(a [b] c)\n" * 200,
    }
    out = {}
    for name, data in made.items():
        (_DIR / name).write_bytes(data)
        out[name] = str(_DIR / name)
    return out


FILES = _files()
VOCAB = __import__("rnn_tutor.core.corpus", fromlist=["x"]).BRACKETS_VOCAB
TEXTS = ["brackets", "lessons", "BRACKETS", "stdlib", "-", "", " ", str(_DIR), str(_DIR / "missing.txt"),
         "/dev/null", *FILES.values()]
SIZES = {
    "--steps": ["0", "1", "2", "-1", "abc"],
    "--length": ["0", "1", "5", "-1", "10001", "abc"],
    "--hidden": ["0", "1", "3", "1025", "abc"],
    "--batch": ["0", "1", "2", "4097", "x"],
    "--max-chars": ["0", "999", "1000", "3000", "50000001", "abc", "1e4"],
    "--eval-every": ["0", "1", "x"],
    "--sample-every": ["0", "1", "-1", "x"],
}
TRAIN_OPTIONS = ["--cell", "--text", "--valid", "--max-chars", "--length", "--hidden", "--steps", "--batch", "--lr",
                 "--clip", "--sample-every", "--dtype", "--seed"]
STDIN = ["", "hello hello hello\n" * 30, "\x00\x01", "é" * 500, "(a [b] c)\n" * 100]


def _value(opt: str):
    if opt in SIZES:
        return st.sampled_from(SIZES[opt])
    if opt in ("--text", "--valid"):
        return st.sampled_from(TEXTS)
    if opt == "--cell":
        return st.sampled_from(["rnn", "gru", "lstm", "cnn", ""])
    if opt == "--dtype":
        return st.sampled_from(["float64", "float32", "float16"])
    return nasty_values


@st.composite
def lm_args(draw, command="train"):
    opts = draw(st.lists(st.sampled_from(TRAIN_OPTIONS), max_size=4, unique=True))
    args = [command, "--task", "text"]
    for opt in opts:
        args += [opt, draw(_value(opt))]
    for opt, safe in (("--steps", "2"), ("--length", "5"), ("--hidden", "3"), ("--batch", "2"),
                      ("--max-chars", "3000"), ("--eval-every", "1")):
        if opt not in opts:
            args += [opt, safe]
    if command == "train":
        args += ["--sample-every", draw(st.sampled_from(["0", "1"]))]
    return args + ["--format", draw(formats)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=lm_args(), stdin=st.sampled_from(STDIN))
def test_fuzz_train_text(args, stdin):
    r = check_invocation(args, input=stdin)
    assert "internal error" not in r.stderr


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=lm_args("compare"), stdin=st.sampled_from(STDIN))
def test_fuzz_compare_text(args, stdin):
    r = check_invocation(args, input=stdin)
    assert "internal error" not in r.stderr


@pytest.fixture(scope="module")
def lm_files():
    from rnn_tutor.core import train as core

    out = []
    for cell in ("lstm", "gru", "rnn"):
        r = core.train(core.TrainConfig(cell=cell, task="text", text="brackets", max_chars=3000, steps=2, hidden=3,
                                        batch=2, length=5, eval_every=2))
        out.append(str(core.save_model(_DIR / f"{cell}.npz", r)))
    toy = core.train(core.TrainConfig(task="recall", steps=1, eval_size=4, length=3, hidden=2))
    out.append(str(core.save_model(_DIR / "toy.npz", toy)))
    damaged = _DIR / "damaged.npz"
    damaged.write_bytes(Path(out[0]).read_bytes()[:300])
    return out + [str(damaged), str(_DIR / "missing.npz"), str(_DIR), FILES["good.txt"], *_state_dicts()]


def _state_dicts() -> list[str]:
    """PyTorch-style state_dicts (numpy.savez, torch's names) over the brackets characters: with a head, bare, and
    with an embedding; they need --vocab or --vocab-file."""
    import numpy as np

    from rnn_tutor.core import cells

    V = len(VOCAB)
    rng = np.random.default_rng(0)
    p = cells.init_params("lstm", V, 3, dtype=np.float32, num_layers=2)
    head = {"fc.weight": rng.normal(size=(V, 3)).astype(np.float32), "fc.bias": np.zeros(V, np.float32)}
    gru = cells.init_params("gru", 4, 3, dtype=np.float32)
    made = {"sd.npz": {"lstm." + k: v for k, v in p.items()} | head, "bare.npz": p,
            "emb.npz": {"rnn." + k: v for k, v in gru.items()} | {"encoder.weight": np.ones((V, 4), np.float32)}}
    for name, arrays in made.items():
        np.savez(_DIR / name, **arrays)
    return [str(_DIR / name) for name in made]


def _vocab_files() -> list[str]:
    import json

    made = {"vocab.txt": "".join(VOCAB), "vocab.json": json.dumps(list(VOCAB)), "vocab-nl.txt": "".join(VOCAB) + "\n",
            "vocab-bad.json": '{"a": 0, "b": 0}', "vocab-list.json": "[1, 2]"}
    for name, text in made.items():
        (_DIR / name).write_text(text, encoding="utf-8")
    return [str(_DIR / name) for name in made] + [FILES["empty.txt"], FILES["nul.txt"], str(_DIR)]


SAMPLE_OPTIONS = {"--length": ["0", "1", "7", "100001", "-3", "x"], "--temperature": ["0", "0.5", "1", "100", "101",
                  "-1", "nan", "inf", "1e-300"], "--prime": ["", "(", "(owl [", "zz", "\n", "🙂", "a" * 300],
                  "--seed": ["0", "1", "-1", "4294967296"], "--format": ["text", "json", "jsonl", "csv", "table"]}
INSPECT_OPTIONS = {"--text": ["(a [b] c)", "", "owl", "Z", "\n\n", "(" * 50], "--unit": ["0:0", "0:2", "1:0", "0:3",
                   "-1:0", "x", "", "0:", ":1", "2"], "--show": ["h", "c", "i", "f", "g", "o", "r", "z", "n", "q"],
                   "--max-chars": ["0", "1", "50", "200001", "x"], "--top": ["0", "1", "21", "x"],
                   "--file": [FILES["good.txt"], FILES["nul.txt"], FILES["empty.txt"], str(_DIR), "/dev/null"],
                   "--vocab": ["".join(VOCAB), "abc", "aa", "", "[", "{}"], "--vocab-file": _vocab_files()}
SAMPLE_OPTIONS |= {k: INSPECT_OPTIONS[k] for k in ("--vocab", "--vocab-file")}


def _options(data, table):
    opts = data.draw(st.lists(st.sampled_from(sorted(table)), max_size=3, unique=True))
    args = []
    for opt in opts:
        args += [opt, data.draw(st.one_of(st.sampled_from(table[opt]), nasty_values))]
    return args


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_sample(lm_files, data):
    args = ["sample", data.draw(st.sampled_from(lm_files)), *_options(data, SAMPLE_OPTIONS)]
    if "--length" not in args:
        args += ["--length", "20"]
    r = check_invocation(args)
    assert "internal error" not in r.stderr


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_inspect(lm_files, data):
    args = ["inspect", data.draw(st.sampled_from(lm_files)), *_options(data, INSPECT_OPTIONS)]
    if data.draw(st.booleans()):
        args.append(data.draw(st.sampled_from(["--find", "--surprise"])))
    if "--max-chars" not in args:
        args += ["--max-chars", "300"]
    r = check_invocation(args + ["--format", data.draw(formats)])
    assert "internal error" not in r.stderr
