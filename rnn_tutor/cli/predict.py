"""``rnn-tutor predict``: run a saved model on your own input (or on fresh random examples)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import Cell, SeedOpt, StreamFormat, StreamFormatOpt
from rnn_tutor.cli.train import TaskName

MAX_INPUT_LINES = 1000


@app.command("predict")
def predict(
    model: Annotated[Path, typer.Argument(help="A model saved by 'rnn-tutor train --save'.", show_default=False)],
    inputs: Annotated[Optional[list[str]], typer.Option(
        "--input", "-i", help="An input in the task's words (adding: numbers, two marked with '*'); repeat for "
        "more; '-' reads one input per line from stdin.", show_default=False)] = None,
    samples: Annotated[Optional[int], typer.Option(
        "--samples", help="Without --input: this many fresh random examples of the task (default 5).",
        show_default=False)] = None,
    length: Annotated[Optional[int], typer.Option(
        "--length", "-T", help="Length of the random examples (default: the length it was trained on).",
        show_default=False)] = None,
    cell: Annotated[Optional[Cell], typer.Option(
        "--cell", help="Check that the file holds this cell.", case_sensitive=False, show_default=False)] = None,
    task: Annotated[Optional[TaskName], typer.Option(
        "--task", help="Check that the file was trained on this task.", case_sensitive=False,
        show_default=False)] = None,
    stream: Annotated[bool, typer.Option(
        "--stream", help="Read stdin as it arrives and answer every input at once, carrying the state: one reading "
        "per line (forecast, adding; or signal's csv, read by its header, and jsonl), one word per line (recall, "
        "order, tagging), every character (a language model: the bits it spent on each, the first as read after a "
        "newline, as inspect --surprise reads it).")] = False,
    anomaly: Annotated[Optional[float], typer.Option(
        "--anomaly", help="With --stream, a forecast model: flag readings whose error is above K times the held-out "
        "errors' standard deviation.", metavar="K", show_default=False)] = None,
    attention: Annotated[bool, typer.Option(
        "--attention", help="Also show where an attention model looked: a heat map of its weights (rows: output "
        "steps, columns: input tokens); json and csv give the numbers.")] = False,
    seed: SeedOpt = 0,
    fmt: StreamFormatOpt = StreamFormat.table,
) -> None:
    """Run a saved model: its answer, the right answer (by the task's rule) and its confidence.

    With --attention, an attention model also shows where it looked, as a heat map.

    Examples:

        rnn-tutor predict model.npz --input "0.3* -0.2 0.9 0.5* 0.1 -0.7"

        echo "the dog bit the man" | rnn-tutor predict order.npz --input - --format json

        rnn-tutor signal -n 200 | rnn-tutor predict knocks.npz --stream --anomaly 4
    """
    from rnn_tutor.core import predict as core
    from rnn_tutor.core.savedmodel import load_model
    from rnn_tutor.errors import BadValueError
    from rnn_tutor.render import train as view

    saved = load_model(model, cell=cell.value if cell else None, task=task.value if task else None)
    if stream or anomaly is not None:
        from rnn_tutor.cli.predict_stream import run_stream

        if not stream:
            raise BadValueError("--anomaly", "flags readings as they stream: add --stream")
        if inputs or samples is not None or length is not None:
            raise BadValueError("--stream", "reads its inputs from stdin: drop --input, --samples and --length")
        if attention:
            raise BadValueError("--attention", "draws the weights of --input or --samples, not of a stream")
        code = run_stream(saved, fmt.value, anomaly)
        if code:
            raise typer.Exit(code)
        return
    if attention:
        from rnn_tutor.core.attention import check_has_attention

        check_has_attention(saved.model)
    texts: list[str] = []
    for item in inputs or []:
        if item == "-":
            try:
                typing = sys.stdin.isatty()
            except (AttributeError, ValueError):
                typing = False
            if typing:  # not piped: say why it waits
                view.note("Reading inputs from the terminal, one per line; Ctrl-D on an empty line ends.")
            lines = [ln.strip() for ln in sys.stdin.read().splitlines() if ln.strip()]
            if not lines:
                raise BadValueError("--input", "stdin had no input lines")
            texts.extend(lines)
        else:
            texts.append(item)
    if len(texts) > MAX_INPUT_LINES:
        raise BadValueError("--input", f"at most {MAX_INPUT_LINES:,} inputs at once, got {len(texts):,}")
    t = saved.model.task
    from rnn_tutor.core import forecast_samples as fs

    forecast = fs.is_forecast(saved)
    if not texts:
        n = saved.length if length is None else t.check_length(length)
        count = 5 if samples is None else samples
        if forecast:  # a generated window has a right answer: the reading that came next
            preds = fs.forecast_samples(saved, count, n, seed)
            texts = [p.input for p in preds]
        else:
            texts = core.sample_inputs(t, count, n, seed)
    if not forecast or inputs:
        preds = [core.predict_one(saved, text) for text in texts]
    if t.name == "text":  # a language model reads text of any length: its --length was a chunk, not an input's size
        import dataclasses

        preds = [dataclasses.replace(p, other_length=False) for p in preds]
    meta = {"cell": saved.model.cell, "task": t.name, "path": str(model), "trained_length": saved.length,
            "hidden": saved.model.hidden_size}
    if forecast:
        from rnn_tutor.render import forecast_predict

        forecast_predict.emit(preds, meta, fmt.value, saved.meta.get("heldout_mse"))
        return
    if attention:
        from rnn_tutor.core.attention import attention_map
        from rnn_tutor.render.attention import emit_predictions

        meta.update(decoder=saved.model.decoder, score=saved.model.score)
        emit_predictions(preds, [attention_map(saved.model, text) for text in texts], meta, fmt.value)
    else:
        view.emit_predictions(preds, meta, fmt.value)
    _other_lengths(saved, model, texts, view)


# tasks whose models learn one length: away from it an answer can be wrong although the model solved its own
_ONE_LENGTH_TASKS = ("adding", "recall", "reverse")


def _other_lengths(saved, path, texts, view) -> None:
    """A note on stderr when inputs are longer or shorter than the sequences the model learned."""
    t = saved.model.task
    if t.name not in _ONE_LENGTH_TASKS:
        return
    lengths = sorted({t.encode(text).shape[1] for text in texts} - {saved.length})
    if lengths:
        shown = ", ".join(f"{n:,}" for n in lengths[:5]) + (", ..." if len(lengths) > 5 else "")
        view.note(f"{path} learned sequences of {saved.length:,} steps; inputs of {shown} steps are outside what "
                  "it was trained on, so expect mistakes there (train at that --length, or predict --samples for "
                  "inputs of its own length).")
