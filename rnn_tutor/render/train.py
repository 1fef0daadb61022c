"""Progress, tables, JSON, JSON Lines and CSV for ``train``, ``compare`` and ``predict``."""

from __future__ import annotations

import sys
from typing import Any

from rnn_tutor import render

RECORD_COLUMNS = ["step", "sequences", "loss", "accuracy", "train_loss", "grad_norm", "seconds"]
COMPARE_COLUMNS = ["cell", "length", "accuracy", "loss", "solved_step", "solved_sequences", "steps", "seconds", "parameters"]
PREDICT_COLUMNS = ["input", "prediction", "expected", "correct", "confidence", "value", "target", "length",
                   "other_length"]


def _pct(v: float | None) -> str:
    from rnn_tutor.core.compare import pct  # the sentences use the same writer: numbers never disagree

    return pct(v)


def _pct0(v: float) -> str:
    from rnn_tutor.core.numfmt import percent  # half away from zero, as every number is rounded

    return percent(v, 0)


def _num(v: float | None, digits: int = 4) -> str:
    return "-" if v is None else f"{v:.{digits}g}"


def _table(title: str):
    """The house table (as trace, decay and the calculators draw theirs): a rule under the header, no frame.

    rich wraps a title to its table's width, so a narrow table broke a title of 72 characters over two lines at
    80 columns ('..., 2 / layers each'): the table is made at least as wide as its title (up to the terminal's
    width, where a longer title wraps between words)."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, min_width=cell_len(title))


def _input_cell(text: str, task: str, width: int = 64) -> str:
    """The input as predict shows it. A long adding input would hide its marked numbers behind the cut, so it
    is shown as the two marked numbers with their positions instead: '-0.36* at 3, 0.45* at 57 (of 100)'.
    Word inputs are shown whole (the table folds them), so each tag can be matched to its word."""
    if task != "adding":
        return text
    if len(text) <= width:
        return text
    numbers = text.split()
    marked = [f"{v} at {i}" for i, v in enumerate(numbers, start=1) if v.endswith("*")]
    return ", ".join(marked) + f" (of {len(numbers)})"


# ---------------------------------------------------------------------------------------------- progress


class Progress:
    """A rich progress bar on stderr with loss and accuracy, shown only when stderr is a terminal."""

    def __init__(self, total: int, label: str):
        self.total, self.label = total, label
        self._p = None
        self._task = None
        try:  # ask the stream itself: creating the shared stderr console just to ask would change how every
            enabled = sys.stderr.isatty()  # later message in the process is written (wrapped by rich)
        except (AttributeError, ValueError):
            enabled = False
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn
            from rich.progress import TimeElapsedColumn

            self._p = RichProgress(
                TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeElapsedColumn(),
                console=render.err_console(), transient=True,
            )

    def __enter__(self) -> "Progress":
        if self._p is not None:
            self._p.start()
            self._task = self._p.add_task(self.label, total=self.total, stats="")
        return self

    def update(self, record) -> None:
        if self._p is not None:
            stats = f"loss {_num(record.loss)}  acc {_pct(record.accuracy)}"
            self._p.update(self._task, completed=record.step, stats=stats)

    def __exit__(self, *exc) -> None:
        if self._p is not None:
            self._p.stop()


# ---------------------------------------------------------------------------------------------- train


def record_dict(rec, **extra) -> dict[str, Any]:
    d = rec.as_dict()
    d.update(extra)
    return d


def stream_record(rec, cell: str, task: str) -> None:
    """--format jsonl: one object per evaluation, written as it happens."""
    render.write_jsonl({"event": "eval", "cell": cell, "task": task, **rec.as_dict()})


def train_summary(result, saved: str | None) -> dict[str, Any]:
    cfg = result.config
    final = result.final
    return {
        "cell": cfg.cell, "task": cfg.task, "length": cfg.length, "hidden": cfg.hidden, "layers": cfg.layers,
        "batch": cfg.batch,
        "lr": cfg.lr, "clip": cfg.clip, "optimizer": cfg.optimizer, "seed": cfg.seed, "gate_init": cfg.gate_init,
        "dtype": cfg.dtype,
        "steps": final.step if final else 0, "sequences": final.sequences if final else 0,
        "accuracy": result.accuracy, "loss": result.loss,
        "baseline_accuracy": result.baseline_accuracy, "baseline_loss": result.baseline_loss,
        "solved": result.solved_step is not None, "solved_step": result.solved_step,
        "solved_sequences": result.solved_sequences, "seconds": result.seconds,
        "interrupted": result.interrupted, "saved": saved,
        **_forecast_summary(result),
        **_decoder_fields(result),
    }


def _forecast_summary(result) -> dict[str, Any]:
    """A forecast's signal and its held-out comparison with persistence and AR(k) (nothing for other tasks)."""
    if getattr(result, "forecast", None) is None:
        return {}
    from rnn_tutor.render.forecast import report_dict

    return {"signal": result.config.signal, "forecast": report_dict(result.forecast)}


def _decoder_fields(result) -> dict[str, Any]:
    """Encoder-decoder runs also say which decoder and how many held-out outputs were right in every symbol."""
    from rnn_tutor.core.tasks import SEQ2SEQ, get_task

    cfg = result.config
    if get_task(cfg.task).kind != SEQ2SEQ:
        return {}
    final = result.final
    return {"decoder": cfg.decoder, "score": cfg.score,
            "sequence_accuracy": final.sequence_accuracy if final else None}


def emit_train(result, fmt: str, saved: str | None) -> None:
    fmt = getattr(fmt, "value", fmt)
    if getattr(result, "text", None) is not None:  # a language model: bpc beside the n-gram's (render/lm.py)
        from rnn_tutor.render import lm

        return lm.emit_train(result, fmt, saved)
    summary = train_summary(result, saved)
    if fmt == "jsonl":
        render.write_jsonl({"event": "final", **summary})
        return
    if fmt == "json":
        render.write_json({**summary, "records": [r.as_dict() for r in result.records]})
        return
    if fmt == "csv":
        render.write_csv([r.as_dict() for r in result.records], RECORD_COLUMNS)
        return
    render.print_table(_train_table(result, summary))


def _train_table(result, s: dict[str, Any]):
    if getattr(result, "forecast", None) is not None:
        from rnn_tutor.render.forecast import train_lines

        cfg = result.config
        return train_lines(result, s, budget_curve([r.accuracy for r in result.records], cfg.eval_every,
                                                   s["steps"], cfg.steps, width=40))
    attend = " with attention" if s.get("decoder") == "attention" else ""
    title = f"{s['cell']} on {s['task']}{attend} (length {s['length']}, hidden {s['hidden']}"
    title += f", {s['layers']} layers)" if s.get("layers", 1) > 1 else ")"
    if s["interrupted"]:
        title += " — interrupted"
    t = _table(title)
    t.add_column("step", justify="right")
    t.add_column("sequences", justify="right")
    t.add_column("loss", justify="right")
    t.add_column("accuracy", justify="right")
    t.add_column("", no_wrap=True)
    t.add_column("", no_wrap=True)
    recs = list(result.records)
    labels = row_labels(recs, s["solved_step"])
    for i in sampled_rows(recs, s["solved_step"]):
        r = recs[i]
        t.add_row(f"{r.step:,}", f"{r.sequences:,}", _num(r.loss), _pct(r.accuracy), render.bar(r.accuracy, 12),
                  ", ".join(labels.get(i, [])))
    cfg = result.config  # at most 40 glyphs on the budget's axis (it was one per evaluation: 2,001 for 100k steps)
    curve = budget_curve([r.accuracy for r in result.records], cfg.eval_every, s["steps"], cfg.steps, width=40)
    solved = (f"solved (>= 99%) at step {s['solved_step']:,} = {s['solved_sequences']:,} sequences"
              if s["solved"] else "not solved (99% of held-out sequences)")
    axis = curve_axis("accuracy 0-100%", cfg.steps, s["steps"], s["interrupted"])
    whole = f"; {_pct(s['sequence_accuracy'])} of outputs right in every symbol" if "sequence_accuracy" in s else ""
    lines = [
        t,
        f"accuracy {_pct(s['accuracy'])}{whole} (a constant guess: {_pct(s['baseline_accuracy'])}), "
        f"loss {_num(s['loss'])}; {solved}; {s['seconds']:.1f} s",
        f"learning curve ({axis}):",
        f"  {curve}",
    ]
    if attend:
        from rnn_tutor.core.attention import PAPERS

        lines.append(f"decoder: {s['score']} attention ({PAPERS[s['score']]}) over every encoder state")
    return lines


def curve_axis(what: str, budget: int, steps: int, interrupted: bool) -> str:
    """What a learning curve's axis is: "accuracy 0-100% over the 1,000-step budget; interrupted at step 288"
    (the curve is drawn on the budget's axis, blank past the step where the run ended)."""
    axis = f"{what} over the {budget:,}-step budget"
    if steps < budget:
        axis += f"; {'interrupted' if interrupted else 'stopped'} at step {steps:,}"
    return axis


def _best(recs) -> int | None:
    scored = [(r.accuracy, -(r.loss if r.loss is not None else float("inf")), -i) for i, r in enumerate(recs)
              if r.accuracy is not None]
    return -max(scored)[2] if scored else None


def row_labels(recs, solved_step) -> dict[int, list[str]]:
    """The rows a reader looks for: where the task was first solved, the best evaluation, the last."""
    out: dict[int, list[str]] = {}
    if solved_step is not None:
        first = next((i for i, r in enumerate(recs) if r.step == solved_step), None)
        if first is not None:
            out.setdefault(first, []).append("first >= 99%")
    best = _best(recs)
    if best is not None and len(recs) > 1:
        out.setdefault(best, []).append("best")
    if len(recs) > 1:
        out.setdefault(len(recs) - 1, []).append("last")
    return out


def sampled_rows(recs, solved_step, n: int = 12) -> list[int]:
    """Which evaluations the table shows: all of up to ``n``, else about ``n`` evenly spaced, always with the
    first, the one where the task was first solved, the best and the last."""
    if len(recs) <= n:
        return list(range(len(recs)))
    must = {0, *row_labels(recs, solved_step)}
    spaced = max(2, n - len(must))
    while True:
        keep = must | {round(i * (len(recs) - 1) / (spaced - 1)) for i in range(spaced)}
        if len(keep) >= n or spaced >= len(recs):
            return sorted(keep)
        spaced += 1


# ---------------------------------------------------------------------------------------------- compare


def emit_compare(rows, sentence: str, meta: dict[str, Any], fmt: str) -> None:
    fmt = getattr(fmt, "value", fmt)
    data = [{**meta, **render.jsonable(r)} for r in rows]  # each row's own length wins
    if fmt == "json":
        render.write_json(data)
        return
    if fmt == "csv":
        render.write_csv([render.jsonable(r) for r in rows], COMPARE_COLUMNS)
        return
    sweep = len(meta.get("lengths") or []) > 1
    where = ("at lengths " + ", ".join(str(n) for n in meta["lengths"])) if sweep else f"at length {meta['length']}"
    stack = f", {meta['layers']} layers each" if meta.get("layers", 1) > 1 else ""
    title = f"{meta['task']} {where}: same budget ({meta['budget']:,} steps) and seed{stack}"
    if sweep and len(title) > render.console().width:  # every length is in the table's length column anyway
        lengths = meta["lengths"]
        where = f"at {len(lengths)} lengths, {min(lengths):,}-{max(lengths):,}"
        title = f"{meta['task']} {where}: same budget ({meta['budget']:,} steps) and seed{stack}"
    t = _table(title)
    columns = [("cell", "left")] + ([("length", "right")] if sweep else []) + [
        ("accuracy", "right"), ("loss", "right"), ("seqs to 99%", "right"), ("time", "right"),
        ("learning curve", "left")]
    for name, just in columns:
        t.add_column(name, justify=just, no_wrap=name == "learning curve")
    for r in rows:
        solved = f"{r.solved_sequences:,}" if r.solved_sequences is not None else "-"
        curve = budget_curve(r.curve, meta.get("eval_every") or 1, r.steps, meta["budget"])
        cells = [r.cell] + ([str(r.length)] if sweep else []) + [
            _pct(r.accuracy), _num(r.loss, 3), solved, f"{r.seconds:.1f} s", curve]
        t.add_row(*cells)
    lines = [t]
    if not sweep:
        lines.append(f"A constant guess gets {_pct(meta['baseline_accuracy'])}.")
    if sentence:
        lines.append(sentence)
    render.print_table(lines)


def budget_curve(curve, eval_every: int, steps_done: int, budget: int, width: int = 16) -> str:
    """A learning curve on the budget's time axis, so the rows of one table line up: glyph j shows the accuracy
    at the last evaluation by step (j + 1) * budget / width; a cell that stopped early (solved) leaves the rest
    blank. (It used to draw each cell's last 16 evaluations, so a 1000-step curve sat beside a 300-step one.)"""
    from rnn_tutor import render

    points = list(curve)  # evaluated at steps 0, e, 2e, ... and at the last step
    at = [min(i * eval_every, steps_done) for i in range(len(points))]
    if not points:
        return ""
    width = max(1, min(width, budget))
    out = []
    for j in range(width):
        start, end = j * budget / width, (j + 1) * budget / width
        if start >= max(steps_done, 1) and j:
            out.append(" ")
            continue
        seen = [v for s, v in zip(at, points) if s <= end]
        out.append(render.sparkline([seen[-1]], lo=0.0, hi=1.0))
    return "".join(out).rstrip()


# ---------------------------------------------------------------------------------------------- predict


def emit_predictions(preds, meta: dict[str, Any], fmt: str) -> None:
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        render.write_json({**meta, "predictions": [render.jsonable(p) for p in preds]})
        return
    if fmt == "jsonl":  # one object per input
        for p in preds:
            render.write_jsonl({"task": meta["task"], **render.jsonable(p)})
        return
    if fmt == "csv":
        render.write_csv([render.jsonable(p) for p in preds], PREDICT_COLUMNS)
        return
    from rnn_tutor.core.tasks import STEP_CLASS, get_task

    title = f"{meta['cell']} model for {meta['task']} ({meta['path']})"
    if get_task(meta["task"]).kind == STEP_CLASS:
        lines: list[Any] = [title, ""] + tag_blocks(preds, render.console().width, meta["trained_length"])
    else:
        lines = [_predict_table(preds, meta, title)]
    n = sum(1 for p in preds if p.correct)
    known = sum(1 for p in preds if p.correct is not None)
    tail = f"{n} of {known} right." if known else ""
    if tail and meta["task"] == "adding":  # say the rule: a student adding -0.37 and 0.45 expects 0.08
        from rnn_tutor.core.tasks import ADDING_TOLERANCE

        tail += (" The right answer is 0.5 + (sum of the two marked numbers) / 4; right means off by less than "
                 f"{ADDING_TOLERANCE:g}.")
    others = sorted({p.length for p in preds if p.other_length})
    if others:
        given = ", ".join(str(n) for n in others)
        tail += (" " if tail else "") + (
            f"† Given T = {given}: the model was trained at T = {meta['trained_length']}, and at other lengths its "
            f"answers may be wrong (train one at that length: rnn-tutor train --task {meta['task']} --length "
            f"{others[0]}).")
    render.print_table(lines + ([tail] if tail else []))


def _length_note(p, trained) -> str:
    return f"trained at T = {trained}, given {p.length}" if p.other_length else ""


def _mark(p) -> str:
    return "-" if p.correct is None else ("✓ right" if p.correct else "✗ wrong")


def _predict_table(preds, meta: dict[str, Any], title: str):
    t = _table(title)
    t.add_column("input", overflow="fold")
    t.add_column("model says", overflow="fold")
    t.add_column("right answer", overflow="fold")
    t.add_column("", no_wrap=True)
    for p in preds:
        conf = "" if p.confidence is None else f" ({_pct0(p.confidence)})"
        said = p.prediction + conf + (" †" if p.other_length else "")  # † explained under the table
        t.add_row(_input_cell(p.input, meta["task"]), said, p.expected or "-", _mark(p))
    return t


def tag_blocks(preds, width: int, trained: int | None = None) -> list[str]:
    """One tag per word, each tag under its word (a table would wrap the words and the tags at different
    places): rows 'words', 'model' and 'right', cut into blocks that fit the width; a wrong tag ends in ✗."""
    out: list[str] = []
    labels = ("words", "model", "right")
    pad = 4 + max(len(x) for x in labels) + 2
    for i, p in enumerate(preds, 1):
        words = p.input.split()
        said = p.prediction.split()
        right = (p.expected or "").split() or ["-"] * len(said)
        cols = []
        for k in range(max(len(words), len(said))):
            w = words[k] if k < len(words) else ""
            s = said[k] if k < len(said) else ""
            r = right[k] if k < len(right) else ""
            if r and s and r != s:
                s += "✗"
            cols.append((w, s, r))
        conf = "" if p.confidence is None else f" ({_pct0(p.confidence)} sure)"
        note = _length_note(p, trained)
        out.append(f"{i}. {_mark(p)}{conf}" + (f" † ({note})" if note else ""))
        start = 0
        while start < len(cols):
            used, stop = pad, start
            while stop < len(cols) and (stop == start or used + max(map(len, cols[stop])) + 1 <= width):
                used += max(map(len, cols[stop])) + 1
                stop += 1
            block = cols[start:stop]
            widths = [max(map(len, c)) for c in block]
            for j, label in enumerate(labels):
                cells = " ".join(c[j].ljust(w) for c, w in zip(block, widths))
                out.append(f"    {label:<{pad - 4}}{cells}".rstrip())
            start = stop
        out.append("")
    return out


def note(text: str) -> None:
    render.message(text)


def flush() -> None:
    try:
        sys.stdout.flush()
    except Exception:
        pass
