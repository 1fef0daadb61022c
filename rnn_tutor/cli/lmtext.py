"""What ``train``, ``compare`` and ``inspect`` share for the language model: reading ``--text``/``--valid`` (stdin
included, which only the command line may read), the samples shown while it trains, and the help texts."""

from __future__ import annotations

import sys

TEXT_HELP = ("--task text: what to learn from: a UTF-8 file, '-' for stdin, or brackets (generated nested "
             "brackets), lessons (rnn-tutor's own), stdlib (this Python's standard-library sources).")
VALID_HELP = "--task text: a held-out file to score bpc on (default: the last 10% of the text)."
MAX_CHARS_HELP = "--task text: read at most this many characters (default 2,000,000; brackets: 500,000)."
SAMPLE_HELP = "--task text: print a short sample on stderr every N steps (0: none)."


def read_stdin_bytes(limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of stdin (an endless pipe such as `yes | ...` is cut, not read forever)."""
    stream = getattr(sys.stdin, "buffer", sys.stdin)
    chunks, total = [], 0
    while total <= limit:
        block = stream.read(min(1 << 20, limit + 1 - total))
        if not block:
            break
        block = block.encode("utf-8") if isinstance(block, str) else block
        chunks.append(block)
        total += len(block)
    return b"".join(chunks)


def _read(source: str, max_chars, seed: int, option: str):
    from rnn_tutor.core import corpus

    if str(source).strip() == "-":
        limit = corpus.DEFAULT_MAX_CHARS if max_chars is None else corpus.check_max_chars(max_chars)
        return corpus.from_bytes(read_stdin_bytes(4 * limit + 4), "stdin", option, limit)
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


def compare_text(names: list[str], options: dict, fmt: str) -> int:
    """``compare --task text``: the cells trained on one text with the same budget, size and seed; held-out bpc,
    the n-gram's, time, and (with brackets in the text) how often the right closer wins at depth >= 3."""
    from dataclasses import replace

    from rnn_tutor.cli.train import one_blas_thread, run_with_progress
    from rnn_tutor.core import lm
    from rnn_tutor.core import train as core
    from rnn_tutor.render import lm as view

    base = core.TrainConfig(task="text", **options).checked()
    data = prepare(base)
    rep = data.ngram()
    rows, interrupted, closers = [], False, None
    for name in names:
        trainer = core.Trainer(replace(base, cell=name), text=data)
        interrupted = run_with_progress(trainer, view.Progress(base.steps, f"{name:4s} text", rep.best_bpc))
        if trainer.records:
            result = trainer.result(interrupted=interrupted)
            with one_blas_thread():
                bm = lm.bracket_memory(trainer.model, data)
            closers = bm if bm is not None and bm.closers else closers
            final = result.final
            rows.append({
                "cell": name, "bpc": lm.bpc(result.loss), "accuracy": result.accuracy,
                "closers_right": bm.model_share if bm is not None else None, "steps": final.step,
                "characters": final.step * base.batch * base.length, "seconds": result.seconds,
                "parameters": sum(int(v.size) for v in result.params.values()),
                "curve": [r.loss / lm.LN2 for r in result.records], "interrupted": interrupted,
            })
        if interrupted:
            view.render.message(f"Interrupted while training {name}: the results so far follow.")
            break
    meta = {"task": "text", "text": data.name, "valid": data.valid_name, "budget": base.steps,
            "hidden": base.hidden, "layers": base.layers, "length": base.length, "batch": base.batch, "seed": base.seed,
            "dtype": base.dtype, "vocab_size": data.V, "uniform_bpc": rep.uniform_bpc,
            "smoothing": rep.smoothing, "ngram_order": rep.best_order, "ngram_bpc": rep.best_bpc,
            "ngram_by_order": {str(k): v for k, v in rep.bpc.items()},
            "closers": closers.closers if closers else None, "min_depth": closers.min_depth if closers else None,
            "ngram_closers": closers.ngram_share if closers else None}
    meta["summary"] = compare_sentence(rows, meta, interrupted)
    view.emit_compare(rows, meta, fmt)
    return 130 if interrupted else 0


def compare_sentence(rows: list[dict], meta: dict, interrupted: bool) -> str:
    from rnn_tutor.core.numfmt import percent

    if not rows:
        return ""
    if interrupted:
        return "Interrupted: these numbers are partial, not a comparison; run it to the end to compare."
    ng, order = meta["ngram_bpc"], meta["ngram_order"]
    ranked = sorted(rows, key=lambda r: r["bpc"])
    said = ", ".join(f"{r['cell']} {r['bpc']:.3f}" for r in ranked)
    below = [r["cell"] for r in ranked if r["bpc"] < ng]
    text = (f"Held-out bits per character after {meta['budget']:,} steps: {said}, against {ng:.3f} for the best "
            f"n-gram (order {order}); ")
    named = ", ".join(below[:-1]) + " and " + below[-1] if len(below) > 1 else "".join(below)
    text += (f"{named} went below it." if below else "no cell went below it yet: try more --steps.")
    if meta.get("closers"):
        best = max(rows, key=lambda r: r["closers_right"] or 0)
        text += (f" At closing brackets with {meta['min_depth']} or more open, {best['cell']} gave the right closer "
                 f"more probability {percent(best['closers_right'], 0)} of the time, the {order}-gram "
                 f"{percent(meta['ngram_closers'], 0)}: beyond its {order - 1} characters of context it cannot "
                 "see which bracket is open.")
    return text
