"""Text sources for the language model: the built-in corpora, reading files, the vocabulary cap, and every bad input
(exit 2 with a message that names the problem)."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import corpus, lm, units
from rnn_tutor.errors import BadValueError


def test_brackets_are_seeded_balanced_and_nested():
    a = corpus.brackets_text(20_000, seed=0)
    assert a == corpus.brackets_text(20_000, seed=0) and a != corpus.brackets_text(20_000, seed=1)
    assert len(a) <= 20_000 and a.endswith("\n")
    lines = a.splitlines()
    assert all(lm.balanced(line) for line in lines)
    depths = units.bracket_depth(a)
    assert depths.max() == corpus.BRACKET_DEPTH  # deep enough that closing right needs memory
    assert set(a) == set(corpus.BRACKETS_VOCAB)
    assert set(a.split()) - set("()[]") and all(w.strip("()[]") in corpus.BRACKET_WORDS + ("",) for w in a.split())


def test_read_source_builtins(tmp_path):
    t = corpus.read_source("brackets", max_chars=5000)
    assert t.name == "brackets" and 0 < len(t.text) <= 5000
    les = corpus.read_source("lessons")
    assert "hidden state" in les.text and les.name == "lessons"
    std = corpus.read_source("stdlib", max_chars=5000)
    assert len(std.text) == 5000 and std.truncated and ".py files of" in std.note
    assert std.text == corpus.read_source("stdlib", max_chars=5000).text  # the same order every run


def test_read_a_file_and_its_cap(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("\ufeffhéllo wörld\n" * 100, encoding="utf-8")
    t = corpus.read_source(str(f))
    assert t.text.startswith("héllo") and not t.truncated  # the byte-order mark is dropped
    cut = corpus.read_source(str(f), max_chars=1000)
    assert len(cut.text) == 1000 and cut.truncated


@pytest.mark.parametrize("data, words", [
    (b"", "is empty"),
    (b"abc\x00def", "binary file (a NUL byte at offset 3"),
    (b"caf\xe9 au lait", "not UTF-8 text: byte 0xe9 at offset 3"),
    (b"ok\n" * 10 + b"\xff", "offset 30"),
])
def test_bad_bytes(tmp_path, data, words):
    f = tmp_path / "bad.txt"
    f.write_bytes(data)
    with pytest.raises(BadValueError) as e:
        corpus.read_source(str(f))
    assert e.value.option == "--text" and words in e.value.message
    with pytest.raises(BadValueError):
        corpus.from_bytes(data)


def test_a_character_cut_by_the_size_cap_is_not_an_error():
    text, truncated = corpus.decode("aé".encode() * 10, "x", "--text", max_chars=3, complete=False)
    assert text == "aéa" and truncated
    text, _ = corpus.decode("aé".encode()[:2], "x", "--text", max_chars=10, complete=False)
    assert text == "a"


def test_missing_folder_and_device(tmp_path):
    for path, words in ((tmp_path / "nope.txt", "does not exist"), (tmp_path, "is a folder")):
        with pytest.raises(BadValueError, match=words):
            corpus.read_source(str(path))
    with pytest.raises(BadValueError, match="not a regular file"):
        corpus.read_source("/dev/null")
    with pytest.raises(BadValueError, match="is empty"):
        corpus.read_source("  ")


def test_vocabulary_cap_keeps_the_most_frequent_and_counts_the_rest():
    common = "".join(chr(0x100 + i) * 5 for i in range(255))
    rare = "".join(chr(0x1000 + i) for i in range(45))
    vocab, unknown = corpus.build_vocab(common + rare + chr(0x100))
    assert vocab.size == corpus.MAX_VOCAB and vocab.unknown and unknown == 45
    ids, missing = vocab.encode(rare + chr(0x100))
    assert missing == 45 and set(ids[:45]) == {vocab.unknown_id} and vocab.symbol(vocab.unknown_id) == "\ufffd"
    assert list(ids[-1:]) == [vocab.chars.index(chr(0x100))]
    small, none = corpus.build_vocab("banana")
    assert small.chars == ("a", "b", "n") and none == 0 and not small.unknown
    assert small.decode(small.encode("nab")[0]) == "nab"
    assert corpus.Vocab.from_codepoints(vocab.codepoints()) == vocab


def test_prepare_checks_length_and_vocabulary():
    text = corpus.Text("t", "ab" * 100, False)
    with pytest.raises(BadValueError, match="needs at least 3,201"):
        lm.prepare(text, batch=32, length=100)
    data = lm.prepare(text, batch=2, length=10)
    assert len(data.valid_ids) == 20 and len(data.train_ids) == 180 and data.V == 2
    with pytest.raises(BadValueError, match="only one distinct character"):
        lm.prepare(corpus.Text("t", "a" * 1000, False), batch=2, length=10)
    with pytest.raises(BadValueError) as e:
        lm.prepare(text, corpus.Text("v.txt", "a", False), batch=2, length=10)
    assert e.value.option == "--valid"


def test_max_chars_bounds():
    for bad in (0, 999, corpus.MAX_CHARS_LIMIT + 1, 2.5, True, "10"):
        with pytest.raises(BadValueError) as e:
            corpus.check_max_chars(bad)
        assert e.value.option == "--max-chars"
    assert corpus.check_max_chars(1000) == 1000
