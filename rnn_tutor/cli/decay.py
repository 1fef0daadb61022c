"""``rnn-tutor decay``: how fast the gradient vanishes or explodes with the distance it travels back in time."""

from __future__ import annotations

import enum
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import Cell, FormatOpt, OutputFormat, SeedOpt


class DecayActivation(str, enum.Enum):
    """decay's two cases: |w|^k (linear) or products along a tanh trajectory."""

    linear = "linear"
    tanh = "tanh"


@app.command("decay")
def decay(
    weight: Annotated[Optional[float], typer.Option(
        "--weight", "-w", help="Scalar recurrence weight w (the default mode).", show_default="0.9")] = None,
    matrix: Annotated[Optional[str], typer.Option(
        "--matrix", help="A square W_h, rows split by ';', entries by ',': \"0.5,2;0,0.5\".",
        show_default=False)] = None,
    size: Annotated[Optional[int], typer.Option(
        "--size", help="A random N x N W_h (from --seed), rescaled to --radius. At most 64.",
        show_default=False)] = None,
    radius: Annotated[Optional[float], typer.Option(
        "--radius", help="Spectral radius of the random W_h.", show_default="0.9")] = None,
    steps: Annotated[Optional[int], typer.Option(
        "--steps", "-T", help="How many steps back, k = 1..T (at most 1000).", show_default="20")] = None,
    activation: Annotated[DecayActivation, typer.Option(
        "--activation", "-a", help="linear: factors |w|^k; tanh: products of w(1 - h_t^2) along a trajectory.",
        case_sensitive=False)] = DecayActivation.linear,
    inputs: Annotated[Optional[str], typer.Option(
        "--inputs", help="Scalar tanh: the inputs x_1..x_T ('1,2,3'); default: seeded N(0, 1).",
        show_default=False)] = None,
    input_weight: Annotated[float, typer.Option(
        "--input-weight", "-u", help="tanh: u in h_t = tanh(w h_(t-1) + u x_t).")] = 1.0,
    threshold: Annotated[float, typer.Option(
        "--threshold", help="Horizon: the first k whose factor reaches this (or 1/this when exploding).")] = 1e-3,
    clip: Annotated[Optional[float], typer.Option(
        "--clip", help="Compare clipping the gradient by norm and by value at this threshold.",
        show_default=False)] = None,
    cell: Annotated[Cell, typer.Option(
        "--cell", help="lstm or gru: add the gated cell path (product of forget / update gates).",
        case_sensitive=False)] = Cell.rnn,
    forget: Annotated[Optional[float], typer.Option(
        "--forget", help="A constant forget gate (LSTM f, GRU update gate z) in [0, 1].", show_default=False)] = None,
    forget_bias: Annotated[Optional[float], typer.Option(
        "--forget-bias", help="Seeded gates with this bias on the forget (LSTM) or update (GRU) gate.",
        show_default=False)] = None,
    plot: Annotated[Optional[str], typer.Option(
        "--plot", help="Also draw the curve to FILE (.png, .svg or .pdf); needs matplotlib: pip install "
        "'rnn-tutor\\[plot]'.",
        metavar="FILE", show_default=False)] = None,
    seed: SeedOpt = 0,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """How fast the gradient vanishes or explodes, step by step back.

    Shows the factor |dh_T/dh_(T-k)| for k = 1..T with log-scale bars, the
    verdict (vanishing or exploding), the half-life and the horizon: the
    first k where the factor reaches --threshold (or its inverse when
    exploding). For a matrix also the spectral radius, the largest singular
    value and the conditions of Pascanu, Mikolov & Bengio (2013).

    Examples:

        rnn-tutor decay -w 0.9 --format json | jq .horizon

        rnn-tutor decay --matrix "0.5,2;0,0.5" --clip 1

        rnn-tutor decay --cell lstm --forget 0.95 --steps 60
    """
    from rnn_tutor.core.decay import compute_decay
    from rnn_tutor.render import decay as view
    from rnn_tutor import render

    if plot is not None:
        view.check_plot_path(plot)
    result = compute_decay(
        weight=weight, matrix=matrix, size=size, radius=radius, seed=seed, steps=steps,
        activation=activation.value, inputs=inputs, input_weight=input_weight, threshold=threshold, clip=clip,
        cell=cell.value, forget=forget, forget_bias=forget_bias,
    )
    if plot is not None:
        written = view.write_plot(result, plot)
        render.message(f"Plot written to {written}")
    view.emit(result, fmt.value)
