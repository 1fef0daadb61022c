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
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List the lessons, or read one with commands to try.

    Every number in a lesson is computed when you read it, by the same code
    the other commands use.

    Examples:

        rnn-tutor learn

        rnn-tutor learn hand-trace
    """
    from rnn_tutor.core import lessons
    from rnn_tutor.render import learn as out

    everything = lessons.all_lessons()
    if topic is None:
        out.emit_list(everything, fmt.value)
        return
    lesson = lessons.find_lesson(topic)
    n = everything.index(lesson) + 1
    next_topic = everything[n].topic if n < len(everything) else None
    out.emit_lesson(lessons.render(lesson), n, next_topic, fmt.value, pager=pager)
