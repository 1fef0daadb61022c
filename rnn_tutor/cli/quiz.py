"""``rnn-tutor quiz``: flashcards with spaced repetition (FSRS), progress kept in SQLite.

``quiz`` studies; ``quiz list|stats|reset|import|export`` manage the collection. The session talks
on stderr and writes data on stdout (see ``rnn_tutor/render/quiz.py``).
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import FormatOpt, OutputFormat, StreamFormat, StreamFormatOpt
from rnn_tutor.errors import BadValueError, RnnTutorError

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


class ExportFormat(str, enum.Enum):
    jsonl = "jsonl"
    csv = "csv"


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
    code = study(ctx, limit=limit, topic=topic, cram=cram, new=new, deck=deck, seed=seed,
                 data_dir=data_dir, fmt=getattr(fmt, "value", fmt), now=_now(now), fuzz=fuzz)
    if code:
        raise typer.Exit(code)


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


@quiz_app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        help="A deck (.toml, .csv) to add to your collection, or an export (.jsonl, .csv) to "
             "restore.", show_default=False, dir_okay=False)],
    data_dir: DataDirOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    now: NowOpt = None,
) -> None:
    """Add a deck's cards to your collection, or restore an exported review history.

    A card with an id you already imported gets the new wording and keeps its progress; reviews already present are skipped, so importing twice changes nothing.

    Examples:

        rnn-tutor quiz import my-cards.toml

        rnn-tutor quiz import reviews-backup.jsonl
    """
    from rnn_tutor import render
    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz.cards import builtin_deck
    from rnn_tutor.quiz.transfer import read_import
    from rnn_tutor.render import quiz as rq

    kind, items = read_import(file, option="FILE")
    if not items:
        raise BadValueError("FILE", f"{file} has nothing to import")
    skipped = 0
    if kind == "anki":  # the built-in deck coming back from Anki is already here
        from rnn_tutor.quiz.anki import is_builtin_note

        builtin = {c.id for c in builtin_deck()}
        kept = [c for c in items if not is_builtin_note(c.id, builtin)]
        skipped, items, kind = len(items) - len(kept), kept, "deck"
    with _store(ctx, data_dir) as store:
        if kind == "deck":
            builtin = {c.id for c in builtin_deck()}
            clash = next((c.id for c in items if c.id in builtin), None)
            if clash:
                raise BadValueError("FILE", f"{file}: id {clash!r} belongs to a built-in card "
                                            "(give your card another id)")
            added, other = store.add_user_cards(items, _now(now) or schedule.utc()) if items else (0, 0)
            unchanged = len(items) - added - other
        else:
            added, other = store.import_reviews(items)
            unchanged = 0
    rec = rq.import_record(kind, str(file), added, other, unchanged, skipped)
    render.emit(fmt.value, data=rec, rows=[rec], columns=list(rec),
                table=lambda: rq.import_table(rec))


@quiz_app.command("export")
def export(
    ctx: typer.Context,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write to this file instead of stdout ('-' is stdout).",
        show_default=False, dir_okay=False)] = None,
    data_dir: DataDirOpt = None,
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="jsonl (one review per line) or csv.",
        case_sensitive=False)] = ExportFormat.jsonl,
    anki: Annotated[Optional[Path], typer.Option(
        "--anki", help="Write the cards as an Anki package (.apkg) to this file instead.",
        show_default=False, dir_okay=False)] = None,
) -> None:
    """Write your whole review history as JSON Lines or CSV ('quiz import' restores it), or the cards as an Anki package.

    With --anki FILE.apkg the built-in deck and your own cards go to Anki instead (File > Import there): one note per card, tagged with its topic, numeric cards as five worked examples each. Exporting again updates the same notes in Anki. Needs the genanki package: pip install 'rnn-tutor[anki]'.

    Examples:

        rnn-tutor quiz export -o reviews.jsonl

        rnn-tutor quiz export --format csv > reviews.csv

        rnn-tutor quiz export --anki rnn-tutor.apkg
    """
    from rnn_tutor import render
    from rnn_tutor.quiz.transfer import history_chunks, write_export

    if anki is not None:
        if output is not None:
            raise BadValueError("--anki", "writes its own file; leave out --output (which is for the history)")
        _export_anki(ctx, anki.expanduser(), data_dir)
        return
    to_file = output is not None and str(output) != "-"
    target = output.expanduser() if to_file else None
    if target is not None and not target.name:  # --output "": Path('') is the current folder
        raise BadValueError("--output", "is empty; give a file name (or - for stdout)")
    if target is not None:
        _refuse_database(target)
    count = 0

    def records(reviews):
        nonlocal count
        for review in reviews:
            count += 1
            yield review.as_record()

    with _store(ctx, data_dir, write=False) as store:  # read and written a piece at a time: memory stays flat
        chunks = history_chunks(records(store.iter_reviews()), csv_format=fmt == ExportFormat.csv)
        if target is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        write_export(target, chunks)  # atomic: a failure half-way leaves no half-written file
    from rnn_tutor.render.quiz import plural

    render.message(f"Exported {plural(count, 'review')} to {target}.")


def _export_anki(ctx: typer.Context, target: Path, data_dir: Optional[Path]) -> None:
    from rnn_tutor import render
    from rnn_tutor.quiz import anki
    from rnn_tutor.quiz.session import collection
    from rnn_tutor.render import quiz as rq

    if target.suffix.lower() != ".apkg":
        raise BadValueError("--anki", f"{str(target)!r} does not end in .apkg (Anki imports packages by that "
                                      "name)")
    _refuse_database(target)
    from rnn_tutor.core import fileio

    fileio.check_writable(target, option="--anki")  # never over a device or FIFO, a clear long-name message
    anki._genanki()  # say it is missing before opening anything
    with _store(ctx, data_dir, write=False) as store:
        cards = collection(store)
    notes = anki.write_apkg(cards, target)
    render.message(rq.anki_written(cards, notes, target))


def _refuse_database(target: Path) -> None:
    """Export writes text: never over a SQLite file (the progress store itself, a reset backup, a file
    moved aside), which would lose the user's own cards and the schedule with it."""
    name = target.name
    for suffix in ("-wal", "-shm", "-journal"):
        if name.endswith(".sqlite3" + suffix):
            name = name[: -len(suffix)]
    from rnn_tutor.core import fileio

    if fileio.kind_if_not_regular(target.with_name(name)) is not None:
        return  # a FIFO (opening it would wait for a writer) or a device: the writer refuses it, by name
    try:
        with open(target.with_name(name), "rb") as handle:
            is_db = handle.read(16) == b"SQLite format 3\x00"
    except OSError:  # absent or unreadable: nothing of ours to lose there
        return
    if is_db:
        raise BadValueError("--output", f"{target} is a SQLite database (your progress store or a "
                                        "backup of it); give a new file name such as reviews.jsonl")


# ----------------------------------------------------------------------------- the session

GRADE_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4, "again": 1, "hard": 2, "good": 3, "easy": 4}
QUIT_WORDS = ("q", "quit", "exit")
UNDO_WORDS = ("u", "undo")


class _Stop(Exception):
    """The learner ended the session: ``reason`` is quit or eof."""

    def __init__(self, reason: str):
        self.reason = reason


class _Undo(Exception):
    """The learner asked to take back the last grade (u, or a line 'undo')."""


def study(ctx, *, limit, topic, cram, new, deck, seed, data_dir, fmt, now, fuzz) -> int:
    """Run one study session. Returns the exit code (0, or 130 after Ctrl-C)."""
    import signal

    from rnn_tutor import render
    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz.keys import open_input
    from rnn_tutor.quiz.session import Session, local_day_bounds, plan
    from rnn_tutor.render import quiz as rq

    clock = (lambda: now) if now is not None else schedule.utc
    store = _open_store(ctx, data_dir)
    # A polite kill (SIGTERM, a closed terminal) unwinds like Ctrl-C: the terminal is restored and
    # the store closed; answered cards are already committed.
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                previous[sig] = signal.signal(sig, _raise_interrupt)
            except (ValueError, OSError):  # not the main thread (in-process test runners)
                pass
    try:
        cards = _cards(store, deck, topic)
        start = clock()
        states = store.states()
        day_start, day_end = local_day_bounds(start)
        new_today = store.new_cards_between(day_start, day_end)
        queue = plan(cards, states, start, limit=limit, cram=cram, new_per_day=new,
                     new_today=new_today)
        cap_note = "" if cram else rq.new_cap_note(new, new_today, sum(c.id not in states for c in cards))
        session = Session(store, queue, scheduler=schedule.make_scheduler(fuzzing=fuzz),
                          seed=seed, cram=cram, cards=cards)
        inp = open_input()
        events: list[dict] = []
        if not queue:
            dues = [schedule.due_of(states[c.id]) for c in cards if c.id in states]
            rq.say(rq.nothing_to_study(min(dues) if dues else None, start, cap_note=cap_note))
        else:
            n_due = sum(1 for c in queue if c.id in states)
            rq.say(rq.intro(n_due, len(queue) - n_due, cram, inp.interactive, capped=cap_note))
        ended = "done"
        try:
            pending, index = list(queue), 0
            while pending:
                card = pending.pop(0)
                index += 1
                try:
                    event = _one_card(session, card, index, index + len(pending), inp, clock)
                except _Undo:
                    back = _undo_in_session(session, events, fmt)
                    pending[0:0] = [card] if back is None else [back, card]
                    index -= 1 if back is None else 2
                    continue
                events.append(event)
                if fmt == "jsonl":
                    render.write_jsonl(event)
                if not pending and not cram:
                    # Cards from this session that have come due again (an Again or a short learning
                    # step a few minutes ago) are shown once more before the session ends.
                    studied = {c.id: c for c in queue}
                    states_now = store.states()
                    moment = clock()
                    pending = [c for c in studied.values() if c.id in states_now
                               and schedule.due_of(states_now[c.id]) <= moment]
                    session.result.planned += len(pending)
        except _Stop as stop:
            ended = stop.reason
        except KeyboardInterrupt:
            ended = "interrupted"
        summary = session.summary(ended, clock())
        if ended == "interrupted":
            rq.say("\nInterrupted: every answered card is saved.")
        if queue or fmt != "table":  # an empty session has no table to show (scripts still get the record)
            _emit_session(fmt, summary, events)
        return 130 if ended == "interrupted" else 0
    finally:
        store.close()
        _report_damage(store)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _undo_in_session(session, events: list[dict], fmt: str):
    """Take back the session's last grade; returns the card to ask again, or None (nothing to undo, or it
    could not be taken back: the learner is told why)."""
    from rnn_tutor import render
    from rnn_tutor.render import quiz as rq

    try:
        back = session.undo()
    except RnnTutorError as exc:
        rq.say(f"  Cannot undo: {exc.message}.")
        return None
    if back is None:
        rq.say(rq.nothing_to_undo())
        return None
    card, undone = back
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("uid") == undone.review.uid:
            del events[i]
            break
    rq.say(rq.undone_line(undone))
    if fmt == "jsonl":
        render.write_jsonl(rq.undo_event(undone))
    return card


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _emit_session(fmt: str, summary, events: list[dict]) -> None:
    from rnn_tutor import render
    from rnn_tutor.render import quiz as rq

    if fmt == "jsonl":
        render.write_jsonl(rq.summary_record(summary))
    elif fmt == "json":
        render.write_json({"summary": rq.summary_record(summary), "reviews": events})
    elif fmt == "csv":
        render.write_csv(events, rq.REVIEW_COLUMNS)
    else:
        render.print_table(rq.summary_table(summary))


def _read_key(inp):
    key = inp.key()
    if key is None:
        raise _Stop("eof")
    return key


def _one_card(session, card, index: int, total: int, inp, clock) -> dict:
    """Ask one card, take its grade, save it. Raises _Stop on q / end of input."""
    from rnn_tutor.quiz.keys import ENTER
    from rnn_tutor.quiz.numeric import parse_answer
    from rnn_tutor.render import quiz as rq

    say = rq.say
    say(rq.card_header(index, total, card), style="bold")
    item = given = correct = None
    grade = None
    if card.kind == "numeric":
        item = session.item(card)
        say(rq.question(item.question))
        while True:
            sys.stderr.write(rq.numeric_prompt() + ("" if inp.interactive else "\n"))
            sys.stderr.flush()
            try:
                text = inp.line()
            except UnicodeDecodeError:
                text = "?"
            if text is None:
                raise _Stop("eof")
            text = text.strip()
            if text.lower() in QUIT_WORDS:
                raise _Stop("quit")
            if text.lower() in UNDO_WORDS:
                raise _Undo()
            given = parse_answer(text)
            if given is None and text:
                say(rq.not_a_number(text))
                continue
            break
        correct = given is not None and item.check(given)
        for line in rq.numeric_feedback(item, given, correct):
            say(line)
        if not correct:
            grade = 1
    else:
        say(rq.question(card.question))
        say(rq.reveal_prompt(inp.interactive), style="dim")
        while True:
            key = _read_key(inp)
            low = key.lower()
            if low in QUIT_WORDS:
                raise _Stop("quit")
            if low in UNDO_WORDS:
                raise _Undo()
            if key in (ENTER, " "):
                break
            if not inp.interactive:
                # A line: a grade given straight away, or the learner's own attempt; both reveal.
                if low in GRADE_WORDS:
                    grade = GRADE_WORDS[low]
                break
        for line in rq.answer(card):
            say(line)
    when = clock()
    seen, outcomes = session.preview(card, when)
    if grade is None:
        say(rq.grade_menu(outcomes, session.cram))
        while grade is None:
            key = _read_key(inp).lower()
            if key in QUIT_WORDS:
                raise _Stop("quit")
            if key in UNDO_WORDS:
                raise _Undo()
            if key in GRADE_WORDS and (inp.interactive is False or key.isdigit()):
                grade = GRADE_WORDS[key]
            elif not inp.interactive:
                say(rq.bad_grade(key if key != ENTER else ""))
    elif correct is False:
        say(rq.auto_again())
    rec = session.answer(card, grade, when, seen=seen, outcomes=outcomes, correct=correct)
    say(rq.recorded(grade, rec.due, when))
    leech = None
    if grade == 1 and not rec.review.cram and not rec.review.first:
        from rnn_tutor.quiz import leeches

        lapses = session.store.lapses(card.id)
        if leeches.is_leech(lapses):
            leech = leeches.leech(card, lapses)
            for line in rq.leech_warning(leech):
                say(line, style="bold")
    return rq.review_event(index, card, rec, when, item=item, given=given, correct=correct, leech=leech)
