"""``rnn-tutor trace``: the hidden state step by step (scalar by default; vector cells with ``--cell``)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import FORMAT_HELP, NUMBER, Activation, Cell, number
from rnn_tutor.errors import BadValueError, RnnTutorError


class TraceFormat(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"
    jsonl = "jsonl"
    markdown = "markdown"


def _num_opt(*names: str, help: str, **range_):
    return typer.Option(*names, help=help, parser=number(names[0], **range_), metavar=NUMBER)


@app.command("trace")
def trace(
    source: Annotated[Optional[str], typer.Argument(
        metavar="INPUT", help="Numbers to trace: '-' reads them from stdin, or a file of numbers.",
        show_default=False)] = None,
    sentence: Annotated[Optional[str], typer.Option(
        "--sentence", "-s", help="Words to trace; each distinct word gets the next number (1, 2, 3...).",
        show_default=False)] = None,
    values: Annotated[Optional[str], typer.Option(
        "--values", help="Numbers instead of words: '1,2,3', '1 2 3' or '1/2 3/4'; '-' reads stdin.",
        show_default=False)] = None,
    weight: Annotated[Optional[list[float]], _num_opt(
        "--weight", "-w", help="Recurrence weight w (0.5, 1/2, -0.9); repeat to compare side by side "
                               "(-w 0.5 -w 0.9). [default: 0.5]")] = None,
    input_weight: Annotated[float, _num_opt("--input-weight", "-u", help="Input weight u.")] = 0.5,
    bias: Annotated[float, _num_opt("--bias", "-b", help="Bias b.")] = 0.0,
    h0: Annotated[float, _num_opt("--h0", help="Initial hidden state h_0.")] = 0.0,
    activation: Annotated[Activation, typer.Option(
        "--activation", "-a", help="f in h_t = f(w*h_{t-1} + u*x_t + b).", case_sensitive=False)] = Activation.linear,
    fractions: Annotated[bool, typer.Option(
        "--fractions", help="Show each h_t as a fraction too (4.03125 = 129/32).")] = False,
    practice: Annotated[bool, typer.Option(
        "--practice", help="You compute each h_t (then step 5's ratio); the tutor checks and shows the working.")] = False,
    tolerance: Annotated[Optional[float], _num_opt(
        "--tolerance", help="Practice: also accept answers this close, relative to |h_t| (absolute when "
                            "|h_t| < 1). Without it an answer must be exact or correctly rounded.",
        low=0.0, high=1.0)] = None,
    worksheet: Annotated[bool, typer.Option(
        "--worksheet", help="The exercise as a blank table to fill in (table, csv, markdown or json).")] = False,
    step_mode: Annotated[bool, typer.Option(
        "--step", help="Reveal one step per Enter (one line of stdin per step when piped).")] = False,
    stream: Annotated[bool, typer.Option(
        "--stream", help="Read numbers from stdin as they arrive and print each h_t at once (no step limit).")] = False,
    cell: Annotated[Optional[Cell], typer.Option(
        "--cell", help="Trace a vector cell instead of the scalar RNN: rnn, gru or lstm.",
        case_sensitive=False, show_default=False)] = None,
    hidden_size: Annotated[int, typer.Option(
        "--hidden-size", "-H", help="Cell: size of the hidden state.", min=1, max=64)] = 4,
    weights_file: Annotated[Optional[Path], typer.Option(
        "--weights", help="Cell: a weights file or saved model (.npz, PyTorch names) instead of seeded weights; "
        "also a whole torch model's state_dict (lstm.weight_ih_l0 ..): its head (fc.*) is left out and an "
        "nn.Embedding is folded into weight_ih_l0, so input k (--one-hot) is the embedding's row k.",
        show_default=False)] = None,
    model_input: Annotated[Optional[str], typer.Option(
        "--input", "-i", help="Cell with a saved model: an input in the model's own format, as `predict "
                              "--input` takes it (adding: '0.3* -0.2 0.9 0.5*').", show_default=False)] = None,
    seed: Annotated[int, typer.Option(
        "--seed", help="Cell: seed for the initial weights.", min=0, max=2**32 - 1)] = 0,
    one_hot: Annotated[bool, typer.Option(
        "--one-hot", help="Cell: feed each word as a one-hot vector over the vocabulary instead of its number.")] = False,
    layer: Annotated[Optional[int], typer.Option(
        "--layer", help="Cell: which layer of a stacked --weights file to show (0 = the bottom, as in "
        "weight_ih_l0; default: the top layer).", min=0, show_default=False)] = None,
    fmt: Annotated[TraceFormat, typer.Option(
        "--format", "-f", help=FORMAT_HELP + " jsonl streams one object per line; markdown pastes into notes.",
        case_sensitive=False, show_default=True)] = TraceFormat.table,
) -> None:
    """Trace the hidden state of h_t = w*h_{t-1} + u*x_t + b step by step, and how much each input counts.

    With no options it works the lesson's exercise: "The quick brown fox jumps." numbered 1..5, w = u = 0.5.
    Linear and relu traces are exact (fractions inside): a rounded number is marked ≈.

    Examples:

        rnn-tutor trace -w 0.5 -w 0.9

        rnn-tutor trace --practice

        echo 1 2 3 | rnn-tutor trace - --activation tanh --format json
    """
    from rnn_tutor.cli import trace_impl

    fmt_value = fmt.value
    modes = [name for name, on in (("--practice", practice), ("--worksheet", worksheet), ("--step", step_mode),
                                   ("--stream", stream)) if on]
    if len(modes) > 1:
        raise BadValueError(modes[1], f"give only one of --practice, --worksheet, --step and --stream "
                                      f"(got {' and '.join(modes)})")
    if cell is not None or weights_file is not None:
        if modes:
            raise BadValueError(modes[0], f"{modes[0]} works with the scalar trace only (drop --cell and --weights)")
        if fractions:
            raise BadValueError("--fractions", "works with the scalar trace only (a cell's numbers are floats)")
        if fmt_value == "markdown":
            raise BadValueError("--format", "markdown is for the scalar trace; a cell trace writes table, json, "
                                            "csv or jsonl")
        try:
            from rnn_tutor.cli.trace_cell import run_cell_trace
        except ModuleNotFoundError:
            raise RnnTutorError("vector cells are not available in this build") from None
        return run_cell_trace(source=source, sentence=sentence, values=values, model_input=model_input,
                              cell=None if cell is None else cell.value, hidden_size=hidden_size,
                              weights=weights_file, seed=seed, one_hot=one_hot, fmt=fmt_value, layer=layer)
    for name, given in (("--one-hot", one_hot), ("--input", model_input is not None),
                        ("--layer", layer is not None)):
        if given:
            raise BadValueError(name, "needs --cell rnn|gru|lstm or --weights FILE")
    if tolerance is not None and not practice:
        raise BadValueError("--tolerance", "only applies to --practice (how close an answer must be); "
                                           "add --practice or drop --tolerance")
    weights = list(weight) if weight else [number("--weight")(0.5)]
    act = activation.value
    if fractions and act not in ("linear", "relu"):
        raise BadValueError("--fractions", f"{act} values are irrational; fractions need -a linear or relu")
    if stream:
        return trace_impl.run_stream(source, sentence, values, weights, input_weight, bias, h0, act, fmt_value)
    tokens, numbers, vocab = trace_impl.gather_inputs(source, sentence, values, allow_default=True)
    if practice:
        return trace_impl.run_practice(tokens, numbers, vocab, weights, input_weight, bias, h0, act,
                                       tolerance, fmt_value)
    if worksheet:
        return trace_impl.run_worksheet(tokens, numbers, vocab, weights, input_weight, bias, h0, act, fmt_value)
    if step_mode:
        return trace_impl.run_step(tokens, numbers, vocab, weights, input_weight, bias, h0, act, fmt_value,
                                   fractions)
    return trace_impl.run_trace(tokens, numbers, vocab, weights, input_weight, bias, h0, act, fmt_value,
                                fractions)
