"""Hostile decks and imports (issue 17 §2), generated here: parser limits, caps, derived-id collisions and the
move to 64-bit ids, non-finite and off-calendar state values. Each ends in exit 2 with a message naming the
file and line, changes nothing the user owns, and stays within bounded memory."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest

from rnn_tutor.quiz import cards as cards_mod, schedule, transfer
from rnn_tutor.quiz.cards import Card, derived_id, legacy_id, parse_toml
from rnn_tutor.quiz.store import Store
from tests.fuzzing import invoke, loads_strict
from tests.hostile import snapshot

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


def _refused(args, *words, home=None, code=2, measure=True):
    """Run a quiz command; it must fail with ``code`` naming ``words``, in bounded memory (when ``measure``),
    changing nothing."""
    watched = home or os.getcwd()
    before = snapshot(watched)
    if measure:
        tracemalloc.start()
    t = time.process_time()
    try:
        r = invoke(args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    cpu = time.process_time() - t
    assert r.exit_code == code, (r.exit_code, r.stderr)
    assert r.stderr.startswith("Error: ") and "internal error" not in r.stderr and "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
    assert snapshot(watched) == before
    assert peak < 200_000_000 and cpu < 60, (peak, cpu)  # bounds, not speed: far from the GBs of the report
    return r


@pytest.fixture
def home(tmp_path):
    """A data directory holding one real review, so 'nothing changed' means something."""
    data = tmp_path / "home"
    sched = schedule.make_scheduler(fuzzing=False)
    with Store.open(data) as s:
        s.record_review(Card("c1", "t", "Q?", "A."), 3, T0, sched)
    return data


# ------------------------------------------------------------------------------------------- parser limits


@pytest.mark.parametrize("body, line, command", [
    ("x = " + "[" * 5000 + "]" * 5000, 4, ["quiz", "list", "--deck"]),
    ("\n\nx = " + "{a=" * 3000 + "1" + "}" * 3000, 6, ["quiz", "import"]),
], ids=["arrays-list", "tables-import"])
def test_deeply_nested_toml_names_the_line(tmp_path, home, body, line, command):
    deck = tmp_path / "deep.toml"
    deck.write_text('[[card]]\nquestion = "q"\nanswer = "a"\n' + body + "\n")
    _refused([*command, str(deck), "--data-dir", str(home)], f"deep.toml, line {line}", "nested too deeply",
             home=home)


def test_a_huge_integer_in_toml(tmp_path, home):
    deck = tmp_path / "big.toml"
    deck.write_text('[[card]]\nquestion = "q"\nanswer = "a"\nlength = ' + "9" * 5001 + "\n")
    _refused(["quiz", "list", "--deck", str(deck), "--data-dir", str(home)], "big.toml, line 4", "more digits than Python converts", home=home)


def _export_line(**changes) -> str:
    state = {"card_id": 1, "state": 2, "step": None, "stability": 3.5, "difficulty": 5.0,
             "due": "2026-12-01T09:00:00+00:00", "last_review": "2026-11-28T09:00:00+00:00"}
    state.update(changes.pop("state", {}))
    row = {"uid": "u1", "card_id": "order-matters", "topic": "t", "reviewed_at": "2026-11-28T09:00:00Z",
           "grade": 3, "cram": False, "first": True, "correct": None, "state_after": state}
    row.update(changes)
    return json.dumps(row)


HOSTILE_LINES = [
    ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
    ('{"uid": "a", "grade": ' + "9" * 5001 + "}", ["more digits than Python converts"]),
    (_export_line(state={"stability": float("nan")}), ["NaN is not a JSON number"]),
    (_export_line(state={"difficulty": float("inf")}), ["Infinity is not a JSON number"]),
    (_export_line().replace('"stability": 3.5', '"stability": 1e999'), ["'stability' must be", "finite"]),
    (_export_line(state={"difficulty": 11.0}), ["'difficulty' must be", "from 1 to 10"]),
    (_export_line(state={"state": 7}), ["'state' must be 1, 2 or 3"]),
    (_export_line(state={"due": "9999-12-31T23:59:59-05:00"}), ["'due' must be a date-time"]),
    (_export_line(reviewed_at="0001-01-01T00:00:00+01:00"), ["'reviewed_at' is not a date-time", "0001-01-01"]),
    (_export_line(reviewed_at="9999-12-31T23:59:59-05:00"), ["'reviewed_at' is not a date-time", "9999-12-31"]),
    (_export_line(reviewed_at="1969-12-31T23:59:59Z"), ["'reviewed_at' is not a date-time from 1970"]),
    (_export_line(grade=True), ["'grade' must be 1, 2, 3 or 4"]),
    (_export_line(topic=["x"]), ["'topic' must be text"]),
]


def test_hostile_export_lines_are_refused_with_the_line(tmp_path, home):
    for line, words in HOSTILE_LINES:
        path = tmp_path / "h.jsonl"
        path.write_text(_export_line(uid="ok") + "\n\n" + line + "\n")
        _refused(["quiz", "import", str(path), "--data-dir", str(home)], "h.jsonl, line 3", *words, home=home,
                 measure=len(line) > 10_000)  # the parser-limit lines


def test_the_same_checks_apply_to_a_csv_export(tmp_path, home):
    row = json.loads(_export_line(state={"stability": 1e308 * 10}))
    text = transfer.history_csv([dict(row, grade_name="good", due=None)]).replace("inf", "Infinity")
    (tmp_path / "h.csv").write_text(text)
    _refused(["quiz", "import", str(tmp_path / "h.csv"), "--data-dir", str(home)], "h.csv, line 2",
             "Infinity is not a JSON number", home=home)


# ------------------------------------------------------------------------------------------- caps


def test_deck_byte_cap(tmp_path, home):
    deck = tmp_path / "big.toml"
    with open(deck, "w") as fh:
        fh.write('[[card]]\nquestion = "q"\nanswer = "a"\n')
        fh.write(("# " + "x" * 98 + "\n") * (cards_mod.MAX_DECK_BYTES // 100 + 1))
    _refused(["quiz", "list", "--deck", str(deck), "--data-dir", str(home)], "larger than 10 MB", home=home)
    _refused(["quiz", "import", str(deck), "--data-dir", str(home)], "larger than 10 MB", home=home)


@pytest.mark.parametrize("fmt", ["toml", "inline", "csv"])
def test_deck_card_cap(tmp_path, home, fmt, monkeypatch):
    monkeypatch.setattr(cards_mod, "MAX_DECK_CARDS", 500)  # the rule, at a size a fast test affords
    n = cards_mod.MAX_DECK_CARDS + 1
    deck = tmp_path / ("d.csv" if fmt == "csv" else "d.toml")
    if fmt == "toml":
        deck.write_text("".join(f'[[card]]\nquestion="q{i}"\nanswer="a"\n' for i in range(n)))
        where = f"d.toml, line {3 * (n - 1) + 1}"  # the header of card 501
    elif fmt == "inline":
        deck.write_text("card = [\n" + "".join(f'{{question="q{i}",answer="a"}},\n' for i in range(n)) + "]\n")
        where = "d.toml"
    else:
        deck.write_text("question,answer\n" + "".join(f"q{i},a\n" for i in range(n)))
        where = f"d.csv, line {n + 1}"
    _refused(["quiz", "list", "--deck", str(deck), "--data-dir", str(home)], where, "more than 500 cards",
             home=home)


def test_history_cap(tmp_path, home, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_HISTORY_REVIEWS", 2)
    path = tmp_path / "h.jsonl"
    path.write_text("".join(_export_line(uid=f"u{i}") + "\n" for i in range(3)))
    _refused(["quiz", "import", str(path), "--data-dir", str(home)], "h.jsonl, line 3", "more than 2 reviews",
             home=home)


@pytest.mark.slow
def test_a_deck_at_the_cap_still_loads():
    text = "".join(f'[[card]]\nquestion="q{i}"\nanswer="a"\n' for i in range(cards_mod.MAX_DECK_CARDS))
    assert len(parse_toml(text, name="d.toml")) == cards_mod.MAX_DECK_CARDS


# ------------------------------------------------------------------------------------------- derived ids


def test_derived_ids_have_64_bits_and_keep_the_old_id_as_a_prefix():
    import hashlib

    q = "What does the forget gate multiply?"
    new = derived_id(q)
    assert len(new) == 18 and new == "q-" + hashlib.sha1(q.lower().encode()).hexdigest()[:16]
    assert legacy_id(Card(new, "t", q, "a")) == new[:12]  # the 40-bit id older versions derived
    assert legacy_id(Card("my-id", "t", q, "a")) is None  # a given id is never rewritten


def _old_store(data, questions, sched):
    """A store as an older rnn-tutor left it: progress under 40-bit derived ids, one card imported."""
    with Store.open(data) as s:
        for i, q in enumerate(questions):
            old = derived_id(q)[:12]
            s.record_review(Card(old, "t", q, "a"), 3, T0 + timedelta(minutes=i), sched)
        first = questions[0]
        s.conn.execute("INSERT INTO user_cards (id, topic, question, answer, see_also, added_at) VALUES "
                       "(?, 't', ?, 'a', '', '2026-11-28T09:00:00.000000Z')", (derived_id(first)[:12], first))


def test_history_under_old_ids_is_adopted_not_orphaned(tmp_path):
    sched = schedule.make_scheduler(fuzzing=False)
    questions = ["Imported question?", "Deck question one?", "Deck question two?"]
    data = tmp_path / "home"
    _old_store(data, questions, sched)
    # opening adopts the imported card at once: its row, reviews and schedule move to the 64-bit id
    with Store.open(data) as s:
        new0 = derived_id(questions[0])
        assert [c.id for c in s.user_cards()] == [new0]
        assert s.state(new0) is not None and s.review_count(new0) == 1
    # a --deck file with the other two: their progress shows under the new ids
    deck = tmp_path / "mine.toml"
    deck.write_text("".join(f'[[card]]\nquestion = "{q}"\nanswer = "a"\n' for q in questions[1:]))
    r = invoke(["quiz", "list", "--deck", str(deck), "--data-dir", str(data), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    rows = loads_strict(r.stdout)
    assert [row["id"] for row in rows] == [derived_id(q) for q in questions[1:]]
    assert all(row["reviews"] == 1 and row["state"] != "new" for row in rows), rows
    # importing the same deck again makes no second copy of the imported card
    (tmp_path / "again.toml").write_text(f'[[card]]\nquestion = "{questions[0]}"\nanswer = "b"\n')
    assert invoke(["quiz", "import", str(tmp_path / "again.toml"), "--data-dir", str(data)]).exit_code == 0
    with Store.open(data) as s:
        assert [c.answer for c in s.user_cards()] == ["b"] and s.review_count() == 3
        assert not s.conn.execute("SELECT 1 FROM reviews WHERE length(card_id) = 12").fetchall()


def test_an_old_export_imported_later_is_adopted_too(tmp_path):
    sched = schedule.make_scheduler(fuzzing=False)
    q = "Exported long ago?"
    with Store.open(tmp_path / "old") as s:
        s.record_review(Card(derived_id(q)[:12], "t", q, "a"), 4, T0, sched)
        text = transfer.history_jsonl([r.as_record() for r in s.reviews()])
    (tmp_path / "h.jsonl").write_text(text)
    (tmp_path / "d.toml").write_text(f'[[card]]\nquestion = "{q}"\nanswer = "a"\n')
    data = str(tmp_path / "new")
    assert invoke(["quiz", "import", str(tmp_path / "h.jsonl"), "--data-dir", data]).exit_code == 0
    r = invoke(["quiz", "list", "--deck", str(tmp_path / "d.toml"), "--data-dir", data, "-f", "json"])
    assert loads_strict(r.stdout)[0]["reviews"] == 1


# ------------------------------------------------------------------------------------------- stored rows


def test_export_survives_any_stored_row(tmp_path, home):
    """Rows written around the import checks (by hand, by an older version): export, list and stats still
    work, the bad rows are skipped and named, and the output stays strict JSON."""
    conn = sqlite3.connect(home / "quiz.sqlite3")
    good = conn.execute("SELECT state_after FROM reviews").fetchone()[0]
    nan_state = good.replace('"stability": ', '"stability": NaN, "x": ')
    far = json.dumps(dict(json.loads(good), due="9999-12-31T23:59:59-05:00"))
    rows = [("nan", "c2", "t", "2026-11-28T10:00:00.000000Z", 3, nan_state),
            ("far", "c3", "t", "2026-11-28T10:00:00.000000Z", 3, far),
            ("blob", "c4", b"\x00\xff", "2026-11-28T10:00:00.000000Z", 3, good),
            ("edge", "c5", "t", "0001-01-01T00:00:00+01:00", 3, good)]
    conn.executemany("INSERT INTO reviews (uid, card_id, topic, reviewed_at, grade, state_after) "
                     "VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO card_state VALUES ('c2', ?, '2026-12-01', '2026-11-28')", (nan_state,))
    conn.commit()
    conn.close()
    for args in (["quiz", "export"], ["quiz", "export", "--format", "csv"], ["quiz", "list", "-f", "json"],
                 ["quiz", "stats", "-f", "json"]):
        r = invoke([*args, "--data-dir", str(home)])
        assert r.exit_code == 0, (args, r.stderr)
        assert "cannot be read" in r.stderr and "internal error" not in r.stderr
        if args[1] == "export" and "csv" not in args:
            lines = [loads_strict(x) for x in r.stdout.splitlines()]
            assert [x["card_id"] for x in lines] == ["c1"]
        elif "json" in args:
            loads_strict(r.stdout)
    r = invoke(["quiz", "export", "--data-dir", str(home)])
    assert all(uid in r.stderr for uid in ("uid nan", "uid far", "uid blob")) or "more" in r.stderr
