"""Text for a character-level language model: where it comes from, its vocabulary, and its held-out part.

Sources (``--text``):

- a UTF-8 file, or ``-`` for stdin (the CLI reads stdin and hands the bytes over: ``from_bytes``);
- ``lessons``: rnn-tutor's own lessons (the Markdown shipped in the package);
- ``brackets``: generated lines of nested round and square brackets around words, depth up to 6; closing a bracket
  right needs memory of what was opened, possibly far back (``brackets_text``);
- ``stdlib``: the ``.py`` sources of the running interpreter's standard library, read at run time (nothing of
  it is copied into the project), in a fixed pseudo-random order of files so that any prefix mixes modules.

Every source is capped at ``max_chars`` characters. No one's text is stored in the project: the built-ins are
generated, ours, or read from this machine when asked for.

The vocabulary is the set of characters of the training text, in code-point order. Past ``MAX_VOCAB`` symbols,
the most frequent ``MAX_VOCAB - 1`` characters are kept and every other one maps to a single unknown symbol
(shown as ``UNKNOWN_GLYPH``); the count of characters mapped to it is reported.

Every bad input is a ``BadValueError`` (exit 2) naming the option: an empty or binary file, text that is not
UTF-8 (with the byte offset), a text too short for one batch of chunks, fewer than two distinct characters.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_tutor.errors import BadValueError

BUILTINS = ("brackets", "lessons", "stdlib")
MAX_VOCAB = 256  # symbols, the unknown one included (ids fit one byte: the n-gram packs 8 of them in a uint64)
UNKNOWN = -1  # the unknown symbol's code point in a saved vocabulary
UNKNOWN_GLYPH = "\N{REPLACEMENT CHARACTER}"
DEFAULT_MAX_CHARS = 2_000_000
MAX_CHARS_LIMIT = 50_000_000
BRACKETS_CHARS = 500_000  # the generated corpus's size unless --max-chars asks for less
VALID_SHARE = 0.1  # the last 10% is held out unless --valid gives a file
MAX_FILE_BYTES = 4 * MAX_CHARS_LIMIT  # we never read more than this of one file (4 bytes per character at most)


@dataclass(frozen=True)
class Text:
    """A text read from one source, before it is split or encoded."""

    name: str  # "brackets", "lessons", "stdlib", a file path, or "stdin"
    text: str
    truncated: bool  # cut at max_chars
    note: str = ""  # where it came from, in words ("1,234 files of /usr/lib/python3.11")


def check_max_chars(max_chars, option: str = "--max-chars") -> int:
    if isinstance(max_chars, bool) or not isinstance(max_chars, (int, np.integer)) or not (
            1_000 <= max_chars <= MAX_CHARS_LIMIT):
        raise BadValueError(option, f"must be a whole number from 1,000 to {MAX_CHARS_LIMIT:,}, got {max_chars!r}")
    return int(max_chars)


# ------------------------------------------------------------------------------------------- reading bytes


def decode(data: bytes, name: str, option: str, max_chars: int, complete: bool = True) -> tuple[str, bool]:
    """UTF-8 bytes -> (text of at most ``max_chars`` characters, truncated?). A leading byte-order mark is
    dropped. ``complete=False`` when ``data`` was cut from a longer file: a character split at the cut is not an
    error. Raises BadValueError for empty, binary or non-UTF-8 data, naming the byte offset."""
    if not data:
        raise BadValueError(option, f"{name} is empty", "give a text with at least a few thousand characters")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise BadValueError(option, f"{name} looks like a binary file (a NUL byte at offset {nul:,}), not text",
                            "give a UTF-8 text file")
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = decoder.decode(data, final=complete)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4]
        raise BadValueError(option, f"{name} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
                                    f"{exc.start:,} cannot be decoded ({bad!r} there)",
                            "convert it first, e.g. iconv -f latin1 -t utf-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    truncated = len(text) > max_chars or not complete
    return text[:max_chars], truncated


def read_text_file(path, option: str = "--text", max_chars: int = DEFAULT_MAX_CHARS) -> Text:
    """The one place a user's text file is read (through fileio: regular files and pipes only, at most
    MAX_FILE_BYTES); the first ``max_chars`` characters are used."""
    from rnn_tutor.core import fileio

    name = str(path)
    try:
        data = fileio.read_bytes(path, limit=MAX_FILE_BYTES, what="text", option=option,
                                 too_large_hint="give a smaller part of it")
    except fileio.FILE_ERRORS as exc:
        if exc.kind == "missing":
            exc.hint = f"give a UTF-8 text file, '-' for stdin, or one of {', '.join(BUILTINS)}"
        raise
    limit = min(MAX_FILE_BYTES, 4 * max_chars + 4)
    text, truncated = decode(data[:limit], name, option, max_chars, complete=len(data) <= limit)
    return Text(name, text, truncated)


def from_bytes(data: bytes, name: str = "stdin", option: str = "--text",
               max_chars: int = DEFAULT_MAX_CHARS) -> Text:
    """Text from bytes already read (stdin)."""
    limit = min(MAX_FILE_BYTES, 4 * max_chars + 4)
    text, truncated = decode(data[:limit], name, option, max_chars, complete=len(data) <= limit)
    return Text(name, text, truncated)


# ------------------------------------------------------------------------------------------- built-in corpora


BRACKET_WORDS = ("ant", "bee", "cat", "dog", "elk", "fox", "gnu", "hen", "owl", "pig", "ram", "yak")
BRACKET_DEPTH = 6
OPENERS = "(["
CLOSERS = ")]"
PAIRS = {"(": ")", "[": "]"}
BRACKETS_VOCAB = tuple(sorted(set("".join(BRACKET_WORDS) + OPENERS + CLOSERS + " \n")))


def brackets_text(n_chars: int = BRACKETS_CHARS, seed: int = 0) -> str:
    """Lines of nested round and square brackets around words, at most BRACKET_DEPTH deep, from ``seed``.

    Each line is one bracketed group; a group holds one to three items, each a word or (while the depth is below
    BRACKET_DEPTH, less often the deeper it is) a nested group. Which closing bracket comes next is fixed by the
    opener it matches, which may lie many characters back: ``(owl [cat (fox) bee] [gnu])``."""
    import random

    rnd = random.Random(seed * 1_000_003 + 13).random  # random() is the same on every Python version
    words = BRACKET_WORDS
    out: list[str] = []
    size = 0

    def group(depth: int) -> None:
        kind = OPENERS[int(rnd() * 2)]
        out.append(kind)
        for k in range(1 + int(rnd() * 3)):
            if k:
                out.append(" ")
            if depth < BRACKET_DEPTH and rnd() < 0.55 - 0.07 * depth:
                group(depth + 1)
            else:
                out.append(words[int(rnd() * len(words))])
        out.append(PAIRS[kind])

    while size < n_chars:
        start = len(out)
        group(1)
        out.append("\n")
        size += sum(len(s) for s in out[start:])
    text = "".join(out)[:n_chars]
    cut = text.rfind("\n")  # end on a whole line (when there is more than one)
    return text[: cut + 1] if cut > 0 else text


def lessons_text() -> str:
    """rnn-tutor's own lessons, one after the other (their Markdown source, placeholders as written)."""
    from rnn_tutor.core.lessons import all_lessons

    parts = [f"# {lesson.title}\n\n{lesson.source}" for lesson in all_lessons()]
    return "\n".join(parts)


_TEST_DIRS = {"test", "tests", "idle_test", "__pycache__", "site-packages", "dist-packages"}


def stdlib_files() -> tuple[Path, list[Path]]:
    """The running interpreter's standard-library folder and its .py files (tests and site-packages left out),
    in a fixed pseudo-random order: by the SHA-1 of the path inside the folder, so any prefix mixes modules and the
    order is the same on every run of the same Python."""
    import sysconfig

    root = Path(sysconfig.get_paths()["stdlib"])
    files: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _TEST_DIRS and not d.startswith("."))
        files.extend(Path(folder) / n for n in names if n.endswith(".py"))
    files.sort(key=lambda f: hashlib.sha1(f.relative_to(root).as_posix().encode()).hexdigest())
    return root, files


def stdlib_text(max_chars: int, from_end: bool = False) -> tuple[str, str]:
    """(text, note): .py files of the standard library until ``max_chars`` characters; files that are not UTF-8
    are skipped. ``from_end``: the files in the reverse order (those a training run reads last, if at all)."""
    root, files = stdlib_files()
    if from_end:
        files = files[::-1]
    parts, size, used, skipped = [], 0, 0, 0
    for f in files:
        if size >= max_chars:
            break
        try:
            text = f.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            skipped += 1
            continue
        if "\x00" in text:
            skipped += 1
            continue
        parts.append(text if text.endswith("\n") else text + "\n")
        size += len(parts[-1])
        used += 1
    if not parts:
        raise BadValueError("--text", f"found no readable .py files under {root}",
                            "this Python has no standard-library sources; give a file instead")
    note = f"{used:,} of {len(files):,} .py files of {root}" + (f" ({skipped} unreadable skipped)" if skipped else "")
    return "".join(parts), note


def read_source(source: str, max_chars: int | None = None, seed: int = 0, option: str = "--text") -> Text:
    """A built-in corpus by name, or a file. (stdin, ``-``, is read by the CLI and given to ``from_bytes``.)"""
    limit = DEFAULT_MAX_CHARS if max_chars is None else check_max_chars(max_chars)
    name = str(source).strip()
    if name == "":
        raise BadValueError(option, f"is empty; give a UTF-8 text file, '-' for stdin, or one of {', '.join(BUILTINS)}")
    if name == "-":
        raise BadValueError(option, "'-' (stdin) must be read by the command line; use corpus.from_bytes")
    if name.lower() == "brackets":
        n = min(limit, BRACKETS_CHARS) if max_chars is None else limit
        return Text("brackets", brackets_text(n, seed), False,
                    f"{n:,} generated characters (seed {seed})")
    if name.lower() == "lessons":
        text = lessons_text()
        return Text("lessons", text[:limit], len(text) > limit, "rnn-tutor's own lessons")
    if name.lower() == "stdlib":
        text, note = stdlib_text(limit)
        return Text("stdlib", text[:limit], len(text) > limit, note)
    return read_text_file(name, option, limit)


# ------------------------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocab:
    """Characters in id order; ``unknown`` says whether the last id is the unknown symbol."""

    chars: tuple[str, ...]
    unknown: bool = False

    @property
    def size(self) -> int:
        return len(self.chars) + (1 if self.unknown else 0)

    @property
    def unknown_id(self) -> int | None:
        return len(self.chars) if self.unknown else None

    def symbol(self, i: int) -> str:
        """The character for id ``i`` (the unknown symbol as UNKNOWN_GLYPH)."""
        return UNKNOWN_GLYPH if self.unknown and i == len(self.chars) else self.chars[i]

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.chars + ((UNKNOWN_GLYPH,) if self.unknown else ())

    def codepoints(self) -> np.ndarray:
        """The vocabulary as it is saved: code points in id order, UNKNOWN (-1) for the unknown symbol."""
        cps = [ord(c) for c in self.chars] + ([UNKNOWN] if self.unknown else [])
        return np.array(cps, dtype=np.int64)

    @classmethod
    def from_codepoints(cls, cps) -> "Vocab":
        cps = [int(c) for c in np.asarray(cps).reshape(-1)]
        unknown = bool(cps) and cps[-1] == UNKNOWN
        body = cps[:-1] if unknown else cps
        if any(c < 0 or c > 0x10FFFF for c in body) or len(set(body)) != len(body):
            raise ValueError("not a vocabulary: code points out of range or repeated")
        return cls(tuple(chr(c) for c in body), unknown)

    def encode(self, text: str) -> tuple[np.ndarray, int]:
        """(ids (N,) uint8 or int64, how many characters became the unknown symbol)."""
        cp = _codepoints(text)
        table = np.array([ord(c) for c in self.chars], dtype=np.int64)
        order = np.argsort(table)
        pos = np.searchsorted(table[order], cp)
        pos = np.minimum(pos, len(table) - 1)
        found = table[order][pos] == cp
        ids = order[pos]
        missing = int(np.count_nonzero(~found))
        if missing:
            if not self.unknown:
                first = text[int(np.flatnonzero(~found)[0])]
                raise BadValueError(None, f"the character {first!r} is not in the model's vocabulary")
            ids = np.where(found, ids, len(self.chars))
        dtype = np.uint8 if self.size <= 256 else np.int64
        return ids.astype(dtype), missing

    def decode(self, ids) -> str:
        sym = self.symbols
        return "".join(sym[int(i)] for i in ids)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)


def build_vocab(text: str, max_vocab: int = MAX_VOCAB) -> tuple[Vocab, int]:
    """(vocabulary, how many characters of ``text`` map to the unknown symbol). Characters in code-point order;
    past ``max_vocab`` symbols the most frequent ``max_vocab - 1`` are kept (ties: the lower code point)."""
    cp = _codepoints(text)
    values, counts = np.unique(cp, return_counts=True)
    if len(values) <= max_vocab:
        return Vocab(tuple(chr(int(v)) for v in values)), 0
    order = np.lexsort((values, -counts))  # most frequent first, then by code point
    keep = np.sort(values[order[: max_vocab - 1]])
    dropped = int(counts[order[max_vocab - 1 :]].sum())
    return Vocab(tuple(chr(int(v)) for v in keep), unknown=True), dropped
