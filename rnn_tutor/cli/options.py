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
