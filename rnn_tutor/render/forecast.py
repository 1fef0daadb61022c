"""Tables and records for forecasting: the held-out comparison of ``train --task forecast``, the ``signal``
command's readings, and ``predict --stream`` (every kind of model), one line per input as it arrives."""

from __future__ import annotations

import math
import sys
from typing import Any

from rnn_tutor import render
from rnn_tutor.core.numfmt import percent


def _mse(v: float | None) -> str:
    if v is None:
        return "-"
    if not math.isfinite(v):  # squared errors of finite readings: past the float range (JSON: null, overflow true)
        return "overflow"
    return f"{v:.4f}" if 1e-3 <= v < 1e4 else f"{v:.3g}"


def report_dict(rep) -> dict[str, Any]:
    """The comparison as JSON: every field, plus the two ratios."""
    d = render.jsonable(rep)
    d["vs_ar"] = render.jsonable(rep.vs_ar)
    d["vs_persistence"] = render.jsonable(rep.vs_persistence)
    d["overflow"] = bool(rep.overflow)  # why a figure above is null
    return d


def comparison_rows(rep) -> list[tuple[str, float]]:
    return [(rep.cell, rep.mse), (f"AR({rep.ar_order})", rep.ar_mse), ("persistence", rep.persistence_mse),
            ("the mean", rep.mean_mse)]


def comparison_table(rep):
    """Held-out mean squared error of the model beside the baselines, on the same readings."""
    from rich import box
    from rich.table import Table

    from rnn_tutor.core import signals

    title = f"Held-out: {rep.readings:,} readings of {rep.source} (the same for every row)"
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
              min_width=len(title))  # else rich wraps the title to the narrower table
    t.add_column("predictor")
    t.add_column("mean sq. error", justify="right")
    t.add_column("explained", justify="right")
    t.add_column("vs persistence", justify="right")
    t.add_column("", no_wrap=True)
    worst = max((v for _, v in comparison_rows(rep) if math.isfinite(v)), default=1.0) or 1.0
    for name, v in comparison_rows(rep):
        explained = signals.explained_text(v, rep.mean_mse)
        vs = percent(v / rep.persistence_mse, 0) if rep.persistence_mse > 0 and math.isfinite(v) else "-"
        t.add_row(name, _mse(v), explained, vs, render.bar(v / worst if math.isfinite(v) else None, 12))
    return t


def train_lines(result, s: dict[str, Any], curve: str) -> list:
    """``train --task forecast`` as a table: the learning curve's records, then the comparison and the sentence."""
    from rnn_tutor.render.train import _num, _table, curve_axis, row_labels, sampled_rows

    rep = result.forecast
    title = f"{s['cell']} forecast, {rep.signal}: length {s['length']}, hidden {s['hidden']}"
    if s.get("layers", 1) > 1:
        title += f", {s['layers']} layers"
    if s["interrupted"]:
        title += " — interrupted"
    t = _table("")  # the title goes above as a line of its own: the table is narrower than it
    for name in ("step", "sequences", "loss", "explained"):
        t.add_column(name, justify="right")
    t.add_column("", no_wrap=True)
    t.add_column("", no_wrap=True)
    recs = list(result.records)
    labels = row_labels(recs, None)  # a forecast is never solved: the best and the last are always shown
    for i in sampled_rows(recs, None, n=8):
        r = recs[i]
        t.add_row(f"{r.step:,}", f"{r.sequences:,}", _num(r.loss), percent(r.accuracy, 1),
                  render.bar(r.accuracy, 12), ", ".join(labels.get(i, [])))
    return [
        title,
        t,
        f"loss: mean squared error on normalised readings (mean {rep.mean:.4g}, sd {rep.std:.4g}); explained: "
        "1 - error / variance of the held-out readings",
        f"learning curve ({curve_axis('explained', result.config.steps, s['steps'], s['interrupted'])}):",
        f"  {curve}",
        "",
        comparison_table(rep),
        rep.sentence,
        f"Predictions count from reading {rep.ar_order + 1} of the stretch on, where AR({rep.ar_order}) has "
        f"{rep.ar_order} readings to go on; {s['seconds']:.1f} s of training.",
    ]


# ---------------------------------------------------------------------------------------------- signal


class ReadingWriter:
    """The ``signal`` command's readings: one number per line (table), CSV rows, JSON Lines, or one JSON
    object at the end."""

    def __init__(self, fmt: str, name: str, seed: int):
        self.fmt, self.name, self.seed = fmt, name, seed
        self.values: list[float] = []
        self._csv = None
        self.t = 0
        if fmt == "csv":
            import csv

            self._csv = csv.writer(sys.stdout, lineterminator="\n")
            self._csv.writerow(["t", "reading"])

    def write(self, values) -> None:
        out = sys.stdout
        if self.fmt == "json":
            self.values.extend(float(v) for v in values)
            return
        for v in values:
            self.t += 1
            if self.fmt == "table":
                out.write(f"{float(v):.6g}\n")
            elif self.fmt == "jsonl":
                out.write(render.dumps({"t": self.t, "reading": float(v)}, indent=None) + "\n")
            else:
                self._csv.writerow([self.t, repr(float(v))])
        out.flush()

    def close(self) -> None:
        if self.fmt == "json":
            render.write_json({"signal": self.name, "seed": self.seed, "length": len(self.values),
                               "readings": self.values})


# ---------------------------------------------------------------------------------------------- predict --stream

_WIDTH = {"t": 8, "reading": 11, "predicted": 11, "error": 11, "next": 11, "surprise": 8, "anomaly": 11,
          "input": 8, "marked": 7, "answer": 9, "expected": 9, "token": 10, "tag": 6, "confidence": 11,
          "char": 6, "bits": 8, "p_next": 8}
_TITLE = {"surprise": "x sd", "p_next": "p(next)", "next": "next"}


def _cell(key: str, v) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        if key == "anomaly":
            return "! anomaly" if v else ""
        return "*" if v else ""
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        if key in ("confidence", "p_next"):
            return percent(v, 0)
        if key == "surprise":
            return f"{v:.1f}"
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.3g}"
    if key == "char":
        return repr(v)[1:-1] or " "
    return str(v)


class StreamWriter:
    """One line per answer, written and flushed as its input arrives: aligned text, CSV or JSON Lines."""

    def __init__(self, columns: tuple[str, ...], fmt: str):
        self.columns = columns
        self.fmt = fmt
        self._csv = None
        self._header = False
        self._out = sys.stdout

    def write(self, rec: dict) -> None:
        out = self._out
        if self.fmt == "jsonl":
            out.write(render.dumps(rec, indent=None) + "\n")
        elif self.fmt == "csv":
            if self._csv is None:
                self._csv = render.CsvWriter(list(self.columns), out)
            self._csv.row(rec)
        else:
            if not self._header:
                self._header = True
                out.write("".join(f"{_TITLE.get(c, c):>{_WIDTH.get(c, 10)}}" for c in self.columns).rstrip() + "\n")
            out.write("".join(f"{_cell(c, rec.get(c)):>{_WIDTH.get(c, 10)}}" for c in self.columns).rstrip() + "\n")
        out.flush()


def stream_summary(summary: dict[str, Any], interrupted: bool) -> list[str]:
    """The closing lines on stderr: how much came through and the state's constant size; then the errors."""
    s = summary
    n = s["inputs"]
    unit = s["unit"] + ("" if n == 1 else "s")
    lines = [f"{'Interrupted after' if interrupted else 'Streamed'} {n:,} {unit}; the state ({s['state']}) held "
             f"{s['state_numbers']:,} numbers after every one."]
    if s.get("mse") is not None:
        text = f"Mean squared error {_mse(s['mse'])} over {s['scored']:,} prediction{'' if s['scored'] == 1 else 's'}"
        if s.get("heldout_mse") is not None:
            text += f" (held-out at training: {_mse(s['heldout_mse'])})"
        if s.get("anomalies") is not None:
            text += (f"; {s['anomalies']:,} flagged as {'an anomaly' if s['anomalies'] == 1 else 'anomalies'} "
                     f"(error above {s['anomaly_k']:g} x {s['error_std']:.3g}, the held-out errors' sd)")
        lines.append(text + ".")
    return lines
