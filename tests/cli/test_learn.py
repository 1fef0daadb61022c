"""``rnn-tutor learn``: the list, every lesson, and every "try it" command in every lesson."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rnn_tutor.core.lessons import all_lessons, command_args
from tests.fuzzing import invoke, loads_strict, output_format

LESSONS = all_lessons()
COMMANDS = [(lesson.topic, c) for lesson in LESSONS for c in lesson.commands]
# try-it commands that train for long (tens of seconds) run with the slow tests: python -m pytest -m slow
SLOW_COMMANDS = {"rnn-tutor compare --task reverse --decoders plain,attention"}


def test_list_table_and_json():
    r = invoke(["learn"])
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    for i, lesson in enumerate(LESSONS, 1):  # a line each
        assert any(line.split()[:2] == [str(i), lesson.topic] and lesson.title in line
                   for line in lines if line.strip())
    data = loads_strict(invoke(["learn", "--format", "json"]).stdout)
    assert [d["topic"] for d in data] == [lesson.topic for lesson in LESSONS]
    assert all(2 <= len(d["commands"]) <= 4 and d["quiz_topics"] for d in data)


@pytest.mark.parametrize("topic", [lesson.topic for lesson in LESSONS])
def test_every_lesson_renders_at_80_columns(topic):
    r = invoke(["learn", topic])
    assert r.exit_code == 0, r.stderr
    assert "{{" not in r.stdout and "Try it" in r.stdout and "Quiz topic" in r.stdout
    assert max(len(line.rstrip()) for line in r.stdout.splitlines()) <= 80
    assert "\x1b[" not in r.stdout  # not a terminal: plain text
    lines = [line.strip() for line in r.stdout.splitlines()]
    for command in next(lesson for lesson in LESSONS if lesson.topic == topic).commands:
        assert f"$ {command}" in lines, f"'{command}' is wrapped or missing at 80 columns"


def _run_pipeline(command: str):
    """`rnn-tutor a | rnn-tutor b`: each stage in-process, the stdout of one the stdin of the next.
    Returns (the last stage's arguments, its result), or the first stage that failed."""
    stages = [part.strip() for part in command.split(" | ")]
    stdin, args, r = None, [], None
    for stage in stages:
        args = command_args(stage)
        r = invoke(args, input=stdin)
        if r.exit_code != 0:
            return args, r
        stdin = r.stdout
    return args, r


_LESSON_RUNS: dict[str, dict] = {}
_LESSON_FOLDERS: dict = {}


@pytest.fixture
def lesson_runs(tmp_path_factory, monkeypatch):
    """Every command of a lesson run once, in order, in a folder of its own (a command may use a file an
    earlier one saved, as a learner typing them would). A slow command runs only when its own test asks."""

    def run(topic, command=None):
        if topic not in _LESSON_FOLDERS:
            _LESSON_FOLDERS[topic] = tmp_path_factory.mktemp(f"lesson-{topic}")
        monkeypatch.chdir(_LESSON_FOLDERS[topic])
        runs = _LESSON_RUNS.setdefault(topic, {})
        lesson = next(lesson for lesson in LESSONS if lesson.topic == topic)
        for c in lesson.commands:
            if c not in runs and (c not in SLOW_COMMANDS or c == command):
                runs[c] = _run_pipeline(c)
        return runs

    return run


@pytest.mark.parametrize("topic, command", [pytest.param(t, c, marks=pytest.mark.slow) if c in SLOW_COMMANDS
                                            else (t, c) for t, c in COMMANDS], ids=[c for _, c in COMMANDS])
def test_every_try_it_command_runs(topic, command, lesson_runs):
    args, r = lesson_runs(topic, command)[command]
    assert r.exit_code == 0, f"lesson {topic}: `{command}` exited {r.exit_code}: {r.stderr}"
    assert r.stdout.strip()
    if output_format(args) == "json":
        loads_strict(r.stdout)


def test_lesson_json_and_csv():
    data = loads_strict(invoke(["learn", "hand-trace", "-f", "json"]).stdout)
    n = next(i for i, lesson in enumerate(LESSONS, 1) if lesson.topic == "hand-trace")
    assert data["topic"] == "hand-trace" and data["n"] == n
    assert data["values"]["hand05.h5"] == "4.03125" and "4.03125" in data["markdown"]
    assert data["commands"] == LESSONS[n - 1].commands
    r = invoke(["learn", "1", "-f", "csv"])
    assert r.stdout.splitlines()[0] == "topic,n,command"
    assert len(r.stdout.splitlines()) == 1 + len(LESSONS[0].commands)


def test_unknown_topic_is_a_bad_value():
    r = invoke(["learn", "transformers"])
    assert r.exit_code == 2 and "TOPIC" in r.stderr and "hand-trace" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("height, flag, paged", [(20, [], True), (500, [], False), (20, ["--no-pager"], False)])
def test_pager_only_for_long_lessons_on_a_terminal(monkeypatch, height, flag, paged):
    import io

    from rich.console import Console

    from rnn_tutor import render
    from rnn_tutor.render import learn as rlearn

    buf = io.StringIO()
    con = Console(file=buf, force_terminal=True, width=80, height=height)
    paged_texts: list[str] = []
    monkeypatch.setattr(rlearn, "page", lambda text: paged_texts.append(text) or True)
    monkeypatch.setattr(render, "console", lambda: con)
    r = invoke(["learn", "limits", *flag])
    assert r.exit_code == 0
    assert len(paged_texts) == (1 if paged else 0)
    shown = paged_texts[0] if paged else buf.getvalue()
    assert "The limits that led to attention" in shown
    assert ("q: quit the lesson" in shown) == paged  # the pager's keys, said on its first line
    assert (buf.getvalue() == "") == paged  # paged or printed, never both


def test_no_pager_to_run_prints_the_lesson(monkeypatch):
    from rnn_tutor.render import learn as rlearn

    monkeypatch.setenv("PAGER", "no-such-pager-program")
    assert rlearn.pager_command() is None and rlearn.page("text") is False
    monkeypatch.setenv("PAGER", "less -R")
    assert rlearn.pager_command() in (None, ["less", "-R"])


def test_piped_subprocess_is_plain_and_unpaged(tmp_path):
    env = {**os.environ, "PAGER": "false", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    p = subprocess.run([sys.executable, "-m", "rnn_tutor", "learn", "hand-trace"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "4.03125" in p.stdout and "\x1b[" not in p.stdout
    assert max(len(line.rstrip()) for line in p.stdout.splitlines()) <= 80  # 80 columns even on a wide terminal


def _registered(name: str) -> bool:
    from typer.main import get_command

    from rnn_tutor.cli.app import app

    return name in get_command(app).commands


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.topic for lesson in LESSONS])
def test_quiz_pointer_finds_cards(lesson):
    """The footer sends the learner to `rnn-tutor quiz --topic T`: each topic must select cards."""
    if not _registered("quiz"):
        pytest.skip("the quiz command is not registered in this build")
    for topic in lesson.quiz_topics:
        r = invoke(["quiz", "list", "--topic", topic, "--format", "json"])
        assert r.exit_code == 0, r.stderr
        cards = loads_strict(r.stdout)
        assert cards and all(c["topic"] == topic for c in cards), topic


@pytest.mark.parametrize("command", ["learn", "order", "cost", "bottleneck"])
def test_help_shows_examples_that_run(command):
    import importlib
    import shlex

    module = importlib.import_module(f"rnn_tutor.cli.{command}")
    doc = getattr(module, command).__doc__
    examples = [line.strip() for line in doc.splitlines() if line.strip().startswith("rnn-tutor ")]
    assert 1 <= len(examples) <= 2
    r = invoke([command, "--help"])
    assert r.exit_code == 0
    for example in examples:
        assert example in r.stdout
        args = shlex.split(example.split("|")[0])[1:]
        result = invoke(args)
        assert result.exit_code == 0, (example, result.stderr)


def test_a_superscript_digit_is_an_unknown_topic_not_an_internal_error():
    """'¹'.isdigit() is True but int('¹') fails: the fuzz test found `learn ¹` reaching the internal-error catch-all."""
    from tests.fuzzing import invoke

    for topic in ("¹", "²", "٣"):
        r = invoke(["learn", "--no-pager", topic])
        assert r.exit_code == 2 and "internal error" not in r.stderr, r.stderr
