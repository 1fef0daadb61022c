"""``rnn-tutor bottleneck``: how much of a sequence a fixed-size context vector can hold, measured."""

from __future__ import annotations

from typing import Annotated

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import FormatOpt, OutputFormat, SeedOpt


@app.command("bottleneck")
def bottleneck(
    size: Annotated[int, typer.Option("--size", "-d", help="Size d of the encoder state (the context vector).")] = 4,
    max_length: Annotated[int, typer.Option(
        "--max-length", "-T", help="Longest sequence; lengths 1, 2, 4, ... up to it are measured.")] = 32,
    weight: Annotated[float, typer.Option(
        "--weight", "-w",
        help="|eigenvalues| of the encoder's recurrent matrix, in (0, 1]; below 1 early inputs fade.")] = 0.9,
    samples: Annotated[int, typer.Option("--samples", help="Random test sequences to measure on.")] = 2000,
    seed: SeedOpt = 0,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """How much of a sequence a size-d context vector can hold.

    A linear RNN encodes seeded random sequences; the best linear decoder
    reads the final state h_T only and recovers at most min(1, d/T) of the
    sequence's variance. A decoder reading every state h_1..h_T recovers
    all of it.

    Examples:

        rnn-tutor bottleneck --size 4 --max-length 32

        rnn-tutor bottleneck -d 8 -T 64 --weight 1 --format csv
    """
    from rnn_tutor.core.demos import bottleneck_demo
    from rnn_tutor.render.demos import emit_bottleneck

    emit_bottleneck(bottleneck_demo(size=size, max_length=max_length, weight=weight, samples=samples, seed=seed),
                    fmt.value)
