"""``rnn-tutor cost``: a recurrent layer against self-attention, in steps, operations and streaming memory."""

from __future__ import annotations

from typing import Annotated, Optional

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
    measure: Annotated[bool, typer.Option(
        "--measure", help="Also time one LSTM layer and one self-attention layer on this machine at n = 16, 32, "
        "... up to --length (at most 5,792: memory), width --hidden (at most 1,024).")] = False,
    repeats: Annotated[int, typer.Option("--repeats", help="With --measure: timed runs per length (median).")] = 9,
    threads: Annotated[Optional[int], typer.Option(
        "--threads", help="With --measure: BLAS threads (default 1, one core).", show_default=False)] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Recurrent layer against self-attention: work, steps, memory.

    Work per layer as orders of growth (n·d² against n²·d), sequential
    steps and longest path (n against 1), as in Vaswani et al. (2017),
    table 1. For streaming: an LSTM's fixed state against a key-value cache
    that grows every token.
    --measure times both layers here and shows how each grows with n.

    Examples:

        rnn-tutor cost --length 512 --hidden 512

        rnn-tutor cost --measure -n 1024 -d 64
    """
    from rnn_tutor.core.demos import cost_demo
    from rnn_tutor.render.demos import emit_cost

    result = cost_demo(length=length, hidden=hidden, layers=layers, bytes_per_number=bytes_per_number)
    measured = None
    if measure:
        measured = _measure(length, hidden, repeats, threads)
    elif repeats != 9 or threads is not None:
        from rnn_tutor.errors import BadValueError

        raise BadValueError("--repeats" if repeats != 9 else "--threads", "only counts with --measure")
    emit_cost(result, fmt.value, measured)


def _measure(length: int, hidden: int, repeats: int, threads: Optional[int]):
    import os

    from rnn_tutor.core import measure as core
    from rnn_tutor.errors import BadValueError

    if length > core.MAX_LENGTH:
        need = 2 * length * length * core.BYTES / 2**20
        raise BadValueError("--length", f"with --measure at most {core.MAX_LENGTH:,}: the n x n scores of "
                            f"self-attention at n = {length:,} would take {need:,.0f} MiB (the limit is "
                            f"{core.MEMORY_LIMIT // 2**20} MiB)")
    if hidden > core.MAX_HIDDEN:
        raise BadValueError("--hidden", f"with --measure at most {core.MAX_HIDDEN:,}, got {hidden:,}")
    cores = os.cpu_count() or 1
    if threads is not None and not 1 <= threads <= cores:
        raise BadValueError("--threads", f"from 1 to {cores} (the cores of this machine), got {threads}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        limit = contextlib.nullcontext()
        used = None
    else:
        used = threads or 1
        limit = threadpool_limits(limits=used, user_api="blas")
    with limit:
        return core.measure(length=length, hidden=hidden, repeats=repeats, threads=used)
