"""Output of the language model: training tables and JSON (bpc beside the n-gram and the uniform model), samples,
``compare --task text``, and ``inspect`` (characters shaded by a unit, with glyph strips that survive NO_COLOR)."""

from __future__ import annotations

import math
import sys
from typing import Any

from rnn_tutor import render
from rnn_tutor.render import train as train_view

LN2 = math.log(2.0)
RECORD_COLUMNS = ["step", "characters", "bpc", "accuracy", "train_bpc", "grad_norm", "seconds"]
COMPARE_COLUMNS = ["cell", "bpc", "accuracy", "closers_right", "steps", "characters", "seconds", "parameters"]
_VISIBLE = {"\n": "⏎", "\t": "→", "\r": "␍"}


def visible(text: str) -> str:
    """A sample or input as one line: newline as ⏎, tab as →, other control characters as '·'."""
    return "".join(_VISIBLE.get(c, "·" if (ord(c) < 32 or ord(c) == 127) else c) for c in text)


def _bpc(nats: float | None) -> float | None:
    return None if nats is None else nats / LN2


def _f(v: float | None, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


# ---------------------------------------------------------------------------------------------- progress


class Progress(train_view.Progress):
    """train's progress bar, showing held-out bpc; samples are printed above it (or as lines without a TTY)."""

    def __init__(self, total: int, label: str, ngram_bpc: float | None = None):
        super().__init__(total, label)
        self.ngram_bpc = ngram_bpc

    def update(self, record) -> None:
        if self._p is not None:
            stats = f"bpc {_f(_bpc(record.loss))}" + (f" (n-gram {self.ngram_bpc:.3f})" if self.ngram_bpc else "")
            self._p.update(self._task, completed=record.step, stats=stats)

    def say(self, text: str) -> None:
        if self._p is not None:
            self._p.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            render.message(text)


def sample_line(step: int, text: str, width: int | None = None) -> str:
    """'step 200 │ (owl [cat (fox)] bee⏎[gnu ...' cut to the terminal's width."""
    head = f"sample at step {step:,} │ "
    width = width or _columns()
    return head + visible(text)[: max(10, width - len(head))]


def _columns() -> int:
    import os
    import shutil

    try:
        return int(os.environ.get("COLUMNS", "")) or shutil.get_terminal_size((80, 24)).columns
    except ValueError:
        return shutil.get_terminal_size((80, 24)).columns


def stream_record(rec, cell: str) -> None:
    """--format jsonl: one object per evaluation, with the held-out bpc."""
    render.write_jsonl({"event": "eval", "cell": cell, "task": "text", **record_dict(rec)})


def record_dict(rec, batch: int | None = None, length: int | None = None) -> dict[str, Any]:
    d = rec.as_dict()
    d["bpc"] = _bpc(rec.loss)
    d["train_bpc"] = _bpc(rec.train_loss)
    if batch is not None and length is not None:
        d["characters"] = rec.step * batch * length
    return d


# ---------------------------------------------------------------------------------------------- train


def text_summary(result, saved: str | None) -> dict[str, Any]:
    """train's summary plus the language model's numbers: bpc beside the best n-gram's and log2 V."""
    cfg, data = result.config, result.text
    rep = data.ngram()
    s = train_view.train_summary(result, saved)
    bpc = _bpc(result.loss)
    s.pop("solved", None), s.pop("solved_step", None), s.pop("solved_sequences", None)
    s.pop("baseline_accuracy", None), s.pop("baseline_loss", None)
    steps = s["steps"]
    s.update({
        "text": data.name, "text_note": data.note, "valid": data.valid_name,
        "train_characters": int(len(data.train_ids)), "valid_characters": rep.valid_chars,
        "truncated": data.truncated, "vocab_size": data.V, "unknown": data.unknown,
        "characters": steps * cfg.batch * cfg.length,
        "passes": steps * cfg.batch * cfg.length / max(1, len(data.train_ids)),
        "bpc": bpc, "perplexity": None if bpc is None else 2.0**bpc,
        "ngram": {"smoothing": rep.smoothing, "order": rep.best_order, "bpc": rep.best_bpc,
                  "by_order": {str(k): v for k, v in rep.bpc.items()}},
        "uniform_bpc": rep.uniform_bpc,
        "beats_ngram": None if bpc is None else bpc < rep.best_bpc,
    })
    return s


def emit_train(result, fmt: str, saved: str | None) -> None:
    fmt = getattr(fmt, "value", fmt)
    s = text_summary(result, saved)
    cfg = result.config
    records = [record_dict(r, cfg.batch, cfg.length) for r in result.records]
    if fmt == "jsonl":
        render.write_jsonl({"event": "final", **s})
        return
    if fmt == "json":
        render.write_json({**s, "records": records})
        return
    if fmt == "csv":
        render.write_csv(records, RECORD_COLUMNS)
        return
    render.print_table(_train_table(result, s, records))


def _train_table(result, s: dict[str, Any], records: list[dict]):
    cfg = result.config
    layers = f"{s['layers']} layer{'s' if s['layers'] > 1 else ''}"
    title = f"{s['cell']} on {s['text']} ({layers} of {s['hidden']}, chunks of {s['length']}, batch {s['batch']})"
    if s["interrupted"]:
        title += " — interrupted"
    t = train_view._table(title)
    for name in ("step", "characters", "held-out bpc", "next char right"):
        t.add_column(name, justify="right")
    t.add_column("", no_wrap=True)
    rows = records
    if len(rows) > 12:
        idx = sorted({round(i * (len(rows) - 1) / 11) for i in range(12)})
        rows = [rows[i] for i in idx]
    hi = s["uniform_bpc"]
    for r in rows:  # the bar grows as the bpc falls: full at 0 bits, empty at log2 V
        fill = None if r["bpc"] is None else 1.0 - min(r["bpc"], hi) / hi
        t.add_row(f"{r['step']:,}", f"{r['characters']:,}", _f(r["bpc"]), train_view._pct(r["accuracy"]),
                  render.bar(fill, 12))
    ng = s["ngram"]
    lines = [t, _verdict(s)]
    lines.append(f"best n-gram: {ng['bpc']:.3f} bpc (order {ng['order']}, {ng['smoothing']}); a uniform guess over "
                 f"{s['vocab_size']} symbols: {s['uniform_bpc']:.3f} bpc (log2 {s['vocab_size']})")
    if len(rows) < len(records):
        lines.insert(1, f"{len(rows)} of the {len(records)} evaluations shown (every one in --format csv or json)")
    curve = render.sparkline([r["bpc"] for r in records][-40:], lo=0.0, hi=hi)
    last = f", the last 40 of {len(records)} evaluations" if len(records) > 40 else ""
    lines.append(f"held-out bpc (0 to log2 V, lower is better{last}): {curve}")
    lines.append(f"{s['characters']:,} characters read ({s['passes']:.1f} passes over the {s['train_characters']:,} "
                 f"characters of training text); {s['seconds']:.1f} s")
    if s["unknown"]:
        lines.append(f"{s['unknown']:,} characters outside the {s['vocab_size'] - 1} most frequent became the unknown "
                     "symbol")
    return lines


def _verdict(s: dict[str, Any]) -> str:
    bpc, ng = s["bpc"], s["ngram"]["bpc"]
    if bpc is None:
        return "no evaluation yet"
    where = f"held-out ({s['valid']}, {s['valid_characters']:,} characters): {bpc:.3f} bpc, perplexity " \
            f"{s['perplexity']:.2f}; "
    if abs(bpc - ng) < 0.0005:
        return where + "level with the best n-gram"
    if bpc < ng:
        return where + f"{ng - bpc:.3f} bpc below the best n-gram"
    return where + f"{bpc - ng:.3f} bpc above the best n-gram (train longer, or a larger --hidden)"


# ---------------------------------------------------------------------------------------------- compare


def emit_compare(rows: list[dict], meta: dict[str, Any], fmt: str) -> None:
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":  # as compare's other tasks: one object per cell, with what they share
        render.write_json([{**meta, **row} for row in rows])
        return
    if fmt == "csv":
        render.write_csv(rows, COMPARE_COLUMNS)
        return
    t = train_view._table(f"{meta['text']}: rnn, gru and lstm with the same budget ({meta['budget']:,} steps), "
                          f"size and seed")
    closers = meta.get("closers") is not None
    cols = ["cell", "held-out bpc", "next char right"] + (["right closer"] if closers else []) + ["time", "curve"]
    for name in cols:
        t.add_column(name, justify="left" if name in ("cell", "curve") else "right", no_wrap=name == "curve")
    hi = meta["uniform_bpc"]
    for r in rows:
        cells = [r["cell"], _f(r["bpc"]), train_view._pct(r["accuracy"])]
        if closers:
            cells.append(train_view._pct(r["closers_right"]))
        cells += [f"{r['seconds']:.1f} s", render.sparkline(r["curve"][-16:], lo=0.0, hi=hi)]
        t.add_row(*cells)
    if closers:
        t.add_row(f"{meta['ngram_order']}-gram", _f(meta["ngram_bpc"]), "", train_view._pct(meta["ngram_closers"]),
                  "", "")
    lines = [t, f"best n-gram: order {meta['ngram_order']} ({meta['smoothing']}) {meta['ngram_bpc']:.3f} bpc; "
                f"uniform: {hi:.3f} bpc (log2 {meta['vocab_size']})"]
    if closers:
        lines.append(f"right closer: of the {meta['closers']:,} closing brackets in the held-out text with "
                     f"{meta['min_depth']} or more brackets open, how often the right one got more probability "
                     "than the wrong one")
    if meta.get("summary"):
        lines.append(meta["summary"])
    render.print_table(lines)


# ---------------------------------------------------------------------------------------------- sample


class SampleWriter:
    """Characters to stdout as they come (flushed), or one JSON object per character."""

    def __init__(self, fmt: str):
        self.fmt = getattr(fmt, "value", fmt)
        self.chars: list = []
        self._csv = None
        if self.fmt == "csv":
            self._csv = render.CsvWriter(["index", "char", "probability", "sampled_probability"])

    def write(self, c) -> None:
        if self.fmt == "text":
            sys.stdout.write(c.char)
            sys.stdout.flush()
        elif self.fmt == "jsonl":
            render.write_jsonl(render.jsonable(c))
        elif self.fmt == "csv":
            self._csv.row(render.jsonable(c))
        else:
            self.chars.append(c)

    def close(self, meta: dict[str, Any]) -> None:
        if self.fmt == "text":
            if not self.chars_end_with_newline:
                sys.stdout.write("\n")
            sys.stdout.flush()
        elif self.fmt == "json":
            text = "".join(c.char for c in self.chars)
            bits = [-math.log2(c.probability) if c.probability > 0 else None for c in self.chars]
            # a character the model gave probability 0 (it underflowed; a high temperature can still draw it)
            # costs infinitely many bits: then the mean is null, with a flag, rather than the mean of the others
            infinite = None in bits
            render.write_json({**meta, "text": text, "chars": [render.jsonable(c) for c in self.chars],
                               "mean_bits": None if infinite or not bits else sum(bits) / len(bits),
                               "mean_bits_infinite": infinite})

    chars_end_with_newline = False


# ---------------------------------------------------------------------------------------------- inspect


_STRIP = "▁▂▃▄▅▆▇█"


def strip(values, lo: float, hi: float) -> str:
    """One glyph per value, ▁ at lo .. █ at hi."""
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append("·")
            continue
        f = 0.0 if hi <= lo else (min(max(v, lo), hi) - lo) / (hi - lo)
        out.append(_STRIP[int(f * (len(_STRIP) - 1) + 0.5)])
    return "".join(out)


def _shade(f: float) -> str:
    """A background colour for a fraction 0..1: blue (low) through grey to red (high)."""
    f = min(max(f, 0.0), 1.0)
    if f < 0.5:
        k = int(60 + (0.5 - f) * 2 * 160)
        return f"on rgb(40,{k // 2 + 30},{k})"
    k = int(60 + (f - 0.5) * 2 * 160)
    return f"on rgb({k},{k // 3 + 20},40)"


def shaded_lines(text: str, values, lo: float, hi: float, width: int):
    """The text cut into lines of at most ``width`` (and at newlines), each paired with its values' strip:
    [(chars, values)]."""
    lines, cur, vals = [], [], []
    for ch, v in zip(text, values):
        cur.append(_VISIBLE.get(ch, "·" if ord(ch) < 32 else ch))
        vals.append(v)
        if ch == "\n" or len(cur) >= width:
            lines.append((cur, vals))
            cur, vals = [], []
    if cur:
        lines.append((cur, vals))
    return lines


def emit_inspect(result, fmt: str, width: int | None = None) -> None:
    """--unit / --surprise: per character its value; table: shaded text with a strip under each line."""
    fmt = getattr(fmt, "value", fmt)
    data = result.as_dict()
    if fmt == "json":
        render.write_json(data)
        return
    if fmt == "jsonl":
        render.emit("jsonl", data=data["chars"])
        return
    if fmt == "csv":  # the shown value as a column of its own
        render.write_csv([{k: v for k, v in r.items() if k != "activations"} | r["activations"]
                          for r in data["chars"]])
        return
    from rich.text import Text

    width = max(20, (width or _columns()))
    lo, hi = result.lo, result.hi
    out: list[Any] = [result.title]
    console = render.console()
    color = console.color_system is not None and not console.no_color
    for chars, vals in shaded_lines(result.text, result.values, lo, hi, width):
        line = Text()
        for ch, v in zip(chars, vals):
            style = _shade(0.5 if v is None or hi <= lo else (min(max(v, lo), hi) - lo) / (hi - lo)) if color else ""
            line.append(ch, style=style)
        out.append(line)
        out.append(strip(vals, lo, hi))
    out.append(result.legend)
    render.print_table(out)


def emit_find(result, fmt: str) -> None:
    fmt = getattr(fmt, "value", fmt)
    data = result.as_dict()
    if fmt == "json":
        render.write_json(data)
        return
    rows = [{"feature": f["feature"], "rank": i + 1, **u} for f in data["features"] for i, u in enumerate(f["units"])]
    if fmt in ("csv", "jsonl"):  # one row per (feature, unit)
        render.emit(fmt, data=rows, rows=rows, columns=["feature", "rank", "unit", "layer", "index", "state", "r"])
        return
    t = train_view._table(f"units that follow a feature of the text ({result.chars:,} characters of "
                          f"{result.source})")
    t.add_column("feature")
    t.add_column("best units (r)", overflow="fold")
    for f in result.features:
        if not f.units:
            t.add_row(f.name, f"- ({f.note})")
            continue
        t.add_row(f.name, ", ".join(f"{u.unit} {u.r:+.2f}" for u in f.units))
    lines: list[Any] = [t]
    width = _columns()
    for f in result.features:
        if f.units:
            best = f.units[0]
            lines.append(f"{f.name}: {best.unit} (r = {best.r:+.2f}) over the first {len(f.strip_text)} characters")
            lines.append("  text  " + visible(f.strip_text)[: width - 8])
            lines.append("  unit  " + f.unit_strip[: width - 8])
            lines.append("  feat  " + f.feature_strip[: width - 8])
    lines.append("r: Pearson correlation over the characters between the unit's value after reading a character and "
                 "the feature there; units are LAYER:INDEX of h (and c for an LSTM).")
    render.print_table(lines)
