"""What ``train``, ``compare`` and ``inspect`` share for the language model: reading ``--text``/``--valid`` (stdin
included, which only the command line may read), the samples shown while it trains, and the help texts."""

from __future__ import annotations

import sys

TEXT_HELP = ("--task text: what to learn from: a UTF-8 file, '-' for stdin, or brackets (generated nested "
             "brackets), lessons (rnn-tutor's own), stdlib (this Python's standard-library sources).")
VALID_HELP = "--task text: a held-out file to score bpc on (default: the last 10% of the text)."
MAX_CHARS_HELP = "--task text: read at most this many characters (default 2,000,000; brackets: 500,000)."
SAMPLE_HELP = "--task text: print a short sample on stderr every N steps (0: none)."
TBPTT_HELP = ("With --task text the text is cut into --batch parallel tracks read in chunks of --length characters: "
              "the state carries over from one chunk to the next, the gradient stops at the chunk boundary "
              "(truncated BPTT: full BPTT would keep every step of the text in memory and update once per pass; "
              "truncation updates often, but cannot learn from gradients that would travel more than --length steps).")


def read_stdin_bytes() -> bytes:
    stream = getattr(sys.stdin, "buffer", sys.stdin)
    data = stream.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _read(source: str, max_chars, seed: int, option: str):
    from rnn_tutor.core import corpus

    if str(source).strip() == "-":
        limit = corpus.DEFAULT_MAX_CHARS if max_chars is None else corpus.check_max_chars(max_chars)
        return corpus.from_bytes(read_stdin_bytes(), "stdin", option, limit)
    return corpus.read_source(source, max_chars, seed=seed, option=option)


def prepare(config):
    """The lm.TextData a checked TrainConfig names; warns on stderr about the unknown symbol and truncation."""
    from rnn_tutor.core import lm
    from rnn_tutor import render

    if config.text is not None and config.valid is not None and str(config.text).strip() == "-" == str(
            config.valid).strip():
        from rnn_tutor.errors import BadValueError

        raise BadValueError("--valid", "stdin can be read once: give --text - or --valid -, not both")
    text = _read(config.text or "brackets", config.max_chars, config.seed, "--text")
    valid = None if config.valid is None else _read(config.valid, config.max_chars, config.seed, "--valid")
    data = lm.prepare(text, valid, config.batch, config.length)
    if data.unknown:
        render.warn(f"{text.name} has more than {data.V - 1} distinct characters: {data.unknown:,} characters outside "
                    f"the {data.V - 1} most frequent are read as one unknown symbol")
    if text.truncated and text.name not in ("brackets",):
        render.hint(f"Read the first {len(text.text):,} characters of {text.name} (--max-chars).")
    return data


def sample_text(model, step: int, seed: int, length: int = 200) -> str:
    """A short sample at temperature 0.8 (seeded by the step, so a run prints the same samples every time)."""
    from rnn_tutor.core import lm

    return "".join(c[0].char for c in lm.sample(model, length, temperature=0.8, seed=seed * 7919 + step))
