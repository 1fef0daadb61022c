"""To Anki and back: the .apkg read back with zipfile and sqlite3 (notes, fields, tags, ids stable across two
exports), genanki missing, and Anki's plain-text export read in with and without its header lines."""

from __future__ import annotations

import json
import sqlite3
import sys
import zipfile

import pytest

from rnn_tutor.quiz import anki
from rnn_tutor.quiz.cards import builtin_deck
from tests.fuzzing import loads_strict


def read_apkg(path, tmp_path) -> tuple[dict, dict, dict]:
    """notes by GUID ({id, mid, fields, tags}), the note types and the decks of an .apkg."""
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        z.extract("collection.anki2", tmp_path)
    conn = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        notes = {guid: {"id": nid, "mid": mid, "fields": flds.split("\x1f"), "tags": tags.split()}
                 for nid, guid, mid, flds, tags in conn.execute("SELECT id, guid, mid, flds, tags FROM notes")}
        models, decks = conn.execute("SELECT models, decks FROM col").fetchone()
        cards = conn.execute("SELECT nid, did FROM cards").fetchall()
    finally:
        conn.close()
    assert len(cards) == len(notes)  # one card per note
    return notes, json.loads(models), json.loads(decks)


def test_apkg_holds_one_note_per_card_with_tags_see_also_and_worked_numeric_examples(cli, tmp_path):
    pytest.importorskip("genanki")
    mine = tmp_path / "mine.csv"
    mine.write_text("id,topic,question,answer,see_also\nmy-1,my topic,Is <b> bold? & more,\"Yes,\nsure\",\n")
    assert cli(["quiz", "import", str(mine)]).exit_code == 0
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    r = cli(["quiz", "export", "--anki", str(first)])
    assert r.exit_code == 0, r.stderr
    assert "File > Import" in r.stderr and r.stdout == ""
    (tmp_path / "a").mkdir()
    notes, models, decks = read_apkg(first, tmp_path / "a")
    deck = builtin_deck()
    text = [c for c in deck if c.kind == "text"]
    numeric = [c for c in deck if c.kind == "numeric"]
    assert numeric and len(notes) == len(text) + 1 + anki.NUMERIC_SAMPLES * len(numeric)
    assert str(anki.MODEL_ID) in models and models[str(anki.MODEL_ID)]["name"] == anki.MODEL_NAME
    assert [f["name"] for f in models[str(anki.MODEL_ID)]["flds"]] == list(anki.FIELDS)
    assert str(anki.DECK_ID) in decks and decks[str(anki.DECK_ID)]["name"] == anki.DECK_NAME
    by_id = {n["fields"][4]: n for n in notes.values()}
    card = next(c for c in text if c.see_also)
    note = by_id[card.id]
    assert note["fields"][2] == card.see_also and note["fields"][3] == card.topic
    assert set(note["tags"]) == {anki.tag_for(card.topic), "rnn-tutor"}
    assert by_id["my-1"]["fields"][:2] == ["Is &lt;b&gt; bold? &amp; more", "Yes,<br>sure"]
    assert "my_topic" in by_id["my-1"]["tags"]
    worked = by_id[f"{numeric[0].id}:1"]
    assert "Worked steps:" in worked["fields"][1] and "h_1 = " in worked["fields"][1]
    assert "numeric" in worked["tags"] and anki.tag_for(numeric[0].topic) in worked["tags"]
    # Exported again: the same GUIDs (Anki's identity of a note), note type and deck.
    assert cli(["quiz", "export", "--anki", str(second)]).exit_code == 0
    (tmp_path / "b").mkdir()
    again, models2, decks2 = read_apkg(second, tmp_path / "b")
    assert set(again) == set(notes) and set(models2) == set(models) and set(decks2) == set(decks)
    assert all(again[g]["fields"] == notes[g]["fields"] and again[g]["mid"] == anki.MODEL_ID for g in notes)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rnn-tutor-anki-")]


def test_export_anki_refuses_other_names_and_output(cli, tmp_path):
    r = cli(["quiz", "export", "--anki", str(tmp_path / "deck.zip")])
    assert r.exit_code == 2 and ".apkg" in r.stderr
    r = cli(["quiz", "export", "--anki", str(tmp_path / "d.apkg"), "-o", str(tmp_path / "h.jsonl")])
    assert r.exit_code == 2 and "--anki" in r.stderr


def test_export_anki_without_genanki_says_how_to_install_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "genanki", None)  # import genanki -> ImportError
    r = cli(["quiz", "export", "--anki", str(tmp_path / "d.apkg")])
    assert r.exit_code == 1 and "genanki" in r.stderr and "pip install 'rnn-tutor[anki]'" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "d.apkg").exists()


ANKI_NOTES = (  # what Anki 2.1.55+ writes for "Notes in Plain Text" with every box ticked
    "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n"
    "Gx1!a\tBasic\tDefault\tWhat is <b>BPTT</b>?\tBackprop through time.<br>Over the unrolled steps.\trnn "
    "leech\n"
    "Hq2#b\tBasic\tDefault\t\"A tab\there and a \"\"quote\"\"\"\t1 &lt; 2&nbsp;always\t\n"
)


def test_anki_text_with_headers(cli, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(ANKI_NOTES)
    r = cli(["quiz", "import", str(path), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert loads_strict(r.stdout)["added"] == 2
    cards = {c["question"]: c for c in loads_strict(cli(["quiz", "list", "-f", "json"]).stdout)
             if c["source"] == "user"}
    bptt = cards["What is BPTT?"]
    assert bptt["answer"] == "Backprop through time.\nOver the unrolled steps." and bptt["topic"] == "rnn"
    assert bptt["id"].startswith("anki-")
    other = cards['A tab here and a "quote"']  # HTML: a tab is white space
    assert other["answer"] == "1 < 2 always" and other["topic"] == "Default"
    # A newer export of the same notes (same GUIDs) updates them instead of adding copies.
    path.write_text(ANKI_NOTES.replace("Over the unrolled steps.", "Along the unrolled steps."))
    again = loads_strict(cli(["quiz", "import", str(path), "-f", "json"]).stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 1, 1)


def test_anki_text_without_headers_and_cards_export(cli, tmp_path):
    path = tmp_path / "cards.txt"
    path.write_text("Front one\tBack one\tmy_tag other\n\nFront two\tBack two\n")
    r = cli(["quiz", "import", str(path), "-f", "json"])
    assert r.exit_code == 0, r.stderr and loads_strict(r.stdout)["added"] == 2
    cards = [c for c in loads_strict(cli(["quiz", "list", "-f", "json"]).stdout) if c["source"] == "user"]
    assert sorted((c["question"], c["answer"], c["topic"]) for c in cards) == [
        ("Front one", "Back one", "my tag"), ("Front two", "Back two", "anki")]
    cards_export = tmp_path / "cards2.txt"  # "Cards in Plain Text": two header lines, then question, answer
    cards_export.write_text("#separator:tab\n#html:false\nQ <3\tA & B\n")
    r = cli(["quiz", "import", str(cards_export), "-f", "json"])
    assert r.exit_code == 0 and loads_strict(r.stdout)["added"] == 1
    assert any(c["question"] == "Q <3" and c["answer"] == "A & B"
               for c in loads_strict(cli(["quiz", "list", "-f", "json"]).stdout))


@pytest.mark.parametrize("text, line, words", [
    ("Front\tBack\nOnly a front\n", 2, "one field"),
    ("#separator:tab\n#html:true\nfine\tyes\n\"never closed\tx\n", 4, "one field"),  # the quote runs on
    ("#separator:Semicolons\na;b\n", 1, "unknown separator"),
    ("#separator:tab\n#tags column:x\na\tb\n", 2, "column number"),
    ("no tabs at all\n", 1, "no tab"),
    ("#separator:tab\nQ\t\n", 2, "answer"),
    ("#separator:tab\n#guid column:1\ng1\tQ\tA\ng1\tQ2\tA2\n", 4, "twice"),
])
def test_anki_text_errors_name_the_line(cli, tmp_path, text, line, words):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    r = cli(["quiz", "import", str(path)])
    assert r.exit_code == 2, r.stdout
    assert f"line {line}" in r.stderr and words in r.stderr and "Traceback" not in r.stderr


def test_our_notes_coming_back_from_anki(cli, tmp_path):
    """Our package went to Anki; Anki's note export of it comes back: built-in notes are skipped (they are
    the deck), the user's own keep their ids."""
    cli(["quiz", "import", str(_write(tmp_path / "m.csv", "id,topic,question,answer\nmy-1,mine,Q?,A.\n"))])
    rows = ["#separator:tab", "#html:true", "#guid column:1", "#notetype column:2", "#deck column:3",
            "#tags column:9"]
    for card_id, topic, q, a in (("bptt", "gradients", "Q1", "A1"), ("num-linear-final:2", "hand trace", "Q", "A"),
                                 ("my-1", "mine", "Q?", "A, reworded.")):
        rows.append("\t".join(["g-" + card_id, anki.MODEL_NAME, anki.DECK_NAME, q, a, "", topic, card_id,
                               anki.tag_for(topic) + " rnn-tutor"]))
    back = _write(tmp_path / "back.txt", "\n".join(rows) + "\n")
    r = cli(["quiz", "import", str(back), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    rec = loads_strict(r.stdout)
    assert (rec["added"], rec["updated"], rec["builtin_skipped"]) == (0, 1, 2)
    mine = [c for c in loads_strict(cli(["quiz", "list", "-f", "json"]).stdout) if c["source"] == "user"]
    assert [(c["id"], c["answer"], c["topic"]) for c in mine] == [("my-1", "A, reworded.", "mine")]


def _write(path, text: str):
    path.write_text(text)
    return path
