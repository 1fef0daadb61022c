"""The scalar trace as Markdown (``trace --format markdown``), for slides and notes: the same cells, notes and
sentences as the tables (``render/trace.py``), as GitHub-flavoured Markdown tables."""

from __future__ import annotations

from typing import Sequence

from rnn_tutor.core import scalar
from rnn_tutor.core.scalar_text import params, summary, value, x_text
from rnn_tutor.render.trace import (comparison, equation, final_line, h_cell, influence_cells, left_out_note, notes,
                                    shown, step_cells, step_headers, vocab_line)


def md_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """A GitHub-flavoured Markdown table; headers are code spans (h_{t-1} would otherwise turn italic)."""
    lines = ["| " + " | ".join(f"`{h}`" if h else "" for h in headers) + " |",
             "|" + "|".join("---:" if r else ":---" for r in right) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    return lines


def markdown(traces: Sequence[scalar.ScalarTrace], fractions: bool = False) -> str:
    """The trace as Markdown an instructor pastes into slides or notes."""
    first = traces[0]
    T = first.length
    many = len(traces) > 1
    out = [f"**`{equation(first, 'w' if many else None)}`**, `h_0 = {params(first)[3]}`"
           + (", `w` = " + ", ".join(params(t)[0] for t in traces) if many else ""), ""]
    vl = vocab_line(first.vocab, [s.token for s in first.steps])
    if vl:
        out += [vl, ""]
    head, tail, left = shown(range(T))
    ks = head + tail

    def with_gap(rows):
        if not left:
            return rows
        return rows[:len(head)] + [["⋮"] + [""] * (len(rows[0]) - 1)] + rows[len(head):]

    if many:
        headers = ["t", "token", "x_t"] + [f"h_t (w={params(t)[0]})" for t in traces]
        rows = [[str(first.steps[k].t), first.steps[k].token,
                 x_text(first, first.steps[k]),
                 *[h_cell(t, t.steps[k], fractions) for t in traces]] for k in ks]
    else:
        headers = step_headers(first)
        rows = [step_cells(first, first.steps[k], fractions) for k in ks]
    out += ["**Step by step**", ""] + md_table(headers, with_gap(rows), [h != "token" for h in headers]) + [""]
    if many:
        headers = ["t", "token"] + [f"dh_{T}/dx_t (w={params(t)[0]})" for t in traces]
        rows = [[str(first.influence[k].t), first.influence[k].token,
                 *[value(t, t.influence[k].sensitivity, t.influence[k].q_sensitivity) for t in traces]] for k in ks]
    else:
        headers = ["t", "token", f"dh_{T}/dx_t"] + (["contribution"] if first.linear else [])
        rows = [influence_cells(first, first.influence[k]) for k in ks]
    out += [f"**How much each input counts in `h_{T}`**", ""]
    out += md_table(headers, with_gap(rows), [h != "token" for h in headers]) + [""]
    if left:
        out += [f"*{left_out_note([first.steps[k] for k in head], [first.steps[k] for k in tail], left)}*", ""]
    for tr in traces:
        line = final_line(tr, f"w = {params(tr)[0]}: " if many else "")
        if line:
            out += [f"`{line}`", ""]
    for tr in traces:
        out += [(f"w = {params(tr)[0]}: " if many else "") + summary(tr), ""]
    if many:
        cmp = comparison(traces)
        if cmp:
            out += [f"**{cmp}**", ""]
    for note in notes(traces, out):
        out += [f"*{note}*", ""]
    return "\n".join(out).rstrip("\n") + "\n"
