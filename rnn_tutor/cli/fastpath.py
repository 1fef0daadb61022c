"""A fast path for the scalar ``trace``: the same result as the typer command without importing typer.

Why: typer (with its vendored click and pydantic) costs about 60 ms to import here, more than the whole budget
for ``rnn-tutor trace`` (100 ms, and at most 6x ``python -c pass``). The scalar trace needs neither typer nor numpy.

How it stays honest: it accepts only a plain subset of ``trace``'s options, with values that parse, and computes
the whole result before writing anything. Anything else (help, stdin, practice, stream, cells, a value the core
rejects, an option it does not know) returns ``None`` and the typer app handles the command from scratch, so
every message and exit code comes from one place. ``tests/cli/test_fastpath.py`` checks that both paths print
the same bytes for the same arguments.
"""

from __future__ import annotations

import os
import sys

_VALUE_OPTS = {
    "--sentence": "sentence", "-s": "sentence",
    "--values": "values",
    "--weight": "weight", "-w": "weight",
    "--input-weight": "input_weight", "-u": "input_weight",
    "--bias": "bias", "-b": "bias",
    "--h0": "h0",
    "--activation": "activation", "-a": "activation",
    "--format": "format", "-f": "format",
}
_FLAGS = {"--fractions": "fractions"}
_ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid")
_FORMATS = ("table", "json", "csv", "jsonl", "markdown")


def parse(args: list[str]) -> dict | None:
    """Options for the scalar trace, or None when this is not a plain scalar trace."""
    if not args or args[0] != "trace":
        return None
    opts: dict = {"weight": []}
    seen: set[str] = set()
    rest = args[1:]
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in _FLAGS:
            if _FLAGS[a] in seen:
                return None
            seen.add(_FLAGS[a])
            opts[_FLAGS[a]] = True
            i += 1
            continue
        if a.startswith("--") and "=" in a:
            name, value = a.split("=", 1)
            i += 1
        elif a in _VALUE_OPTS and i + 1 < len(rest):
            name, value = a, rest[i + 1]
            i += 2
        else:
            return None
        key = _VALUE_OPTS.get(name)
        if key is None:
            return None
        if key == "weight":
            opts["weight"].append(value)
            continue
        if key in seen:
            return None
        seen.add(key)
        opts[key] = value
    from rnn_tutor.core.numbers import parse_number
    from rnn_tutor.errors import BadValueError

    try:  # the grammar the typer options use (cli/options.py number()), so both paths accept the same values
        opts["weight"] = ([parse_number("--weight", v, decimal_comma=False) for v in opts["weight"]]
                          or [parse_number("--weight", 0.5)])
        for key, default in (("input_weight", 0.5), ("bias", 0.0), ("h0", 0.0)):
            opts[key] = parse_number(key, opts.get(key, default), decimal_comma=False)
    except BadValueError:
        return None
    opts["activation"] = opts.get("activation", "linear").lower()
    opts["format"] = opts.get("format", "table").lower()
    if opts["activation"] not in _ACTIVATIONS or opts["format"] not in _FORMATS:
        return None
    if opts.get("values") == "-" or ("sentence" in opts and "values" in opts):
        return None
    if opts.get("fractions") and opts["activation"] not in ("linear", "relu"):
        return None
    return opts


def try_fast(args: list[str]) -> int | None:
    """Run a plain scalar trace and return its exit code, or None to let the full CLI handle the arguments."""
    opts = parse(args)
    if opts is None:
        return None
    from rnn_tutor.errors import RnnTutorError

    try:
        from rnn_tutor.cli import trace_impl

        tokens, numbers, vocab = trace_impl.gather_inputs(None, opts.get("sentence"), opts.get("values"))
        traces = trace_impl.build(tokens, numbers, vocab, opts["weight"], opts["input_weight"], opts["bias"],
                                  opts["h0"], opts["activation"])
    except RnnTutorError:
        return None  # let the full CLI say what is wrong, in its words and with its exit code
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    try:
        trace_impl.emit(traces, opts["format"], opts.get("fractions", False))
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except BrokenPipeError:  # the reader went away (| head): quietly, exit 141 like every command
        from rnn_tutor.cli import finish_closed

        return finish_closed()
    except Exception as e:  # a bug: the same words as the typer path (cli/app.py run_guarded), never a traceback
        if os.environ.get("RNN_TUTOR_DEBUG"):
            raise
        sys.stderr.write(f"Error: internal error: {type(e).__name__}: {e} (this is a bug in rnn-tutor; rerun with "
                         "--debug or RNN_TUTOR_DEBUG=1 to see the traceback)\n")
        return 1
    return 0
