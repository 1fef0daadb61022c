"""Cards and decks: the built-in deck and the user's own files (TOML or CSV).

A deck is data. Two kinds of card:

- ``text``: a question and an answer; the learner reveals the answer and grades themself.
- ``numeric``: a template. Each time it is studied the calculator makes fresh numbers
  (see ``rnn_tutor.quiz.numeric``); the learner types a number, checked with a tolerance.

Every card has a stable ``id``: progress is keyed by it, so editing a card's text keeps its
history. Errors in a deck file raise ``BadValueError`` naming the file and the line.

TOML layout::

    [[card]]
    id = "order-matters"          # optional in user decks (derived from the question)
    topic = "sequences"
    question = "..."
    answer = "..."
    see_also = "rnn-tutor trace"   # optional

    [[numeric]]                    # built-in deck only in practice, but allowed anywhere
    id = "num-linear-final"
    topic = "hand trace"
    activation = "linear"          # linear | tanh
    length = 3                     # number of inputs
    ask = "final"                  # final (h_T) | step (a random h_t)
    tolerance = 0.01

CSV layout: a header row with at least ``question`` and ``answer``; optional ``id``,
``topic``, ``see_also``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rnn_tutor.errors import BadValueError

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
TEXT_FIELDS = ("id", "topic", "question", "answer", "see_also")
NUMERIC_FIELDS = ("id", "topic", "activation", "length", "ask", "tolerance", "see_also",
                  "question")
ACTIVATIONS = ("linear", "tanh")
ASKS = ("final", "step")
MAX_TEXT = 4000
# A deck file (TOML or CSV) holds at most this many bytes and cards: 50,000 cards of a few lines each fit in
# 10 MB and list in a few seconds; the limits keep a runaway file from taking gigabytes and minutes.
MAX_DECK_BYTES = 10_000_000
MAX_DECK_CARDS = 50_000


@dataclass(frozen=True)
class NumericSpec:
    """How a numeric card makes its numbers."""

    activation: str = "linear"
    length: int = 3
    ask: str = "final"
    tolerance: float = 0.01


@dataclass(frozen=True)
class Card:
    """One flashcard. ``answer`` of a numeric card describes the method, not a number."""

    id: str
    topic: str
    question: str
    answer: str
    see_also: str = ""
    kind: str = "text"  # "text" | "numeric"
    source: str = "builtin"  # "builtin" | "user" | a deck file path
    numeric: NumericSpec | None = None

    def as_record(self) -> dict:
        """Plain record for JSON/CSV listing."""
        return {
            "id": self.id,
            "topic": self.topic,
            "kind": self.kind,
            "question": self.question,
            "answer": self.answer,
            "see_also": self.see_also,
            "source": self.source,
        }


def derived_id(question: str) -> str:
    """A stable id for a card written without one: 64 bits of a hash of its question (spacing and case
    ignored). Two different questions share one with odds of about n^2 / 2^65: 7e-11 for a full deck of 50,000
    cards. (Before, ids had 40 bits, 1 in 900 at that size; ``legacy_id`` gives a card's old id.)"""
    digest = hashlib.sha1(" ".join(question.split()).lower().encode("utf-8")).hexdigest()
    return "q-" + digest[:16]


LEGACY_ID_LENGTH = 12  # "q-" + 10 hex digits: the derived ids of rnn-tutor before 64-bit ids


def legacy_id(card: "Card") -> str | None:
    """The id an older rnn-tutor derived for this card (a prefix of today's), or None if its id was given."""
    if card.kind != "text" or card.id != derived_id(card.question):
        return None
    return card.id[:LEGACY_ID_LENGTH]


# --------------------------------------------------------------------------- parsing

def _fail(option: str, where: str, message: str) -> BadValueError:
    return BadValueError(option, f"{where}: {message}")


def _text(value, field: str, where: str, option: str, *, required: bool) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(option, where, f"the card has no {field!r} (every card needs "
                                       "a question and an answer)")
        return ""
    if not isinstance(value, str):
        raise _fail(option, where, f"{field!r} must be text, not {type(value).__name__}")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise _fail(option, where, f"{field!r} is longer than {MAX_TEXT} characters")
    return text


def _card_id(raw, question: str, where: str, option: str) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return derived_id(question)
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise _fail(option, where, "'id' must be text such as 'my-card-1'")
    card_id = str(raw).strip()
    if not ID_PATTERN.match(card_id):
        raise _fail(option, where, f"id {card_id!r} is not allowed (use letters, digits, "
                                   "'.', '_', ':' or '-', at most 80 characters)")
    return card_id


def _text_card(entry: dict, where: str, option: str, source: str) -> Card:
    unknown = sorted(set(entry) - set(TEXT_FIELDS))
    if unknown:
        raise _fail(option, where, f"unknown field {unknown[0]!r} (allowed: "
                                   + ", ".join(TEXT_FIELDS) + ")")
    question = _text(entry.get("question"), "question", where, option, required=True)
    answer = _text(entry.get("answer"), "answer", where, option, required=True)
    topic = _text(entry.get("topic"), "topic", where, option, required=False) or "general"
    see_also = _text(entry.get("see_also"), "see_also", where, option, required=False)
    card_id = _card_id(entry.get("id"), question, where, option)
    return Card(card_id, topic, question, answer, see_also, "text", source)


def _numeric_card(entry: dict, where: str, option: str, source: str) -> Card:
    unknown = sorted(set(entry) - set(NUMERIC_FIELDS))
    if unknown:
        raise _fail(option, where, f"unknown field {unknown[0]!r} (allowed: "
                                   + ", ".join(NUMERIC_FIELDS) + ")")
    if not entry.get("id"):
        raise _fail(option, where, "a [[numeric]] card needs an 'id'")
    card_id = _card_id(entry.get("id"), "", where, option)
    topic = _text(entry.get("topic"), "topic", where, option, required=False) or "hand trace"
    see_also = _text(entry.get("see_also"), "see_also", where, option, required=False)
    activation = entry.get("activation", "linear")
    if activation not in ACTIVATIONS:
        raise _fail(option, where, f"activation must be one of {', '.join(ACTIVATIONS)}")
    ask = entry.get("ask", "final")
    if ask not in ASKS:
        raise _fail(option, where, f"ask must be one of {', '.join(ASKS)}")
    length = entry.get("length", 3)
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 8:
        raise _fail(option, where, "length must be a whole number from 1 to 8")
    tolerance = entry.get("tolerance", 0.01)
    if (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
            or not 0 < float(tolerance) <= 1):
        raise _fail(option, where, "tolerance must be a number above 0 and at most 1")
    spec = NumericSpec(activation, length, ask, float(tolerance))
    question = _text(entry.get("question"), "question", where, option, required=False) or (
        f"Compute the hidden state of a scalar {activation} RNN "
        f"({'the last step' if ask == 'final' else 'a given step'}).")
    answer = ("h_t = " + ("tanh(" if activation == "tanh" else "")
              + "w*h_{t-1} + u*x_t" + (")" if activation == "tanh" else "")
              + ", from h_0 = 0, one step at a time")
    return Card(card_id, topic, question, answer, see_also, "numeric", source, spec)


_HEADER = re.compile(r"^\s*\[\[\s*(card|numeric)\s*\]\]")


def _too_many_cards(option: str, where: str) -> BadValueError:
    return BadValueError(option, f"{where}: more than {MAX_DECK_CARDS:,} cards, the most one deck holds",
                         "split it into smaller decks")


def _deep_line(text: str, depth: int = 64) -> int | None:
    """The line where brackets first nest deeper than ``depth`` (strings skipped roughly), to name it."""
    level, quote, line = 0, "", 1
    for i, ch in enumerate(text):
        if ch == "\n":
            line += 1
        if quote:
            if ch == quote and (quote == "'" or text[i - 1] != "\\"):
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            end = text.find("\n", i)
            if end < 0:
                break
        elif ch in "[{":
            level += 1
            if level > depth:
                return line
        elif ch in "]}":
            level = max(0, level - 1)
    return None


def parse_toml(text: str, *, name: str, option: str = "FILE", source: str = "user") -> list[Card]:
    """Parse a TOML deck. ``name`` is how the file is called in error messages."""
    headers = [m.start() for m in re.finditer(r"(?m)^[ \t]*\[\[[ \t]*(?:card|numeric)[ \t]*\]\]", text)]
    if len(headers) > MAX_DECK_CARDS:  # refused before the parser spends seconds and memory on it
        raise _too_many_cards(option, f"{name}, line {text.count(chr(10), 0, headers[MAX_DECK_CARDS]) + 1}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadValueError(option, f"{name} is not valid TOML: {exc}") from None
    except RecursionError:
        line = _deep_line(text)
        where = f"{name}, line {line}" if line else name
        raise BadValueError(option, f"{where}: arrays or tables nested too deeply for the TOML parser (a card "
                                    "holds text and numbers)") from None
    except ValueError as exc:  # an integer past Python's 4,300-digit conversion limit
        digits = re.search(r"\d{4300}", text)
        where = f"{name}, line {text.count(chr(10), 0, digits.start()) + 1}" if digits else name
        raise BadValueError(option, f"{where}: an integer has more digits than Python converts (4,300)") from None
    unknown = sorted(k for k in data if k not in ("card", "numeric", "deck"))
    if unknown:
        raise BadValueError(option, f"{name}: unknown table {unknown[0]!r} "
                                    "(a deck has [[card]] and [[numeric]] entries)")
    # Map the n-th [[card]] / [[numeric]] header to its line so errors can name it.
    lines: dict[str, list[int]] = {"card": [], "numeric": []}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            lines[match.group(1)].append(number)
    cards: list[Card] = []
    for kind in ("card", "numeric"):
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            raise BadValueError(option, f"{name}: {kind!r} must be written as [[{kind}]] entries")
        if len(cards) + len(entries) > MAX_DECK_CARDS:  # written inline (card = [{...}, ...]): counted now
            raise _too_many_cards(option, name)
        for index, entry in enumerate(entries):
            line = lines[kind][index] if index < len(lines[kind]) else None
            where = f"{name}, line {line}" if line else f"{name}, {kind} #{index + 1}"
            if not isinstance(entry, dict):
                raise _fail(option, where, f"[[{kind}]] must be a table")
            make = _text_card if kind == "card" else _numeric_card
            cards.append((make(entry, where, option, source), where))
    return _check_unique(cards, option)


def parse_csv(text: str, *, name: str, option: str = "FILE", source: str = "user") -> list[Card]:
    """Parse a CSV deck with a header row (question, answer, and optionally id, topic, see_also)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise BadValueError(option, f"{name} is empty (a CSV deck needs a header row "
                                    "with question and answer)") from None
    except csv.Error as exc:
        raise BadValueError(option, f"{name}, line 1: {exc}") from None
    columns = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in ("question", "answer") if c not in columns]
    if missing:
        raise BadValueError(option, f"{name}, line 1: the header has no {missing[0]!r} column "
                                    "(needed: question, answer; optional: id, topic, see_also)")
    unknown = [c for c in columns if c not in TEXT_FIELDS]
    if unknown:
        raise BadValueError(option, f"{name}, line 1: unknown column {unknown[0]!r} "
                                    "(allowed: " + ", ".join(TEXT_FIELDS) + ")")
    cards = []
    for entry, where in csv_rows(reader, columns, name=name, option=option):
        if len(cards) >= MAX_DECK_CARDS:
            raise _too_many_cards(option, where)
        cards.append((_text_card(entry, where, option, source), where))
    return _check_unique(cards, option)


def csv_rows(reader, columns: list[str], *, name: str, option: str):
    """The data rows after the header, as ({column: text}, "name, line N"): blank rows are skipped, a row with
    the wrong number of fields or broken quoting is refused with its line number (for decks and histories)."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BadValueError(option, f"{name}, line {reader.line_num}: {exc}") from None
        where = f"{name}, line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise _fail(option, where, f"expected {len(columns)} fields, found {len(row)}")
        yield dict(zip(columns, row)), where


def _check_unique(pairs: list[tuple[Card, str]], option: str) -> list[Card]:
    seen: dict[str, str] = {}
    for card, where in pairs:
        if card.id in seen:
            raise _fail(option, where, f"id {card.id!r} is used twice (first at "
                                       f"{seen[card.id].split(', ', 1)[-1]})")
        seen[card.id] = where
    return [card for card, _ in pairs]


def parse_deck(text: str, *, name: str, fmt: str, option: str = "FILE",
               source: str = "user") -> list[Card]:
    if fmt == "toml":
        return parse_toml(text, name=name, option=option, source=source)
    if fmt == "csv":
        return parse_csv(text, name=name, option=option, source=source)
    raise BadValueError(option, f"{name}: unknown deck format {fmt!r} (use .toml or .csv)")


def deck_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return ""


def read_text(path: Path, option: str, *, limit: int | None = None, what: str = "deck") -> str:
    """Read a user file as UTF-8 text, with errors a user can act on (see ``core.fileio``: no devices, pipes
    read with the same cap, at most ``limit`` bytes, default ``MAX_DECK_BYTES``)."""
    from rnn_tutor.core import fileio

    limit = MAX_DECK_BYTES if limit is None else limit
    return fileio.read_text(path, limit=limit, option=option, what=what,
                            too_large_hint="split it into smaller decks")


def load_deck(path: str | Path, *, option: str = "--deck") -> list[Card]:
    """Load a user's deck file (``.toml`` or ``.csv``)."""
    path = Path(path)
    fmt = deck_format(path)
    if not fmt:
        raise BadValueError(option, f"{path}: a deck must be a .toml or .csv file")
    text = read_text(path, option)
    cards = parse_deck(text, name=str(path), fmt=fmt, option=option, source=str(path))
    if not cards:
        raise BadValueError(option, f"{path} has no cards")
    return cards


def builtin_deck() -> list[Card]:
    """The deck shipped with the package (``rnn_tutor/content/deck.toml``)."""
    text = resources.files("rnn_tutor.content").joinpath("deck.toml").read_text("utf-8")
    return parse_toml(text, name="deck.toml", option="deck.toml", source="builtin")


def topics(cards: list[Card]) -> list[str]:
    """Topics in first-seen order."""
    return list(dict.fromkeys(card.topic for card in cards))
