"""``trace --practice``, ``--worksheet`` and ``--step``: the scalar trace for the classroom.

No typer here; errors are rnn_tutor errors, turned into exit codes by the caller. The conversation goes to
stderr and the data to stdout, so a piped session keeps clean output. Interactive input reads one line per answer
or step (``--step`` takes single key presses in a real terminal).
"""

from __future__ import annotations

import sys

from rnn_tutor import render
from rnn_tutor.core import answers as checker
from rnn_tutor.core.numfmt import fraction_text
from rnn_tutor.core.scalar_text import ratio_formula, ratio_question, step_formula, value
from rnn_tutor.errors import BadValueError

QUIT = ("q", "quit", "exit")


def _single(traces, flag: str):
    if len(traces) > 1:
        raise BadValueError("--weight", f"{flag} takes a single --weight (one recurrence at a time)")
    return traces[0]


def _readline() -> str | None:
    """One line of stdin without its newline; None at the end of input."""
    try:
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except UnicodeDecodeError:
        return "\ufffd"
    except (OSError, ValueError):
        return None
    return None if line == "" else line.rstrip("\r\n")


def _ask(prompt: str) -> str | None:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = _readline()
    if line is None and sys.stdin is not None and not sys.stdin.isatty():
        sys.stderr.write("\n")
    return line


# ---------------------------------------------------------------------------------------------- practice

def _questions(tr):
    """(label, token, t, right float, right exact, working) for h_1..h_T, then the exercise's step-5 ratio."""
    qs = [(f"h_{s.t}", s.token, s.t, s.h, s.q and s.q.h, lambda s=s: step_formula(tr, s)) for s in tr.steps]
    ratio = tr.first_last_ratio()
    if tr.length > 1 and ratio is not None:
        qs.append(("ratio", None, None, ratio, tr.first_last_ratio_exact(), lambda: ratio_formula(tr)))
    return qs


def _prompt(tr, label: str) -> str:
    if label == "ratio":
        return f"Finally (the exercise's step 5): {ratio_question(tr)}\nratio = ? "
    return f"{label} = ? "


def _verdict_text(tr, label, text, v, right, q) -> str:
    shown = value(tr, right, q)
    frac = fraction_text(q)
    exact_word = f"{shown} exactly" + (f" ({frac})" if frac and frac != shown else "")
    if v.how == "exact":
        return f"  ✓ right: {label} = {exact_word}"
    if v.how == "rounded":
        return f"  ✓ right: {text} is {shown} correctly rounded to {_places(v.places)}"
    if v.how == "tolerance":
        return f"  ✓ within the tolerance: {label} = {shown} (you typed {text})"
    need = checker.EXACT_MIN_DIGITS if tr.exact_mode else checker.FLOAT_MIN_DIGITS
    if v.how == "too short":
        return (f"  ✗ {text} is {shown} rounded, but has only {v.digits} significant digit"
                f"{'' if v.digits == 1 else 's'}: give at least {need}"
                + (f" (or the exact value, {shown}" + (f" or {frac}" if frac and frac != shown else "") + ")"
                   if q is not None and "≈" not in shown else "") + ".")
    return f"  ✗ not quite (you typed {text})."


def _places(p: int | None) -> str:
    if p is None:
        return "the digits typed"
    if p <= 0:
        return "a whole number" if p == 0 else f"the nearest {10 ** -p:,}"
    return f"{p} decimal place{'' if p == 1 else 's'}"


def practice(traces, tolerance, fmt: str) -> int:
    from rnn_tutor.render import trace_class as rclass

    tr = _single(traces, "--practice")
    if fmt == "jsonl":
        raise BadValueError("--format", "--practice writes table, json or csv (jsonl is for --stream)")
    if fmt == "markdown":
        raise BadValueError("--format", "--practice writes table, json or csv (markdown is for the trace itself)")
    if tr.overflow:
        raise BadValueError("--weight", "these numbers overflow a float; practise with smaller values")
    say = render.message
    say(rclass.practice_intro(tr))
    questions = _questions(tr)
    answers = []
    stopped_at = None
    for label, token, t, right, q, working in questions:
        text = None
        while True:
            text = _ask(_prompt(tr, label))
            if text is None or text.strip().lower() in QUIT:
                text = None
                break
            v = checker.check(text, q if q is not None else right, exact=tr.exact_mode, tolerance=tolerance)
            if v is None:
                shown_text = text.strip() or "(nothing)"
                say(f"  {shown_text!r} is not a number: type {label} as a number like 1.25 or 5/4 (q quits).")
                continue
            break
        if text is None:
            stopped_at = label if label != "ratio" else "the ratio"
            break
        say(_verdict_text(tr, label, text.strip(), v, right, q))
        if not v.correct or v.how == "tolerance":
            say(f"  {working()}")
        answers.append({"question": label, "t": t, "token": token, "given": text.strip(),
                        "given_value": float(v.value), "given_exact": fraction_text(v.value),
                        "expected": right, "expected_exact": fraction_text(q), "expected_text": value(tr, right, q),
                        "correct": v.correct, "verdict": v.how})
    finished = stopped_at is None
    rclass.emit_practice(tr, answers, fmt, total=len(questions), finished=finished, stopped_at=stopped_at)
    return 0


# ---------------------------------------------------------------------------------------------- worksheet

def worksheet(traces, fmt: str) -> int:
    from rnn_tutor.render import trace_class as rclass

    if fmt == "jsonl":
        raise BadValueError("--format", "--worksheet writes table, csv, markdown or json")
    if any(t.overflow for t in traces):
        raise BadValueError("--weight", "these numbers overflow a float; a worksheet needs smaller values")
    rclass.emit_worksheet(traces, fmt)
    return 0


# ---------------------------------------------------------------------------------------------- --step

def step(traces, fmt: str, fractions: bool = False) -> int:
    """Print the trace one step per key press (Enter; q stops), then how much each input counts."""
    from rnn_tutor.quiz.keys import open_input
    from rnn_tutor.render import trace as rtrace
    from rnn_tutor.render import trace_class as rclass

    if fmt != "table":
        raise BadValueError("--format", "--step shows a table for people; for json, csv or markdown drop --step")
    lead, rows = rclass.step_lines(traces, fractions)
    inp = open_input(sys.stdin)
    live = inp.interactive and sys.stderr is not None and sys.stderr.isatty()
    out = sys.stdout

    def write(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    def wait(what: str) -> bool:
        sys.stderr.write(f"[Enter: {what} · q: stop]" + ("" if live else "\n"))
        sys.stderr.flush()
        key = inp.key()
        if live:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
        return key is not None and key.strip().lower() not in QUIT

    for line in lead:
        write(line)
    T = len(rows)
    for k, line in enumerate(rows):
        if not wait(f"h_{k + 1}"):
            render.hint(f"Stopped after step {k} of {T}; `rnn-tutor trace` with the same options shows them all.")
            return 0
        write(line)
    if not wait("how much each input counts"):
        return 0
    write("")
    render.print_table(rtrace.tables(traces, fractions, after_steps=True))
    rtrace_warn = any(t.overflow for t in traces)
    if rtrace_warn:
        from rnn_tutor.cli.trace_impl import warn_overflow

        warn_overflow(traces)
    return 0
