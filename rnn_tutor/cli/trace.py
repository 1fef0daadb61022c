"""``rnn-tutor trace``: the hidden state step by step (scalar by default; vector cells with ``--cell``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import Activation, Cell, StreamFormat, StreamFormatOpt
from rnn_tutor.errors import BadValueError, RnnTutorError


@app.command("trace")
def trace(
    source: Annotated[Optional[str], typer.Argument(
        metavar="INPUT", help="Numbers to trace: '-' reads them from stdin, or a file of numbers.",
        show_default=False)] = None,
    sentence: Annotated[Optional[str], typer.Option(
        "--sentence", "-s", help="Words to trace; each distinct word gets the next number (1, 2, 3...).",
        show_default=False)] = None,
    values: Annotated[Optional[str], typer.Option(
        "--values", help="Numbers instead of words: '1,2,3' or '1 2 3'; '-' reads stdin.",
        show_default=False)] = None,
    weight: Annotated[Optional[list[float]], typer.Option(
        "--weight", "-w", help="Recurrence weight w; repeat to compare side by side (-w 0.5 -w 0.9).",
        show_default="0.5")] = None,
    input_weight: Annotated[float, typer.Option("--input-weight", "-u", help="Input weight u.")] = 0.5,
    bias: Annotated[float, typer.Option("--bias", "-b", help="Bias b.")] = 0.0,
    h0: Annotated[float, typer.Option("--h0", help="Initial hidden state h_0.")] = 0.0,
    activation: Annotated[Activation, typer.Option(
        "--activation", "-a", help="f in h_t = f(w*h_{t-1} + u*x_t + b).", case_sensitive=False)] = Activation.linear,
    practice: Annotated[bool, typer.Option(
        "--practice", help="You compute each h_t; the tutor checks it and shows the working when it differs.")] = False,
    tolerance: Annotated[float, typer.Option(
        "--tolerance", help="Practice: how close counts as right, relative to |h_t| (absolute when |h_t| < 1).",
        min=0.0, max=1.0)] = 0.005,
    stream: Annotated[bool, typer.Option(
        "--stream", help="Read numbers from stdin as they arrive and print each h_t at once.")] = False,
    cell: Annotated[Optional[Cell], typer.Option(
        "--cell", help="Trace a vector cell instead of the scalar RNN: rnn, gru or lstm.",
        case_sensitive=False, show_default=False)] = None,
    hidden_size: Annotated[int, typer.Option(
        "--hidden-size", "-H", help="Cell: size of the hidden state.", min=1, max=64)] = 4,
    weights_file: Annotated[Optional[Path], typer.Option(
        "--weights", help="Cell: a weights file (.npz, PyTorch names) instead of seeded weights.",
        show_default=False)] = None,
    seed: Annotated[int, typer.Option(
        "--seed", help="Cell: seed for the initial weights.", min=0, max=2**32 - 1)] = 0,
    one_hot: Annotated[bool, typer.Option(
        "--one-hot", help="Cell: feed each word as a one-hot vector over the vocabulary instead of its number.")] = False,
    layer: Annotated[Optional[int], typer.Option(
        "--layer", help="Cell: which layer of a stacked --weights file to show (0 = the bottom, as in "
        "weight_ih_l0; default: the top layer).", min=0, show_default=False)] = None,
    fmt: StreamFormatOpt = StreamFormat.table,
) -> None:
    """Trace the hidden state of h_t = w*h_{t-1} + u*x_t + b step by step, and how much each input counts.

    With no options it works the lesson's exercise: "The quick brown fox jumps." numbered 1..5, w = u = 0.5.

    Examples:

        rnn-tutor trace -w 0.5 -w 0.9

        echo 1 2 3 | rnn-tutor trace - --activation tanh --format json
    """
    from rnn_tutor.cli import trace_impl

    fmt_value = fmt.value
    if cell is not None:
        tokens, numbers, vocab = trace_impl.gather_inputs(source, sentence, values, allow_default=True)
        if practice or stream:
            raise BadValueError("--cell", "--practice and --stream work with the scalar trace only (drop --cell)")
        try:
            from rnn_tutor.cli.trace_cell import run_cell_trace
        except ModuleNotFoundError:
            raise RnnTutorError("vector cells are not available in this build") from None
        return run_cell_trace(tokens=tokens, values=numbers, vocab=vocab, cell=cell.value, hidden_size=hidden_size,
                              weights=weights_file, seed=seed, one_hot=one_hot, fmt=fmt_value, layer=layer)
    if one_hot or weights_file is not None or layer is not None:
        raise BadValueError("--one-hot" if one_hot else "--weights" if weights_file is not None else "--layer",
                            "needs --cell rnn|gru|lstm")
    weights = list(weight) if weight else [0.5]
    if stream:
        return trace_impl.run_stream(source, sentence, values, weights, input_weight, bias, h0, activation.value,
                                     fmt_value)
    tokens, numbers, vocab = trace_impl.gather_inputs(source, sentence, values, allow_default=True)
    if practice:
        return trace_impl.run_practice(tokens, numbers, vocab, weights, input_weight, bias, h0, activation.value,
                                       tolerance, fmt_value)
    return trace_impl.run_trace(tokens, numbers, vocab, weights, input_weight, bias, h0, activation.value, fmt_value)
