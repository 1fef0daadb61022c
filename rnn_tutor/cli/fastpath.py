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

import re
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
# Plain ASCII decimals only; anything fancier (1_000, full-width digits, nan) goes to typer, whose rules decide.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # [0-9], not \d, which also matches full-width digits
_ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid")
_FORMATS = ("table", "json", "csv", "jsonl")


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
    numbers = opts["weight"] + [opts[k] for k in ("input_weight", "bias", "h0") if k in opts]
    if not all(_NUMBER.fullmatch(v) for v in numbers):
        return None
    opts["weight"] = [float(v) for v in opts["weight"]] or [0.5]
    for key, default in (("input_weight", 0.5), ("bias", 0.0), ("h0", 0.0)):
        opts[key] = float(opts[key]) if key in opts else default
    opts["activation"] = opts.get("activation", "linear").lower()
    opts["format"] = opts.get("format", "table").lower()
    if opts["activation"] not in _ACTIVATIONS or opts["format"] not in _FORMATS:
        return None
    if opts.get("values") == "-" or ("sentence" in opts and "values" in opts):
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
        trace_impl.emit(traces, opts["format"])
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return 130
    except BrokenPipeError:  # the reader went away (| head): quietly, exit 141 like every command
        from rnn_tutor.cli import finish_closed

        return finish_closed()
    return 0
