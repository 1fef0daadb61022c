"""Getting data out and back in: review history as JSON Lines or CSV, and deck-or-history import.

An export row (see ``Review.as_record``)::

    uid, card_id, topic, reviewed_at, grade, grade_name, cram, first, correct, due, state_after

``state_after`` is the scheduler's card state (a JSON object; a JSON string in CSV). Importing an
export restores the history: rows already present (same ``uid``) are skipped, so importing twice
changes nothing, and each card's schedule becomes the state after its latest review.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rnn_tutor.errors import BadValueError
from rnn_tutor.quiz.cards import MAX_DECK_BYTES, ID_PATTERN, Card, csv_rows, deck_format, parse_deck, read_text
from rnn_tutor.quiz.store import EARLIEST, LATEST, STATE_KEYS, Review, loads_strict, parse_stamp, stamp, state_problem

HISTORY_COLUMNS = ("uid", "card_id", "topic", "reviewed_at", "grade", "grade_name", "cram",
                   "first", "correct", "due", "state_after")
# An export to import holds at most this many bytes and reviews (about 470 bytes a review: 200,000 reviews is
# fifty a day for ten years); the limits keep a runaway file from taking gigabytes of memory.
MAX_HISTORY_BYTES = 100_000_000
MAX_HISTORY_REVIEWS = 250_000


def csv_row(record: dict) -> list[str]:
    """One export record as CSV cells (booleans true/false, missing values empty)."""
    out = []
    for column in HISTORY_COLUMNS:
        value = record.get(column)
        if value is None:
            out.append("")
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, dict):
            out.append(json.dumps(value, sort_keys=True))
        else:
            out.append(str(value))
    return out


def history_csv(records: list[dict]) -> str:
    return "".join(history_chunks(records, csv_format=True))


def history_jsonl(records: list[dict]) -> str:
    return "".join(history_chunks(records, csv_format=False))


def history_chunks(records, *, csv_format: bool, size: int = 2000):
    """The export of ``records`` (any iterable: they are read as they are written, so memory stays flat however
    long the history is) as pieces of text of ``size`` records each; CSV starts with its header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if csv_format:
        writer.writerow(HISTORY_COLUMNS)
    dumps = json.JSONEncoder(sort_keys=True, allow_nan=False).encode
    n = 0
    for record in records:
        if csv_format:
            writer.writerow(csv_row(record))
        else:
            buffer.write(dumps(record) + "\n")
        n += 1
        if n % size == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell() or csv_format and n == 0:
        yield buffer.getvalue()


def write_export(target: Path, text) -> None:
    """Write an export atomically (never over a device or other non-regular file; see ``core.fileio``): ``text``
    is a string or an iterable of pieces, written as they come; the target is replaced only when all are."""
    from rnn_tutor.core import fileio

    pieces = [text] if isinstance(text, str) else text

    def write(fh) -> None:
        for piece in pieces:
            fh.write(piece.encode("utf-8"))

    fileio.write_atomic(target, write, option="--output", hint="check the folder exists and is writable")


# ----------------------------------------------------------------------------- import

def _bool(value, field: str, where: str, option: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise BadValueError(option, f"{where}: {field!r} must be true or false, not {value!r}")


def _json(text: str, where: str, option: str, what: str = "not JSON"):
    """One JSON value with every parser limit turned into a message naming the line."""
    try:
        return loads_strict(text)
    except RecursionError:
        raise BadValueError(option, f"{where}: nested too deeply (an export line is one flat JSON object)") from None
    except json.JSONDecodeError as exc:
        raise BadValueError(option, f"{where}: {what} ({exc.msg})") from None
    except ValueError as exc:  # NaN/Infinity, or an integer past Python's 4,300-digit conversion limit
        reason = str(exc)
        if "digits" in reason:
            reason = "a number has more digits than Python converts (4,300)"
        raise BadValueError(option, f"{where}: {reason}") from None


def _review(raw: dict, where: str, option: str) -> Review:
    def need(field: str):
        value = raw.get(field)
        if value is None or value == "":
            raise BadValueError(option, f"{where}: the review has no {field!r}")
        return value

    def text(field: str) -> str:
        value = need(field)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise BadValueError(option, f"{where}: {field!r} must be text, not {type(value).__name__}")
        return str(value).strip()

    uid = text("uid")
    if not uid or len(uid) > 64:
        raise BadValueError(option, f"{where}: 'uid' must be 1-64 characters")
    card_id = text("card_id")
    if not ID_PATTERN.match(card_id):
        raise BadValueError(option, f"{where}: card id {card_id[:80]!r} is not allowed")
    try:
        when = parse_stamp(text("reviewed_at"))
    except ValueError:
        raise BadValueError(option, f"{where}: 'reviewed_at' is not a date-time from {EARLIEST.year} to "
                                    f"{LATEST.year - 1} like 2026-11-28T09:30:00Z, not "
                                    f"{str(raw.get('reviewed_at'))[:40]!r}") from None
    grade = need("grade")
    try:
        if isinstance(grade, (bool, float)):
            raise ValueError
        grade = int(grade)
        if not 1 <= grade <= 4:
            raise ValueError
    except (TypeError, ValueError):
        raise BadValueError(option, f"{where}: 'grade' must be 1, 2, 3 or 4, "
                                    f"not {str(raw.get('grade'))[:20]!r}") from None
    cram = bool(_bool(raw.get("cram"), "cram", where, option))
    first = bool(_bool(raw.get("first"), "first", where, option))
    correct = _bool(raw.get("correct"), "correct", where, option)
    state = raw.get("state_after")
    if isinstance(state, str):
        state = _json(state, where, option, "'state_after' is not JSON") if state.strip() else None
    if state is not None:
        problem = state_problem(state)
        if problem is None:
            try:
                import fsrs

                state = fsrs.Card.from_dict(state).to_dict()  # normalises (and checks once more)
            except (TypeError, ValueError, KeyError, OverflowError) as exc:
                problem = str(exc)[:80] or type(exc).__name__
        if problem is not None:
            raise BadValueError(option, f"{where}: 'state_after' is not a valid scheduler state: {problem} "
                                        "(needs " + ", ".join(STATE_KEYS) + ")")
    elif not cram:
        raise BadValueError(option, f"{where}: a scheduled review needs 'state_after'")
    topic = raw.get("topic") or ""
    if not isinstance(topic, str):
        raise BadValueError(option, f"{where}: 'topic' must be text, not {type(topic).__name__}")
    return Review(uid, card_id, topic[:200], when, grade, cram, first, correct, state)


def _too_many(option: str, where: str) -> BadValueError:
    return BadValueError(option, f"{where}: more than {MAX_HISTORY_REVIEWS:,} reviews, the most one import takes",
                         "split the file and import the parts one after another")


def parse_history_jsonl(text: str, *, name: str, option: str = "FILE") -> list[Review]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}, line {number}"
        if len(out) >= MAX_HISTORY_REVIEWS:
            raise _too_many(option, where)
        raw = _json(line, where, option)
        if not isinstance(raw, dict):
            raise BadValueError(option, f"{where}: each line must be a JSON object")
        out.append(_review(raw, where, option))
    return out


def parse_history_csv(text: str, *, name: str, option: str = "FILE") -> list[Review]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        return []
    except csv.Error as exc:
        raise BadValueError(option, f"{name}, line 1: {exc}") from None
    out = []
    for entry, where in csv_rows(reader, header, name=name, option=option):
        if len(out) >= MAX_HISTORY_REVIEWS:
            raise _too_many(option, where)
        out.append(_review(entry, where, option))
    return out


def is_history_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    columns = {c.strip() for c in first.split(",")}
    return {"uid", "card_id", "grade"} <= columns


def read_import(path: str | Path, option: str = "FILE") -> tuple[str, list]:
    """Read a file for ``quiz import``: ('deck', [Card]), ('anki', [Card]) or ('history', [Review])."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv", ".jsonl", ".ndjson", ".txt", ".tsv"):
        raise BadValueError(option, f"{path}: import takes a deck (.toml, .csv), an export "
                                    "(.jsonl, .csv from 'rnn-tutor quiz export') or Anki's plain-text "
                                    "export (.txt)")
    history = suffix in (".jsonl", ".ndjson")
    text = read_text(path, option, what="export" if history else "",
                     limit=MAX_HISTORY_BYTES if suffix not in (".toml", ".txt", ".tsv") else None)
    if suffix in (".txt", ".tsv"):  # Anki's "Notes/Cards in Plain Text" (rnn_tutor/quiz/anki.py)
        from rnn_tutor.quiz.anki import parse_anki_text

        return "anki", parse_anki_text(text, name=str(path), option=option)
    if history:
        return "history", parse_history_jsonl(text, name=str(path), option=option)
    if suffix == ".csv" and is_history_csv(text):
        return "history", parse_history_csv(text, name=str(path), option=option)
    if len(text.encode("utf-8")) > MAX_DECK_BYTES:  # a CSV deck read with the history's limit
        raise BadValueError(option, f"{path} is larger than {MAX_DECK_BYTES // 1_000_000} MB, the most "
                                    "rnn-tutor reads for a deck", "split it into smaller decks")
    cards: list[Card] = parse_deck(text, name=str(path), fmt=deck_format(path), option=option,
                                   source="user")
    numeric = [c for c in cards if c.kind != "text"]
    if numeric:
        raise BadValueError(option, f"{path}: [[numeric]] cards cannot be imported "
                                    f"({numeric[0].id!r}); study the file with --deck instead")
    return "deck", cards


__all__ = ["history_csv", "history_jsonl", "parse_history_csv", "parse_history_jsonl",
           "read_import", "stamp"]
