"""``rnn-tutor cost``: a recurrent layer against self-attention, in steps, operations and streaming memory."""

from __future__ import annotations

from typing import Annotated

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import FormatOpt, OutputFormat


@app.command("cost")
def cost(
    length: Annotated[int, typer.Option("--length", "-n", help="Sequence length n (tokens).")] = 512,
    hidden: Annotated[int, typer.Option("--hidden", "-d", help="Model width d (hidden size).")] = 512,
    layers: Annotated[int, typer.Option("--layers", help="Layers, for the streaming memory.")] = 1,
    bytes_per_number: Annotated[int, typer.Option(
        "--bytes", help="Bytes per stored number: 4 for float32, 2 for float16, 8 for float64.")] = 4,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Recurrent layer against self-attention: work, steps, memory.

    Operations per layer (n·d² against n²·d), sequential steps and longest
    path (n against 1), as in Vaswani et al. (2017), table 1. For streaming:
    an LSTM's fixed state against a key-value cache that grows every token.

    Examples:

        rnn-tutor cost --length 512 --hidden 512

        rnn-tutor cost -n 4096 -d 256 --format json
    """
    from rnn_tutor.core.demos import cost_demo
    from rnn_tutor.render.demos import emit_cost

    emit_cost(cost_demo(length=length, hidden=hidden, layers=layers, bytes_per_number=bytes_per_number), fmt.value)
