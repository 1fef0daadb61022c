"""Help pages: one layout for every command and subcommand, written for the terminal's width (80 columns).

typer's own help (rich panels) showed ``<bool>`` after flags, Python types (``<list[float]>``), reprs
(``[default: (0.5)]``), choice lists cut inside a word, and the docstring's line breaks; examples were wrapped in
the middle of a command. This module draws every help page from the click command itself, plain text, so every
command gets the same page whoever wrote it:

- ``Usage:`` with ``MODEL``/``[INPUT]`` placeholders;
- the description: paragraphs of the docstring re-flowed to the width (line breaks in the source do not matter;
  a paragraph indented in the docstring is kept as written);
- ``Arguments:``, ``Options:`` and ``Commands:`` in two columns: ``-w, --weight NUMBER``; flags have no
  placeholder; choices, ranges and defaults follow the help as ``[one of: table, json, csv; default: table]``;
- ``Examples:`` (the docstring's section of that name), one command per line, never wrapped: a command longer
  than the width is continued with `` \\`` at a space outside quotes, as a shell would read it.

It needs neither rich nor typer's help machinery (``--help`` stays fast). ``tests/cli/test_help.py`` checks every
command's page against these rules.
"""

from __future__ import annotations

import enum
import re
import shutil
import textwrap
from typing import Any

MAX_WIDTH = 100
INDENT = 2
CONT_INDENT = 6  # continuation lines of a long example (``cmd \`` then the rest)
LEFT_MAX = 28  # the widest option column; longer option names put their help on the next line

_EXAMPLES = re.compile(r"^\s*examples?:\s*$", re.IGNORECASE)


def width() -> int:
    cols = shutil.get_terminal_size((80, 24)).columns
    return max(40, min(cols, MAX_WIDTH))


def unescape(text: str) -> str:
    """Help strings may escape rich markup (``\\[plot]``); plain text shows the bracket itself."""
    return text.replace("\\[", "[")


# ---------------------------------------------------------------------------------------------- docstrings


def split_help(text: str | None) -> tuple[list[tuple[str, str]], list[str]]:
    """The description's paragraphs as (kind, text) with kind 'prose' or 'verbatim', and the examples (logical
    lines: a line ending in a backslash is joined with the next)."""
    lines = unescape(textwrap.dedent(text or "")).expandtabs().splitlines()
    prose_lines, example_lines = lines, []
    for i, line in enumerate(lines):
        if _EXAMPLES.match(line):
            prose_lines, example_lines = lines[:i], lines[i + 1:]
            break
    paragraphs: list[tuple[str, str]] = []
    block: list[str] = []

    def flush() -> None:
        if not block:
            return
        if block[0].strip() == "\b" or all(ln.startswith(" ") for ln in block):
            body = [ln for ln in block if ln.strip() != "\b"]
            paragraphs.append(("verbatim", "\n".join(textwrap.dedent("\n".join(body)).splitlines())))
        else:
            paragraphs.append(("prose", " ".join(ln.strip() for ln in block)))
        block.clear()

    for line in prose_lines:
        if line.strip():
            block.append(line.rstrip())
        else:
            flush()
    flush()
    examples: list[str] = []
    pending = ""
    for line in example_lines:
        s = line.strip()
        if not s:
            continue
        if pending:
            s = pending + " " + s
            pending = ""
        if s.endswith("\\") and not s.endswith("\\\\"):
            pending = s[:-1].rstrip()
            continue
        examples.append(s)
    if pending:
        examples.append(pending)
    return paragraphs, examples


def first_paragraph(text: str | None) -> str:
    paragraphs, _ = split_help(text)
    for kind, body in paragraphs:
        return body if kind == "prose" else body.splitlines()[0]
    return ""


# ---------------------------------------------------------------------------------------------- shell lines


def shell_words(line: str) -> list[str]:
    """Split a command line at the spaces a shell splits it at (outside quotes), keeping each word's quoting."""
    words, cur, quote, i = [], "", None, 0
    while i < len(line):
        ch = line[i]
        if quote is None and ch == "\\" and i + 1 < len(line):
            cur += line[i: i + 2]
            i += 2
            continue
        if quote == '"' and ch == "\\" and i + 1 < len(line):
            cur += line[i: i + 2]
            i += 2
            continue
        if quote is None and ch in "'\"":
            quote = ch
        elif quote is not None and ch == quote:
            quote = None
        if quote is None and ch == " ":
            if cur:
                words.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    if cur:
        words.append(cur)
    return words


def fit_command(line: str, room: int, indent: int = INDENT, cont: int = CONT_INDENT) -> list[str]:
    """One example as printed lines: whole when it fits, else continued with `` \\`` between shell words."""
    if indent + len(line) <= room:
        return [" " * indent + line]
    out: list[str] = []
    words = shell_words(line)
    at = indent
    while words:
        n = 1  # how many words fit on this line (at least one), leaving room for " \"
        while n < len(words) and at + len(" ".join(words[: n + 1])) + (2 if n + 1 < len(words) else 0) <= room:
            n += 1
        if n < len(words):
            # prefer to break before an option or a pipe, so an option stays with its value
            good = [i for i in range(1, n + 1) if words[i][:1] in "-|" and words[i] != "-"]
            if good and good[-1] >= max(1, n // 2):
                n = good[-1]
        rest = words[n:]
        out.append(" " * at + " ".join(words[:n]) + (" \\" if rest else ""))
        words, at = rest, cont
    return out


# ---------------------------------------------------------------------------------------------- parameters


def _annotation(param) -> Any:
    desc = getattr(param, "type_descriptor", None)
    if desc is None:
        return None
    ann = desc.annotation
    if desc.is_list:
        from typing import get_args

        args = get_args(ann)
        ann = args[0] if len(args) == 1 else ann
    return ann


def choices(param) -> list[str] | None:
    desc = getattr(param, "type_descriptor", None)
    if desc is None or not desc.is_choice:
        return None
    return [str(getattr(c, "value", c)) for c in desc.choices or ()]


def placeholder(param) -> str:
    """The word after an option that takes a value: NUMBER, INTEGER, TEXT, FILE, DIR, PATH or the option's name
    for a choice (its values are listed in the help)."""
    if getattr(param, "metavar", None):
        return param.metavar
    ann = _annotation(param)
    if choices(param) is not None:
        name = next((o for o in getattr(param, "opts", []) if o.startswith("--")), param.name or "value")
        return name.lstrip("-").upper()
    if ann is int:
        return "INTEGER"
    if ann is float:
        return "NUMBER"
    if ann is bool:
        return "BOOLEAN"
    from pathlib import Path

    if isinstance(ann, type) and issubclass(ann, Path):
        info = param.type_descriptor.parameter_info
        if not info.dir_okay:
            return "FILE"
        if not info.file_okay:
            return "DIR"
        return "PATH"
    return "TEXT"


def argument_name(param) -> str:
    name = getattr(param, "metavar", None) or (param.name or "ARG").upper()
    if getattr(param, "nargs", 1) == -1:
        name += "..."
    return name if param.required else f"[{name}]"


def _fmt_value(v: Any) -> str:
    if isinstance(v, enum.Enum):
        v = v.value
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        text = repr(v)
        m = re.fullmatch(r"(-?[0-9.]+)e([+-])0*([0-9]+)", text)
        if m:
            text = f"{m.group(1)}e{'-' if m.group(2) == '-' else ''}{m.group(3)}"
        return text
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt_value(x) for x in v)
    return str(v)


def default_text(param) -> str | None:
    show = getattr(param, "show_default", None)
    if isinstance(show, str):
        return show or None
    if show is False:
        return None
    if getattr(param, "is_flag", False):
        if getattr(param, "secondary_opts", None):
            return param.opts[0] if param.default else param.secondary_opts[0]
        return None
    d = param.default
    if d is None or callable(d) or (isinstance(d, (list, tuple)) and not d) or d == "":
        return None
    return _fmt_value(d)


def describe_range(lo, hi) -> str | None:
    from rnn_tutor.cli.values import describe_range as dr

    return dr(lo, hi)


def extras(param) -> str:
    parts = []
    names = choices(param)
    if names:
        parts.append("one of: " + ", ".join(names))
    rng = describe_range(getattr(param, "min", None), getattr(param, "max", None))
    if rng:
        parts.append(rng)
    d = default_text(param)
    if d is not None:
        parts.append(f"default: {d}")
    if getattr(param, "required", False) and getattr(param, "param_type_name", "") == "option":
        parts.append("required")
    return f"[{'; '.join(parts)}]" if parts else ""


def option_names(param) -> str:
    """'-w, --weight NUMBER', '    --values TEXT', '--pager / --no-pager'."""
    def join(opts: list[str]) -> str:
        shorts = [o for o in opts if not o.startswith("--")]
        longs = [o for o in opts if o.startswith("--")]
        return ", ".join(shorts + longs)

    left = join(list(param.opts))
    if param.secondary_opts:
        left += " / " + join(list(param.secondary_opts))
    if not param.is_flag and not getattr(param, "count", False):
        left += " " + placeholder(param)
    if all(o.startswith("--") for o in param.opts):
        left = "    " + left
    return left


# ---------------------------------------------------------------------------------------------- layout


def two_columns(rows: list[tuple[str, str]], room: int) -> list[str]:
    """Rows of (left, text): text wrapped in the right column at word boundaries (never inside a word)."""
    fitting = [len(left) for left, _ in rows if len(left) <= LEFT_MAX]
    left_w = max(fitting) if fitting else LEFT_MAX
    col = INDENT + left_w + 2
    text_w = max(room - col, 20)
    out = []
    for left, text in rows:
        lines = textwrap.wrap(text, text_w, break_long_words=False, break_on_hyphens=False) if text else []
        if len(left) <= left_w:
            first = " " * INDENT + left.ljust(left_w) + "  "
            out.append((first + lines[0]) if lines else first.rstrip())
            rest = lines[1:]
        else:
            out.append(" " * INDENT + left)
            rest = lines
        out.extend(" " * col + ln for ln in rest)
    return out


def wrap_paragraph(text: str, room: int) -> list[str]:
    return textwrap.wrap(text, room, break_long_words=False, break_on_hyphens=False) or [""]


def usage(command, ctx) -> str:
    pieces = [command.options_metavar] if getattr(command, "options_metavar", None) else []
    for p in command.get_params(ctx):
        if getattr(p, "param_type_name", "") == "argument" and not getattr(p, "hidden", False):
            pieces.append(argument_name(p))
    if hasattr(command, "commands"):
        sub = "COMMAND [ARGS]..."
        pieces.append(f"[{sub}]" if getattr(command, "invoke_without_command", False) else sub)
    return f"{ctx.command_path} {' '.join(pieces)}".rstrip()


def _help_text(p) -> str:
    return " ".join(unescape(getattr(p, "help", None) or "").split())


def render(command, ctx) -> str:
    room = width()
    out: list[str] = []
    head = "Usage: "
    out.extend(textwrap.wrap(usage(command, ctx), room, initial_indent=head, subsequent_indent=" " * len(head),
                             break_long_words=False, break_on_hyphens=False))
    paragraphs, examples = split_help(command.help)
    for kind, body in paragraphs:
        out.append("")
        if kind == "verbatim":
            out.extend(body.splitlines())
        else:
            out.extend(wrap_paragraph(body, room))
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    args = [(argument_name(p).strip("[]"), " ".join(x for x in (_help_text(p), extras(p)) if x))
            for p in params if getattr(p, "param_type_name", "") == "argument"]
    if any(text for _, text in args):
        out += ["", "Arguments:"] + two_columns(args, room)
    opts = [(option_names(p), " ".join(x for x in (_help_text(p), extras(p)) if x))
            for p in params if getattr(p, "param_type_name", "") == "option"]
    if opts:
        out += ["", "Options:"] + two_columns(opts, room)
    if hasattr(command, "list_commands"):
        rows = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            rows.append((name, unescape(sub.short_help or first_paragraph(sub.help))))
        if rows:
            out += ["", "Commands:"] + two_columns(rows, room)
    if examples:
        out += ["", "Examples:"]
        for ex in examples:
            out.extend(fit_command(ex, room))
    return "\n".join(line.rstrip() for line in out) + "\n"


def format_help(command, ctx, formatter) -> None:
    """Drop-in for click's ``Command.format_help``: writes our page into click's formatter."""
    formatter.write(render(command, ctx))


def adopt(command) -> None:
    """Make ``command`` draw its help with ``render`` (``app.adopt`` walks the subcommands)."""
    command.format_help = lambda ctx, formatter, _c=command: format_help(_c, ctx, formatter)
