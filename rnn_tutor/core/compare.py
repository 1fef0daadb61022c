"""What ``compare`` reports: one row per trained run (``compare_row``) and the sentences that say what the rows
show (``compare_sentence``, ``length_sentence``), with the one writer of an accuracy as a percentage (``pct``).
"""

from __future__ import annotations

from dataclasses import dataclass
from rnn_tutor.core.numfmt import percent
from rnn_tutor.core.tasks import SEQ2SEQ, TASKS
from rnn_tutor.core.train import SOLVED, TrainResult


@dataclass(frozen=True)
class CompareRow:
    cell: str
    accuracy: float | None
    loss: float | None
    solved_step: int | None
    solved_sequences: int | None
    steps: int
    seconds: float
    parameters: int
    curve: tuple[float, ...]  # held-out accuracy at every evaluation
    interrupted: bool = False
    length: int = 0
    forecast: object = None  # signals.ForecastReport of a forecast run
    decoder: str = "plain"  # encoder-decoder tasks: which decoder (compare --decoders)
    score: str | None = None
    sequence_accuracy: float | None = None  # encoder-decoder: held-out outputs right in every symbol


def compare_row(result: TrainResult) -> CompareRow:
    n = sum(int(v.size) for v in result.params.values())
    cfg = result.config
    return CompareRow(cfg.cell, result.accuracy, result.loss, result.solved_step, result.solved_sequences,
                      result.final.step if result.final else 0, result.seconds, n,
                      tuple(r.accuracy for r in result.records), result.interrupted, result.config.length,
                      result.forecast, cfg.decoder, cfg.score,
                      result.final.sequence_accuracy if result.final else None)


def pct(v: float | None) -> str:
    """An accuracy as tables and sentences both write it ('14.6%', '-' for none), so the two always agree; rounded
    half away from zero like every number rnn-tutor prints (0.0625 -> '6.3%')."""
    return "-" if v is None else percent(v, 1)


LONG_LAG_TASKS = ("adding", "recall", "order")  # the answer depends on the first inputs, read at the end


def compare_sentence(rows: list[CompareRow], task: str, length: int, steps: int, baseline_accuracy: float) -> str:
    """One sentence saying what the comparison shows."""
    stopped = next((r for r in rows if r.interrupted), None)
    if stopped is not None:  # a half-run budget shows nothing about the cells: say so, not "try more --steps"
        return (f"Interrupted while training {stopped.cell} (step {stopped.steps:,} of {steps:,}): these numbers "
                "are partial, not a comparison; run it to the end to compare.")
    if rows and all(r.forecast is not None for r in rows):
        return _forecast_compare_sentence(rows)
    solved = [r for r in rows if r.solved_step is not None]
    unsolved = [r for r in rows if r.solved_step is None]
    base = pct(baseline_accuracy)
    if rows and not solved:
        best = max(rows, key=lambda r: r.accuracy or 0.0)
        return (f"No cell reached {percent(SOLVED, 0)} within {steps:,} steps at length {length}; the best was "
                f"{best.cell} at {pct(best.accuracy or 0)} (a constant guess gets {base}): try more --steps.")
    if not unsolved:
        if task in LONG_LAG_TASKS:
            return (f"All cells solved {task} at length {length}; a longer --length (say 100 or 200) is where the "
                    "plain rnn usually falls behind.")
        return (f"All cells solved {task} at length {length}; the plain rnn usually falls behind where the answer "
                "lies far back, as in recall or adding with --length 100.")
    won = " and ".join(f"{r.cell} (after {r.solved_sequences:,} sequences)" for r in solved)
    lost = " and ".join(f"{r.cell} ({pct(r.accuracy or 0)})" for r in unsolved)
    near = all((r.accuracy or 0) < baseline_accuracy + 0.1 for r in unsolved)
    if not near:
        tail = f"did not reach {percent(SOLVED, 0)} in {steps:,} steps"
    else:
        tail = f"stayed near the {base} of a constant guess"
        if task in LONG_LAG_TASKS:  # the usual cause, not one this run measured: say so
            tail += (f": over {length} steps its gradient usually shrinks too far for the first inputs to register "
                     "in training")
    return f"With the same budget and seed, {won} solved {task} at length {length}, while {lost} {tail}."


def _forecast_compare_sentence(rows: list[CompareRow]) -> str:
    """Forecasts have no "solved": the held-out errors side by side, then what the best cell's memory bought."""
    import math

    def err(v: float) -> str:  # squared errors past the float range are said, as the table says them
        return f"{v:.4g}" if math.isfinite(v) else "overflow"

    f = rows[0].forecast
    errors = ", ".join(f"{r.cell} {err(r.forecast.mse)}" for r in rows)
    best = min(rows, key=lambda r: r.forecast.mse if math.isfinite(r.forecast.mse) else math.inf)
    return (f"Held-out mean squared error on {f.source} ({f.readings:,} readings): {errors}; AR({f.ar_order}) "
            f"{err(f.ar_mse)}, persistence {err(f.persistence_mse)} (the accuracy column is the share of the "
            f"variance explained). {best.forecast.sentence}")


def length_sentence(rows: list[CompareRow], hidden: int, task: str | None = None) -> str:
    """One sentence on accuracy against length (the encoder-decoder's bottleneck, or any task's memory)."""
    stopped = next((r for r in rows if r.interrupted), None)
    if stopped is not None:
        return (f"Interrupted while training {stopped.cell} at length {stopped.length}: these numbers are "
                "partial; run it to the end to see accuracy against length.")
    parts = []
    falls = False
    for cell in dict.fromkeys(r.cell for r in rows):
        mine = sorted((r for r in rows if r.cell == cell), key=lambda r: r.length)
        if len(mine) < 2:
            continue
        a, b = mine[0], mine[-1]
        parts.append(f"{cell} {pct(a.accuracy or 0)} at length {a.length} -> {pct(b.accuracy or 0)} at {b.length}")
        falls = falls or (b.accuracy or 0) < (a.accuracy or 0) - 0.05
    if not parts:
        return ""
    text = "Accuracy against length: " + "; ".join(parts) + ". "
    kind = TASKS[task].kind if task in TASKS else None
    if falls and kind == SEQ2SEQ:
        text += (f"The longer the input, the less of it a fixed-size state of {hidden} numbers can carry to the "
                 "output (the encoder-decoder's bottleneck, which attention later removed).")
    elif falls and task in LONG_LAG_TASKS:
        text += ("The longer the input, the further back the answer's evidence lies, and the weaker the gradient "
                 "that gets back to it through the steps.")
    elif falls:
        text += "Accuracy falls as the input grows, with the same budget for every length."
    else:
        text += "No drop yet: try longer lengths or a smaller --hidden."
    return text
