"""``rnn-tutor learn``: short lessons in the terminal, each ending in commands to run."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import FormatOpt, OutputFormat


@app.command("learn")
def learn(
    topic: Annotated[Optional[str], typer.Argument(
        metavar="TOPIC", help="A lesson's topic or number; leave out to list the lessons.", show_default=False)]
    = None,
    pager: Annotated[bool, typer.Option(
        "--pager/--no-pager", help="Page long lessons when writing to a terminal.")] = True,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Reuse the lesson's figures computed at an earlier read, when nothing they "
        "depend on has changed; --no-cache computes them now and saves nothing (as RNN_TUTOR_NO_CACHE=1 does).")]
    = True,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List the lessons, or read one with commands to try.

    Every number in a lesson is computed by the same code the other commands
    use. Lesson 6 trains small models for its figures (seconds), so the
    figures are kept for later reads in the data directory the quiz uses
    ($RNN_TUTOR_HOME, else the user data directory), and computed again
    whenever rnn-tutor's code, numpy or Python changes.

    Examples:

        rnn-tutor learn

        rnn-tutor learn hand-trace
    """
    from rnn_tutor.core import lesson_cache, lessons
    from rnn_tutor.errors import RnnTutorError
    from rnn_tutor.quiz.paths import data_dir
    from rnn_tutor.render import learn as out

    everything = lessons.all_lessons()
    if topic is None:
        out.emit_list(everything, fmt.value)
        return
    lesson = lessons.find_lesson(topic)
    n = everything.index(lesson) + 1
    next_topic = everything[n].topic if n < len(everything) else None
    store = None
    if cache and not lesson_cache.disabled_by_env():
        try:
            store = lesson_cache.LessonCache.in_data_dir(data_dir(), lessons.cache_parameters())
        except (OSError, RuntimeError, ValueError, RnnTutorError):  # RNN_TUTOR_HOME=~nosuchuser/...: no cache
            store = None
    rendered = lessons.render(lesson, store, on_compute=lambda what: out.computing_hint(what, store))
    out.emit_lesson(rendered, n, next_topic, fmt.value, pager=pager)
