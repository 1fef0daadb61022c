"""Options shared by every command, declared once.

Use them as type annotations:  ``fmt: FormatOpt = OutputFormat.table``.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer


class OutputFormat(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"


class StreamFormat(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"


class Cell(str, enum.Enum):
    """The recurrent cells every command knows, in PyTorch's names."""

    rnn = "rnn"
    gru = "gru"
    lstm = "lstm"


class Activation(str, enum.Enum):
    """f in the scalar recurrence h_t = f(w*h_{t-1} + u*x_t + b)."""

    linear = "linear"
    tanh = "tanh"
    relu = "relu"
    sigmoid = "sigmoid"


FORMAT_HELP = "table for people; json or csv for scripts (data on stdout, messages on stderr)."

FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help=FORMAT_HELP, case_sensitive=False, show_default=True),
]
StreamFormatOpt = Annotated[
    StreamFormat,
    typer.Option("--format", "-f", help=FORMAT_HELP + " jsonl streams one object per line.",
                 case_sensitive=False, show_default=True),
]
SeedOpt = Annotated[
    int,
    typer.Option("--seed", help="Random seed: the same seed prints the same numbers.", min=0, max=2**32 - 1),
]


# ---------------------------------------------------------------------------------------------- numbers
# One grammar for every number a user types (rnn_tutor.core.numbers): decimals, fractions such as 5/4, a leading
# + or -, and (for a single number) a decimal comma. Use it as typer's ``parser``:
#
#     weight: Annotated[float, typer.Option("--weight", parser=number("--weight"), metavar=NUMBER)] = 0.5
#
# The value arrives as a float (a ``core.numbers.Number``, which also remembers the exact value typed in
# ``.exact``); a bad value is a BadValueError naming the option (exit 2), worded like every other bad value.
# Defaults pass through the parser too (as floats), so a range given here also checks them.

NUMBER = "NUMBER"


def number(option: str, *, low: float | None = None, high: float | None = None, low_open: bool = False,
           high_open: bool = False, allowed: str | None = None):
    """A typer ``parser=`` for the option ``option``: the shared number grammar, then an optional range."""
    from rnn_tutor.core.numbers import parse_number

    def parse(value):
        v = parse_number(option, value, decimal_comma=False)  # a comma in an option separates values: refused
        if low is not None or high is not None:
            from rnn_tutor.core.validate import check_number

            check_number(option, v, low=low, high=high, low_open=low_open, high_open=high_open, allowed=allowed)
        return v

    parse.__name__ = f"number({option})"
    return parse
