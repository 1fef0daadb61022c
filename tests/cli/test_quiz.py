"""`rnn-tutor quiz` through CliRunner: scripted sessions (one answer per line), subcommands."""

from __future__ import annotations

import csv
import io
import json
import os
import time

import pytest

from tests.fuzzing import loads_strict

T0 = "2026-11-28T09:00:00Z"
FIXED = ["--no-fuzz", "--now", T0]


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def home():
    return os.environ["RNN_TUTOR_HOME"]


def jsonl(text: str) -> list[dict]:
    return [loads_strict(line) for line in text.splitlines() if line.strip()]


def study(cli, answers: str, *args: str, now: str = T0):
    return cli(["quiz", "--no-fuzz", "--now", now, "--format", "jsonl", *args], input=answers)


def test_scripted_session_reveal_then_grade(cli):
    r = study(cli, "\n3\n\n1\n", "--limit", "2")
    assert r.exit_code == 0, r.stderr
    events = jsonl(r.stdout)
    assert [e["event"] for e in events] == ["review", "review", "summary"]
    assert [e["grade"] for e in events[:2]] == [3, 1]
    assert [e["interval"] for e in events[:2]] == [600.0, 60.0]  # Good: 10 min, Again: 1 min
    assert events[0]["card_id"] == "order-matters"
    assert events[2]["answered"] == 2 and events[2]["ended"] == "done"
    # The conversation is on stderr, never mixed into the data.
    assert "Q: " in r.stderr and "Good (10m)" in r.stderr and "Q: " not in r.stdout
    assert "Meaning depends on position" in r.stderr  # the answer was revealed


def test_grade_on_the_first_line_and_an_attempt_before_revealing(cli):
    r = study(cli, "4\nmy own attempt\ngood\n", "--limit", "2")
    events = jsonl(r.stdout)
    assert [e["grade"] for e in events[:2]] == [4, 3]


def test_eof_ends_cleanly_with_a_summary(cli):
    r = study(cli, "\n3\n\n", "--limit", "5")
    assert r.exit_code == 0
    events = jsonl(r.stdout)
    assert events[-1] == {**events[-1], "ended": "eof", "answered": 1, "remaining": 4}


def test_q_quits_and_unknown_grades_are_asked_again(cli):
    r = study(cli, "\nx\n\n2\nq\n", "--limit", "5")
    events = jsonl(r.stdout)
    assert events[0]["grade"] == 2
    assert events[-1]["ended"] == "quit" and events[-1]["answered"] == 1
    assert "'x' is not a grade" in r.stderr
    junk = study(cli, "\n" + "7" * 5000 + "\nq\n", "--limit", "1")  # a pasted page is not echoed whole
    assert "is not a grade" in junk.stderr and "7" * 30 not in junk.stderr


def test_table_summary_on_stdout(cli):
    r = cli(["quiz", *FIXED, "--limit", "1"], input="\n3\n")
    assert r.exit_code == 0
    assert "Session summary" in r.stdout and "1 of 1" in r.stdout
    assert "Q: " not in r.stdout


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_session_json_and_csv(cli, fmt):
    r = cli(["quiz", *FIXED, "--limit", "2", "--format", fmt], input="\n3\n\n4\n")
    assert r.exit_code == 0, r.stderr
    if fmt == "json":
        data = loads_strict(r.stdout)
        assert data["summary"]["answered"] == 2 and len(data["reviews"]) == 2
    else:
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        assert [row["grade"] for row in rows] == ["3", "4"]


def numeric_deck(tmp_path) -> str:
    path = tmp_path / "num.toml"
    path.write_text('[[numeric]]\nid = "n1"\nactivation = "linear"\nlength = 3\n', "utf-8")
    return str(path)


def test_numeric_card_wrong_answer_shows_steps_and_grades_again(cli, tmp_path):
    r = study(cli, "999\n", "--deck", numeric_deck(tmp_path))
    assert r.exit_code == 0, r.stderr
    event = jsonl(r.stdout)[0]
    assert event["correct"] is False and event["grade"] == 1 and event["given"] == 999
    assert "Worked steps" in r.stderr and "h_3 = w*h_2 + u*x_3" in r.stderr


def test_numeric_card_right_answer_then_grade(cli, tmp_path):
    from rnn_tutor.quiz.cards import load_deck
    from rnn_tutor.quiz.numeric import make_item

    deck = numeric_deck(tmp_path)
    item = make_item(load_deck(deck)[0], seed=0, nth=0)
    r = study(cli, f"nonsense\n{item.expected:.3f}\n3\n", "--deck", deck)
    event = jsonl(r.stdout)[0]
    assert event["correct"] is True and event["grade"] == 3
    assert event["expected"] == pytest.approx(item.expected)
    assert "is not a number" in r.stderr
    # next review of the same card asks about other numbers
    r2 = study(cli, "\n", "--deck", deck, "--cram")
    assert item.question.split("?")[0] not in r2.stderr


def test_new_card_cap_and_nothing_due(cli):
    r = study(cli, "\n3\n" * 5, "--new", "3")
    assert jsonl(r.stdout)[-1]["answered"] == 3
    again = study(cli, "", "--new", "3")
    assert jsonl(again.stdout)[-1]["planned"] == 0
    assert "Nothing is due" in again.stderr and "--cram" in again.stderr


def test_again_card_comes_back_when_due(cli):
    study(cli, "\n1\n", "--limit", "1")
    later = study(cli, "\n3\n", "--limit", "1", now="2026-11-28T09:02:00Z")
    assert jsonl(later.stdout)[0]["card_id"] == "order-matters"


def test_cram_leaves_the_schedule_alone(cli):
    study(cli, "\n3\n\n3\n", "--limit", "2")
    before = loads_strict(cli(["quiz", "list", "--format", "json"]).stdout)
    r = study(cli, "\n1\n\n1\n", "--cram", "--limit", "2", "--topic", "sequences")
    assert jsonl(r.stdout)[0]["due"] is None
    after = loads_strict(cli(["quiz", "list", "--format", "json"]).stdout)
    assert after == [dict(b, reviews=b["reviews"] + (1 if b["topic"] == "sequences" else 0))
                      for b in before]
    assert [a["due"] for a in after] == [b["due"] for b in before]
    stats = loads_strict(cli(["quiz", "stats", "--format", "json", "--now", T0]).stdout)
    assert stats["cram_reviews"] == 2 and stats["reviews_total"] == 2


def test_list_json_and_topic(cli):
    r = cli(["quiz", "list", "--format", "json"])
    cards = loads_strict(r.stdout)
    assert len(cards) >= 33
    assert {"id", "topic", "question", "answer", "see_also", "state", "due"} <= set(cards[0])
    lstm = loads_strict(cli(["quiz", "list", "--topic", "LSTM", "-f", "json"]).stdout)
    assert lstm and {c["topic"] for c in lstm} == {"lstm"}
    bad = cli(["quiz", "list", "--topic", "cooking"])
    assert bad.exit_code == 2 and "'--topic'" in bad.stderr and "gradients" in bad.stderr
    rows = list(csv.DictReader(io.StringIO(cli(["quiz", "list", "-f", "csv"]).stdout)))
    assert len(rows) == len(cards) and rows[0]["id"] == cards[0]["id"]


def test_list_due(cli):
    study(cli, "\n1\n\n4\n", "--limit", "2")
    due = loads_strict(cli(["quiz", "list", "--due", "-f", "json",
                            "--now", "2026-11-28T09:05:00Z"]).stdout)
    assert [c["id"] for c in due] == ["order-matters"]
    nothing = cli(["quiz", "list", "--due", "--now", "2026-11-28T09:00:30Z"])  # before the Again card's minute
    assert nothing.exit_code == 0 and "No card is due now" in nothing.stdout and "─" not in nothing.stdout
    assert loads_strict(cli(["quiz", "list", "--due", "-f", "json", "--now", "2026-11-28T09:00:30Z"]).stdout) == []


def test_stats_after_a_session(cli):
    study(cli, "\n3\n\n1\n\n4\n", "--limit", "3")
    study(cli, "\n3\n", "--limit", "1", now="2026-11-28T09:02:00Z")  # the Again card, repeated
    r = cli(["quiz", "stats", "--format", "json", "--now", "2026-11-28T10:00:00Z"])
    s = loads_strict(r.stdout)
    assert s["reviews_total"] == 4 and s["reviews_today"] == 4
    assert s["retention"] == 1.0 and s["streak_days"] == 1
    assert s["due_today"] == 2 and s["due_this_week"] == 2  # the two learning cards
    assert s["new"] == s["cards"] - 3
    table = cli(["quiz", "stats", "--now", "2026-11-28T10:00:00Z"])
    assert "Retention" in table.stdout and "100%" in table.stdout
    assert "─" in table.stdout and not set("┏┃│┡┗└") & set(table.stdout), table.stdout  # the house style
    assert max(len(line) for line in table.stdout.splitlines()) <= 80


def test_reset_asks_first(cli, home):
    study(cli, "\n3\n", "--limit", "1")
    no = cli(["quiz", "reset"], input="n\n")
    assert no.exit_code == 1 and "cancelled" in no.stderr and "(1 review)?" in no.stderr
    eof = cli(["quiz", "reset"], input="")
    assert eof.exit_code == 1
    assert loads_strict(cli(["quiz", "stats", "-f", "json"]).stdout)["reviews_total"] == 1
    yes = cli(["quiz", "reset", "--format", "json"], input="y\n")
    rec = loads_strict(yes.stdout)
    assert yes.exit_code == 0 and rec["reset"] and rec["reviews_removed"] == 1
    assert os.path.exists(rec["backup"]) and os.path.dirname(rec["backup"]) == home
    assert loads_strict(cli(["quiz", "stats", "-f", "json"]).stdout)["reviews_total"] == 0
    assert cli(["quiz", "reset", "--yes"]).exit_code == 0  # nothing to reset is fine


def test_import_deck_then_study_it(cli, tmp_path):
    deck = tmp_path / "mine.toml"
    deck.write_text('[[card]]\nid = "my-1"\ntopic = "mine"\nquestion = "Mine?"\nanswer = "Yes."\n')
    r = cli(["quiz", "import", str(deck), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert loads_strict(r.stdout) == {"kind": "deck", "file": str(deck), "added": 1, "updated": 0,
                                      "unchanged": 0, "builtin_skipped": 0}
    listed = loads_strict(cli(["quiz", "list", "--topic", "mine", "-f", "json"]).stdout)
    assert [c["id"] for c in listed] == ["my-1"] and listed[0]["source"] == "user"
    s = study(cli, "\n3\n", "--topic", "mine")
    assert jsonl(s.stdout)[0]["card_id"] == "my-1"
    deck.write_text('[[card]]\nid = "my-1"\ntopic = "mine"\nquestion = "Mine, reworded?"\n'
                    'answer = "Yes."\n')
    again = loads_strict(cli(["quiz", "import", str(deck), "-f", "json"]).stdout)
    assert again["updated"] == 1
    listed = loads_strict(cli(["quiz", "list", "--topic", "mine", "-f", "json"]).stdout)
    assert listed[0]["question"] == "Mine, reworded?" and listed[0]["reviews"] == 1


def test_import_refuses_builtin_ids_and_bad_files(cli, tmp_path):
    clash = tmp_path / "c.csv"
    clash.write_text("id,question,answer\nbptt,Q,A\n")
    r = cli(["quiz", "import", str(clash)])
    assert r.exit_code == 2 and "built-in" in r.stderr
    bad = tmp_path / "b.toml"
    bad.write_text('[[card]]\nquestion = "Q"\nanswer = "A"\n\n[[card]]\nquestion = "Only"\n')
    r = cli(["quiz", "import", str(bad)])
    assert r.exit_code == 2 and "line 5" in r.stderr and "answer" in r.stderr
    r = cli(["quiz", "--deck", str(bad)], input="")
    assert r.exit_code == 2 and "line 5" in r.stderr and "'--deck'" in r.stderr


@pytest.mark.parametrize("fmt, ext", [("jsonl", "jsonl"), ("csv", "csv")])
def test_export_import_round_trip(cli, tmp_path, fmt, ext):
    study(cli, "\n3\n\n1\n\n4\n", "--limit", "3")
    study(cli, "\n2\n", "--cram", "--limit", "1")
    out = tmp_path / f"history.{ext}"
    r = cli(["quiz", "export", "--format", fmt, "-o", str(out)])
    assert r.exit_code == 0 and "Exported 4 reviews" in r.stderr and r.stdout == ""
    fresh = tmp_path / "fresh"
    r = cli(["quiz", "import", str(out), "--data-dir", str(fresh), "-f", "json"])
    assert loads_strict(r.stdout)["added"] == 4
    r = cli(["quiz", "import", str(out), "--data-dir", str(fresh), "-f", "json"])
    assert loads_strict(r.stdout) == {**loads_strict(r.stdout), "added": 0, "skipped": 4}
    original = cli(["quiz", "export", "--format", fmt]).stdout
    restored = cli(["quiz", "export", "--format", fmt, "--data-dir", str(fresh)]).stdout
    assert original == restored == out.read_text()
    a = cli(["quiz", "list", "-f", "json"]).stdout
    b = cli(["quiz", "list", "-f", "json", "--data-dir", str(fresh)]).stdout
    assert a == b  # the schedule is restored too


def test_export_never_writes_over_the_progress_database(cli, home, tmp_path):
    """`quiz export -o <the store>` used to replace the database by text: the next run moved it aside and the
    user's own cards and schedule were gone."""
    study(cli, "\n3\n", "--limit", "1")
    store = os.path.join(home, "quiz.sqlite3")
    before = open(store, "rb").read()
    for target in (store, store + "-wal"):
        r = cli(["quiz", "export", "-o", target])
        assert r.exit_code == 2 and "--output" in r.stderr and "SQLite database" in r.stderr, r.stderr
    assert open(store, "rb").read() == before
    r = cli(["quiz", "stats", "-f", "json"])
    assert loads_strict(r.stdout)["reviews_total"] == 1 and "moved" not in r.stderr
    r = cli(["quiz", "export", "-o", str(tmp_path / "new.jsonl")])  # an ordinary file is still fine
    assert r.exit_code == 0 and (tmp_path / "new.jsonl").read_text().count("\n") == 1


def test_garbage_database_is_moved_aside(cli, home):
    path = os.path.join(home, "quiz.sqlite3")
    with open(path, "wb") as f:
        f.write(b"definitely not sqlite " * 50)
    r = study(cli, "\n3\n", "--limit", "1")
    assert r.exit_code == 0
    assert "moved to" in r.stderr and "not deleted" in r.stderr
    aside = [n for n in os.listdir(home) if n.startswith("quiz.sqlite3.unreadable-")]
    assert len(aside) == 1
    with open(os.path.join(home, aside[0]), "rb") as f:
        assert f.read() == b"definitely not sqlite " * 50
    assert jsonl(r.stdout)[-1]["answered"] == 1


def test_data_dir_option_and_env(cli, tmp_path, home):
    elsewhere = tmp_path / "elsewhere"
    study(cli, "\n3\n", "--limit", "1", "--data-dir", str(elsewhere))
    assert (elsewhere / "quiz.sqlite3").exists()
    assert not os.path.exists(os.path.join(home, "quiz.sqlite3"))
    # the group's --data-dir reaches the subcommand
    r = cli(["quiz", "--data-dir", str(elsewhere), "stats", "-f", "json"])
    assert loads_strict(r.stdout)["reviews_total"] == 1


def test_bad_values(cli):
    assert cli(["quiz", "--limit", "0"]).exit_code == 2
    r = cli(["quiz", "--now", "yesterday"], input="")
    assert r.exit_code == 2 and "'--now'" in r.stderr
    r = cli(["quiz", "--deck", "/nonexistent/deck.toml"], input="")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = cli(["quiz", "import", "/nonexistent/x.jsonl"])
    assert r.exit_code == 2


def test_help_has_examples(cli):
    for sub in ([], ["list"], ["stats"], ["reset"], ["import"], ["export"]):
        r = cli(["quiz", *sub, "--help"])
        assert r.exit_code == 0 and "rnn-tutor quiz" in r.stdout


def test_cli_module_does_not_import_heavy_things_at_top_level():
    import subprocess
    import sys

    code = ("import sys, rnn_tutor.cli.app; "
            "bad = [m for m in ('numpy', 'fsrs', 'sqlite3', 'rnn_tutor.quiz.store') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_card_that_comes_due_again_is_shown_again_before_the_end(cli, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from rnn_tutor.quiz import schedule

    real = schedule.utc
    ticks = {"now": datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)}

    def fake_utc(moment=None):  # a clock where two minutes pass between looks
        if moment is not None:
            return real(moment)
        ticks["now"] += timedelta(minutes=2)
        return ticks["now"]

    monkeypatch.setattr(schedule, "utc", fake_utc)
    r = cli(["quiz", "--no-fuzz", "--limit", "1", "-f", "jsonl"], input="\n1\n\n3\n\n3\n")
    events = jsonl(r.stdout)
    assert [e.get("card_id") for e in events[:-1]] == ["order-matters", "order-matters"]
    assert [e["grade"] for e in events[:-1]] == [1, 3]  # Again, then shown again: Good (10 min)
    assert events[-1]["planned"] == 2 and events[-1]["answered"] == 2


def test_user_text_is_never_read_as_markup(cli, tmp_path):
    deck = tmp_path / "m.csv"
    deck.write_text('id,topic,question,answer\nm1,[/]odd [b]topic,What is x[/i] or [bold]?,"[/] yes"\n')
    assert cli(["quiz", "import", str(deck)]).exit_code == 0
    listed = cli(["quiz", "list", "--topic", "[/]odd [b]topic"])
    assert listed.exit_code == 0, listed.stderr
    assert "What is x[/i] or [bold]?" in listed.stdout
    r = cli(["quiz", *FIXED, "--topic", "odd"], input="\n1\n")
    assert r.exit_code == 0 and "[/] yes" in r.stderr
    r = cli(["quiz", "stats", "--now", "2026-11-28T09:05:00Z"])
    assert r.exit_code == 0 and "[/]odd [b]topic" in r.stdout


def test_export_to_an_empty_output_name_is_a_bad_value(cli):
    """`quiz export --output ""` (found by the fuzz test) reached the internal-error catch-all through Path('')."""
    r = cli(["quiz", "export", "--output", ""])
    assert r.exit_code == 2 and "--output" in r.stderr and "internal error" not in r.stderr, r.stderr


def test_a_home_folder_under_an_unknown_user_is_a_bad_value(cli, monkeypatch):
    """RNN_TUTOR_HOME=~nosuchuser/x reached the internal-error catch-all (Path.expanduser's RuntimeError)."""
    monkeypatch.setenv("RNN_TUTOR_HOME", "~nosuchuser-rnn-tutor/x")
    r = cli(["quiz", "list"])
    assert r.exit_code == 2 and "RNN_TUTOR_HOME" in r.stderr and "internal error" not in r.stderr, r.stderr
    monkeypatch.delenv("RNN_TUTOR_HOME")
    r = cli(["quiz", "list", "--data-dir", "~nosuchuser-rnn-tutor/x"])
    assert r.exit_code == 2 and "--data-dir" in r.stderr and "internal error" not in r.stderr, r.stderr


def test_stats_table_rounds_percentages_half_away_from_zero(cli, home):
    """1 repeat of 8 not graded Again is 12.5%: the table says 13% (as the JSON's 0.125 rounds by the project's
    rule), not the 12% of Python's format, which rounds half to even."""
    from datetime import datetime, timedelta, timezone

    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz.cards import builtin_deck
    from rnn_tutor.quiz.store import Store

    card = next(c for c in builtin_deck() if c.kind == "text")
    sched = schedule.make_scheduler(fuzzing=False)
    start = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    with Store.open(home) as store:
        for i, grade in enumerate([3, 3] + [1] * 7):  # the first review, then 8 repeats: 1 Good, 7 Again
            store.record_review(card, grade, start + timedelta(hours=i), sched)
    s = loads_strict(cli(["quiz", "stats", "-f", "json", "--now", T0]).stdout)
    assert s["retention"] == 0.125
    table = cli(["quiz", "stats", "--now", T0]).stdout
    assert "12%" not in table
    retention_row = next(line for line in table.splitlines() if line.startswith("Retention"))
    assert retention_row.split() == ["Retention", "13%"]
    assert f"{card.topic} (13%)" in table  # the weakest topic, and its row in the topic table
    topic_row = next(line for line in table.splitlines() if line.split()[:1] == [card.topic])
    assert topic_row.split()[1:5] == [str(sum(c.topic == card.topic for c in builtin_deck())), "9", "7", "13%"]
