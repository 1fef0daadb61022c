"""``rnn-tutor params``: how many numbers an RNN, GRU or LSTM layer holds, tensor by tensor (equal to PyTorch)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import Cell, FormatOpt, OutputFormat


@app.command("params")
def params(
    cell: Annotated[Optional[Cell], typer.Option(
        "--cell", help="rnn, gru or lstm; leave out to compare all three side by side.",
        case_sensitive=False, show_default=False)] = None,
    input_size: Annotated[int, typer.Option(
        "--input-size", "-D", help="Numbers per input step (D).", min=1, max=1_000_000)] = 1,
    hidden_size: Annotated[int, typer.Option(
        "--hidden-size", "-H", help="Size of the hidden state (H).", min=1, max=1_000_000)] = 4,
    layers: Annotated[int, typer.Option(
        "--layers", "-L", help="Stacked layers (num_layers in PyTorch).", min=1, max=1000)] = 1,
    bidirectional: Annotated[bool, typer.Option(
        "--bidirectional", help="One more set of weights reading the sequence backwards.")] = False,
    bias: Annotated[bool, typer.Option("--bias/--no-bias", help="Include the bias vectors b_ih and b_hh.")] = True,
    proj_size: Annotated[int, typer.Option(
        "--proj-size", "-P", help="LSTM only: project h_t down to P < H numbers (proj_size in PyTorch); 0 = none.",
        min=0, max=1_000_000)] = 0,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Count a layer's parameters, tensor by tensor, as PyTorch does.

    An RNN, GRU or LSTM layer; without --cell the three side by side:
    a GRU holds 3/4 of an LSTM's numbers.

    Examples:

        rnn-tutor params --input-size 10 --hidden-size 20

        rnn-tutor params --cell lstm -D 300 -H 512 -L 2 --bidirectional -f json

        rnn-tutor params --cell lstm -D 80 -H 1024 --proj-size 256
    """
    from rnn_tutor.core.params import compare_cells, count_params
    from rnn_tutor.render import cells as rcells

    if cell is None:
        if proj_size:
            from rnn_tutor.errors import BadValueError

            raise BadValueError("--proj-size", "only an LSTM has a projection; add --cell lstm")
        counts = compare_cells(input_size, hidden_size, layers, bidirectional, bias)
    else:
        counts = (count_params(cell.value, input_size, hidden_size, layers, bidirectional, bias, proj_size),)
    rcells.emit_params(counts, fmt.value)
