"""``predict`` on a forecast model (``--samples`` or ``--input``), compactly: one row per window with the last
readings as a sparkline, the last reading, the prediction of the next one and, for a generated sample, the
reading that came next and the error. JSON, JSON Lines and CSV carry every window whole."""

from __future__ import annotations

from typing import Any

from rnn_tutor import render
from rnn_tutor.core.numfmt import num

SHOWN = 24  # readings drawn per window: one glyph each, so a knock every 16 readings shows as a spike
COLUMNS = ["input", "prediction", "expected", "value", "target", "error", "length", "other_length", "overflow"]


def _readings(p) -> list[float]:
    """The window's readings, split as the forecast task reads an input (spaces or commas; already checked)."""
    return [float(v) for v in p.input.replace(",", " ").split()]


def record(p) -> dict[str, Any]:
    from rnn_tutor.core.forecast_samples import error

    d = render.jsonable(p)
    for key in ("correct", "confidence"):  # a regression has neither
        d.pop(key, None)
    d["error"] = render.jsonable(error(p))
    d["overflow"] = p.value is None  # a prediction past the float range: null above, and this says why
    return d


def emit(preds, meta: dict[str, Any], fmt: str, heldout_mse: float | None) -> None:
    fmt = getattr(fmt, "value", fmt)
    if fmt == "json":
        render.write_json({**meta, "predictions": [record(p) for p in preds]})
        return
    if fmt == "jsonl":
        for p in preds:
            render.write_jsonl({"task": meta["task"], **record(p)})
        return
    if fmt == "csv":
        render.write_csv([record(p) for p in preds], COLUMNS)
        return
    render.print_table(lines(preds, meta, heldout_mse))


def _v(x: float | None) -> str:
    return "-" if x is None else num(x, 4)


def lines(preds, meta: dict[str, Any], heldout_mse: float | None) -> list:
    from rich import box
    from rich.table import Table

    from rnn_tutor.core.forecast_samples import error

    windows = [_readings(p) for p in preds]
    longest = max(len(w) for w in windows)
    drawn = [w[-SHOWN:] for w in windows]
    flat = [v for w in drawn for v in w]
    lo, hi = min(flat), max(flat)
    truth = any(p.target is not None for p in preds)
    head = f"last {min(SHOWN, longest)} of {longest:,} readings" if longest > SHOWN else "readings"
    title = f"{meta['cell']} model for {meta['task']} ({meta['path']})"
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, min_width=len(title))
    t.add_column("#", justify="right")
    t.add_column(head, no_wrap=True)
    t.add_column("last", justify="right")
    t.add_column("predicted", justify="right")
    if truth:
        t.add_column("true next", justify="right")
        t.add_column("error", justify="right")
    for i, (p, w) in enumerate(zip(preds, drawn), 1):
        row = [str(i), render.sparkline(w, lo, hi), _v(w[-1]), "overflow" if p.value is None else _v(p.value)]
        if truth:
            row += [_v(p.target), _v(error(p))]
        t.add_row(*row)
    out: list[Any] = [t]
    out.append(f"Each sparkline: the window's last readings, one glyph each, on one scale for all rows (▁ = "
               f"{_v(lo)}, █ = {_v(hi)}); --format json or csv has every reading.")
    errs = [e for e in (error(p) for p in preds) if e is not None]
    if truth and errs:
        from rnn_tutor.render.forecast import _mse

        mse = sum(e * e for e in errs) / len(errs)  # as the training table and the stream's closing line write it
        held = f" (held-out at training: {_mse(heldout_mse)})" if heldout_mse is not None else ""
        out.append(f"error = true next - predicted. Mean squared error over {len(errs)} "
                   f"{'sample' if len(errs) == 1 else 'samples'}: {_mse(mse)}{held}.")
    elif not truth:
        out.append("The reading after an input you give is not known here: stream it with --stream to see the "
                   "errors as readings arrive.")
    return out
