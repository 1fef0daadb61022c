"""``rnn-tutor quiz list`` and ``quiz stats``: the collection and how you are doing (read only)."""

from __future__ import annotations

from typing import Annotated

import typer

from rnn_tutor.cli.options import FormatOpt, OutputFormat
from rnn_tutor.cli.quiz import DataDirOpt, DeckOpt, NowOpt, TopicOpt, _cards, _now, _store, quiz_app


@quiz_app.command("list")
def list_cards(
    ctx: typer.Context,
    topic: TopicOpt = None,
    deck: DeckOpt = None,
    due: Annotated[bool, typer.Option("--due", help="Only cards due now.")] = False,
    leeches: Annotated[bool, typer.Option(
        "--leeches", help="Only leeches: cards with 5 or more lapses (Again after the first review).")] = False,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    now: NowOpt = None,
) -> None:
    """List the cards, with their state and when each is due.

    Examples:

        rnn-tutor quiz list --topic gradients

        rnn-tutor quiz list --leeches

        rnn-tutor quiz list --format json | jq '.[].id'
    """
    from rnn_tutor import render
    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz.leeches import is_leech
    from rnn_tutor.render import quiz as rq

    moment = _now(now) or schedule.utc()
    with _store(ctx, data_dir, write=False) as store:
        cards = _cards(store, deck, topic)
        states = store.states()
        counts = store.review_counts()
        lapses = store.lapse_counts()
    records = [rq.list_record(c, states.get(c.id), counts.get(c.id, 0), lapses.get(c.id, 0)) for c in cards]
    if due:
        records = [r for r in records if r["due"] is not None
                   and schedule.due_of(states[r["id"]]) <= moment]
    if leeches:
        records = [r for r in records if is_leech(r["lapses"])]
    render.emit(fmt.value, data=records, rows=records, columns=rq.LIST_COLUMNS,
                table=lambda: rq.list_table(records, due=due, leeches=leeches))


@quiz_app.command("stats")
def stats(
    ctx: typer.Context,
    topic: TopicOpt = None,
    weeks: Annotated[int, typer.Option(
        "--weeks", help="Weeks of history in the review calendar.", min=1, max=53)] = 26,
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    now: NowOpt = None,
) -> None:
    """How you are doing: due cards, reviews, retention, streak, weakest topics, leeches, and a calendar.

    The calendar shows reviews per day over the last weeks, one glyph a day (Monday to Sunday down, weeks
    across), with a legend of what each glyph counts. Leeches are cards with 5 or more lapses, each named
    with the lesson and command that teach it.

    Examples:

        rnn-tutor quiz stats --weeks 12

        rnn-tutor quiz stats --format json | jq .retention
    """
    from rnn_tutor import render
    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz import stats as qstats
    from rnn_tutor.render import quiz as rq

    moment = _now(now) or schedule.utc()
    with _store(ctx, data_dir, write=False) as store:
        cards = _cards(store, None, topic)
        only = {c.id for c in cards} if topic is not None else None
        result = qstats.compute(cards, store, moment, only=only, weeks=weeks)
    render.emit(fmt.value, data=result.as_record(), rows=rq.stats_rows(result),
                columns=rq.STATS_COLUMNS, table=lambda: rq.stats_table(result))

