"""Fuzz `rnn-tutor quiz` and its subcommands: any options, any answers on stdin -> no traceback,
exit 0/1/2 (or 130 never without Ctrl-C), valid JSON."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import check_invocation, formats, nasty_values

SESSION_OPTIONS = ["--limit", "-n", "--topic", "-t", "--new", "--deck", "--seed", "--now",
                   "--data-dir"]
SESSION_FLAGS = ["--cram", "--no-fuzz", "--fuzz"]
SUBCOMMANDS = {
    "list": (["--topic", "--deck", "--now", "--data-dir"], ["--due", "--leeches"]),
    "stats": (["--topic", "--now", "--data-dir", "--weeks"], []),
    "reset": (["--now", "--data-dir"], ["--yes"]),
    "import": (["--data-dir", "--now"], []),
    "export": (["--output", "-o", "--data-dir", "--anki"], []),
    "undo": (["--data-dir"], []),
}
answers = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.lists(st.sampled_from(["", " ", "1", "2", "3", "4", "5", "q", "good", "0.5", "nan",
                              "1e400", "-", "\x00", "🙂", "again", "u", "undo"]), max_size=12).map("\n".join),
)


def in_tmp(tmp_path_factory):
    """Run in a scratch directory: fuzzed paths (--data-dir x, -o y) must not land in the repo."""
    return tmp_path_factory.mktemp("fuzzcwd")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(st.tuples(st.sampled_from(SESSION_OPTIONS), nasty_values), max_size=3),
    flags=st.lists(st.sampled_from(SESSION_FLAGS), max_size=2, unique=True),
    fmt=formats,
    stdin=answers,
)
def test_quiz_session_fuzz(tmp_path_factory, pairs, flags, fmt, stdin):
    cwd = os.getcwd()
    os.chdir(in_tmp(tmp_path_factory))
    try:
        args = ["quiz"] + [x for p in pairs for x in p] + flags + ["--format", fmt]
        check_invocation(args, input=stdin)
    finally:
        os.chdir(cwd)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sub=st.sampled_from(sorted(SUBCOMMANDS)),
    data=st.data(),
    fmt=formats,
    stdin=answers,
    positional=st.one_of(st.none(), nasty_values, st.sampled_from(["deck.toml", "deck.csv",
                                                                  "h.jsonl", "bad.toml", "a.txt",
                                                                  "bad.txt"])),
)
def test_quiz_subcommands_fuzz(tmp_path_factory, sub, data, fmt, stdin, positional):
    options, flags = SUBCOMMANDS[sub]
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(options), nasty_values), max_size=3))
    chosen = data.draw(st.lists(st.sampled_from(flags), max_size=1)) if flags else []
    where = in_tmp(tmp_path_factory)
    (where / "deck.toml").write_text('[[card]]\nid = "f1"\nquestion = "Q"\nanswer = "A"\n')
    (where / "deck.csv").write_text("question,answer\nQ,A\nbroken\n")
    (where / "bad.toml").write_text("[[card]]\nquestion = \n")
    (where / "h.jsonl").write_text('{"uid": "x", "card_id": "c", "grade": 9}\n')
    (where / "a.txt").write_text('#separator:tab\n#html:true\n#guid column:1\ng\t<b>Q</b>\tA &amp; B\n')
    (where / "bad.txt").write_text('#separator:tab\n"Q\t\n\x00\t\n')
    cwd = os.getcwd()
    os.chdir(where)
    try:
        args = ["quiz", sub] + ([positional] if sub == "import" and positional is not None else [])
        args += [x for p in pairs for x in p] + chosen + ["--format", fmt]
        check_invocation(args, input=stdin)
    finally:
        os.chdir(cwd)
