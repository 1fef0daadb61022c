"""``rnn-tutor compare``: rnn, gru and lstm trained with the same budget and seed, side by side."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from rnn_tutor.cli import lmtext
from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import FormatOpt, OutputFormat, SeedOpt
from rnn_tutor.cli.train import TASK_HELP, DType, GateInit, TaskName, run_with_progress


@app.command("compare")
def compare(
    task: Annotated[TaskName, typer.Option("--task", "-t", help=TASK_HELP, case_sensitive=False)] = TaskName.adding,
    length: Annotated[Optional[int], typer.Option(
        "--length", "-T", help="Sequence length (default: the task's; adding 100).", show_default=False)] = None,
    hidden: Annotated[Optional[int], typer.Option(
        "--hidden", "-H", help="Hidden size of every cell (default 16; for --task text 128, brackets 64).",
        show_default=False)] = None,
    layers: Annotated[Optional[int], typer.Option(
        "--layers", help="Stacked layers of every cell (1-3; default 1, for --task text 2, brackets 1).",
        show_default=False)] = None,
    steps: Annotated[int, typer.Option("--steps", "-n", help="The budget: at most this many steps each.")] = 1000,
    batch: Annotated[int, typer.Option("--batch", "-b", help="Sequences per mini-batch.")] = 32,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate (Adam).")] = 0.01,
    clip: Annotated[float, typer.Option("--clip", help="Global-norm clipping (0: off).")] = 1.0,
    cells: Annotated[Optional[str], typer.Option(
        "--cells", help="Which cells, comma-separated (default: rnn,gru,lstm; lstm with --decoders).",
        show_default=False)] = None,
    decoders: Annotated[Optional[str], typer.Option(
        "--decoders", help="Encoder-decoder tasks: decoders to compare, comma-separated, from plain, attention "
        "(= additive), additive, dot; each trained with the same cell, size, budget and seed, at --lengths "
        "(default 2,4,8,16,32).",
        show_default=False)] = None,
    lengths: Annotated[Optional[str], typer.Option(
        "--lengths", help="Several lengths, comma-separated (e.g. 2,4,8,16): accuracy against length.",
        show_default=False)] = None,
    eval_every: Annotated[Optional[int], typer.Option(
        "--eval-every", help="Evaluate every N steps (default 50; for --task text 200).", show_default=False)] = None,
    gate_init: Annotated[Optional[GateInit], typer.Option(
        "--gate-init", help="chrono: gated cells start out remembering (as in train; the default); plain: "
        "PyTorch's init (the default for --task text).", case_sensitive=False, show_default=False)] = None,
    dtype: Annotated[Optional[DType], typer.Option(
        "--dtype", help="float64 (about 16 digits; the default) or float32 (about 7, faster; the default for "
        "--task text).", case_sensitive=False, show_default=False)] = None,
    signal: Annotated[Optional[str], typer.Option(
        "--signal", help="forecast: knocks (default), sines, regimes or a FILE of readings.",
        show_default=False)] = None,
    text: Annotated[Optional[str], typer.Option("--text", help=lmtext.TEXT_HELP, show_default=False)] = None,
    valid: Annotated[Optional[str], typer.Option("--valid", help=lmtext.VALID_HELP, show_default=False)] = None,
    max_chars: Annotated[Optional[int], typer.Option(
        "--max-chars", help=lmtext.MAX_CHARS_HELP, show_default=False)] = None,
    seed: SeedOpt = 0,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Train rnn, gru and lstm on one task with the same budget and seed, and show what gating buys.

    One table (accuracy, loss, sequences needed to reach 99%, time, learning curve) and one sentence. A cell
    stops early once it solves the task. Ctrl-C stops and prints what has been measured. With --decoders, the
    plain encoder-decoder against attention: outputs right in every symbol against length.

    Examples:

        rnn-tutor compare --task adding --length 100

        rnn-tutor compare --task recall --length 60 --format json | jq '.[] | {cell, accuracy}'

        rnn-tutor compare --task reverse --lengths 2,4,8,16,32 --decoders plain,attention

        rnn-tutor compare --task text --text brackets --steps 500
    """
    from rnn_tutor.core import cells as core_cells
    from rnn_tutor.core import compare as comparison
    from rnn_tutor.core import train as core
    from rnn_tutor.errors import BadValueError
    from rnn_tutor.render import train as view

    from rnn_tutor.core import decoders as core_decoders

    decoder_list = [("plain", None)]
    if decoders is not None:
        from rnn_tutor.core.tasks import SEQ2SEQ, TASKS, get_task

        if get_task(task.value).kind != SEQ2SEQ:
            seq2seq = ", ".join(t.name for t in TASKS.values() if t.kind == SEQ2SEQ)
            raise BadValueError("--decoders", f"the {task.value} task has no decoder; encoder-decoder tasks: {seq2seq}")
        decoder_list = core_decoders.parse_decoders(decoders)
    if cells is None:
        cells = "lstm" if decoders is not None else "rnn,gru,lstm"
    names = [c.strip().lower() for c in cells.split(",") if c.strip()]
    if not names:
        raise BadValueError("--cells", "give at least one of rnn, gru, lstm")
    for c in names:
        core_cells.check_cell(c, option="--cells")
    if len(set(names)) != len(names):
        raise BadValueError("--cells", f"each cell once, got {cells!r}")
    if task.value == "text":  # language models: bpc beside the n-gram's (cli/lmtext.py)
        if lengths is not None:
            raise BadValueError("--lengths", "is for the toy tasks; a language model reads chunks of --length")
        code = lmtext.compare_text(names, dict(
            length=length, hidden=hidden, layers=layers, steps=steps, batch=batch, lr=lr, clip=clip, seed=seed,
            eval_every=eval_every, gate_init=gate_init.value if gate_init else None,
            dtype=dtype.value if dtype else None, signal=signal, text=text, valid=valid, max_chars=max_chars),
            fmt.value)
        if code:
            raise typer.Exit(code)
        return
    if lengths is not None and length is not None:
        raise BadValueError("--lengths", "give either --length or --lengths, not both")
    length_list: list = [length]
    if decoders is not None and lengths is None and length is None:
        lengths = core_decoders.DEFAULT_LENGTHS  # the decoders differ in how they hold up as inputs grow
    if lengths is not None:
        try:
            length_list = [int(v) for v in lengths.split(",") if v.strip()]
        except ValueError:
            raise BadValueError("--lengths", f"whole numbers separated by commas, got {lengths!r}") from None
        if not 1 <= len(length_list) <= 8 or len(set(length_list)) != len(length_list):
            raise BadValueError("--lengths", f"one to eight different lengths, got {lengths!r}")
        from rnn_tutor.core.tasks import get_task

        for n in length_list:
            get_task(task.value).check_length(n, option="--lengths")
            if any(d == "attention" for d, _ in decoder_list):
                from rnn_tutor.core.attention import check_length

                check_length(n, option="--lengths")
    configs = [core.TrainConfig(task=task.value, length=n, hidden=hidden, layers=layers, steps=steps, batch=batch,
                                lr=lr, clip=clip, seed=seed, eval_every=eval_every,
                                stop_at=None if task.value == "forecast" else core.SOLVED,  # a forecast is never "solved"
                                gate_init=gate_init.value if gate_init else None,
                                dtype=dtype.value if dtype else None, signal=signal, decoder=dec,
                                score=score).checked()
               for n in length_list for dec, score in decoder_list]
    base = configs[0]
    rows, baseline, interrupted = [], None, False
    for cfg in configs:
        for name in names:
            trainer = core.Trainer(core.TrainConfig(**{**cfg.__dict__, "cell": name}))
            baseline = trainer.baseline_accuracy
            label = f"{name:4s} {cfg.task}" + (f" T={cfg.length}" if len(length_list) > 1 else "")
            if decoders is not None:
                label += " " + core_decoders.label(cfg.decoder, cfg.score)
            interrupted = run_with_progress(trainer, view.Progress(cfg.steps, label))
            if trainer.records:
                rows.append(comparison.compare_row(trainer.result(interrupted=interrupted)))
            if interrupted:
                view.note(f"Interrupted while training {name}: the results so far follow.")
                break
        if interrupted:
            break
    if decoders is not None:
        from rnn_tutor.render.attention import emit_decoder_compare

        sentence = core_decoders.decoder_sentence(rows, base.hidden)
        meta = {"task": base.task, "lengths": length_list, "hidden": base.hidden, "layers": base.layers,
                "budget": base.steps,
                "seed": base.seed, "baseline_accuracy": baseline, "gate_init": base.gate_init, "dtype": base.dtype,
                "eval_every": base.eval_every, "decoders": [core_decoders.label(d, s) for d, s in decoder_list],
                "first_plain_below_half": core_decoders.first_plain_failure(rows), "summary": sentence}
        emit_decoder_compare(rows, sentence, meta, fmt.value)
        if interrupted:
            raise typer.Exit(130)
        return
    if len(configs) > 1:
        sentence = comparison.length_sentence(rows, base.hidden, base.task)
    else:
        sentence = comparison.compare_sentence(rows, base.task, base.length, base.steps, baseline or 0.0)
    meta = {"task": base.task, "length": base.length, "lengths": [c.length for c in configs],
            "hidden": base.hidden, "layers": base.layers, "budget": base.steps, "seed": base.seed, "baseline_accuracy": baseline,
            "gate_init": base.gate_init, "dtype": base.dtype, "eval_every": base.eval_every,
            "summary": sentence}
    view.emit_compare(rows, sentence, meta, fmt.value)
    if interrupted:
        raise typer.Exit(130)
