"""``rnn-tutor train``: train a tiny RNN, GRU or LSTM from scratch on a toy task."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli import lmtext
from rnn_tutor.cli.app import INTERRUPTED, PIPE_CLOSED, InterruptReported, app
from rnn_tutor.cli.options import Cell, SeedOpt, StreamFormat, StreamFormatOpt


class TaskName(str, enum.Enum):
    adding = "adding"
    recall = "recall"
    order = "order"
    tagging = "tagging"
    reverse = "reverse"
    reorder = "reorder"
    forecast = "forecast"
    text = "text"


class Optimizer(str, enum.Enum):
    adam = "adam"
    sgd = "sgd"


class DType(str, enum.Enum):
    float64 = "float64"
    float32 = "float32"


class GateInit(str, enum.Enum):
    chrono = "chrono"
    plain = "plain"


class Decoder(str, enum.Enum):
    plain = "plain"
    attention = "attention"


class Score(str, enum.Enum):
    additive = "additive"
    dot = "dot"


DECODER_HELP = ("Encoder-decoder tasks (reverse, reorder): plain hands the decoder only the encoder's final state; "
                "attention lets it look at every encoder state at every step.")
SCORE_HELP = ("With --decoder attention: additive (Bahdanau et al. 2014, the default) or dot (Luong et al. 2015).")


TASK_HELP = ("adding (two marked numbers, long lag), recall (first symbol), order (who did it), tagging "
             "(a tag per word), reverse (encoder-decoder), reorder (encoder-decoder: subject-verb-object to "
             "subject-object-verb), forecast (the next reading of --signal), text (a character-level language model "
             "on --text).")
SIGNAL_HELP = ("forecast: knocks (a machine knocking every 16 readings; the default), sines, regimes, or a FILE of "
               "readings (one number per line, or a CSV column).")


def one_blas_thread():
    """Small models run fastest on one BLAS thread: threaded small matmuls mostly wait for each other (and
    on a busy machine much more so). A no-op without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_with_progress(trainer, progress_bar) -> bool:
    """Run ``trainer`` to its end on one BLAS thread, every record onto ``progress_bar`` (a context manager with
    ``update``); True when Ctrl-C (or SIGTERM, SIGHUP) stopped it. What compare trains, one cell at a time."""
    with one_blas_thread(), progress_bar as progress:
        try:
            for rec in trainer.run():
                progress.update(rec)
        except KeyboardInterrupt:
            return True
    return False


def run_training(config, fmt: str, save: Optional[Path], label: str, sample_every: int = 0) -> int:
    """Train with progress on stderr; Ctrl-C (or SIGTERM, SIGHUP) stops, prints and saves what there is, and
    exits 130; a closed output (``| head``) stops and saves, exit 141. A language model (``--task text``) prints a
    short sample on stderr every ``sample_every`` steps."""
    from rnn_tutor.core import savedmodel
    from rnn_tutor.core import train as core
    from rnn_tutor.render import train as view

    text = lmtext.prepare(config.checked()) if config.task == "text" else None  # a language model's corpus
    trainer = core.Trainer(config, text=text)
    cfg = trainer.config
    sig = trainer.task.extra.get("signal")
    if sig is not None and sig.skipped:
        rows = "1 row" if sig.skipped == 1 else f"{sig.skipped:,} rows"
        lines = ", ".join(str(n) for n in sig.skipped_lines) + (", ..." if sig.skipped > 5 else "")
        view.note(f"Skipped {rows} of {sig.source} that were not numbers (line{'s' if sig.skipped > 1 else ''} "
                  f"{lines}).")
    if save is not None:
        savedmodel.check_save_path(save)
    interrupted = closed = False
    if text is not None:
        from rnn_tutor.render import lm as lm_view

        progress_bar = lm_view.Progress(cfg.steps, label, text.ngram().best_bpc)
    else:
        progress_bar = view.Progress(cfg.steps, label)
    sampled = -1
    with one_blas_thread(), progress_bar as progress:
        try:
            for rec in trainer.run():
                progress.update(rec)
                if fmt == "jsonl":
                    (lm_view.stream_record(rec, cfg.cell) if text is not None
                     else view.stream_record(rec, cfg.cell, cfg.task))
                if text is not None and sample_every and rec.step // sample_every > sampled:
                    sampled = rec.step // sample_every  # watch noise turn into text, on stderr
                    progress.say(lm_view.sample_line(rec.step, lmtext.sample_text(trainer.model, rec.step, cfg.seed)))
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP
            interrupted = True
        except BrokenPipeError:  # the reader of the output went away (| head): stop, keep what there is
            interrupted = closed = True
    result = trainer.result(interrupted=interrupted)
    saved = None
    if save is not None and result.records:
        from rnn_tutor.cli import signals_held

        with signals_held():  # a second Ctrl-C or SIGTERM waits until the file is written
            saved = str(savedmodel.save_model(save, result))
    if closed:
        if saved:
            view.note(f"Output closed at step {trainer.step:,}; the model so far is saved to {saved}.")
        return PIPE_CLOSED
    view.emit_train(result, fmt, saved)
    try_it = f"try: rnn-tutor {'sample' if text is not None else 'predict'} {saved}"
    if interrupted:  # said once, after the results: where it stopped and what was kept where
        view.note(interrupted_note(trainer.step, cfg.steps, save, saved, try_it))
        return INTERRUPTED
    if saved and fmt == "table":
        view.note(f"Saved to {saved}. {try_it[0].upper()}{try_it[1:]}")
    return 0


def interrupted_note(step: int, steps: int, save: Optional[Path], saved: Optional[str], try_it: str) -> str:
    """The one line train prints on Ctrl-C (SIGTERM, SIGHUP), after the results; the command then exits 130."""
    where = f"Interrupted at step {step:,} of {steps:,}"
    if saved:
        return f"{where}: the results are the model at that step, saved to {saved} ({try_it})."
    if save is not None:
        return f"{where}, before the first evaluation: nothing to show, {save} not written."
    return f"{where}: the results are the model at that step (not saved: give --save FILE to keep it)."


@app.command("train")
def train(
    cell: Annotated[Cell, typer.Option("--cell", "-c", help="The recurrent cell.", case_sensitive=False)] = Cell.lstm,
    task: Annotated[TaskName, typer.Option("--task", "-t", help=TASK_HELP, case_sensitive=False)] = TaskName.adding,
    length: Annotated[Optional[int], typer.Option(
        "--length", "-T", help="Sequence length (default: the task's: adding 100, recall 50, order 8, "
        "tagging 20, reverse 6). Tagging needs at least 3: up to 2 words each tag follows from the word alone.",
        show_default=False)] = None,
    hidden: Annotated[Optional[int], typer.Option(
        "--hidden", "-H", help="Hidden size (1-1024; default 16, for --task text 128, brackets 64).",
        show_default=False)] = None,
    layers: Annotated[Optional[int], typer.Option(
        "--layers", help="Stacked layers of the cell (1-3; default 1, for --task text 2, brackets 1); each layer "
        "reads the h_t of the one below.", show_default=False)] = None,
    steps: Annotated[int, typer.Option("--steps", "-n", help="Optimizer steps (mini-batches).")] = 1000,
    batch: Annotated[int, typer.Option("--batch", "-b", help="Sequences per mini-batch.")] = 32,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate.")] = 0.01,
    clip: Annotated[float, typer.Option("--clip", help="Clip the gradient's global norm to this (0: off).")] = 1.0,
    optimizer: Annotated[Optimizer, typer.Option("--optimizer", help="adam or sgd (momentum 0.9).",
                                                 case_sensitive=False)] = Optimizer.adam,
    gate_init: Annotated[Optional[GateInit], typer.Option(
        "--gate-init", help="chrono: gates start out remembering for 1..T steps (Tallec & Ollivier 2018; the "
        "default); plain: PyTorch's init (the default for --task text).", case_sensitive=False,
        show_default=False)] = None,
    eval_every: Annotated[Optional[int], typer.Option(
        "--eval-every", help="Evaluate every N steps (default 50; for --task text 200).", show_default=False)] = None,
    eval_size: Annotated[Optional[int], typer.Option(
        "--eval-size", help="Held-out sequences (another seed; default 512). forecast: held-out readings (default "
        "4,096 from another seed, or the last fifth of a FILE).", show_default=False)] = None,
    stop_at: Annotated[Optional[float], typer.Option(
        "--stop-at", help="Stop once held-out accuracy reaches this (e.g. 0.99).", show_default=False)] = None,
    dtype: Annotated[Optional[DType], typer.Option(
        "--dtype", help="float64 (about 16 digits; the default) or float32 (about 7; about twice as fast for LSTMs; "
        "the default for --task text).", case_sensitive=False, show_default=False)] = None,
    decoder: Annotated[Decoder, typer.Option("--decoder", help=DECODER_HELP, case_sensitive=False)] = Decoder.plain,
    score: Annotated[Optional[Score], typer.Option("--score", help=SCORE_HELP, case_sensitive=False,
                                                   show_default=False)] = None,
    signal: Annotated[Optional[str], typer.Option("--signal", help=SIGNAL_HELP, show_default=False)] = None,
    column: Annotated[Optional[str], typer.Option(
        "--column", help="forecast from a CSV FILE: the column to read (its header name or number).",
        show_default=False)] = None,
    save: Annotated[Optional[Path], typer.Option(
        "--save", help="Write the model to this .npz (PyTorch names + task metadata).", show_default=False,
        dir_okay=True)] = None,
    text: Annotated[Optional[str], typer.Option("--text", help=lmtext.TEXT_HELP, show_default=False)] = None,
    valid: Annotated[Optional[str], typer.Option("--valid", help=lmtext.VALID_HELP, show_default=False)] = None,
    max_chars: Annotated[Optional[int], typer.Option(
        "--max-chars", help=lmtext.MAX_CHARS_HELP, show_default=False)] = None,
    sample_every: Annotated[int, typer.Option("--sample-every", help=lmtext.SAMPLE_HELP, min=0)] = 200,
    seed: SeedOpt = 0,
    fmt: StreamFormatOpt = StreamFormat.table,
) -> None:
    """Train a tiny RNN, GRU or LSTM from scratch and report held-out loss and accuracy.

    A progress bar runs on stderr; --format jsonl streams one object per evaluation. Ctrl-C stops cleanly and
    still prints (and saves) what it has. The same --seed gives the same numbers. For reverse and reorder,
    --decoder attention lets the decoder look at every encoder state.

    --task text trains a language model that reads one character at a time and reports held-out bits per
    character beside the best n-gram's. The text is cut into --batch tracks read in chunks of --length: the state
    carries over from chunk to chunk, the gradient stops at the boundary (truncated BPTT: full BPTT would keep
    every step of the text in memory and update once per pass; truncation updates often, but cannot learn from a
    gradient that would have to travel more than --length steps back).

    Examples:

        rnn-tutor train --cell lstm --task adding --length 100 --save model.npz

        rnn-tutor train --cell rnn --task recall --length 30 --format jsonl

        rnn-tutor train --task forecast --signal knocks --save knocks.npz
        rnn-tutor train --task text --text brackets --save brackets.npz
    """
    from rnn_tutor.core.train import TrainConfig

    config = TrainConfig(
        cell=cell.value, task=task.value, length=length, hidden=hidden, layers=layers, steps=steps, batch=batch,
        lr=lr, clip=clip, optimizer=optimizer.value, seed=seed, eval_every=eval_every, eval_size=eval_size,
        stop_at=stop_at, gate_init=gate_init.value if gate_init else None, dtype=dtype.value if dtype else None,
        signal=signal, column=column, decoder=decoder.value, score=score.value if score else None, text=text,
        valid=valid, max_chars=max_chars,
    )
    code = run_training(config, fmt.value, save, f"{cell.value} {task.value}", sample_every)
    if code == INTERRUPTED:
        raise InterruptReported()  # run_training has said where it stopped and what it saved
    if code:
        raise typer.Exit(code)
