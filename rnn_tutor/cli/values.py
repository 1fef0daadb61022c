"""How every option and argument turns its text into a value, and what it says when the text is wrong.

typer 0.29 reads every value through a pydantic ``TypeAdapter`` built per parameter: importing pydantic and
building the adapters cost about 100 ms per run here, and its messages reach the user in pydantic's words
("Input should be a valid number, unable to parse string as a number"). The types our commands use are few
(numbers, whole numbers, text, paths, flags, choices from an Enum, lists of those, or an option's own
``parser=``), so ``adopt()`` gives each parameter a small reader of its own before typer would build one (typer
builds its reader lazily, only if the parameter has none). Anything else keeps typer's reader.

Every bad value is refused in one style, one line: which option, what is allowed, what was given, and a hint
where one helps::

    Invalid value for '--weight': must be a number, got 'abc'
    Invalid value for '--weight': must be one number, got '0.5,0.9' (to give several, repeat it: -w 0.5 -w 0.9)
    Invalid value for '--format': must be one of table, json, csv, got 'markdown'
"""

from __future__ import annotations

import difflib
import enum
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable

from rnn_tutor.errors import BadValueError


def option_label(param) -> str:
    """How messages name a parameter: its long option ('--weight'), else its only one, else the argument's
    metavar ('MODEL')."""
    opts = list(getattr(param, "opts", None) or [])
    if getattr(param, "param_type_name", "") == "option" and opts:
        longs = [o for o in opts if o.startswith("--")]
        return (longs or opts)[0]
    return (getattr(param, "metavar", None) or param.name or "VALUE").upper()


def _short_label(param) -> str:
    opts = list(getattr(param, "opts", None) or [])
    shorts = [o for o in opts if not o.startswith("--")]
    return (shorts or opts or [option_label(param)])[0]


def quoted(text: Any) -> str:
    """The user's text as given, quoted, with control characters shown as escapes (never raw in a terminal)."""
    s = str(text)
    if len(s) > 60:
        s = s[:57] + "..."
    r = repr(s)
    return r


class ValueProblem(BadValueError):
    """A value refused while parsing the command line (exit 2), raised through click as a usage error."""


# ---------------------------------------------------------------------------------------------- numbers

_LIST_SPLIT = re.compile(r"\s*[,;]\s*|\s+")


def parse_number(text: str) -> float:
    """A number as people type it, in the grammar every number goes through (``rnn_tutor.core.numbers``):
    0.5, -2.5e-3, 5/4, a decimal comma (1,5); NaN, infinity and 1/0 are refused. Raises ValueError."""
    from rnn_tutor.core.numbers import parse_number as grammar

    try:
        return grammar("", text, decimal_comma=False)
    except BadValueError as e:
        raise ValueError(e.message) from None


def parse_whole(text: str) -> int:
    s = text.strip()
    if not s or not s.isascii():
        raise ValueError(text)
    try:
        return int(s)
    except ValueError:
        pass
    if re.fullmatch(r"[+-]?[0-9][0-9_]*\.0*", s):  # '3.0' is a whole number written with a point
        return int(float(s))
    raise ValueError(text)


def _looks_like_a_list(text: str, parse: Callable[[str], Any]) -> bool:
    parts = [p for p in _LIST_SPLIT.split(text.strip()) if p]
    if len(parts) < 2:
        return False
    try:
        for p in parts:
            parse(p)
    except (ValueError, OverflowError, BadValueError):
        return False
    return True


def one_value_problem(param, text: str, what: str) -> ValueProblem:
    """'-w 0.5,0.9' where one value goes: say so, and for an option that repeats, how to give several."""
    hints = []
    if re.fullmatch(r"\s*[+-]?[0-9]+,[0-9]+\s*", text):  # '1,5': a decimal comma, '1,000' a separator?
        if "whole" in what:
            hints.append("write it without separators: " + text.strip().replace(",", ""))
        else:
            hints.append("a decimal is written with a point: " + text.strip().replace(",", "."))
    if getattr(param, "multiple", False):
        parts = [p for p in _LIST_SPLIT.split(text.strip()) if p]
        flag = _short_label(param)
        hints.append("to give several, repeat it: " + " ".join(f"{flag} {p}" for p in parts[:3]))
    return _problem(param, f"must be {what}", text, "; ".join(hints) or None)


def _fmt_bound(v: float | int) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    if isinstance(v, int):
        return str(v)
    return f"{v:g}"


def describe_range(lo, hi) -> str | None:
    """'1 to 64', 'at least 0', 'at most 5' (None when unbounded)."""
    if lo is not None and hi is not None:
        return f"{_fmt_bound(lo)} to {_fmt_bound(hi)}"
    if lo is not None:
        return f"at least {_fmt_bound(lo)}"
    if hi is not None:
        return f"at most {_fmt_bound(hi)}"
    return None


# ---------------------------------------------------------------------------------------------- readers


class Reader:
    """One parameter's reader: ``coerce(value, param, ctx)`` as typer's runtime parameters have it."""

    def __init__(self, leaf: Callable[[Any, Any], Any]):
        self.leaf = leaf

    def coerce(self, value: Any, param, ctx) -> Any:
        multi = getattr(param, "multiple", False) or getattr(param, "nargs", 1) == -1
        if value is None:
            return () if multi else None
        if multi:
            if isinstance(value, str):
                value = [value]
            return [self._one(v, param, ctx) for v in value]
        return self._one(value, param, ctx)

    def _one(self, value: Any, param, ctx) -> Any:
        try:
            return self.leaf(value, param)
        except BadValueError as e:  # ours, or one an option's own parser raised: the same line either way
            from rnn_tutor.cli.app import bad_parameter

            raise bad_parameter(e, ctx, param) from None


def _problem(param, allowed: str, given: Any, hint: str | None = None) -> ValueProblem:
    return ValueProblem(option_label(param), f"{allowed}, got {quoted(given)}", hint)


def _number_leaf(whole: bool, lo, hi):
    kind = "a whole number" if whole else "a number"
    one = "one whole number" if whole else "one number"

    def leaf(value: Any, param) -> Any:
        if isinstance(value, bool):
            raise _problem(param, f"must be {kind}", value)
        if isinstance(value, (int, float)) and not isinstance(value, str):
            number = int(value) if whole else float(value)
            text = value
        elif whole:
            text = str(value)
            try:
                number = parse_whole(text)
            except (ValueError, OverflowError):
                if _looks_like_a_list(text, parse_whole):
                    raise one_value_problem(param, text, one) from None
                raise _problem(param, f"must be {kind}", text) from None
        else:  # the shared grammar, in its own words ("must be a finite number, got 'nan' (...)")
            from rnn_tutor.core.numbers import parse_number as grammar

            text = str(value)
            try:
                number = grammar(option_label(param), text, decimal_comma=False)
            except BadValueError:
                if _looks_like_a_list(text, parse_number):
                    raise one_value_problem(param, text, one) from None
                raise
        bad_low = lo is not None and not (number >= lo)
        bad_high = hi is not None and not (number <= hi)
        if bad_low or bad_high:  # NaN compares false, so a bounded option refuses it too
            rng = describe_range(lo, hi)
            raise _problem(param, f"must be {'from ' if lo is not None and hi is not None else ''}{rng}", text)
        return number

    return leaf


def _text_leaf(value: Any, param) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def _bool_leaf(value: Any, param) -> bool:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _problem(param, "must be true or false", value)


def choice_names(choices) -> list[str]:
    return [str(getattr(c, "value", c)) for c in choices]


def _choice_leaf(choices: list, case_sensitive: bool):
    names = choice_names(choices)

    def norm(s: str) -> str:
        return s if case_sensitive else s.lower()

    def leaf(value: Any, param) -> Any:
        if any(value is c for c in choices):
            return value
        text = str(getattr(value, "value", value))
        for c, name in zip(choices, names):
            if norm(name) == norm(text):
                return c
        close = difflib.get_close_matches(norm(text), [norm(n) for n in names], n=1, cutoff=0.6)
        hint = None
        if close:
            hint = f"did you mean {names[[norm(n) for n in names].index(close[0])]!r}?"
        raise _problem(param, "must be one of " + ", ".join(names), text, hint)

    return leaf


def _path_leaf(info, path_type):
    def leaf(value: Any, param) -> Any:
        rv: Any = value if isinstance(value, (Path, str, bytes, os.PathLike)) else str(value)
        text = os.fsdecode(rv) if not isinstance(rv, str) else rv
        if "\x00" in text:
            raise _problem(param, "must be a file name", text, "it holds a NUL character")
        if getattr(info, "allow_dash", False) and text == "-":
            return path_type(text) if path_type is not None else text
        if getattr(info, "resolve_path", False):
            text = os.path.realpath(text)
        what = "a file" if not info.dir_okay else ("a folder" if not info.file_okay else "a path")
        try:
            st = os.stat(text)
        except (OSError, ValueError):
            if getattr(info, "exists", False):
                raise _problem(param, f"must be an existing {what[2:]}", text, "not found") from None
            return path_type(text) if path_type is not None else text
        if not info.file_okay and stat.S_ISREG(st.st_mode):
            raise _problem(param, "must be a folder", text, "it is a file")
        if not info.dir_okay and stat.S_ISDIR(st.st_mode):
            raise _problem(param, "must be a file", text, "it is a folder")
        if getattr(info, "readable", False) and not os.access(text, os.R_OK):
            raise _problem(param, f"must be {what} you can read", text, "permission denied")
        if getattr(info, "writable", False) and not os.access(text, os.W_OK):
            raise _problem(param, f"must be {what} you can write to", text, "permission denied")
        return path_type(text) if path_type is not None else text

    return leaf


def reader_for(param) -> Reader | None:
    """Our reader for this typer parameter, or None to leave it to typer (types we do not know)."""
    desc = getattr(param, "type_descriptor", None)
    if desc is None:
        return None
    info = desc.parameter_info
    if getattr(info, "click_type", None) is not None or desc.is_file or desc.is_tuple or desc.is_datetime:
        return None
    annotation = desc.annotation
    if desc.is_list:
        from typing import get_args

        args = get_args(annotation)
        if len(args) != 1:
            return None
        annotation = args[0]
    parser = getattr(info, "parser", None)
    if parser is not None:  # the option's own parser (say, the shared number grammar) reads every value
        what = {int: "one whole number", float: "one number"}.get(annotation, "one value")

        def leaf(value: Any, param) -> Any:
            try:
                return parser(value)
            except BadValueError:
                if isinstance(value, str) and (_looks_like_a_list(value, parser) or (
                        annotation is float and _looks_like_a_list(value, parse_number))):  # 1,5 with 5 out of range
                    raise one_value_problem(param, value, what) from None
                raise

        return Reader(leaf)
    leaf = _leaf_for(annotation, info, param)
    return Reader(leaf) if leaf is not None else None


def _leaf_for(annotation, info, param):
    lo = getattr(param, "min", None)
    hi = getattr(param, "max", None)
    if getattr(info, "clamp", False):
        return None
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _choice_leaf(list(annotation), bool(info.case_sensitive))
    if annotation is bool:
        return _bool_leaf
    if annotation is int:
        return _number_leaf(True, lo, hi)
    if annotation is float:
        return _number_leaf(False, lo, hi)
    if annotation is str:
        return _text_leaf
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return _path_leaf(info, info.path_type or annotation)
    return None


def adopt_params(command, params=None) -> None:
    """Give each parameter of ``command`` (or ``params``) our reader (typer builds its own lazily, only where
    none is set)."""
    for param in getattr(command, "params", ()) if params is None else params:
        if getattr(param, "_runtime_param", "absent") is None:
            reader = reader_for(param)
            if reader is not None:
                param._runtime_param = reader
