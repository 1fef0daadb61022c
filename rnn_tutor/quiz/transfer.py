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
from rnn_tutor.quiz.cards import ID_PATTERN, Card, csv_rows, deck_format, parse_deck, read_text
from rnn_tutor.quiz.store import Review, parse_stamp, stamp

HISTORY_COLUMNS = ("uid", "card_id", "topic", "reviewed_at", "grade", "grade_name", "cram",
                   "first", "correct", "due", "state_after")
STATE_KEYS = ("card_id", "state", "step", "stability", "difficulty", "due", "last_review")


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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for record in records:
        writer.writerow(csv_row(record))
    return buffer.getvalue()


def history_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in records)


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


def _review(raw: dict, where: str, option: str) -> Review:
    def need(field: str):
        value = raw.get(field)
        if value is None or value == "":
            raise BadValueError(option, f"{where}: the review has no {field!r}")
        return value

    uid = str(need("uid")).strip()
    if not uid or len(uid) > 64:
        raise BadValueError(option, f"{where}: 'uid' must be 1-64 characters")
    card_id = str(need("card_id")).strip()
    if not ID_PATTERN.match(card_id):
        raise BadValueError(option, f"{where}: card id {card_id!r} is not allowed")
    try:
        when = parse_stamp(str(need("reviewed_at")))
    except ValueError:
        raise BadValueError(option, f"{where}: 'reviewed_at' is not a date-time "
                                    "like 2026-11-28T09:30:00Z") from None
    grade = need("grade")
    try:
        grade = int(grade)
        if isinstance(raw.get("grade"), float) or not 1 <= grade <= 4:
            raise ValueError
    except (TypeError, ValueError):
        raise BadValueError(option, f"{where}: 'grade' must be 1, 2, 3 or 4, "
                                    f"not {raw.get('grade')!r}") from None
    cram = bool(_bool(raw.get("cram"), "cram", where, option))
    first = bool(_bool(raw.get("first"), "first", where, option))
    correct = _bool(raw.get("correct"), "correct", where, option)
    state = raw.get("state_after")
    if isinstance(state, str):
        if state.strip():
            try:
                state = json.loads(state)
            except json.JSONDecodeError:
                raise BadValueError(option, f"{where}: 'state_after' is not JSON") from None
        else:
            state = None
    if state is not None:
        if not isinstance(state, dict) or any(k not in state for k in STATE_KEYS):
            raise BadValueError(option, f"{where}: 'state_after' is not a scheduler state "
                                        "(needs " + ", ".join(STATE_KEYS) + ")")
        try:
            import fsrs

            state = fsrs.Card.from_dict(state).to_dict()  # validates and normalises
        except (TypeError, ValueError, KeyError):
            raise BadValueError(option, f"{where}: 'state_after' is not a valid scheduler "
                                        "state") from None
    elif not cram:
        raise BadValueError(option, f"{where}: a scheduled review needs 'state_after'")
    topic = str(raw.get("topic") or "")[:200]
    return Review(uid, card_id, topic, when, grade, cram, first, correct, state)


def parse_history_jsonl(text: str, *, name: str, option: str = "FILE") -> list[Review]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}, line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadValueError(option, f"{where}: not JSON ({exc.msg})") from None
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
    return [_review(entry, where, option) for entry, where in csv_rows(reader, header, name=name, option=option)]


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
    text = read_text(path, option)
    if suffix in (".txt", ".tsv"):  # Anki's "Notes/Cards in Plain Text" (rnn_tutor/quiz/anki.py)
        from rnn_tutor.quiz.anki import parse_anki_text

        return "anki", parse_anki_text(text, name=str(path), option=option)
    if suffix in (".jsonl", ".ndjson"):
        return "history", parse_history_jsonl(text, name=str(path), option=option)
    if suffix == ".csv" and is_history_csv(text):
        return "history", parse_history_csv(text, name=str(path), option=option)
    cards: list[Card] = parse_deck(text, name=str(path), fmt=deck_format(path), option=option,
                                   source="user")
    numeric = [c for c in cards if c.kind != "text"]
    if numeric:
        raise BadValueError(option, f"{path}: [[numeric]] cards cannot be imported "
                                    f"({numeric[0].id!r}); study the file with --deck instead")
    return "deck", cards


__all__ = ["history_csv", "history_jsonl", "parse_history_csv", "parse_history_jsonl",
           "read_import", "stamp"]
