"""``rnn-tutor quiz``: flashcards with spaced repetition (FSRS), progress kept in SQLite.

``quiz`` studies; ``quiz list|stats|reset|undo|import|export`` manage the collection. The session talks
on stderr and writes data on stdout (see ``rnn_tutor/render/quiz.py``).

This module holds the ``quiz`` group, the options its commands share, opening the store, and the group's own
command (a study session, run by ``quiz_session``). The subcommands are one module per group of ideas:
``quiz_collection`` (list, stats), ``quiz_progress`` (reset, undo), ``quiz_transfer`` (import, export).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import StreamFormat, StreamFormatOpt
from rnn_tutor.errors import BadValueError

quiz_app = typer.Typer(
    name="quiz",
    no_args_is_help=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
app.add_typer(quiz_app, name="quiz")

DataDirOpt = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Where progress is kept (default: $RNN_TUTOR_HOME, else the user data "
                       "directory).", show_default=False, file_okay=False)]
TopicOpt = Annotated[Optional[str], typer.Option(
    "--topic", "-t", help="Only cards on this topic (see 'quiz list').", show_default=False)]
DeckOpt = Annotated[Optional[Path], typer.Option(
    "--deck", help="Use this deck file (.toml or .csv) instead of the collection.",
    show_default=False, dir_okay=False)]
NowOpt = Annotated[Optional[str], typer.Option(
    "--now", hidden=True, help="Pretend it is this UTC time (ISO 8601); for tests and demos.")]




def _data_dir(ctx: typer.Context, value: Optional[Path]) -> Path:
    from rnn_tutor.quiz.paths import data_dir

    if value is None and ctx.obj and ctx.obj.get("data_dir") is not None:
        value = ctx.obj["data_dir"]
    return data_dir(value)


def _now(value: Optional[str]):
    from datetime import datetime

    from rnn_tutor.quiz.schedule import utc

    if value is None:
        return None
    try:
        return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise BadValueError("--now", f"{value!r} is not a date-time like 2026-11-28T09:00:00Z") from None


def _open_store(ctx: typer.Context, value: Optional[Path], write: bool = True):
    from rnn_tutor.quiz.store import Store
    from rnn_tutor.render import quiz as rq
    from rnn_tutor.render import warn

    store = Store.open(_data_dir(ctx, value), write=write)  # write=False: a read-only location still reads
    if store.moved_aside is not None:
        warn(rq.moved_aside(store.moved_aside, store.moved_reason))
    return store


class _store:
    """``with _store(ctx, data_dir) as store``: open, and on the way out close and tell the user about rows of
    the database that could not be read (they stay in the file; everything else still works, export too)."""

    def __init__(self, ctx: typer.Context, value: Optional[Path], write: bool = True):
        self.store = _open_store(ctx, value, write)

    def __enter__(self):
        return self.store

    def __exit__(self, *exc) -> None:
        self.store.close()
        _report_damage(self.store)


def _report_damage(store) -> None:
    if store.damaged:
        from rnn_tutor.render import warn

        items = sorted(store.damaged)
        more = f" and {len(items) - 3} more" if len(items) > 3 else ""
        warn(f"{store.path} has rows that cannot be read, skipped (they stay in the file): "
             f"{'; '.join(items[:3])}{more}. Your other progress is fine; a damaged schedule is rebuilt at the "
             "card's next review.")


def _cards(store, deck: Optional[Path], topic: Optional[str]):
    from rnn_tutor.quiz.cards import load_deck
    from rnn_tutor.quiz.session import collection, select_topic

    cards = load_deck(deck, option="--deck") if deck is not None else collection(store)
    if deck is not None:
        store.adopt_legacy_ids(cards)  # progress under the 40-bit ids of older rnn-tutors
    return select_topic(cards, topic)


@quiz_app.callback(invoke_without_command=True)
def quiz(
    ctx: typer.Context,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", "-n", help="Study at most this many cards.", min=1, max=100_000,
        show_default=False)] = None,
    topic: TopicOpt = None,
    cram: Annotated[bool, typer.Option(
        "--cram", help="Review every matching card now, without changing the schedule.")] = False,
    new: Annotated[int, typer.Option(
        "--new", help="Daily cap on cards studied for the first time.", min=0, max=10_000)] = 10,
    deck: DeckOpt = None,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed for the numbers on numeric cards.", min=0, max=2**32 - 1)] = 0,
    data_dir: DataDirOpt = None,
    fmt: StreamFormatOpt = StreamFormat.table,
    now: NowOpt = None,
    fuzz: Annotated[bool, typer.Option("--fuzz/--no-fuzz", hidden=True,
                                       help="Spread review intervals slightly (FSRS fuzz).")] = True,
) -> None:
    """Flashcards with spaced repetition: study the cards that are due.

    Shows each question; Enter or Space reveals the answer; keys 1-4 grade it (Again, Hard, Good, Easy), each shown with the wait until the card comes back. Numeric cards ask for a number and show the worked steps when it is wrong. q quits; every answered card is saved at once.

    With stdin not a terminal, give one answer per line (an empty line reveals). The session talks on stderr; stdout gets the data: the summary, or one JSON line per card with --format jsonl.

    Examples:

        rnn-tutor quiz --limit 10 --topic lstm

        printf '\\n3\\n\\n1\\n' | rnn-tutor quiz --limit 2 --format jsonl
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"data_dir": data_dir}
        return
    from rnn_tutor.cli.quiz_session import study

    code = study(ctx, limit=limit, topic=topic, cram=cram, new=new, deck=deck, seed=seed,
                 data_dir=data_dir, fmt=getattr(fmt, "value", fmt), now=_now(now), fuzz=fuzz)
    if code:
        raise typer.Exit(code)


# The subcommands register themselves on quiz_app when imported, in the order --help lists them (each imports
# what it computes with inside its function, so this costs no more than when they were all in this file).
from rnn_tutor.cli import quiz_collection, quiz_progress, quiz_transfer  # noqa: E402, F401
