"""Undo (u / undo in a session, quiz undo after), leeches, and the quiz's rough edges (issue 12 §7)."""

from __future__ import annotations


import pytest

from rnn_tutor.quiz.leeches import LEECH_LAPSES
from tests.fuzzing import loads_strict

T0 = "2026-11-28T09:00:00Z"


pytestmark = pytest.mark.usefixtures("local_utc")


def jsonl(text: str) -> list[dict]:
    return [loads_strict(line) for line in text.splitlines() if line.strip()]


def study(cli, answers: str, *args: str, now: str = T0):
    return cli(["quiz", "--no-fuzz", "--now", now, "--format", "jsonl", *args], input=answers)


def snapshot(cli) -> tuple[str, list]:
    """The whole history (export) and every card's schedule (list)."""
    export = cli(["quiz", "export"]).stdout
    cards = loads_strict(cli(["quiz", "list", "-f", "json", "--now", T0]).stdout)
    return export, [(c["id"], c["state"], c["due"], c["reviews"]) for c in cards]


def test_undo_in_a_piped_session_takes_back_the_grade_and_asks_again(cli):
    study(cli, "\n3\n", "--limit", "1")  # an earlier session: order-matters, Good
    before = snapshot(cli)
    later = "2026-11-28T09:20:00Z"  # order-matters is due again, then a new card
    r = study(cli, "\n1\nundo\n\n3\n\n4\n", "--limit", "2", now=later)
    assert r.exit_code == 0, r.stderr
    events = jsonl(r.stdout)
    assert [e["event"] for e in events] == ["review", "undo", "review", "review", "summary"]
    assert events[1]["uid"] == events[0]["uid"] and events[1]["card_id"] == events[0]["card_id"]
    assert events[1]["state"] == "learning" and events[1]["due"] == before[1][0][2]  # schedule as before
    assert events[2]["card_id"] == events[0]["card_id"] and events[2]["n"] == 1 and events[2]["grade"] == 3
    assert events[-1]["answered"] == 2 and events[-1]["undone"] == 1 and events[-1]["grades"]["again"] == 0
    assert "Took back Again on order-matters" in r.stderr
    # The history holds the earlier review and the two kept ones: the Again is gone, nothing else changed.
    export = [loads_strict(x) for x in cli(["quiz", "export"]).stdout.splitlines()]
    assert [(e["card_id"], e["grade"]) for e in export] == [("order-matters", 3), ("order-matters", 3),
                                                             (events[3]["card_id"], 4)]
    assert cli(["quiz", "export"]).stdout.startswith(before[0])


def test_undo_with_nothing_answered_yet_keeps_asking(cli):
    r = study(cli, "u\n\n3\n", "--limit", "1")
    events = jsonl(r.stdout)
    assert [e["event"] for e in events] == ["review", "summary"] and events[0]["grade"] == 3
    assert "Nothing to undo yet" in r.stderr


def test_quiz_undo_after_a_session_restores_history_and_schedule_exactly(cli):
    study(cli, "\n3\n\n4\n", "--limit", "2")
    before = snapshot(cli)
    study(cli, "\n1\n", "--limit", "1", now="2026-11-28T09:30:00Z")  # order-matters again: Again
    assert snapshot(cli) != before
    r = cli(["quiz", "undo", "-f", "json"])
    rec = loads_strict(r.stdout)
    assert r.exit_code == 0 and rec["undone"] and rec["card_id"] == "order-matters" and rec["grade"] == 1
    assert snapshot(cli) == before
    table = cli(["quiz", "undo"])  # the one before: the Easy on the second card -> new again
    assert "the card is new again" in " ".join(table.stdout.split())
    assert len(cli(["quiz", "export"]).stdout.splitlines()) == 1
    cli(["quiz", "undo"])
    empty = cli(["quiz", "undo"])
    assert empty.exit_code == 0 and "Nothing to undo" in empty.stdout
    assert loads_strict(cli(["quiz", "undo", "-f", "json"]).stdout) == {"undone": False}


def test_undo_of_a_cram_review_leaves_the_schedule(cli):
    study(cli, "\n3\n", "--limit", "1")
    before = snapshot(cli)
    study(cli, "\n1\n", "--cram", "--limit", "1", "--topic", "sequences")
    rec = loads_strict(cli(["quiz", "undo", "-f", "json"]).stdout)
    assert rec["cram"] and snapshot(cli) == before


def test_a_leech_is_named_with_its_lesson_and_command(cli):
    # order-matters: first review, then LEECH_LAPSES Agains (each a minute apart, when it is due again).
    study(cli, "\n3\n", "--limit", "1")
    minute = 10
    for i in range(LEECH_LAPSES):
        r = study(cli, "\n1\n", "--limit", "1", now=f"2026-11-28T09:{minute:02d}:00Z")
        minute += 2
        event = jsonl(r.stdout)[0]
        assert event["card_id"] == "order-matters"
        if i < LEECH_LAPSES - 1:
            assert event["leech"] is None and "leech" not in r.stderr
    assert f"order-matters is now a leech: {LEECH_LAPSES} lapses" in r.stderr
    assert "rnn-tutor learn order" in r.stderr and "rnn-tutor order" in r.stderr
    assert event["leech"] == {"card_id": "order-matters", "topic": "sequences", "lapses": LEECH_LAPSES,
                              "lesson": "rnn-tutor learn order", "see_also": "rnn-tutor order"}
    stats = loads_strict(cli(["quiz", "stats", "-f", "json", "--now", T0]).stdout)
    assert stats["leech_lapses"] == LEECH_LAPSES and [x["card_id"] for x in stats["leeches"]] == ["order-matters"]
    table = cli(["quiz", "stats", "--now", T0]).stdout
    assert "Leeches" in table and "order-matters" in table and "rnn-tutor learn order" in table
    listed = loads_strict(cli(["quiz", "list", "--leeches", "-f", "json"]).stdout)
    assert [c["id"] for c in listed] == ["order-matters"] and listed[0]["lapses"] == LEECH_LAPSES
    cli(["quiz", "undo"])  # one lapse fewer: no longer a leech
    assert "No leeches" in cli(["quiz", "list", "--leeches"]).stdout


def test_daily_cap_reached_says_so_and_how_to_raise_it(cli):
    study(cli, "\n3\n\n3\n", "--new", "2", "--topic", "grad")
    r = study(cli, "", "--new", "2", "--topic", "grad", now="2026-11-28T09:05:00Z")
    assert "daily cap (--new 2)" in r.stderr and "--new 12" in r.stderr
    table = cli(["quiz", "--no-fuzz", "--now", "2026-11-28T09:05:00Z", "--new", "2", "--topic", "grad"], input="")
    assert "Nothing is due" in table.stderr and "Studied" not in table.stdout and table.stdout == ""
    more = study(cli, "\n3\n", "--new", "3", "--topic", "grad", now="2026-11-28T09:05:00Z")
    assert jsonl(more.stdout)[0]["event"] == "review"


def test_summary_says_cards_are_due_instead_of_a_past_next_due(cli):
    study(cli, "\n3\n\n3\n\n3\n", "--limit", "3")
    r = cli(["quiz", "--no-fuzz", "--now", "2026-11-28T10:00:00Z", "--limit", "1"], input="\n3\n")
    assert "Due now  2 cards" in r.stdout and "Next due" not in r.stdout
    done = cli(["quiz", "--no-fuzz", "--now", "2026-11-28T10:00:00Z"], input="\n3\n\n3\n")
    assert "Next due" in done.stdout and "Due now" not in done.stdout


def test_importing_the_same_deck_twice_reports_no_change(cli, tmp_path):
    deck = tmp_path / "mine.csv"
    deck.write_text("id,question,answer\nm1,Q1?,A1\nm2,Q2?,A2\n")
    first = cli(["quiz", "import", str(deck)])
    assert "2 new cards" in " ".join(first.stdout.split())
    second = cli(["quiz", "import", str(deck), "-f", "json"])
    assert loads_strict(second.stdout) == {**loads_strict(second.stdout), "added": 0, "updated": 0,
                                           "unchanged": 2}
    assert "nothing changed" in " ".join(cli(["quiz", "import", str(deck)]).stdout.split())
    deck.write_text("id,question,answer\nm1,Q1?,A1 changed\nm2,Q2?,A2\n")
    assert "1 updated" in " ".join(cli(["quiz", "import", str(deck)]).stdout.split())


def test_the_lesson_pager_says_how_to_quit(monkeypatch):
    import io

    from rich.console import Console

    from rnn_tutor.core import lessons
    from rnn_tutor.render import learn

    shown = []
    monkeypatch.setattr(learn, "page", lambda text: shown.append(text) or True)  # the pager learn runs
    term = Console(file=io.StringIO(), force_terminal=True, width=80, height=20)
    monkeypatch.setattr(learn.render, "console", lambda: term)
    lesson = lessons.all_lessons()[3]
    learn.emit_lesson(lessons.render(lesson), 4, None, "table", pager=True)
    assert len(shown) == 1 and "q: quit" in shown[0].splitlines()[0]


def test_u_in_a_real_terminal_takes_back_the_grade(tmp_path):
    import os
    import shutil

    from tests.cli.test_quiz_process import _start_session, _tmux, _wait_for, reviews_in

    if shutil.which("tmux") is None:
        pytest.skip("needs tmux")
    home = tmp_path / "home"
    name = f"rnnquizu{os.getpid()}"
    _start_session(name, tmp_path, home, f"--no-fuzz --limit 2 > {tmp_path}/out.txt", "echo EXIT=$?\necho ALL-DONE\nsleep 30\n")
    try:
        _wait_for(name, "[1/2]")
        _tmux("send-keys", "-t", name, "Space")
        _wait_for(name, "Grade: 1 Again")
        _tmux("send-keys", "-t", name, "1")
        _wait_for(name, "[2/2]")
        _tmux("send-keys", "-t", name, "u")
        _wait_for(name, "Took back Again on order-matters")
        _tmux("send-keys", "-t", name, "Space")
        _tmux("send-keys", "-t", name, "3")
        _wait_for(name, "Good: saved")
        _tmux("send-keys", "-t", name, "q")
        screen = _wait_for(name, "ALL-DONE")
        assert "EXIT=0" in screen and screen.count("[1/2]") == 2
        out = (tmp_path / "out.txt").read_text()
        assert "Undone    1 grade taken back" in out and "Again 0" in out
        assert reviews_in(home) == 1
    finally:
        _tmux("kill-session", "-t", name)
