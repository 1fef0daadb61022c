"""What ``trace`` does once its options are parsed. Shared by the typer command and the fast path.

No typer here (the fast path must not import it); errors are rnn_tutor errors, turned into exit codes by the caller.
"""

from __future__ import annotations

import sys

from rnn_tutor import render
from rnn_tutor.core import scalar, scalar_step
from rnn_tutor.core.numbers import parse_number
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
    """Tokens, numbers and vocabulary from exactly one of INPUT, --sentence, --values (the exercise when none).

    Numbers keep the exact value typed (``core.numbers.Number``) and their text as the token.
    """
    given = [name for name, v in (("INPUT", source), ("--sentence", sentence), ("--values", values)) if v is not None]
    if len(given) > 1:
        raise BadValueError(given[1], f"give only one of INPUT, --sentence or --values (got {' and '.join(given)})")
    if sentence is not None:
        tokens, numbers, vocab = scalar.encode(sentence)
        return _capped(tokens, numbers, vocab, "--sentence")
    if values is not None or source is not None:
        option = "--values" if values is not None else "INPUT"
        text = input_text(source, values)
        numbers = scalar.parse_numbers(text, option)
        return _capped([scalar_step._fmt_token(x) for x in numbers], numbers, {}, option)
    if not allow_default:
        raise BadValueError("INPUT", "nothing to trace")
    tokens, numbers, vocab = scalar.encode(scalar.EXERCISE_SENTENCE)
    return tokens, numbers, vocab


def input_text(source: str | None, values: str | None) -> str:
    """The text of INPUT (a file, or '-' for stdin) or --values (the numbers, or '-')."""
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
    return text


def _capped(tokens, numbers, vocab, option):
    if len(numbers) > scalar.MAX_STEPS:
        raise BadValueError(option, f"a trace keeps at most {scalar.MAX_STEPS:,} steps, got {len(numbers):,} "
                                    "(--stream reads any number of inputs and keeps none)")
    return tokens, numbers, vocab


def build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation):
    return [scalar.run(numbers, weight=w, input_weight=input_weight, bias=bias, h0=h0, activation=activation,
                       tokens=tokens, vocab=vocab) for w in weights]


def emit(traces, fmt: str, fractions: bool = False) -> None:
    from rnn_tutor.render import trace as rtrace

    rtrace.emit_traces(traces, fmt, fractions)
    warn_overflow(traces)


def warn_overflow(traces) -> None:
    if any(t.overflow for t in traces):
        render.warn("the hidden state or a gradient overflowed a 64-bit float; affected numbers are shown as "
                    "overflow (null in JSON). Try a smaller |w| or fewer steps.")


def run_trace(tokens, numbers, vocab, weights, input_weight, bias, h0, activation, fmt: str,
              fractions: bool = False) -> int:
    emit(build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation), fmt, fractions)
    return 0


def run_practice(tokens, numbers, vocab, weights, input_weight, bias, h0, activation, tolerance, fmt: str) -> int:
    from rnn_tutor.cli import trace_class

    return trace_class.practice(build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation),
                                tolerance, fmt)


def run_worksheet(tokens, numbers, vocab, weights, input_weight, bias, h0, activation, fmt: str) -> int:
    from rnn_tutor.cli import trace_class

    return trace_class.worksheet(build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation), fmt)


def run_step(tokens, numbers, vocab, weights, input_weight, bias, h0, activation, fmt: str,
             fractions: bool = False) -> int:
    from rnn_tutor.cli import trace_class

    return trace_class.step(build(tokens, numbers, vocab, weights, input_weight, bias, h0, activation), fmt,
                            fractions)


# ---------------------------------------------------------------------------------------------- stream

def run_stream(source, sentence, values, weights, input_weight, bias, h0, activation, fmt: str) -> int:
    """One number per line on stdin (commas or spaces also split); each h_t printed as its input arrives."""
    from rnn_tutor.render.trace_stream import StreamWriter

    if sentence is not None or values is not None or (source not in (None, "-")):
        raise BadValueError("--stream", "--stream reads numbers from stdin only (drop --sentence, --values and files)")
    if sys.stdin is None:
        raise BadValueError("--stream", "stdin is not available")
    rnns = [scalar_step.ScalarRNN(w, input_weight, bias, h0, activation) for w in weights]
    if sys.stdin.isatty():
        render.hint("Type one number per line; Ctrl-D ends.")
    out = StreamWriter(rnns, fmt, (weights, input_weight, bias, h0, activation))
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
                    x = parse_number("INPUT", part, decimal_comma=False)
                except BadValueError as e:
                    render.warn(f"line {lineno}: {e.message}; skipped")
                    continue
                count += 1
                if fmt == "json" and count > scalar.MAX_STEPS:
                    out.values.clear()  # no half document: the error says why
                    raise BadValueError("--format", f"--stream --format json keeps every step for one document at "
                                                    f"the end, at most {scalar.MAX_STEPS:,}; use jsonl or csv, "
                                                    "which keep none")
                steps = [r.step(x) for r in rnns]
                out.write(steps, x)
                if any(s.overflow for s in steps) and not warned_overflow:
                    warned_overflow = True
                    render.warn("the hidden state overflowed a 64-bit float; later states are unknown (null).")
    finally:
        out.close()
    if count == 0:
        raise BadValueError("--stream", "no numbers arrived on stdin (pipe in one number per line)")
    return 0
