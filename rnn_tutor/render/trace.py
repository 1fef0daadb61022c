"""Tables, JSON and CSV for the scalar ``trace`` command."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from rnn_tutor import render
from rnn_tutor.core import scalar
from rnn_tutor.core.numfmt import num

STEP_COLUMNS = ["weight", "t", "token", "x", "h_prev", "w_h_prev", "u_x", "pre", "h", "sensitivity", "contribution",
                "overflow"]


def equation(tr: scalar.ScalarTrace, w: str | None = None) -> str:
    w = num(tr.weight) if w is None else w
    inner = f"{w}·h_{{t-1}} + {num(tr.input_weight)}·x_t" + (f" + {num(tr.bias)}" if tr.bias else "")
    return f"h_t = {inner}" if tr.linear else f"h_t = {tr.activation}({inner})"


def record(tr: scalar.ScalarTrace) -> dict[str, Any]:
    """The JSON object for one trace (the same numbers the table shows)."""
    contributions = [i.contribution for i in tr.influence]
    csum = sum(contributions) if tr.linear and all(c is not None for c in contributions) else None
    return {
        "weight": tr.weight,
        "input_weight": tr.input_weight,
        "bias": tr.bias,
        "h0": tr.h0,
        "activation": tr.activation,
        "vocabulary": tr.vocab or None,
        "steps": [{"t": s.t, "token": s.token, "x": s.x, "h_prev": s.h_prev, "w_h_prev": s.wh, "u_x": s.ux,
                   "pre": s.pre, "h": s.h, "overflow": s.overflow} for s in tr.steps],
        "influence": [{"t": i.t, "token": i.token, "x": i.x, "sensitivity": i.sensitivity,
                       **({"contribution": i.contribution} if tr.linear else {})} for i in tr.influence],
        "final": tr.final,
        "contributions_sum": csum,
        "h0_term": tr.h0_term,
        "bias_term": tr.bias_term,
        "half_life": tr.half_life,
        "doubling_time": tr.doubling_time,
        "first_last_ratio": tr.first_last_ratio(),
        "overflow": tr.overflow,
        "summary": scalar.summary(tr),
    }


def csv_rows(traces: Sequence[scalar.ScalarTrace]) -> list[dict[str, Any]]:
    rows = []
    for tr in traces:
        for s, i in zip(tr.steps, tr.influence):
            rows.append({"weight": tr.weight, "t": s.t, "token": s.token, "x": s.x, "h_prev": s.h_prev,
                         "w_h_prev": s.wh, "u_x": s.ux, "pre": s.pre, "h": s.h, "sensitivity": i.sensitivity,
                         "contribution": i.contribution, "overflow": s.overflow})
    return rows


def emit_traces(traces: Sequence[scalar.ScalarTrace], fmt: str) -> None:
    rows = csv_rows(traces)
    if fmt == "jsonl":  # a stream of steps, one object per line
        data: Any = rows
    else:
        data = record(traces[0]) if len(traces) == 1 else [record(t) for t in traces]
    render.emit(fmt, data=data, rows=rows, columns=STEP_COLUMNS, table=lambda: tables(traces))


# ---------------------------------------------------------------------------------------------- tables

def _vocab_line(vocab: dict[str, int], tokens: Sequence[str]) -> str | None:
    if not vocab:
        return None
    shown: dict[str, str] = {}
    for tok in tokens:  # show the words as the user wrote them (first spelling seen)
        shown.setdefault(tok.casefold(), tok)
    items = [f"{shown.get(k, k)}={v}" for k, v in vocab.items()]
    return "Words as numbers: " + "  ".join(items)


def tables(traces: Sequence[scalar.ScalarTrace]) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    first = traces[0]
    T = first.length
    out: list[Any] = []
    many = len(traces) > 1
    title = equation(first, "w" if many else None)
    setup = f"{title}    h_0 = {num(first.h0)}"
    if many:
        setup += "    w = " + ", ".join(num(t.weight) for t in traces)
    out.append(Text(setup, style="bold"))
    vl = _vocab_line(first.vocab, [s.token for s in first.steps])
    if vl:
        out.append(Text(vl))

    steps = Table(box=box.SIMPLE_HEAD, title="Step by step", title_justify="left", pad_edge=False)
    steps.add_column("t", justify="right")
    steps.add_column("token", overflow="fold", max_width=14)
    steps.add_column("x_t", justify="right")
    if many:
        for tr in traces:
            steps.add_column(f"h_t (w={num(tr.weight)})", justify="right")
        for idx, s in enumerate(first.steps):
            steps.add_row(str(s.t), s.token, num(s.x), *[num(tr.steps[idx].h) for tr in traces])
    else:
        tr = first
        steps.add_column("w·h_{t-1}", justify="right")
        steps.add_column("u·x_t", justify="right")
        if tr.bias:
            steps.add_column("b", justify="right")
        if not tr.linear:
            steps.add_column("a_t", justify="right")
        steps.add_column("h_t" if tr.linear else f"h_t={tr.activation}(a_t)", justify="right", style="bold")
        for s in tr.steps:
            cells = [str(s.t), s.token, num(s.x), num(s.wh), num(s.ux)]
            if tr.bias:
                cells.append(num(tr.bias))
            if not tr.linear:
                cells.append(num(s.pre))
            cells.append(num(s.h))
            steps.add_row(*cells)
    out.append(steps)

    infl = Table(box=box.SIMPLE_HEAD, title=f"How much each input counts in h_{T}", title_justify="left",
                 pad_edge=False)
    infl.add_column("t", justify="right")
    infl.add_column("token", overflow="fold", max_width=14)
    if many:
        for tr in traces:
            infl.add_column(f"dh_{T}/dx_t (w={num(tr.weight)})", justify="right")
        for idx, i in enumerate(first.influence):
            infl.add_row(str(i.t), i.token, *[num(tr.influence[idx].sensitivity) for tr in traces])
    else:
        tr = first
        infl.add_column(f"dh_{T}/dx_t", justify="right")
        if tr.linear:
            infl.add_column("contribution", justify="right")
        infl.add_column("relative effect", no_wrap=True)
        sens = [abs(i.sensitivity) for i in tr.influence if i.sensitivity is not None]
        top = max(sens) if sens else 0.0
        for i in tr.influence:
            frac = (abs(i.sensitivity) / top) if (top and i.sensitivity is not None) else None
            cells = [str(i.t), i.token, num(i.sensitivity)]
            if tr.linear:
                cells.append(num(i.contribution))
            cells.append(render.bar(frac, 16) or ("0" if frac == 0 else ""))
            infl.add_row(*cells)
    out.append(infl)

    for tr in traces:
        if tr.linear and not tr.overflow:
            csum = sum(i.contribution for i in tr.influence)
            parts = f"contributions {num(csum)}"
            if tr.h0:
                parts += f" + w^{T}·h_0 {num(tr.h0_term)}"
            if tr.bias:
                parts += f" + bias terms {num(tr.bias_term)}"
            lead = f"w = {num(tr.weight)}: " if many else ""
            out.append(Text(f"{lead}h_{T} = {num(tr.final)} = {parts}"))
    out.append(Text(""))
    for tr in traces:
        lead = f"w = {num(tr.weight)}: " if many else ""
        out.append(Text(lead + scalar.summary(tr)))
    if many:
        cmp = comparison(traces)
        if cmp:
            out.append(Text(""))
            out.append(Text(cmp, style="bold"))
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
    a, b = lo.influence[0].sensitivity, hi.influence[0].sensitivity
    return (f"The first input's effect on h_{T} is {num(a)} with w = {num(lo.weight)} and {num(b)} with "
            f"w = {num(hi.weight)}: the larger the recurrence weight, the longer the network remembers "
            f"(and past |w| = 1, the more it amplifies).")


# ---------------------------------------------------------------------------------------------- practice

def practice_intro(tr: scalar.ScalarTrace) -> str:
    inputs = ", ".join(f"{s.token}={num(s.x)}" if s.token != num(s.x) else num(s.x) for s in tr.steps)
    return (f"Practice: compute each hidden state with {equation(tr)}, h_0 = {num(tr.h0)}.\n"
            f"Inputs x_1..x_{tr.length}: {inputs}\n"
            "Type each h_t (decimals or fractions like 5/4); q quits.")


def emit_practice(tr: scalar.ScalarTrace, answers: list[dict], fmt: str, finished: bool) -> None:
    score = sum(a["correct"] for a in answers)
    data = {"score": score, "answered": len(answers), "total": tr.length, "finished": finished,
            "weight": tr.weight, "input_weight": tr.input_weight, "bias": tr.bias, "h0": tr.h0,
            "activation": tr.activation, "answers": answers}

    def table() -> list[Any]:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for c, j in (("t", "right"), ("token", "left"), ("you", "right"), ("h_t", "right"), ("", "left")):
            t.add_column(c, justify=j)
        for a in answers:
            t.add_row(str(a["t"]), a["token"], num(a["given"]), num(a["expected"]),
                      "✓ right" if a["correct"] else "✗ wrong")
        tail = "" if finished else f" (stopped after {len(answers)} of {tr.length})"
        return [t, Text(f"Score: {score}/{tr.length}{tail}", style="bold")]

    render.emit(fmt, data=data, rows=answers, columns=["t", "token", "expected", "given", "correct"], table=table)


# ---------------------------------------------------------------------------------------------- stream

class StreamWriter:
    """Prints each step as it arrives: aligned text, CSV or JSON Lines; JSON is written once at the end."""

    def __init__(self, rnns: Sequence[scalar.ScalarRNN], fmt: str):
        self.rnns = list(rnns)
        self.fmt = fmt
        self.values: list[float] = []
        self._csv = None
        self._header = False

    def _line(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def write(self, steps: Sequence[scalar.Step]) -> None:
        self.values.append(steps[0].x)
        if self.fmt == "jsonl":
            for r, s in zip(self.rnns, steps):
                render.write_jsonl({"t": s.t, "x": s.x, "weight": r.weight, "h_prev": s.h_prev, "h": s.h,
                                    "overflow": s.overflow})
        elif self.fmt == "csv":
            if self._csv is None:
                self._csv = render.CsvWriter(["t", "x", "weight", "h_prev", "h", "overflow"])
            for r, s in zip(self.rnns, steps):
                self._csv.row({"t": s.t, "x": s.x, "weight": r.weight, "h_prev": s.h_prev, "h": s.h,
                               "overflow": s.overflow})
        elif self.fmt == "table":
            if not self._header:
                self._header = True
                hs = "".join(f"{'h_t (w=' + num(r.weight) + ')':>16}" for r in self.rnns)
                self._line(f"{'t':>6}{'x_t':>14}{hs}")
            hs = "".join(f"{num(s.h):>16}" for s in steps)
            self._line(f"{steps[0].t:>6}{num(steps[0].x):>14}{hs}")

    def close(self) -> None:
        if self.fmt == "json" and self.values:
            r0 = self.rnns[0]
            traces = [scalar.run(self.values, weight=r.weight, input_weight=r0.input_weight, bias=r0.bias,
                                 h0=r0.h0, activation=r0.activation) for r in self.rnns]
            render.write_json(record(traces[0]) if len(traces) == 1 else [record(t) for t in traces])
