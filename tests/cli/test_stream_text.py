"""``predict MODEL --stream`` on a language model: one character per input (newlines included), each answered with
the bits the model spent on it and its guess at the next one, the batch forward pass's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.fuzzing import invoke, loads_strict

TINY = ["--max-chars", "6000", "--hidden", "8", "--steps", "4", "--batch", "4", "--length", "20", "--eval-every",
        "2", "--sample-every", "0"]


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm-stream") / "b.npz"
    r = invoke(["train", "--task", "text", "--text", "brackets", "--cell", "gru", *TINY, "--save", str(path)])
    assert r.exit_code == 0, r.stderr
    return str(path)


def test_a_language_model_streams_character_by_character(text_model):
    from rnn_tutor.core import heads, lm, train

    text = "(owl [cat]\n(d"
    r = invoke(["predict", text_model, "--stream", "--format", "jsonl"], input=text.encode())
    assert r.exit_code == 0, r.stderr
    recs = [loads_strict(line) for line in r.stdout.splitlines()]
    assert [x["char"] for x in recs] == list(text) and [x["t"] for x in recs] == list(range(1, len(text) + 1))
    assert f"Streamed {len(text)} characters" in r.stderr
    # the batch forward pass over the start symbol (a newline) and the same characters, from a zero state
    model = train.load_model(text_model).model
    vocab = lm.vocab_of(model.task)
    ids = vocab.encode(text)[0]
    seq = np.concatenate([[lm.start_symbol(vocab)], ids])
    fwd = heads._forward(model, lm.one_hot(seq[None], vocab.size, np.float64))
    p = heads.softmax(heads.linear(model.params["head.weight"], model.params["head.bias"], np.asarray(fwd.h)[0]))
    for k, rec in enumerate(recs):  # p[k] is the guess after reading seq[k]: for text character k
        assert rec["bits"] == pytest.approx(-math.log2(p[k, ids[k]]), rel=1e-9)
        assert rec["next"] == vocab.symbol(int(p[k + 1].argmax()))
        assert rec["p_next"] == pytest.approx(p[k + 1].max(), rel=1e-9)


def test_the_stream_spends_the_bits_inspect_surprise_gives(text_model):
    text = "(owl [cat (fox)])\n[gnu (bee)]"
    stream = invoke(["predict", text_model, "--stream", "--format", "jsonl"], input=text.encode())
    shown = invoke(["inspect", text_model, "--text", text, "--surprise", "--format", "json"])
    assert stream.exit_code == 0 and shown.exit_code == 0, stream.stderr + shown.stderr
    streamed = [loads_strict(line)["bits"] for line in stream.stdout.splitlines()]
    inspected = [c["bits"] for c in loads_strict(shown.stdout)["chars"]]
    assert len(streamed) == len(inspected) == len(text)
    # the same numbers; inspect computes in the model's float32, the stream in float64
    assert streamed == pytest.approx(inspected, rel=1e-5, abs=1e-6)


def test_text_stream_tables_csv_and_bad_characters(text_model):
    r = invoke(["predict", text_model, "--stream", "--format", "csv"], input="(a\xe9)".encode() + b"\xff")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "t,char,bits,next,p_next" and len(lines) == 1 + 3
    assert "character 3: the character 'é' is not in the model's alphabet; skipped" in r.stderr
    assert "'\ufffd' is not in the model's alphabet" in r.stderr  # a byte that is not UTF-8
    table = invoke(["predict", text_model, "--stream"], input=b"[ab]")
    assert table.exit_code == 0 and "bits" in table.stdout and "Streamed 4 characters" in table.stderr
    empty = invoke(["predict", text_model, "--stream"], input=b"")
    assert empty.exit_code == 2 and "no characters arrived" in empty.stderr
