"""Tables, JSON and CSV for the vector cells: ``trace --cell``, ``params`` and ``gradcheck``.

Each result has one ``*_data`` function (the JSON object) and CSV rows built from the same numbers, so the
table, the JSON and the CSV never disagree.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from rnn_tutor import render
from rnn_tutor.core.numfmt import num, percent

# ---------------------------------------------------------------------------------------------- trace --cell

GATE_WORDS = {
    "i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate",
    "r": "reset gate", "z": "update gate", "n": "candidate", "h": "hidden state", "c": "cell state",
}
_UNIT_RANGE = {"i", "f", "o", "r", "z"}  # sigmoid gates live in (0, 1); the rest in (-1, 1) or wider


def _vector_names(tr) -> list[str]:
    names = [n for n in tr.steps[0].gates] if tr.steps else []
    if tr.cell == "lstm":
        names.append("c")
    names.append("h")
    return names


def _values(step, name: str) -> Sequence[float]:
    if name == "h":
        return step.h
    if name == "c":
        return step.c
    return step.gates[name]


def cell_trace_data(tr, *, source: dict[str, Any]) -> dict[str, Any]:
    """The JSON object of a cell trace. ``source`` says where the weights and inputs came from."""
    steps = []
    for s in tr.steps:
        item: dict[str, Any] = {"t": s.t, "token": s.token, "x": list(s.x), "h": list(s.h)}
        if s.c is not None:
            item["c"] = list(s.c)
        item["gates"] = {k: list(v) for k, v in s.gates.items()}
        item["summary"] = s.summary
        steps.append(item)
    return {"cell": tr.cell, "hidden_size": tr.hidden_size, "input_size": tr.input_size,
            "nonlinearity": tr.nonlinearity, **source, "overflow": tr.overflow, "steps": steps}


def cell_trace_columns(tr) -> list[str]:
    cols = ["t", "token"] + [f"x_{j}" for j in range(tr.input_size)]
    for name in _vector_names(tr):
        cols += [f"{name}_{j}" for j in range(tr.hidden_size)]
    return cols + ["summary"]


def cell_trace_rows(tr) -> list[dict[str, Any]]:
    rows = []
    for s in tr.steps:
        row: dict[str, Any] = {"t": s.t, "token": s.token}
        row.update({f"x_{j}": v for j, v in enumerate(s.x)})
        for name in _vector_names(tr):
            row.update({f"{name}_{j}": v for j, v in enumerate(_values(s, name))})
        row["summary"] = s.summary
        rows.append(row)
    return rows


def emit_cell_trace(tr, fmt: str, *, source: dict[str, Any], vocab: dict[str, int] | None = None) -> None:
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        render.write_json(cell_trace_data(tr, source=source))
    elif fmt == "jsonl":
        for step in cell_trace_data(tr, source=source)["steps"]:
            render.write_jsonl({"cell": tr.cell, **step})
    elif fmt == "csv":
        render.write_csv(cell_trace_rows(tr), cell_trace_columns(tr))
    else:
        render.print_table(cell_trace_tables(tr, source=source, vocab=vocab))


def _strip(values: Sequence[float], name: str, per_line: int | None = None) -> str:
    """One glyph per unit; with ``per_line``, broken into lines of that many units (the same in every column,
    so unit j sits at the same place in each)."""
    if name in _UNIT_RANGE:
        s = render.heat_strip(values, 0.0, 1.0)
    elif name == "c":  # unbounded: symmetric around 0, at least -1..1
        top = max([1.0] + [abs(v) for v in values if math.isfinite(v)])
        s = render.heat_strip(values, -top, top)
    else:
        s = render.heat_strip(values, -1.0, 1.0)
    if per_line and len(s) > per_line:
        s = "\n".join(s[i:i + per_line] for i in range(0, len(s), per_line))
    return s


TABLE_STEPS = 100  # a table shows at most this many first and last steps; csv and json always hold every step
ONE_HOT_STRIP = 12  # a one-hot input over more words than this is written as its position (e_7), not a strip


def _shown(steps: Sequence) -> tuple[list, list, int]:
    """The steps a table shows: all of them, or the first and last TABLE_STEPS with the count left out between."""
    from rnn_tutor.render.trace import shown

    return shown(steps)


def _x_cell(tr, s, one_hot: bool) -> str:
    if tr.input_size == 1:
        return num(s.x[0])
    if getattr(tr, "layer", 0):  # above the bottom of a stack the input is the h_t of the layer below
        return render.heat_strip(s.x, -1.0, 1.0) if tr.input_size > 4 else " ".join(num(v, 3) for v in s.x)
    if one_hot:
        hot = [j for j, v in enumerate(s.x) if v == 1.0]
        if tr.input_size > ONE_HOT_STRIP and len(hot) == 1:
            return f"e_{hot[0] + 1}"
        return render.heat_strip(s.x, 0.0, 1.0)
    if tr.input_size <= 4:
        return " ".join(num(v, 3) for v in s.x)
    return render.heat_strip(s.x, 0.0, 1.0)


def _legend(tr, names) -> str:
    gate_names = [n for n in names if n in _UNIT_RANGE]
    legend = []
    if gate_names:
        legend.append(f"gates {', '.join(gate_names)}: ▁ = 0 (shut) … █ = 1 (open)")
    signed = [n for n in names if n not in _UNIT_RANGE and n != "c"]  # g (LSTM) or n (GRU) candidates, and h
    legend.append(f"{', '.join(signed)}: ▁ = -1 … █ = +1")
    if "c" in names:
        legend.append("c: scaled to its largest |value| (at least 1)")
    return "Glyphs: " + "; ".join(legend) + "."


def _units_per_line(tr, names, width: int, x_width: int) -> int | None:
    """How many units a strip may show on one line so the table fits ``width``; None when all fit."""
    token_width = min(12, max([5] + [len(s.token) for s in tr.steps]))
    fixed = len(str(tr.steps[-1].t if tr.steps else 1)) + token_width + max(3, x_width) + 6  # t, token, x_t, mean h
    gaps = 3 * (len(names) + 3) + 2  # three spaces between columns, one at each edge
    room = (width - fixed - gaps) // max(1, len(names))
    if tr.hidden_size <= room:
        return None
    for nice in (32, 24, 16, 12, 8, 6, 4, 2):  # whole groups read best (units 0-7, 8-15, ...)
        if nice <= room:
            return nice
    return 1


def cell_trace_tables(tr, *, source: dict[str, Any], vocab: dict[str, int] | None = None) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from rnn_tutor.render.trace import vocab_line

    out: list[Any] = []
    one_hot = bool(source.get("one_hot"))
    if source.get("weights"):
        where = (f"model {source['weights']} ({source['task']})" if source.get("task")
                 else f"weights {source['weights']}")
    else:
        where = f"weights from --seed {source.get('seed')}"
    feed = ("one-hot words" if one_hot else
            "a number per step" if tr.input_size == 1 else f"{tr.input_size} numbers per step")
    if tr.layers > 1:  # a stack: one layer's steps; above layer 0 the input is the h_t of the layer below
        feed = f"layer {tr.layer} of a {tr.layers}-layer stack, reading " + (
            feed if tr.layer == 0 else f"h_t of layer {tr.layer - 1}")
    out.append(Text(f"{tr.cell.upper()} cell · H = {tr.hidden_size} · D = {tr.input_size} ({feed}) · {where}",
                    style="bold"))
    tokens = [s.token for s in tr.steps]
    if vocab:
        line = vocab_line(vocab, tokens, "Words as one-hot positions" if one_hot else "Words as numbers")
        out.append(Text(line))
    names = _vector_names(tr)
    x_texts = [_x_cell(tr, s, one_hot) for s in tr.steps]
    width = max(80, render.console().width) if tr.steps else 80
    per_line = _units_per_line(tr, names, width, max((len(x) for x in x_texts), default=3))
    title = "Step by step (one glyph per unit" + (f"; {per_line} units a line" if per_line else "") + ")"
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)
    table.add_column("t", justify="right")
    table.add_column("token", overflow="fold", max_width=12)
    table.add_column("x_t", justify="right" if tr.input_size == 1 else "left", overflow="fold")
    for name in names:
        table.add_column(name, no_wrap=True, style="bold" if name == "h" else None)
    table.add_column("mean h", justify="right")
    head, tail, left_out = _shown(tr.steps)
    index = {id(s): k for k, s in enumerate(tr.steps)}

    def add_steps(table, row) -> None:
        for s in head:
            table.add_row(*row(s))
        if left_out:
            table.add_row("⋮")
        for s in tail:
            table.add_row(*row(s))

    def step_row(s) -> list:
        cells = [str(s.t), Text(s.token), x_texts[index[id(s)]]]
        cells += [_strip(_values(s, n), n, per_line) for n in names]
        cells.append(f"{sum(s.h) / len(s.h):+.3f}")
        return cells

    add_steps(table, step_row)
    out.append(table)
    if left_out:
        out.append(Text(f"Steps {head[-1].t + 1:,} to {tail[0].t - 1:,} ({left_out:,}) are left out of these tables; "
                        "--format csv or json holds every step.", style="dim"))
    legend = _legend(tr, names)
    if per_line:
        legend += (f" Each strip breaks after every {per_line} units (units 0-{per_line - 1} on the first line, "
                   f"{per_line}-{min(2 * per_line, tr.hidden_size) - 1} on the next, ...), alike in every column.")
    out.append(Text(legend, style="dim"))

    if tr.hidden_size <= 8:
        nums = Table(box=box.SIMPLE_HEAD, title="Hidden state h_t, unit by unit", title_justify="left",
                     pad_edge=False)
        nums.add_column("t", justify="right")
        for j in range(tr.hidden_size):
            nums.add_column(f"h[{j}]", justify="right")
        add_steps(nums, lambda s: [str(s.t), *[f"{v:+.4f}" for v in s.h]])
        out.append(nums)
    else:
        out.append(Text("(every number is in --format json or csv)", style="dim"))

    out.append(Text("What happened:", style="bold"))
    # a grid, so a sentence that wraps at 80 columns lines up under its own start, not under the step number
    said = Table.grid(padding=(0, 1), pad_edge=False)
    said.add_column(justify="right", no_wrap=True)
    said.add_column(ratio=1)
    add_steps(said, lambda s: [f" {s.t:>2}", Text(f"{s.token}: {s.summary}")])
    out.append(said)
    return out


# ---------------------------------------------------------------------------------------------- params


def _count_data(pc) -> dict[str, Any]:
    return {
        "cell": pc.cell,
        "gates": pc.gates,
        "proj_size": pc.proj_size,
        "tensors": [{"name": t.name, "shape": list(t.shape), "count": t.count} for t in pc.tensors],
        "per_layer": list(pc.per_layer),
        "total": pc.total,
    }


def params_data(counts: Sequence) -> dict[str, Any]:
    first = counts[0]
    data: dict[str, Any] = {
        "input_size": first.input_size,
        "hidden_size": first.hidden_size,
        "layers": first.layers,
        "bidirectional": first.bidirectional,
        "bias": first.bias,
    }
    if len(counts) == 1:
        data.update(_count_data(first))
        return data
    data["cells"] = [_count_data(pc) for pc in counts]
    data["totals"] = {pc.cell: pc.total for pc in counts}
    lstm = next((pc for pc in counts if pc.cell == "lstm"), None)
    if lstm is not None:
        data["fraction_of_lstm"] = {pc.cell: pc.total / lstm.total for pc in counts}
    return data


PARAMS_COLUMNS = ["cell", "tensor", "shape", "count"]


def params_rows(counts: Sequence) -> list[dict[str, Any]]:
    rows = []
    for pc in counts:
        for t in pc.tensors:
            rows.append({"cell": pc.cell, "tensor": t.name, "shape": "x".join(map(str, t.shape)), "count": t.count})
        rows.append({"cell": pc.cell, "tensor": "total", "shape": "", "count": pc.total})
    return rows


def _formula(pc) -> str:
    g, h, d, p = pc.gates, pc.hidden_size, pc.input_size, pc.proj_size
    if p:
        b = 2 if pc.bias else 0
        plus_b = " + 2" if pc.bias else ""
        return (f"4·H·(D + P{plus_b}) + P·H = 4·{h:,}·({d:,} + {p:,}{plus_b}) + {p:,}·{h:,} = "
                f"{4 * h * (d + p + b) + p * h:,}")
    if pc.bias:
        return f"G·H·(D + H + 2) = {g}·{h:,}·({d:,} + {h:,} + 2) = {g * h * (d + h + 2):,}"
    return f"G·H·(D + H) = {g}·{h:,}·({d:,} + {h:,}) = {g * h * (d + h):,}"


def _shape(shape) -> str:
    return "(" + ", ".join(f"{s:,}" for s in shape) + ("," if len(shape) == 1 else "") + ")"


def emit_params(counts: Sequence, fmt: str) -> None:
    render.emit(fmt, data=params_data(counts), rows=params_rows(counts), columns=PARAMS_COLUMNS,
                table=lambda: params_tables(counts))


def params_tables(counts: Sequence) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    first = counts[0]
    shape = f"input size D = {first.input_size:,}, hidden size H = {first.hidden_size:,}"
    if first.layers > 1:
        shape += f", {first.layers} layers"
    if first.bidirectional:
        shape += ", bidirectional"
    if not first.bias:
        shape += ", no biases"
    if first.proj_size:  # on a line of its own, so the sentence does not wrap at 80 columns
        shape += f"\nprojection P = {first.proj_size:,}: h_t = W_hr·(o * tanh(c_t)) holds P numbers, not H"
    out: list[Any] = []
    if len(counts) == 1:
        pc = first
        out.append(Text(f"{pc.cell.upper()} ({pc.gates} gate block{'s' if pc.gates > 1 else ''}): {shape}",
                        style="bold"))
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_footer=True)
        t.add_column("tensor", footer="total")
        t.add_column("shape", justify="right")
        t.add_column("numbers", justify="right", footer=f"{pc.total:,}")
        t.add_column("share", no_wrap=True)
        for tc in pc.tensors:
            frac = tc.count / pc.total if pc.total else 0.0
            t.add_row(tc.name, _shape(tc.shape), f"{tc.count:,}",
                      f"{render.bar(frac, 12):<12} {percent(frac, 1):>6}")
        out.append(t)
        out.append(Text(f"One layer, one direction: {_formula(pc)}"
                        + (f"  (later layers read {'P' if pc.proj_size else 'H'}·directions numbers per step)"
                           if pc.layers > 1 else "")))
        out.append(Text("PyTorch keeps two bias vectors per gate block (b_ih and b_hh); this count matches "
                        "sum(p.numel() for p in model.parameters()).", style="dim"))
        return out
    out.append(Text(f"RNN, GRU and LSTM side by side: {shape}", style="bold"))
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("cell")
    t.add_column("gate blocks", justify="right")
    t.add_column("parameters", justify="right")
    t.add_column("vs LSTM", no_wrap=True)
    top = max(pc.total for pc in counts)
    lstm_total = next((pc.total for pc in counts if pc.cell == "lstm"), top)
    for pc in counts:
        frac = pc.total / lstm_total if lstm_total else 0.0
        t.add_row(pc.cell, str(pc.gates), f"{pc.total:,}",
                  f"{render.bar(pc.total / top, 16):<16} {percent(frac, 0):>5}")
    out.append(t)
    gru = next((pc for pc in counts if pc.cell == "gru"), None)
    lstm = next((pc for pc in counts if pc.cell == "lstm"), None)
    if gru and lstm:
        out.append(Text(
            f"A GRU holds {lstm.total - gru.total:,} fewer numbers than an LSTM of the same size "
            f"({gru.total:,} vs {lstm.total:,}, exactly 3/4): it has 3 gate blocks (reset, update, candidate) "
            "where an LSTM has 4 (input, forget, candidate, output) and no separate cell state."))
    out.append(Text("Each gate block is a full set of W_ih, W_hh and biases: G·H·(D + H + 2) numbers per layer "
                    "and direction.", style="dim"))
    return out


# ---------------------------------------------------------------------------------------------- gradcheck


def gradcheck_data(results: Sequence) -> dict[str, Any]:
    def one(res) -> dict[str, Any]:
        return {
            "cell": res.cell, "input_size": res.input_size, "hidden_size": res.hidden_size,
            "length": res.length, "batch": res.batch, "layers": res.layers, "seed": res.seed, "loss": res.loss,
            "max_rel_error": res.max_rel_error, "passed": res.passed,
            "tensors": [{"name": r.name, "shape": list(r.shape), "checked": r.checked, "size": r.size,
                         "max_rel_error": r.max_rel_error, "max_abs_error": r.max_abs_error,
                         "worst_index": list(r.worst_index), "analytic": r.analytic, "numeric": r.numeric,
                         "passed": r.passed} for r in res.rows],
        }

    first = results[0]
    data = {"eps": first.eps, "tolerance": first.tolerance, "floor": first.floor,
            "passed": all(r.passed for r in results)}
    if len(results) == 1:
        data.update(one(first))
    else:
        data["cells"] = [one(r) for r in results]
    return data


GRADCHECK_COLUMNS = ["cell", "tensor", "shape", "checked", "size", "max_rel_error", "max_abs_error",
                     "analytic", "numeric", "passed"]


def gradcheck_rows(results: Sequence) -> list[dict[str, Any]]:
    return [{"cell": res.cell, "tensor": r.name, "shape": "x".join(map(str, r.shape)), "checked": r.checked,
             "size": r.size, "max_rel_error": r.max_rel_error, "max_abs_error": r.max_abs_error,
             "analytic": r.analytic, "numeric": r.numeric, "passed": r.passed}
            for res in results for r in res.rows]


def emit_gradcheck(results: Sequence, fmt: str) -> None:
    render.emit(fmt, data=gradcheck_data(results), rows=gradcheck_rows(results), columns=GRADCHECK_COLUMNS,
                table=lambda: gradcheck_tables(results))


def _sci(x: float) -> str:
    return f"{x:.1e}" if math.isfinite(x) else "nan"


def gradcheck_tables(results: Sequence) -> list[Any]:
    first = results[0]
    return (gradcheck_intro(first) + [gradcheck_cell_table(res) for res in results]
            + gradcheck_summary(results))


def gradcheck_intro(first) -> list[Any]:
    """The heading: what is compared, at which sizes. ``first`` needs only the settings (eps, batch, length,
    input_size, hidden_size, layers, seed, floor), so it can be shown before any cell is checked."""
    from rich.text import Text

    sizes = (f"B = {first.batch}, T = {first.length}, D = {first.input_size}, H = {first.hidden_size}, "
             + (f"{first.layers} layers, " if first.layers > 1 else "") + f"seed {first.seed}")
    return [Text(  # the sizes on a line of their own: at 80 columns they wrapped inside "D = 2"
        f"Gradient check: BPTT against central differences (eps = {first.eps:g})\n{sizes}", style="bold"),
        Text("Loss L = Σ_t R_t·h_t with fixed random R. For each number θ: numeric = (L(θ+eps) - L(θ-eps)) / 2eps; "
             f"relative error = |analytic - numeric| / max(|analytic|, |numeric|, {first.floor:g}).")]


def gradcheck_cell_table(res) -> Any:
    from rich import box
    from rich.table import Table

    tol_exp = math.log10(res.tolerance) if res.tolerance > 0 else -6.0
    lo, hi = tol_exp - 10, tol_exp + 2
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False,
              title=f"{res.cell.upper()}: {'pass' if res.passed else 'FAIL'}", title_justify="left")
    t.add_column("tensor")
    t.add_column("shape", justify="right")
    t.add_column("checked", justify="right")
    t.add_column("max rel. error", justify="right")
    t.add_column("(log scale)", no_wrap=True)
    t.add_column("verdict")
    for r in res.rows:
        checked = f"{r.checked}" if r.checked == r.size else f"{r.checked}/{r.size}"
        t.add_row(r.name, _shape(r.shape), checked, _sci(r.max_rel_error),
                  f"{render.log_bar(r.max_rel_error, lo, hi, 12):<12}",
                  "✓ pass" if r.passed else "✗ FAIL")
    return t


def gradcheck_summary(results: Sequence) -> list[Any]:
    from rich.text import Text

    first = results[0]
    out: list[Any] = []
    failed = [(res.cell, r) for res in results for r in res.rows if not r.passed]
    if failed:
        cell, r = max(failed, key=lambda cr: cr[1].max_rel_error)
        a, n = distinguish(r.analytic, r.numeric)
        tensors = f"{len(failed)} tensor{'s' if len(failed) != 1 else ''} disagree{'s' if len(failed) == 1 else ''}"
        out.append(Text(
            f"✗ {tensors} beyond {first.tolerance:g}; worst: {cell} {r.name}{list(r.worst_index)}, analytic {a} vs "
            f"numeric {n}: a difference of {_sci(abs(r.analytic - r.numeric))}, relative error "
            f"{_sci(r.max_rel_error)}.", style="bold"))
    else:
        worst = max(res.max_rel_error for res in results)
        out.append(Text(
            f"✓ Every gradient agrees with finite differences to {_sci(worst)} (tolerance {first.tolerance:g}) "
            "at these weights and inputs.", style="bold"))
    from rnn_tutor.core.gradcheck import difference_error, short_e

    eps = first.eps
    noise = f"about eps² + 2.2e-16/eps = {short_e(difference_error(eps))} at eps = {eps:g}"
    if failed:  # the message on stderr says whether the settings or the backward pass explain it
        out.append(Text(f"How to read it: the central difference is itself off by {noise}; a difference far "
                        "beyond that points at the backward pass, one near it at --eps or --tolerance.", style="dim"))
    else:
        out.append(Text("Why it works: a wrong backward pass (a missing term, a gate in the wrong place) is almost "
                        f"always off by far more than the central difference's own error, {noise}.", style="dim"))
    return out


def distinguish(a: float, b: float) -> tuple[str, str]:
    """Both numbers with the same number of significant digits, enough to see where they differ (6 to 17):
    -0.039296612 vs -0.039296600, where 6 digits showed -0.0392966 twice."""
    digits = next((d + 1 for d in range(6, 17) if f"{a:.{d}g}" != f"{b:.{d}g}"), 17)
    sa, sb = f"{a:#.{digits}g}", f"{b:#.{digits}g}"

    def split(x: str) -> tuple[str, str]:
        return (x[: x.index("e")], x[x.index("e"):]) if "e" in x else (x, "")

    (ma, ea), (mb, eb) = split(sa), split(sb)
    while ma.endswith("0") and mb.endswith("0"):  # trailing zeros both share say nothing
        ma, mb = ma[:-1], mb[:-1]
    return ma.rstrip(".") + ea, mb.rstrip(".") + eb
