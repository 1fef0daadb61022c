"""``rnn-tutor quiz reset`` and ``quiz undo``: forget all progress (a backup kept), take back the last review."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from rnn_tutor.cli.options import FormatOpt, OutputFormat
from rnn_tutor.cli.quiz import DataDirOpt, NowOpt, _now, _store, quiz_app
from rnn_tutor.errors import RnnTutorError


@quiz_app.command("reset")
def reset(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (for scripts).")] = False,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    now: NowOpt = None,
) -> None:
    """Forget all progress (a backup copy of the store is kept). Asks first unless --yes.

    Your own imported cards stay.

    Examples:

        rnn-tutor quiz reset

        rnn-tutor quiz reset --yes --data-dir /tmp/class
    """
    from rnn_tutor import render
    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz.keys import LineInput
    from rnn_tutor.render import quiz as rq

    with _store(ctx, data_dir) as store:
        count = store.review_count()
        if count and not yes:
            sys.stderr.write(f"Reset all progress in {store.path} ({rq.plural(count, 'review')})? "
                             "A backup copy is kept. [y/N] ")
            sys.stderr.flush()
            try:
                reply = LineInput().line()
            except UnicodeDecodeError:
                reply = ""
            if reply is None:
                sys.stderr.write("\n")
            if (reply or "").strip().lower() not in ("y", "yes"):
                raise RnnTutorError("reset cancelled; nothing was changed",
                                    "answer y to confirm, or pass --yes in scripts")
        backup = store.reset(_now(now) or schedule.utc())
    rec = rq.reset_record(backup, count)
    render.emit(fmt.value, data=rec, rows=[rec], columns=list(rec),
                table=lambda: rq.reset_table(rec))


@quiz_app.command("undo")
def undo(
    ctx: typer.Context,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Take back your last review: it leaves the history and the card's schedule is restored.

    The same as u in a session, afterwards: nothing else in the history changes, and the card is due
    as it was before that review. Run it again to take back the one before.

    Examples:

        rnn-tutor quiz undo

        rnn-tutor quiz undo --format json | jq .card_id
    """
    from rnn_tutor import render
    from rnn_tutor.render import quiz as rq

    with _store(ctx, data_dir) as store:
        last = store.last_review()
        undone = None if last is None else store.undo_review(last.uid)
    rec = {"undone": False} if undone is None else rq.undo_record(undone)
    render.emit(fmt.value, data=rec, rows=[rec], columns=list(rec), table=lambda: rq.undo_table(rec))

