"""Output for ``rnn-tutor learn``: the list of lessons, and one lesson as rich Markdown (paged when long, in
$PAGER or less, run here rather than through pydoc so that a SIGTERM ends the pager too)."""

from __future__ import annotations

import os
import sys
from typing import Any, Sequence

from rnn_tutor import render
from rnn_tutor.core.lessons import Lesson, RenderedLesson

LIST_COLUMNS = ["n", "topic", "title", "summary", "quiz_topics", "commands"]
COMMAND_COLUMNS = ["topic", "n", "command"]
WIDTH = 80  # lessons are laid out for 80 columns, whatever the terminal


def list_records(lessons: Sequence[Lesson]) -> list[dict[str, Any]]:
    return [{"n": i, "topic": l.topic, "title": l.title, "summary": l.summary, "quiz_topics": l.quiz_topics,
             "commands": l.commands} for i, l in enumerate(lessons, 1)]


def list_tables(lessons: Sequence[Lesson]) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = max(len(l.topic) for l in lessons) if lessons else 5
    room = max(render.console().width - width - 10, 12)  # what is left for the title on one line
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Lessons", title_justify="left")
    t.add_column("#", justify="right", no_wrap=True)
    t.add_column("topic", no_wrap=True, min_width=width)
    t.add_column("lesson", no_wrap=True)
    for i, l in enumerate(lessons, 1):  # one line each; the summaries are in --format json / csv
        title = l.title if len(l.title) <= room else l.title[: room - 1] + "…"
        t.add_row(str(i), l.topic, title)
    return [t, Text("Read one with: rnn-tutor learn TOPIC   (or its number: rnn-tutor learn 1)")]


def emit_list(lessons: Sequence[Lesson], fmt: str) -> None:
    records = list_records(lessons)
    render.emit(fmt, data=records, rows=records, columns=LIST_COLUMNS, table=lambda: list_tables(lessons))


def lesson_record(lesson: RenderedLesson, n: int) -> dict[str, Any]:
    return {"n": n, "topic": lesson.topic, "title": lesson.title, "summary": lesson.summary,
            "quiz_topics": list(lesson.quiz_topics), "markdown": lesson.markdown, "commands": list(lesson.commands),
            "values": lesson.values}


def footer(lesson: RenderedLesson, next_topic: str | None) -> str:
    """Where to go from here: the flashcards on this lesson's topics, and the next lesson."""
    topics = ", ".join(f"'{t}'" for t in lesson.quiz_topics)
    first = lesson.quiz_topics[0] if lesson.quiz_topics else None
    text = f"Quiz topic{'s' if len(lesson.quiz_topics) > 1 else ''}: {topics}"
    if first:
        quoted = f'"{first}"' if " " in first else first
        text += f"  (rnn-tutor quiz --topic {quoted})"
    if next_topic:
        text += f"\nNext lesson: rnn-tutor learn {next_topic}"
    return text


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def computing_hint(work: tuple[str, str], cache=None) -> None:
    """One line on stderr, for a person only (stderr a terminal), while a lesson's figures take seconds."""
    if not stderr_is_terminal():
        return
    what, took = work
    kept = ", kept for later reads" if cache is not None and cache.writable() else ""
    render.hint(f"{what[:1].upper()}{what[1:]} for the figures ({took}{kept}) ...")


def emit_lesson(lesson: RenderedLesson, n: int, next_topic: str | None, fmt: str, pager: bool = True) -> None:
    if fmt == "json":
        render.write_json(lesson_record(lesson, n))
        return
    if fmt == "csv":
        render.write_csv([{"topic": lesson.topic, "n": i, "command": c} for i, c in enumerate(lesson.commands, 1)],
                         COMMAND_COLUMNS)
        return
    from rich.markdown import Markdown
    from rich.rule import Rule
    from rich.text import Text

    console = render.console()
    width = min(console.width, WIDTH)
    parts = [Markdown(lesson.markdown, code_theme="ansi_dark", hyperlinks=False), Rule(style="dim"),
             Text(footer(lesson, next_topic), style="dim")]
    long = False
    if pager and console.is_terminal:
        lines = sum(len(console.render_lines(p, console.options.update(width=width), pad=False)) for p in parts)
        long = lines > console.height - 1
    if long:
        with console.capture() as captured:
            console.print(Text("Space: next page · b: back · /: search · q: quit the lesson", style="dim"), width=width)
            for p in parts:
                console.print(p, width=width)
        if page(captured.get()):
            return
    for p in parts:
        console.print(p, width=width)


def pager_command() -> list[str] | None:
    """The user's pager ($PAGER, else less) as an argument list, or None when there is none to run."""
    import shlex
    import shutil

    try:
        argv = shlex.split(os.environ.get("PAGER") or "less")
    except ValueError:
        return None
    if not argv or argv[0] == "cat" or shutil.which(argv[0]) is None:
        return None
    return argv


def page(text: str) -> bool:
    """Show ``text`` in the pager; False when there is no pager to run (the caller prints it instead).

    Ctrl-C belongs to the pager while it runs (less uses it; we ignore it, as git does). SIGTERM or SIGHUP
    to rnn-tutor end the pager too before the command ends (exit 130): no ``less`` is left behind holding
    the terminal. Quitting the pager early (q) is the normal way out, not an error.
    """
    import signal
    import subprocess

    argv = pager_command()
    if argv is None:
        return False
    env = dict(os.environ)
    # less shows colour only with -R; like git, set it unless the user chose their own options.
    # -F quits at once if it fits after all, -X leaves the lesson on screen to run its commands.
    env.setdefault("LESS", "FRX")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        previous = None
    try:
        try:
            proc.stdin.write(text.encode(getattr(sys.stdout, "encoding", None) or "utf-8", "replace"))
            proc.stdin.close()
        except OSError:  # the pager quit before reading it all (q): nothing wrong
            pass
        proc.wait()
    except BaseException:  # SIGTERM / SIGHUP (raised as KeyboardInterrupt): take the pager down with us
        _end(proc)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return True


def _end(proc) -> None:
    import subprocess

    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
