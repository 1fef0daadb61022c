"""To Anki and back: the deck as an Anki package (through ``genanki``), and Anki's plain-text export read in.

Export (``quiz export --anki FILE.apkg``): one note per card in a deck called ``rnn-tutor``, with the note type
``rnn-tutor card`` (fields Question, Answer, See also, Topic, Card id). Each note is tagged with its topic
(spaces become ``_``: ``hand_trace``) and ``rnn-tutor``. A numeric card has no fixed answer, so it becomes
``NUMERIC_SAMPLES`` notes, fixed instances drawn as the quiz draws them (seed 0, reviews 0, 1, ...), each with
the number and the worked steps on the back. Anki recognises a note by its GUID: ours is made from the card id
(``card-id``, or ``card-id:2`` for an instance), and the deck and note type have fixed ids, so importing a newer
export updates the notes already in Anki (and keeps their review history there) instead of adding copies.

Import (``quiz import FILE.txt``): what Anki writes with File > Export > "Notes in Plain Text" or "Cards in
Plain Text": one note per line, fields separated by tabs, optionally quoted like CSV. Anki's header lines
(``#separator:tab``, ``#html:true``, ``#tags column:3``, ``#guid column:1``, ``#notetype column:2``,
``#deck column:3``, ``#columns:...``) are honoured; without them the file is read as front, back and (if there
is a third column) tags. HTML is turned into plain text. A note's id comes from our Card id field (notes that
went out in our package and come back), else from Anki's GUID (so importing a newer export updates the same
cards), else from the question, as for any deck without ids.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import os
import re
import tempfile
from pathlib import Path

from rnn_tutor.errors import BadValueError, RnnTutorError
from rnn_tutor.quiz.cards import ID_PATTERN, Card

NUMERIC_SAMPLES = 5
DECK_NAME = "rnn-tutor"
MODEL_NAME = "rnn-tutor card"
# Fixed once (genanki's advice: a random number in [2^30, 2^31)), never to change: Anki matches on them.
DECK_ID = 1_546_392_871
MODEL_ID = 1_863_205_417
FIELDS = ("Question", "Answer", "See also", "Topic", "Card id")
SOURCE_TAG = "rnn-tutor"
INSTALL_HINT = "install it with: pip install 'rnn-tutor[anki]'"

_CSS = """.card { font-family: sans-serif; font-size: 20px; text-align: left; color: black;
  background-color: white; }
.see-also { margin-top: 1em; font-size: 16px; color: #555; }
code, .steps { font-family: monospace; }
"""
_BACK = ("{{FrontSide}}<hr id=answer>{{Answer}}"
         "{{#See also}}<div class=\"see-also\">See also: <code>{{See also}}</code></div>{{/See also}}")


# ----------------------------------------------------------------------------- export

def tag_for(topic: str) -> str:
    """An Anki tag for a topic: no spaces (Anki splits tags on them)."""
    return "_".join(topic.split()) or "general"


def _html(text: str) -> str:
    return html.escape(text.replace("\x1f", " "), quote=False).replace("\n", "<br>")  # \x1f: Anki's field separator


def notes_for(cards: list[Card], *, seed: int = 0) -> list[dict]:
    """The notes the package holds, as plain records (fields as text, before HTML escaping): one per text
    card, ``NUMERIC_SAMPLES`` per numeric card."""
    from rnn_tutor.core.numfmt import num
    from rnn_tutor.quiz.numeric import make_item

    out = []
    for card in cards:
        tags = [tag_for(card.topic), SOURCE_TAG]
        if card.kind != "numeric":
            out.append({"id": card.id, "question": card.question, "answer": card.answer,
                        "see_also": card.see_also, "topic": card.topic, "tags": tags, "steps": None})
            continue
        for k in range(NUMERIC_SAMPLES):
            item = make_item(card, seed=seed, nth=k)
            out.append({"id": f"{card.id}:{k + 1}", "question": item.question,
                        "answer": f"h_{item.asked_step} = {num(item.expected)}", "steps": list(item.steps),
                        "see_also": card.see_also, "topic": card.topic, "tags": tags + ["numeric"]})
    return out


def _genanki():
    try:
        import genanki
    except ImportError:
        raise RnnTutorError("exporting to Anki needs the genanki package, which is not installed",
                            INSTALL_HINT) from None
    return genanki


def note_guid(note_id: str) -> str:
    return _genanki().guid_for(SOURCE_TAG, note_id)


def write_apkg(cards: list[Card], target: Path, *, seed: int = 0) -> list[dict]:
    """Write the cards as an Anki package at ``target`` (atomically: a temporary file beside it, then
    renamed). Returns the notes written."""
    genanki = _genanki()
    model = genanki.Model(
        MODEL_ID, MODEL_NAME, fields=[{"name": f} for f in FIELDS],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}", "afmt": _BACK}], css=_CSS)
    deck = genanki.Deck(DECK_ID, DECK_NAME, description="Flashcards from rnn-tutor (rnn-tutor quiz).")
    notes = notes_for(cards, seed=seed)
    for n in notes:
        back = _html(n["answer"])
        if n["steps"]:
            back += "<div class=\"steps\">Worked steps:<br>" + "<br>".join(map(_html, n["steps"])) + "</div>"
        deck.add_note(genanki.Note(
            model=model, fields=[_html(n["question"]), back, _html(n["see_also"]), _html(n["topic"]), n["id"]],
            tags=n["tags"], guid=genanki.guid_for(SOURCE_TAG, n["id"])))
    folder = target.parent if str(target.parent) else Path(".")
    old_tempdir = tempfile.tempdir
    try:
        with tempfile.TemporaryDirectory(prefix=".rnn-tutor-anki-", dir=folder) as scratch:
            # genanki builds the collection in a temporary file it does not remove: keep it in ours.
            tempfile.tempdir = scratch
            partial = Path(scratch) / "deck.apkg"
            genanki.Package(deck).write_to_file(str(partial))
            os.replace(partial, target)
    except OSError as exc:
        raise RnnTutorError(f"cannot write {target}: {exc.strerror or exc}",
                            "check the folder exists and is writable") from None
    finally:
        tempfile.tempdir = old_tempdir
    return notes


# ----------------------------------------------------------------------------- import

_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_COLUMN_KEYS = {"guid column": "guid", "notetype column": "notetype", "deck column": "deck",
                "tags column": "tags"}  # meta["column"][kind] = its column number
_LOOKS_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_NOT_TOPICS = {SOURCE_TAG, "leech", "marked", "numeric"}


def html_to_text(text: str) -> str:
    """A field's HTML as the plain text our cards hold: line breaks kept, tags and media references dropped,
    entities decoded."""
    text = re.sub(r"<br\s*/?>|</div>|</p>|</li>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]*>", "", text)
    text = re.sub(r"\[sound:[^\]]*\]", "", text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _header(lines: list[str], name: str, option: str) -> tuple[int, dict]:
    """Read Anki's header lines at the top: returns (how many lines, settings)."""
    meta: dict = {"separator": None, "html": None, "columns": None, "tags": [], "column": {}}
    count = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if number == 1 and line.startswith("tags:"):
            meta["tags"] = line[5:].split()
        elif line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            key = key.strip().lower()
            where = f"{name}, line {number}"
            if not sep:
                pass  # a comment
            elif key == "separator":
                value = value.strip()
                if value.lower() in _SEPARATORS:
                    meta["separator"] = _SEPARATORS[value.lower()]
                elif len(value) == 1:
                    meta["separator"] = value
                else:
                    raise BadValueError(option, f"{where}: unknown separator {value!r} (Anki writes tab, "
                                                "comma, semicolon, space, pipe or colon)")
            elif key == "html":
                if value.strip().lower() not in ("true", "false"):
                    raise BadValueError(option, f"{where}: html must be true or false, not {value.strip()!r}")
                meta["html"] = value.strip().lower() == "true"
            elif key in _COLUMN_KEYS:
                try:
                    column = int(value.strip())
                    if column < 1:
                        raise ValueError
                except ValueError:
                    raise BadValueError(option, f"{where}: {key} must be a column number (1, 2, ...), not "
                                                f"{value.strip()!r}") from None
                meta["column"][_COLUMN_KEYS[key]] = column
            elif key == "columns":
                meta["columns"] = value
            elif key == "tags":
                meta["tags"] = value.split()
        else:
            break
        count = number
    return count, meta


def _rows(body: str, separator: str, first_line: int, name: str, option: str):
    """(line number, cells) for each record after the header; blank lines and '#' comment lines skipped."""
    physical = body.splitlines()
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=separator, quotechar='"', strict=False)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BadValueError(option, f"{name}, line {first_line + start - 1}: {exc}") from None
        if not any(cell.strip() for cell in row):
            continue
        if start <= len(physical) and physical[start - 1].startswith("#"):
            continue
        yield first_line + start - 1, row


def parse_anki_text(text: str, *, name: str, option: str = "FILE") -> list[Card]:
    """Cards from Anki's plain-text export (see the module's docstring). Errors name the file and line."""
    from rnn_tutor.quiz.cards import MAX_DECK_CARDS, _text_card, _too_many_cards

    lines = text.splitlines(keepends=True)
    skip, meta = _header(lines, name, option)
    body = "".join(lines[skip:])
    separator = meta["separator"] or "\t"
    if meta["separator"] is None and body.strip() and "\t" not in body:
        raise BadValueError(option, f"{name}, line {skip + 1}: no tab between the front and the back (Anki's "
                                    "plain-text export separates fields with tabs; a file with another "
                                    "separator needs a '#separator:' line)")
    labels = None
    if meta["columns"] is not None:
        labels = [c.strip().casefold() for c in next(csv.reader([meta["columns"]], delimiter=separator), [])]
    special = {column: kind for kind, column in meta["column"].items()}
    cards: list[Card] = []
    seen: dict[str, int] = {}
    for number, row in _rows(body, separator, skip + 1, name, option):
        where = f"{name}, line {number}"
        if len(cards) >= MAX_DECK_CARDS:
            raise _too_many_cards(option, where)
        fields = [cell for i, cell in enumerate(row, start=1) if i not in special]
        extra = {kind: row[i - 1] if i <= len(row) else "" for i, kind in special.items()}
        ours = extra.get("notetype", "").strip() == MODEL_NAME or (labels is not None and "card id" in labels)
        if labels is not None:
            named = [lab for i, lab in enumerate(labels, start=1) if i not in special]
            by_name = dict(zip(named, fields))
        elif ours:
            by_name = dict(zip((f.casefold() for f in FIELDS), fields))
        else:
            by_name = dict(zip(("question", "answer"), fields))
            if skip == 0 and len(fields) == 3:
                extra["tags"] = fields[2]  # no header: front, back, tags (Anki's default with "Include tags")
        question = by_name.get("question", by_name.get("front", fields[0] if fields else ""))
        answer = by_name.get("answer", by_name.get("back", fields[1] if len(fields) > 1 else None))
        if answer is None:
            raise BadValueError(option, f"{where}: found one field, expected a front and a back "
                                        f"separated by {'a tab' if separator == chr(9) else repr(separator)}")
        values = {"question": question, "answer": answer, "see_also": by_name.get("see also", ""),
                  "topic": by_name.get("topic", "")}
        is_html = meta["html"]
        for key, value in values.items():
            if is_html or (is_html is None and _LOOKS_HTML.search(value)):
                values[key] = html_to_text(value)
            else:
                values[key] = value.strip()
        tags = extra.get("tags", "").split() + meta["tags"]
        if not values["topic"]:
            topic = next((t for t in tags if t.casefold() not in _NOT_TOPICS), "")
            deck = extra.get("deck", "").split("::")[-1].strip()
            values["topic"] = topic.replace("_", " ") or deck or "anki"
        card_id = by_name.get("card id", "").strip()
        explicit = bool(card_id) or bool(extra.get("guid", "").strip())
        if card_id and not ID_PATTERN.match(card_id):
            raise BadValueError(option, f"{where}: card id {card_id!r} is not allowed (use letters, digits, "
                                        "'.', '_', ':' or '-', at most 80 characters)")
        if not card_id and extra.get("guid", "").strip():
            card_id = "anki-" + hashlib.sha1(extra["guid"].strip().encode("utf-8")).hexdigest()[:12]
        entry = {"id": card_id or None, **values}
        card = _text_card(entry, where, option, "user")
        if card.id in seen:
            if explicit:
                raise BadValueError(option, f"{where}: the note {card.id!r} is there twice (first on line "
                                            f"{seen[card.id]})")
            n = 2
            while f"{card.id}-{n}" in seen:
                n += 1
            card = Card(f"{card.id}-{n}", card.topic, card.question, card.answer, card.see_also, "text", "user")
        seen[card.id] = number
        cards.append(card)
    return cards


def is_builtin_note(card_id: str, builtin_ids: set[str]) -> bool:
    """A note of the built-in deck coming back from Anki (a card, or an instance ``id:N`` of a numeric one)."""
    if card_id in builtin_ids:
        return True
    head, sep, tail = card_id.rpartition(":")
    return bool(sep) and tail.isdigit() and head in builtin_ids
