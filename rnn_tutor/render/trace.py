"""Tables, JSON, CSV and Markdown for the scalar ``trace`` command.

One JSON shape whatever the number of ``-w``: the first run's fields at the top level (so ``jq .final`` and
``jq .steps`` read the first weight's trace), and ``runs``, a list holding every run in the same shape
(``jq '.runs[].final'``). Every number with an exact value has a sibling ``<name>_exact``: the value as a
fraction string ("129/32", "-1/3", "5"), or null when only the float is known.

Tables and Markdown write exact values in full and round everything else with a visible ≈ (see
``core.numfmt``); CSV and JSON hold the floats (each the exact value correctly rounded) and the fractions.
Tables show at most the first and last ``TABLE_STEPS`` steps; CSV and JSON always hold every step.
The Markdown page is ``render/trace_markdown.py``; ``trace --stream``'s writer ``render/trace_stream.py``.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

from rnn_tutor import render
from rnn_tutor.core import scalar, scalar_step
from rnn_tutor.core.numfmt import APPROX, EXACT_DIGITS, fraction_text
from rnn_tutor.core.scalar_text import params, summary, value, x_text

STEP_COLUMNS = ["weight", "t", "token", "x", "h_prev", "w_h_prev", "u_x", "pre", "h", "h_exact", "sensitivity",
                "contribution", "overflow"]
TABLE_STEPS = 100  # a table shows at most this many first and last steps
FRACTION_CHARS = 40  # --fractions writes a longer fraction as its size only


def shown(items: Sequence) -> tuple[list, list, int]:
    """What a table shows: every item, or the first and last TABLE_STEPS with how many are left out between."""
    if len(items) <= 2 * TABLE_STEPS:
        return list(items), [], 0
    return list(items[:TABLE_STEPS]), list(items[-TABLE_STEPS:]), len(items) - 2 * TABLE_STEPS


def left_out_note(head, tail, left: int) -> str:
    return (f"Steps {head[-1].t + 1:,} to {tail[0].t - 1:,} ({left:,}) are left out of these tables; "
            "--format csv or json holds every step.")


def equation(tr: scalar.ScalarTrace, w: str | None = None) -> str:
    pw, pu, pb, _ = params(tr)
    w = pw if w is None else w
    inner = f"{w}·h_{{t-1}} + {pu}·x_t" + (f" + {pb}" if tr.bias else "")
    return f"h_t = {inner}" if tr.linear else f"h_t = {tr.activation}({inner})"


def _q(x) -> str | None:
    return fraction_text(x)


def record(tr: scalar.ScalarTrace, lazy: bool = False) -> dict[str, Any]:
    """The JSON object for one run (the same numbers the table shows). ``lazy`` leaves ``steps`` and
    ``influence`` as generators, for the streaming writer."""
    qp = tr.q_params or (None, None, None, None)
    contributions = [i.contribution for i in tr.influence]
    csum = sum(contributions) if tr.linear and all(c is not None for c in contributions) else None
    qc = [i.q_contribution for i in tr.influence]
    q_csum = sum(qc) if tr.linear and qc and all(c is not None for c in qc) else None
    if q_csum is not None:
        csum = float(q_csum)
    q_ratio = tr.first_last_ratio_exact()
    return {
        "weight": tr.weight, "weight_exact": _q(qp[0]),
        "input_weight": tr.input_weight, "input_weight_exact": _q(qp[1]),
        "bias": tr.bias, "bias_exact": _q(qp[2]),
        "h0": tr.h0, "h0_exact": _q(qp[3]),
        "activation": tr.activation,
        "vocabulary": tr.vocab or None,
        "exact": tr.exact,
        "exact_until": tr.exact_until,
        "steps": _lazy((_step_record(s) for s in tr.steps), lazy),
        "influence": _lazy((_influence_record(tr, i) for i in tr.influence), lazy),
        "final": tr.final, "final_exact": _q(tr.q_final),
        "contributions_sum": csum, "contributions_sum_exact": _q(q_csum),
        "h0_term": tr.h0_term, "h0_term_exact": _q(tr.q_h0_term),
        "bias_term": tr.bias_term, "bias_term_exact": _q(tr.q_bias_term),
        "rate": tr.rate,
        "half_life": tr.half_life, "half_life_exact": _q(tr.q_half_life),
        "doubling_time": tr.doubling_time, "doubling_time_exact": _q(tr.q_doubling_time),
        "first_last_ratio": tr.first_last_ratio(), "first_last_ratio_exact": _q(q_ratio),
        "overflow": tr.overflow,
        "summary": summary(tr),
    }


def _lazy(items, lazy: bool):
    return items if lazy else list(items)


def _influence_record(tr: scalar.ScalarTrace, i: scalar.Influence) -> dict[str, Any]:
    rec = {"t": i.t, "token": i.token, "x": i.x, "sensitivity": i.sensitivity,
           "sensitivity_exact": _q(i.q_sensitivity)}
    if tr.linear:
        rec["contribution"] = i.contribution
        rec["contribution_exact"] = _q(i.q_contribution)
    return rec


def _step_record(s: scalar_step.Step) -> dict[str, Any]:
    q = s.q
    return {"t": s.t, "token": s.token, "x": s.x, "x_exact": _q(q and q.x), "h_prev": s.h_prev, "w_h_prev": s.wh,
            "u_x": s.ux, "pre": s.pre, "h": s.h, "h_exact": _q(q and q.h), "overflow": s.overflow}


def document(traces: Sequence[scalar.ScalarTrace]) -> dict[str, Any]:
    """The one JSON shape: the first run at the top level, every run in ``runs``."""
    runs = [record(t) for t in traces]
    return {**runs[0], "runs": runs}


def write_document(traces: Sequence[scalar.ScalarTrace], out=None) -> None:
    """``document(traces)`` written as it is made: the same JSON as ``render.write_json`` would write except
    that each step (and each entry of ``influence``) takes one line. A 100,000-step trace is written in seconds
    with memory for one step at a time, where the indenting encoder took a minute and a gigabyte."""
    import json

    out = out or sys.stdout
    w = out.write

    def one(v) -> str:
        try:
            return json.dumps(v, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):  # a numpy value or a non-finite float slipped in: the strict converter
            return render.dumps(v, indent=None)

    def fields(rec: dict, pad: str, last: bool) -> None:
        items = list(rec.items())
        for k, (key, v) in enumerate(items):
            comma = "" if (last and k == len(items) - 1) else ","
            if isinstance(v, list) or hasattr(v, "__next__"):
                w(f"{pad}{json.dumps(key)}: [")
                empty = True
                for item in v:
                    w(("\n" if empty else ",\n") + pad + "  " + one(item))
                    empty = False
                w(("]" if empty else "\n" + pad + "]") + comma + "\n")
            else:
                w(f"{pad}{json.dumps(key)}: {one(v)}{comma}\n")

    w("{\n")
    fields(record(traces[0], lazy=True), "  ", last=False)
    w('  "runs": [\n')
    for k, tr in enumerate(traces):
        w("    {\n")
        fields(record(tr, lazy=True), "      ", last=True)
        w("    }" + ("," if k < len(traces) - 1 else "") + "\n")
    w("  ]\n}\n")
    out.flush()


def csv_rows(traces: Sequence[scalar.ScalarTrace]) -> list[dict[str, Any]]:
    rows = []
    for tr in traces:
        for s, i in zip(tr.steps, tr.influence):
            rows.append({"weight": tr.weight, "t": s.t, "token": s.token, "x": s.x, "h_prev": s.h_prev,
                         "w_h_prev": s.wh, "u_x": s.ux, "pre": s.pre, "h": s.h, "h_exact": _q(s.q and s.q.h),
                         "sensitivity": i.sensitivity, "contribution": i.contribution, "overflow": s.overflow})
    return rows


def write_csv_rows(rows, columns, out=None) -> None:
    """CSV with render's cell rules (floats as repr, None empty, booleans lower-case), flushed once at the end
    (render.CsvWriter flushes every row, as a stream needs)."""
    import csv

    out = out or sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    cell = render.csv_cell
    writer.writerows([cell(r.get(c)) for c in columns] for r in rows)
    out.flush()


def emit_traces(traces: Sequence[scalar.ScalarTrace], fmt: str, fractions: bool = False) -> None:
    if fmt == "jsonl":  # a stream of steps, one object per line
        for row in csv_rows(traces):
            render.write_jsonl(row)
    elif fmt == "json":
        write_document(traces)
    elif fmt == "csv":
        write_csv_rows(csv_rows(traces), STEP_COLUMNS)
    elif fmt == "markdown":
        from rnn_tutor.render.trace_markdown import markdown  # it builds on this module's cells and notes

        sys.stdout.write(markdown(traces, fractions))
        sys.stdout.flush()
    else:
        render.print_table(tables(traces, fractions))


# ---------------------------------------------------------------------------------------------- cells

def h_cell(tr: scalar.ScalarTrace, s: scalar_step.Step, fractions: bool = False) -> str:
    text = value(tr, s.h, s.q and s.q.h)
    if fractions:
        f = fraction_label(s.q and s.q.h)
        if f is not None and f != text:
            text += f" = {f}"
    return text


def fraction_label(q) -> str | None:
    f = fraction_text(q)
    if f is None:
        return None
    if len(f) > FRACTION_CHARS:
        n, d = len(str(abs(q.numerator))), len(str(q.denominator))
        return f"({n}-digit / {d}-digit fraction)"
    return f


def step_cells(tr: scalar.ScalarTrace, s: scalar_step.Step, fractions: bool = False) -> list[str]:
    """t, token, x_t, w·h_{t-1}, u·x_t, [b], [a_t], h_t: one row of the single-weight table."""
    q = s.q
    cells = [str(s.t), s.token, x_text(tr, s), value(tr, s.wh, q and q.wh), value(tr, s.ux, q and q.ux)]
    if tr.bias:
        cells.append(params(tr)[2])
    if not tr.linear:
        cells.append(value(tr, s.pre, q and q.pre))
    cells.append(h_cell(tr, s, fractions))
    return cells


def step_headers(tr: scalar.ScalarTrace) -> list[str]:
    heads = ["t", "token", "x_t", "w·h_{t-1}", "u·x_t"]
    if tr.bias:
        heads.append("b")
    if not tr.linear:
        heads.append("a_t")
    heads.append("h_t" if tr.linear else f"h_t={tr.activation}(a_t)")
    return heads


def influence_cells(tr: scalar.ScalarTrace, i: scalar.Influence) -> list[str]:
    cells = [str(i.t), i.token, value(tr, i.sensitivity, i.q_sensitivity)]
    if tr.linear:
        cells.append(value(tr, i.contribution, i.q_contribution))
    return cells


def final_line(tr: scalar.ScalarTrace, lead: str = "") -> str | None:
    """h_T = contributions + w^T h_0 + bias terms, for a linear trace."""
    if not tr.linear or tr.overflow:
        return None
    T = tr.length
    qc = [i.q_contribution for i in tr.influence]
    q_csum = sum(qc) if all(c is not None for c in qc) else None
    csum = float(q_csum) if q_csum is not None else sum(i.contribution for i in tr.influence)
    parts = f"contributions {value(tr, csum, q_csum)}"
    if tr.h0:
        parts += f" + w^{T}·h_0 {value(tr, tr.h0_term, tr.q_h0_term)}"
    if tr.bias:
        parts += f" + bias terms {value(tr, tr.bias_term, tr.q_bias_term)}"
    return f"{lead}h_{T} = {value(tr, tr.final, tr.q_final)} = {parts}"


def notes(traces: Sequence[scalar.ScalarTrace], texts: Sequence[str]) -> list[str]:
    """How the numbers are written, said once under the tables; ``texts`` is everything the tables show."""
    out = []
    first = traces[0]
    if first.exact_mode:
        if any(t.q_params is None for t in traces):
            out.append(f"A number given is too long to compute with exactly (more than {scalar_step.EXACT_BITS} bits as a "
                       f"fraction), so this trace is in floats.")
        if any(APPROX in t for t in texts):
            out.append(f"Numbers are exact unless marked {APPROX}: a value that does not end within "
                       f"{EXACT_DIGITS} significant digits is rounded to 6, half away from zero "
                       "(--format json has the exact values as fractions).")
        else:
            out.append("Every number here is exact.")
        for t in traces:
            if t.exact_until is not None:
                lead = f"w = {params(t)[0]}: " if len(traces) > 1 else ""
                out.append(lead + exact_stop_note(t))
    else:
        out.append(f"{first.activation} of a nonzero rational number is irrational, so these are floats, shown "
                   "rounded to 6 significant digits, half away from zero (--format json and csv have every digit).")
    return out


def exact_stop_note(tr: scalar.ScalarTrace) -> str:
    """Where and why exact arithmetic stopped (the trace goes on in floats)."""
    k = tr.exact_until
    rest = f"so {'the' if k == 0 else 'later'} numbers are floats, marked {APPROX}."
    if tr.exact_stop == "input":
        return (f"Exact arithmetic stopped at step {k + 1:,}: its input needs more than {scalar_step.EXACT_BITS} bits as "
                f"a fraction, {rest}")
    if tr.exact_stop == "budget":
        return (f"Exact arithmetic stopped after step {k:,}: the trace's fractions passed their budget of about "
                f"{scalar_step.EXACT_TOTAL_BITS:,} bits in all, {rest}")
    return (f"Exact arithmetic stopped after step {k:,}: the fractions grew past {scalar_step.EXACT_BITS} bits (about "
            f"{scalar_step.EXACT_BITS * 3 // 10} digits), {rest}")


def vocab_line(vocab: dict[str, int], tokens: Sequence[str], label: str = "Words as numbers") -> str | None:
    """'Words as numbers: The=1  quick=2 ...', each word spelt as first written (the vocabulary ignores case)."""
    if not vocab:
        return None
    spelt: dict[str, str] = {}
    for tok in tokens:
        spelt.setdefault(tok.casefold(), tok)
    return f"{label}: " + "  ".join(f"{spelt.get(k, k)}={v}" for k, v in vocab.items())


# ---------------------------------------------------------------------------------------------- tables

def tables(traces: Sequence[scalar.ScalarTrace], fractions: bool = False, after_steps: bool = False) -> list[Any]:
    """The trace's tables and sentences; ``after_steps`` leaves out everything up to the step table (--step has
    printed it row by row)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    first = traces[0]
    T = first.length
    out: list[Any] = []
    many = len(traces) > 1
    setup = f"{equation(first, 'w' if many else None)}    h_0 = {params(first)[3]}"
    if many:
        setup += "    w = " + ", ".join(params(t)[0] for t in traces)
    out.append(Text(setup, style="bold"))
    vl = vocab_line(first.vocab, [s.token for s in first.steps])
    if vl:
        out.append(Text(vl))
    head, tail, left = shown(range(T))
    seen: list[str] = [setup]

    def rows(table, make) -> None:
        for k in head + tail:
            if left and k == tail[0]:
                table.add_row("⋮")
            cells = make(k)
            seen.extend(c for c in cells if isinstance(c, str))
            table.add_row(*cells)

    steps = Table(box=box.SIMPLE_HEAD, title="Step by step", title_justify="left", pad_edge=False)
    steps.add_column("t", justify="right")
    steps.add_column("token", overflow="fold", max_width=14)
    steps.add_column("x_t", justify="right")
    if many:
        for tr in traces:
            steps.add_column(f"h_t (w={params(tr)[0]})", justify="right")
        rows(steps, lambda k: [str(first.steps[k].t), first.steps[k].token, x_text(first, first.steps[k]),
                               *[h_cell(tr, tr.steps[k], fractions) for tr in traces]])
    else:
        for name in step_headers(first)[3:]:
            steps.add_column(name, justify="right", style="bold" if name.startswith("h_t") else None)
        rows(steps, lambda k: step_cells(first, first.steps[k], fractions))
    out.append(steps)
    if after_steps:
        out = []

    infl = Table(box=box.SIMPLE_HEAD, title=f"How much each input counts in h_{T}", title_justify="left",
                 pad_edge=False)
    infl.add_column("t", justify="right")
    infl.add_column("token", overflow="fold", max_width=14)
    if many:
        for tr in traces:
            infl.add_column(f"dh_{T}/dx_t (w={params(tr)[0]})", justify="right")
        rows(infl, lambda k: [str(first.influence[k].t), first.influence[k].token,
                              *[value(tr, tr.influence[k].sensitivity, tr.influence[k].q_sensitivity)
                                for tr in traces]])
    else:
        tr = first
        infl.add_column(f"dh_{T}/dx_t", justify="right")
        if tr.linear:
            infl.add_column("contribution", justify="right")
        infl.add_column("relative effect", no_wrap=True)
        sens = [abs(i.sensitivity) for i in tr.influence if i.sensitivity is not None]
        top = max(sens) if sens else 0.0

        def infl_row(k):
            i = tr.influence[k]
            frac = (abs(i.sensitivity) / top) if (top and i.sensitivity is not None) else None
            return influence_cells(tr, i) + [render.bar(frac, 16) or ("0" if frac == 0 else "")]

        rows(infl, infl_row)
    out.append(infl)
    if left:
        out.append(Text(left_out_note([first.steps[k] for k in head], [first.steps[k] for k in tail], left),
                        style="dim"))

    for tr in traces:
        line = final_line(tr, f"w = {params(tr)[0]}: " if many else "")
        if line:
            seen.append(line)
            out.append(Text(line))
    out.append(Text(""))
    for tr in traces:
        lead = f"w = {params(tr)[0]}: " if many else ""
        seen.append(summary(tr))
        out.append(Text(lead + seen[-1]))
    if many:
        cmp = comparison(traces)
        if cmp:
            seen.append(cmp)
            out.append(Text(""))
            out.append(Text(cmp, style="bold"))
    for note in notes(traces, seen):
        out.append(Text(note, style="dim"))
    return out


def comparison(traces: Sequence[scalar.ScalarTrace]) -> str | None:
    """One sentence on what changing w did to the first input's weight."""
    usable = [t for t in traces if not t.overflow and t.length > 1 and t.influence[0].sensitivity is not None]
    if len(usable) < 2:
        return None
    lo = min(usable, key=lambda t: abs(t.weight))
    hi = max(usable, key=lambda t: abs(t.weight))
    if lo.weight == hi.weight:
        return None
    T = lo.length
    a, b = lo.influence[0], hi.influence[0]
    return (f"The first input's effect on h_{T} is {value(lo, a.sensitivity, a.q_sensitivity)} with "
            f"w = {params(lo)[0]} and {value(hi, b.sensitivity, b.q_sensitivity)} with w = {params(hi)[0]}: the "
            "larger |w|, the longer the network remembers (and past |w| = 1, the more it amplifies).")
