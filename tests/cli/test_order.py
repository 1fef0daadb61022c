"""``rnn-tutor order``: same words, different hidden states, in every format."""

from __future__ import annotations

import csv
import io

import pytest

from tests.fuzzing import invoke, loads_strict


def test_order_json_default_sentences():
    r = invoke(["order", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = loads_strict(r.stdout)
    assert data["sentence_a"] == "The dog bit the man" and data["sentence_b"] == "The man bit the dog"
    assert data["vocabulary"] == {"the": 1, "dog": 2, "bit": 3, "man": 4}
    assert data["same_bag"] is True and data["sum_a"] == data["sum_b"] == 11
    assert [s["h_a"] for s in data["steps"]] == [0.5, 1.25, 2.125, 1.5625, 2.78125]
    assert [s["h_b"] for s in data["steps"]] == [0.5, 2.25, 2.625, 1.8125, 1.90625]
    assert data["same_final"] is False and data["overflow"] is False
    assert data["vector_distance"] > 0 and data["bag_distance"] == 0
    assert r.stderr == ""


def test_order_table_says_same_bag_different_states():
    r = invoke(["order", "The dog bit the man", "The man bit the dog"])
    assert r.exit_code == 0
    out = r.stdout
    assert "Same bag of words: yes" in out
    assert "2.78125" in out and "1.90625" in out
    assert "different although the bags of words are equal" in " ".join(out.split())
    assert "≠ differ" in out and "= same" in out  # a glyph and a word, not colour alone
    assert max(len(line) for line in out.splitlines()) <= 80


def test_order_csv_rows():
    r = invoke(["order", "a b c", "c b a", "-w", "0.9", "-f", "csv"])
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["token_a"] for row in rows] == ["a", "b", "c"]
    assert [row["token_b"] for row in rows] == ["c", "b", "a"]
    assert float(rows[0]["h_a"]) == 0.5 and float(rows[0]["h_b"]) == 1.5
    assert float(rows[1]["diff"]) == pytest.approx((0.9 * 0.5 + 0.5 * 2) - (0.9 * 1.5 + 0.5 * 2))


def test_order_overflow_gives_valid_json():
    r = invoke(["order", "a b c d e", "e d c b a", "-w", "1e200", "-f", "json"])
    assert r.exit_code == 0
    data = loads_strict(r.stdout)
    assert data["overflow"] is True and data["final_a"] is None


def test_order_bad_values():
    r = invoke(["order", "", "b"])
    assert r.exit_code == 2 and "SENTENCE_A" in r.stderr and r.stdout == ""
    r = invoke(["order", "a", "b", "-w", "nan"])
    assert r.exit_code == 2 and "--weight" in r.stderr
    r = invoke(["order", "a", "b", "--activation", "cubic"])
    assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_order_needs_two_sentences_or_none():
    r = invoke(["order", "The cat sat"])
    assert r.exit_code == 2 and "SENTENCE_B" in r.stderr
    r = invoke(["order", "--format", "json"])
    assert loads_strict(r.stdout)["sentence_b"] == "The man bit the dog"
