"""``rnn-tutor quiz import`` and ``quiz export``: decks and review histories in and out, and Anki packages."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.options import FormatOpt, OutputFormat
from rnn_tutor.cli.quiz import DataDirOpt, NowOpt, _now, _store, quiz_app
from rnn_tutor.errors import BadValueError


class ExportFormat(str, enum.Enum):
    jsonl = "jsonl"
    csv = "csv"



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

