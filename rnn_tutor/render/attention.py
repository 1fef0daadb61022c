"""The attention matrix as a glyph heat map (``predict --attention``), and its numbers as JSON and CSV.

Rows are output steps (what the model wrote), columns are input tokens (what it read). Each cell is a glyph
whose darkness is the weight a_tj, so the map reads without colour (NO_COLOR, a printout) and fits 80 columns:
tokens too long for their column are numbered instead, and inputs too long for one screen are cut into blocks.
The last column says where the row's largest weight is, with the number itself.
"""

from __future__ import annotations

from typing import Any

from rnn_tutor import render

# glyph for a weight: below 0.05, 0.05 to 0.25, 0.25 to 0.5, 0.5 to 0.75, 0.75 and above
LEVELS = (0.05, 0.25, 0.5, 0.75)
GLYPHS = "·░▒▓█"
LEGEND = "weights: · <0.05  ░ <0.25  ▒ <0.5  ▓ <0.75  █ 0.75+   (each row sums to 1)"
MAX_DRAWN = 200  # inputs longer than this are left to --format csv/json: a map that size reads as noise
CSV_COLUMNS = ["example", "output_step", "output", "expected", "input_step", "input", "weight"]


def glyph(w: float) -> str:
    for level, g in zip(LEVELS, GLYPHS):
        if w < level:
            return g
    return GLYPHS[-1]


def record(amap) -> dict[str, Any]:
    data = render.jsonable(amap)
    data["peaks"] = list(amap.peaks)  # 0-based input position of each row's largest weight
    return data


def csv_rows(maps) -> list[dict[str, Any]]:
    """Long form: one row per (example, output step, input position), positions counted from 1."""
    rows = []
    for k, m in enumerate(maps, start=1):
        for t, row in enumerate(m.weights):
            exp = m.expected[t] if m.expected is not None and t < len(m.expected) else None
            for j, w in enumerate(row):
                rows.append({"example": k, "output_step": t + 1, "output": m.outputs[t], "expected": exp,
                             "input_step": j + 1, "input": m.inputs[j], "weight": w})
    return rows


def _layout(tokens: tuple[str, ...], room: int) -> tuple[int, bool, int]:
    """(column width, tokens as headers?, columns per block) for ``room`` characters of map."""
    longest = max(len(t) for t in tokens)
    width = max(2, longest + 1)
    if width * len(tokens) <= room:
        return width, True, len(tokens)
    for width in (3, 2, 1):  # number the columns instead; cut into blocks when even one glyph each is too wide
        if width * len(tokens) <= room:
            return width, False, len(tokens)
    return 1, False, max(1, room)


def _ruler(first: int, count: int, width: int) -> str:
    """Column numbers for a block, each at its column, skipping any that would run into the one before."""
    line = [" "] * (count * width)
    free = 0  # first position a label may start at
    for j in range(count):
        n = first + j + 1
        label = str(n)
        pos = j * width
        if pos >= free and pos + len(label) <= len(line) and (len(label) < width or n % 5 == 0 or j == 0):
            line[pos : pos + len(label)] = label
            free = pos + len(label) + 1
    return "".join(line)


def heat_map_lines(amap, total_width: int = 80) -> list[str]:
    """The heat map as plain text lines (the caller prints them)."""
    inputs, outputs = amap.inputs, amap.outputs
    T = len(outputs)
    tw = len(str(T))
    ow = max(len(o) for o in outputs)
    marks = amap.expected is not None
    label_w = tw + 1 + ow + (2 if marks else 0) + 1  # "12 dog ✓ "
    peak_w = 10 + len(str(len(inputs))) + max(len(t) for t in inputs)  # "  → 12 dog 0.97"
    room = max(10, total_width - label_w - peak_w)
    width, named, per_block = _layout(inputs, room)
    lines = []
    for start in range(0, len(inputs), per_block):
        cols = range(start, min(start + per_block, len(inputs)))
        if per_block < len(inputs):
            lines.append(f"inputs {start + 1}-{cols[-1] + 1} of {len(inputs)}:")
        if named:
            header = "".join(inputs[j].ljust(width) for j in cols)
        else:
            header = _ruler(start, len(cols), width)
        lines.append(" " * label_w + header.rstrip())
        for t in range(T):
            row = amap.weights[t]
            mark = ""
            if marks:
                right = t < len(amap.expected) and amap.expected[t] == outputs[t]
                mark = " ✓" if right else " ✗"
            cells = "".join((glyph(row[j]) * max(1, width - 1)).ljust(width) for j in cols)
            p = amap.peaks[t]
            peak = f"  → {p + 1} {inputs[p]} {row[p]:.2f}"
            lines.append(f"{t + 1:>{tw}} {outputs[t]:<{ow}}{mark} " + cells.rstrip().ljust(len(cols) * width) + peak)
    if not named:
        key = ", ".join(f"{j + 1} {w}" for j, w in enumerate(inputs))
        if len(key) <= 4 * total_width:
            lines.append("inputs: " + key)
    return lines


def heat_map(amap, model_meta: dict[str, Any], total_width: int = 80) -> list[str]:
    """Title, map and legend for one input."""
    title = f"{amap.score.capitalize()} attention on {amap.input!r}: rows = output steps, columns = inputs"
    if len(amap.inputs) > MAX_DRAWN:
        return [title, f"(the heat map is drawn for inputs of up to {MAX_DRAWN} tokens; this one has "
                       f"{len(amap.inputs):,}: use --format csv or json for its numbers)"]
    lines = [title, *heat_map_lines(amap, total_width), LEGEND]
    if model_meta.get("task") == "reverse":
        mirrored = sum(1 for t, p in enumerate(amap.peaks) if p == len(amap.inputs) - 1 - t)
        lines.append(f"Largest weight on the mirrored input (the anti-diagonal): {mirrored} of {len(amap.peaks)} rows.")
    return lines


def emit_predictions(preds, maps, meta: dict[str, Any], fmt: str) -> None:
    """``predict --attention``: the predictions with their weights (json; jsonl: one per line), the weights in
    long form (csv), or the predictions table followed by one heat map per input (table)."""
    from rnn_tutor.render import train as view

    fmt = getattr(fmt, "value", fmt)
    items = [{**render.jsonable(p), "attention": record(m)} for p, m in zip(preds, maps)]
    if fmt == "json":
        render.write_json({**meta, "predictions": items})
        return
    if fmt == "jsonl":  # one object per input, as predict writes them
        for item in items:
            render.write_jsonl({"task": meta["task"], **item})
        return
    if fmt == "csv":
        render.write_csv(csv_rows(maps), CSV_COLUMNS)
        return
    view.emit_predictions(preds, meta, fmt)
    width = min(render.console().width, 80) if render.console().width else 80
    for m in maps:
        render.print_table(["", *heat_map(m, meta, width)])


# ---------------------------------------------------------------------------------------------- compare --decoders

DECODER_COLUMNS = ["decoder", "score", "cell", "length", "sequence_accuracy", "accuracy", "loss", "solved_step",
                   "solved_sequences", "steps", "seconds", "parameters"]


def emit_decoder_compare(rows, sentence: str, meta: dict[str, Any], fmt: str) -> None:
    """``compare --decoders``: one row per (length, decoder[, cell]), outputs right in every symbol first."""
    from rnn_tutor.core.decoders import label
    from rnn_tutor.render.train import _pct, _table, budget_curve

    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        render.write_json([{**meta, **render.jsonable(r)} for r in rows])
        return
    if fmt == "csv":
        render.write_csv([render.jsonable(r) for r in rows], DECODER_COLUMNS)
        return
    several = len({r.cell for r in rows}) > 1
    t = _table(f"{meta['task']}: plain vs attention, same budget ({meta['budget']:,} steps), hidden "
               f"{meta['hidden']}, seed {meta['seed']}")
    columns = [("decoder", "left")] + ([("cell", "left")] if several else []) + [
        ("length", "right"), ("whole", "right"), ("symbols", "right"), ("seqs to 99%", "right"),
        ("time", "right"), ("learning curve", "left")]
    for name, just in columns:
        t.add_column(name, justify=just, no_wrap=name == "learning curve")
    for r in rows:
        solved = f"{r.solved_sequences:,}" if r.solved_sequences is not None else "-"
        curve = budget_curve(r.curve, meta.get("eval_every") or 1, r.steps, meta["budget"], width=12)
        t.add_row(*([label(r.decoder, r.score)] + ([r.cell] if several else []) + [
            str(r.length), _pct(r.sequence_accuracy), _pct(r.accuracy), solved, f"{r.seconds:.1f} s", curve]))
    lines = [t, "whole: held-out outputs right in every symbol; symbols: output symbols right (the curve's "
                "measure, and what 99% refers to)."]
    if sentence:
        lines.append(sentence)
    render.print_table(lines)
