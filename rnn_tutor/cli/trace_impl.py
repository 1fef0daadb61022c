"""What ``trace`` does once its options are parsed. Shared by the typer command and the fast path.

No typer here (the fast path must not import it); errors are rnn_tutor errors, turned into exit codes by the caller.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction

from rnn_tutor import render
from rnn_tutor.core import scalar
from rnn_tutor.core.numfmt import num
from rnn_tutor.errors import BadValueError, RnnTutorError

MAX_FILE_BYTES = 50_000_000


def _read_stdin(option: str) -> str:
    if sys.stdin is None:
        raise BadValueError(option, "stdin is not available (pipe numbers in, e.g. echo 1 2 3 | rnn-tutor trace -)")
    if sys.stdin.isatty():
        render.hint("Reading numbers from the terminal; end with Ctrl-D.")
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise BadValueError(option, "stdin is not text (pipe in numbers separated by spaces, commas or newlines)") from None


def _read_file(path: str) -> str:
    from rnn_tutor.core import fileio  # refuses devices and oversized files; reads pipes with the same cap

    try:
        return fileio.read_text(path, limit=MAX_FILE_BYTES, what="file of numbers",
                                too_large_hint=f"give at most {MAX_FILE_BYTES // 1_000_000} MB of numbers")
    except fileio.FileError as e:
        if e.kind == "missing":
            hint = "to trace a sentence use --sentence \"...\"" if " " in path else "give '-' to read stdin"
            raise RnnTutorError(f"no such file: {path}", hint) from None
        raise


def gather_inputs(source: str | None, sentence: str | None, values: str | None, allow_default: bool = True):
    """Tokens, numbers and vocabulary from exactly one of INPUT, --sentence, --values (the exercise when none)."""
    given = [name for name, v in (("INPUT", source), ("--sentence", sentence), ("--values", values)) if v is not None]
    if len(given) > 1:
        raise BadValueError(given[1], f"give only one of INPUT, --sentence or --values (got {' and '.join(given)})")
    if sentence is not None:
        tokens, numbers, vocab = scalar.encode(sentence)
        return tokens, numbers, vocab
    if values is not None or source is not None:
        option = "--values" if values is not None else "INPUT"
        spec = values if values is not None else source
        if spec == "-":
            text = _read_stdin(option)
            if not text.strip():
                raise BadValueError(option, "stdin was empty (pipe in numbers, e.g. echo 1 2 3 | rnn-tutor trace -)")
        elif values is None:
            text = _read_file(spec)
            if not text.strip():
                raise BadValueError(option, f"{spec} has no numbers in it")
        else:
            text = spec
        numbers = scalar.parse_numbers(text, option)
        return [scalar._fmt_token(x) for x in numbers], numbers, {}
    if not allow_default:
        raise BadValueError("INPUT", "nothing to trace")
    tokens, numbers, vocab = scalar.encode(scalar.EXERCISE_SENTENCE)
    return tokens, numbers, vocab


def build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation):
    return [scalar.run(numbers, weight=w, input_weight=input_weight, bias=bias, h0=h0, activation=activation,
                       tokens=tokens, vocab=vocab) for w in weights]


def emit(traces, fmt: str) -> None:
    from rnn_tutor.render import trace as rtrace

    rtrace.emit_traces(traces, fmt)
    if any(t.overflow for t in traces):
        render.warn("the hidden state or a gradient overflowed a 64-bit float; affected numbers are shown as "
                    "overflow (null in JSON). Try a smaller |w| or fewer steps.")


def run_trace(tokens, numbers, vocab, weights, input_weight, bias, h0, activation, fmt: str) -> int:
    emit(build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation), fmt)
    return 0


# ---------------------------------------------------------------------------------------------- practice

def parse_answer(text: str) -> float | None:
    """A number the learner typed: '1.25', '5/4', '-0.5', '1,25' (decimal comma). None when it is not one."""
    t = text.strip().replace(" ", "")
    if not t:
        return None
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    try:
        v = float(Fraction(t)) if "/" in t else float(t)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return v if math.isfinite(v) else None


def is_close(answer: float, expected: float, tolerance: float) -> bool:
    return abs(answer - expected) <= tolerance * max(1.0, abs(expected)) + 1e-12


def run_practice(tokens, numbers, vocab, weights, input_weight, bias, h0, activation, tolerance, fmt: str) -> int:
    from rnn_tutor.render import trace as rtrace

    if len(weights) > 1:
        raise BadValueError("--weight", "--practice takes a single --weight (practise one recurrence at a time)")
    if fmt == "jsonl":
        raise BadValueError("--format", "--practice writes table, json or csv (jsonl is for --stream)")
    tr = build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation)[0]
    if tr.overflow:
        raise BadValueError("--weight", "these numbers overflow a float; practise with smaller values")
    say = render.message
    say(rtrace.practice_intro(tr))
    answers = []
    quit_early = False
    for step in tr.steps:
        while True:
            try:
                sys.stderr.write(f"h_{step.t} = ? ")
                sys.stderr.flush()
                line = sys.stdin.readline() if sys.stdin is not None else ""
            except UnicodeDecodeError:
                line = "\n"
            if line == "":  # end of input
                quit_early = True
                if sys.stdin is not None and not sys.stdin.isatty():
                    say("")
                break
            text = line.strip()
            if text.lower() in ("q", "quit", "exit"):
                quit_early = True
                break
            value = parse_answer(text)
            if value is None:
                say(f"  '{text}' is not a number: type h_{step.t} as a number like 1.25 or 5/4 (q quits).")
                continue
            ok = is_close(value, step.h, tolerance)
            answers.append({"t": step.t, "token": step.token, "expected": step.h, "given": value, "correct": ok})
            if ok:
                say(f"  ✓ right: h_{step.t} = {num(step.h)}")
            else:
                say(f"  ✗ not quite ({num(value)}). {scalar.step_formula(tr, step)}")
            break
        if quit_early:
            break
    rtrace.emit_practice(tr, answers, fmt, finished=not quit_early)
    return 0


# ---------------------------------------------------------------------------------------------- stream

def run_stream(source, sentence, values, weights, input_weight, bias, h0, activation, fmt: str) -> int:
    """One number per line on stdin (commas or spaces also split); each h_t printed as its input arrives."""
    from rnn_tutor.render import trace as rtrace

    if sentence is not None or values is not None or (source not in (None, "-")):
        raise BadValueError("--stream", "--stream reads numbers from stdin only (drop --sentence, --values and files)")
    if sys.stdin is None:
        raise BadValueError("--stream", "stdin is not available")
    rnns = [scalar.ScalarRNN(w, input_weight, bias, h0, activation) for w in weights]
    if sys.stdin.isatty():
        render.hint("Type one number per line; Ctrl-D ends.")
    out = rtrace.StreamWriter(rnns, fmt)
    count = 0
    lineno = 0
    warned_overflow = False
    try:
        while True:
            try:
                line = sys.stdin.readline()
            except UnicodeDecodeError:
                lineno += 1
                render.warn(f"line {lineno} is not text; skipped")
                continue
            if line == "":
                break
            lineno += 1
            for part in line.replace(",", " ").split():
                try:
                    x = float(part)
                except ValueError:
                    render.warn(f"line {lineno}: {part!r} is not a number; skipped")
                    continue
                if not math.isfinite(x):
                    render.warn(f"line {lineno}: {part!r} is not a finite number; skipped")
                    continue
                count += 1
                steps = [r.step(x) for r in rnns]
                out.write(steps)
                if any(s.overflow for s in steps) and not warned_overflow:
                    warned_overflow = True
                    render.warn("the hidden state overflowed a 64-bit float; later states are unknown (null).")
    finally:
        out.close()
    if count == 0:
        raise BadValueError("--stream", "no numbers arrived on stdin (pipe in one number per line)")
    return 0
