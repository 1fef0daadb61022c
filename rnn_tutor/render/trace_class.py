"""The scalar trace for the classroom: the worksheet, the practice report, and the rows of ``--step``."""

from __future__ import annotations

from typing import Any, Sequence

from rnn_tutor import render
from rnn_tutor.core import scalar
from rnn_tutor.core.numfmt import fraction_text
from rnn_tutor.core.scalar_text import params, ratio_question, value, x_text
from rnn_tutor.render.trace import equation, h_cell, step_cells, step_headers, vocab_line
from rnn_tutor.render.trace_markdown import md_table

ANSWER_KEY = "Answer key: the same command without --worksheet."
BLANK_WIDTH = 11  # room to write a number in by hand


# ---------------------------------------------------------------------------------------------- worksheet

def _given(tr: scalar.ScalarTrace) -> set[str]:
    """The columns a worksheet fills in: what the learner is given, not what they compute."""
    return {"t", "token", "x_t", "b"}


def worksheet_rows(tr: scalar.ScalarTrace) -> list[list[str]]:
    heads = step_headers(tr)
    given = _given(tr)
    return [[c if h in given else "" for h, c in zip(heads, step_cells(tr, s))] for s in tr.steps]


def _setup(tr: scalar.ScalarTrace) -> str:
    return f"{equation(tr)}    h_0 = {params(tr)[3]}"


_CSV_NAMES = {"t": "t", "token": "token", "x_t": "x", "w·h_{t-1}": "w_h_prev", "u·x_t": "u_x", "b": "b",
              "a_t": "pre"}


def _csv_name(head: str) -> str:
    return _CSV_NAMES.get(head, "h")


def worksheet_data(traces: Sequence[scalar.ScalarTrace]) -> dict[str, Any]:
    runs = []
    for tr in traces:
        heads = step_headers(tr)
        rows = []
        for s, cells in zip(tr.steps, worksheet_rows(tr)):
            row: dict[str, Any] = {}
            for h, c in zip(heads, cells):
                key = _csv_name(h)
                if key == "t":
                    row[key] = s.t
                elif key == "x":
                    row[key] = s.x
                elif key == "token":
                    row[key] = s.token
                elif key == "b":
                    row[key] = tr.bias
                else:
                    row[key] = None  # to be filled in
            rows.append(row)
        qp = tr.q_params or (None, None, None, None)
        runs.append({"equation": equation(tr), "weight": tr.weight, "weight_exact": fraction_text(qp[0]),
                     "input_weight": tr.input_weight, "bias": tr.bias, "h0": tr.h0, "activation": tr.activation,
                     "vocabulary": tr.vocab or None, "rows": rows,
                     "question": ratio_question(tr) if tr.length > 1 else None})
    return {"worksheet": True, **runs[0], "runs": runs}


def emit_worksheet(traces: Sequence[scalar.ScalarTrace], fmt: str) -> None:
    import sys

    if fmt == "json":
        render.write_json(worksheet_data(traces))
    elif fmt == "csv":
        heads = step_headers(traces[0])
        cols = ["weight"] + [_csv_name(h) for h in heads]
        rows = []
        for tr in traces:
            for cells in worksheet_rows(tr):
                rows.append({"weight": tr.weight, **{_csv_name(h): c for h, c in zip(step_headers(tr), cells)}})
        render.write_csv(rows, cols)
    elif fmt == "markdown":
        out: list[str] = []
        for tr in traces:
            out += [f"**Worksheet: `{_setup(tr)}`**", ""]
            vl = vocab_line(tr.vocab, [s.token for s in tr.steps])
            if vl:
                out += [vl, ""]
            heads = step_headers(tr)
            out += md_table(heads, worksheet_rows(tr), [h != "token" for h in heads]) + [""]
            if tr.length > 1:
                out += [f"Finally (the exercise's step 5): {ratio_question(tr)} ________", ""]
        out += [f"*{ANSWER_KEY}*", ""]
        sys.stdout.write("\n".join(out))
        sys.stdout.flush()
    else:
        render.print_table(worksheet_tables(traces))


def worksheet_tables(traces: Sequence[scalar.ScalarTrace]) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    for tr in traces:
        out.append(Text(f"Worksheet: {_setup(tr)}", style="bold"))
        vl = vocab_line(tr.vocab, [s.token for s in tr.steps])
        if vl:
            out.append(Text(vl))
        heads = step_headers(tr)
        given = _given(tr)
        table = Table(box=box.SQUARE, show_lines=True, pad_edge=True)
        for h in heads:
            table.add_column(h, justify="left" if h == "token" else "right",
                             min_width=None if h in given else BLANK_WIDTH, overflow="fold",
                             max_width=14 if h == "token" else None)
        for cells in worksheet_rows(tr):
            table.add_row(*cells)
        out.append(table)
        if tr.length > 1:
            out.append(Text(f"Finally (the exercise's step 5): {ratio_question(tr)} ________"))
        out.append(Text(""))
    out.append(Text(ANSWER_KEY, style="dim"))
    return out


# ---------------------------------------------------------------------------------------------- practice

def practice_intro(tr: scalar.ScalarTrace) -> str:
    inputs = ", ".join(f"{s.token}={x_text(tr, s)}" if tr.vocab else s.token for s in tr.steps)
    kind = ("Answers count when exact, or correctly rounded with at least 4 significant digits."
            if tr.exact_mode else
            f"With {tr.activation} the values are irrational: answers count when correctly rounded to at least 3 "
            "significant digits.")
    return (f"Practice: compute each hidden state with {equation(tr)}, h_0 = {params(tr)[3]}.\n"
            f"Inputs x_1..x_{tr.length}: {inputs}\n"
            f"Type each h_t (decimals or fractions like 5/4); q quits. {kind}")


def score_line(score: int, answered: int, total: int, finished: bool, stopped_at: str | None) -> str:
    """'Score: 6 right of 6.' or 'Score: 3 right of 3 answered; stopped at h_4 (question 4 of 6).'"""
    if finished:
        return f"Score: {score} right of {total}."
    if answered == 0:
        return f"Score: none answered; stopped at {stopped_at} (question 1 of {total})."
    return (f"Score: {score} right of {answered} answered; stopped at {stopped_at} "
            f"(question {answered + 1} of {total}).")


def emit_practice(tr: scalar.ScalarTrace, answers: list[dict], fmt: str, *, total: int, finished: bool,
                  stopped_at: str | None) -> None:
    score = sum(a["correct"] for a in answers)
    qp = tr.q_params or (None, None, None, None)
    data = {"score": score, "answered": len(answers), "total": total, "steps": tr.length, "finished": finished,
            "stopped_at": None if finished else stopped_at,
            "weight": tr.weight, "weight_exact": fraction_text(qp[0]), "input_weight": tr.input_weight,
            "bias": tr.bias, "h0": tr.h0, "activation": tr.activation, "exact": tr.exact_mode, "answers": answers}
    line = score_line(score, len(answers), total, finished, stopped_at)

    def table() -> list[Any]:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for c, j in (("question", "left"), ("token", "left"), ("you typed", "right"), ("answer", "right"),
                     ("", "left")):
            t.add_column(c, justify=j, overflow="fold")
        for a in answers:
            t.add_row(a["question"], a["token"] or "", Text(a["given"]), a["expected_text"],
                      "✓ right" if a["correct"] else "✗ wrong")
        return [t, Text(line, style="bold")]

    render.emit(fmt, data=data, rows=answers,
                columns=["question", "t", "token", "given", "given_value", "expected", "expected_exact", "correct",
                         "verdict"], table=table)


# ---------------------------------------------------------------------------------------------- --step

def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Aligned text lines: the header, a rule, then one line per row (printed one at a time by --step)."""
    widths = [max([len(h)] + [len(r[i]) for r in rows if i < len(r)]) for i, h in enumerate(headers)]

    def line(cells) -> str:
        parts = [(c.rjust(w) if r else c.ljust(w)) for c, w, r in zip(cells, widths, right)]
        return "  ".join(parts).rstrip()

    return [line(headers), "  ".join("─" * w for w in widths)] + [line(r) for r in rows]


def step_lines(traces: Sequence[scalar.ScalarTrace], fractions: bool = False) -> tuple[list[str], list[str]]:
    """(the lines shown before the first step, one line per step)."""
    first = traces[0]
    many = len(traces) > 1
    setup = f"{equation(first, 'w' if many else None)}    h_0 = {params(first)[3]}"
    if many:
        setup += "    w = " + ", ".join(params(t)[0] for t in traces)
    lead = [setup]
    vl = vocab_line(first.vocab, [s.token for s in first.steps])
    if vl:
        lead.append(vl)
    if many:
        headers = ["t", "token", "x_t"] + [f"h_t (w={params(t)[0]})" for t in traces]
        rows = [[str(s.t), s.token, x_text(first, s),
                 *[h_cell(t, t.steps[k], fractions) for t in traces]] for k, s in enumerate(first.steps)]
    else:
        headers = step_headers(first)
        rows = [step_cells(first, s, fractions) for s in first.steps]
    lines = plain_table(headers, rows, [h != "token" for h in headers])
    return lead + [""] + lines[:2], lines[2:]

