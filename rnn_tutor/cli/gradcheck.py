"""``rnn-tutor gradcheck``: verify backpropagation through time against finite differences."""

from __future__ import annotations

import enum
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import Cell, FormatOpt, OutputFormat, SeedOpt


MAX_FORWARD_STEPS = 1_000_000  # about 10 s of numpy on one core


def forward_steps(cell: str, h: int, d: int, t: int, b: int, max_checks: int, layers: int = 1) -> int:
    """Recurrent steps a check runs: two forward passes of T steps through every layer for every number compared."""
    g = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    sizes = [b * t * d, layers * b * h] + ([layers * b * h] if cell == "lstm" else [])
    for k in range(layers):
        sizes += [g * h * (d if k == 0 else h), g * h * h, g * h, g * h]
    checks = sum(min(n, max_checks) if max_checks else n for n in sizes)
    return 2 * t * layers * checks


class Nonlinearity(str, enum.Enum):
    tanh = "tanh"
    relu = "relu"


@app.command("gradcheck")
def gradcheck(
    cell: Annotated[Optional[Cell], typer.Option(
        "--cell", help="rnn, gru or lstm; leave out to check all three.", case_sensitive=False,
        show_default=False)] = None,
    hidden_size: Annotated[int, typer.Option("--hidden-size", "-H", help="Hidden size H.", min=1, max=16)] = 3,
    input_size: Annotated[int, typer.Option("--input-size", "-D", help="Input size D.", min=1, max=16)] = 2,
    length: Annotated[int, typer.Option("--length", "-T", help="Sequence length T (steps to backpropagate through).",
                                        min=1, max=100)] = 4,
    batch: Annotated[int, typer.Option("--batch", "-B", help="Sequences in the batch.", min=1, max=4)] = 2,
    layers: Annotated[int, typer.Option(
        "--layers", help="Stacked layers; every layer's weights are checked.", min=1, max=3)] = 1,
    seed: SeedOpt = 0,
    eps: Annotated[float, typer.Option("--eps", help="Finite-difference step.", min=1e-10, max=1e-1)] = 1e-5,
    tolerance: Annotated[float, typer.Option(
        "--tolerance", help="Largest relative error that passes.", min=0.0, max=1.0)] = 1e-6,
    max_checks: Annotated[int, typer.Option(
        "--max-checks", help="Numbers compared per tensor (a seeded sample beyond it); 0 = all.",
        min=0, max=100_000)] = 200,
    nonlinearity: Annotated[Nonlinearity, typer.Option(
        "--nonlinearity", help="The vanilla RNN's activation (rnn only).", case_sensitive=False)] = Nonlinearity.tanh,
    fmt: FormatOpt = OutputFormat.table,
) -> int:
    """Check BPTT gradients against central finite differences.

    Each weight, input and initial state is nudged by ±eps; the slope must
    match what BPTT computed. Exit 1 if any gradient disagrees.

    Examples:

        rnn-tutor gradcheck --cell lstm

        rnn-tutor gradcheck --cell gru -H 5 -T 20 --seed 3 --format json
    """
    from rnn_tutor import render
    from rnn_tutor.core.cells import CELLS
    from rnn_tutor.core.gradcheck import failure_hint, gradcheck as run
    from rnn_tutor.errors import BadValueError
    from rnn_tutor.render import cells as rcells

    if not tolerance > 0:
        raise BadValueError("--tolerance", f"must be above 0 (a relative error, e.g. 1e-6), got {tolerance:g}")
    if nonlinearity.value != "tanh" and (cell is None or cell.value != "rnn"):
        raise BadValueError("--nonlinearity", "relu applies to --cell rnn only (GRU and LSTM use sigmoid and tanh)")
    names = [cell.value] if cell is not None else list(CELLS)
    for name in names:
        work = forward_steps(name, hidden_size, input_size, length, batch, max_checks, layers)
        if work > MAX_FORWARD_STEPS:
            raise BadValueError("--max-checks", f"this check would run {work:,} recurrent steps for {name} (at most "
                                f"{MAX_FORWARD_STEPS:,}); give --max-checks 200 or smaller sizes")
    settings = dict(hidden_size=hidden_size, input_size=input_size, length=length, batch=batch, seed=seed, eps=eps,
                    tolerance=tolerance, max_checks=max_checks or None, nonlinearity=nonlinearity.value,
                    num_layers=layers)
    if fmt.value == "table":  # the heading at once, then each cell's table as soon as it is checked
        import types

        render.print_table(rcells.gradcheck_intro(types.SimpleNamespace(
            eps=eps, batch=batch, length=length, input_size=input_size, hidden_size=hidden_size, layers=layers,
            seed=seed, floor=run.__kwdefaults__["floor"])))  # the core's floor: the CLI keeps its default
        results = []
        for name in names:
            results.append(run(name, **settings))
            render.print_table([rcells.gradcheck_cell_table(results[-1])])
        render.print_table(rcells.gradcheck_summary(results))
    else:
        results = [run(name, **settings) for name in names]
        rcells.emit_gradcheck(results, fmt.value)
    if not all(r.passed for r in results):
        bad = [f"{r.cell} {row.name}" for r in results for row in r.rows if not row.passed]
        render.message(f"Error: gradient check failed for {', '.join(bad)}: the relative error is above "
                       f"{tolerance:g} ({failure_hint(eps, tolerance, nonlinearity.value)})")
        return 1
    return 0
