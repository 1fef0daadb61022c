"""``trace --stream``: each h_t printed as its input arrives (aligned text, CSV or JSON Lines), keeping no steps;
JSON, a single document, is written at the end from the inputs seen."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from rnn_tutor import render
from rnn_tutor.core import scalar, scalar_step
from rnn_tutor.core.numfmt import exact_num
from rnn_tutor.render.trace import _q, document


class StreamWriter:
    """Prints each step as it arrives: aligned text, CSV or JSON Lines; JSON is written once at the end.

    ``given`` holds the parameters as the user gave them (weights, u, b, h_0, activation), for the JSON run.
    """

    def __init__(self, rnns: Sequence[scalar_step.ScalarRNN], fmt: str, given: tuple | None = None):
        self.rnns = list(rnns)
        self.fmt = fmt
        self.given = given
        self.values: list[float] = []
        self._csv = None
        self._header = False
        self.marked = self.rnns[0].q_params is not None

    def _line(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def _record(self, r, s) -> dict[str, Any]:
        return {"t": s.t, "x": s.x, "weight": r.weight, "h_prev": s.h_prev, "h": s.h,
                "h_exact": _q(s.q and s.q.h), "overflow": s.overflow}

    def write(self, steps: Sequence[scalar_step.Step], x=None) -> None:
        if self.fmt == "json":
            self.values.append(x if x is not None else steps[0].x)
        elif self.fmt == "jsonl":
            for r, s in zip(self.rnns, steps):
                render.write_jsonl(self._record(r, s))
        elif self.fmt == "csv":
            if self._csv is None:
                self._csv = render.CsvWriter(["t", "x", "weight", "h_prev", "h", "h_exact", "overflow"])
            for r, s in zip(self.rnns, steps):
                self._csv.row(self._record(r, s))
        else:
            if not self._header:
                self._header = True
                hs = "".join(f"{'h_t (w=' + exact_num(r.weight, r.q_params and r.q_params[0]) + ')':>18}"
                             for r in self.rnns)
                self._line(f"{'t':>6}{'x_t':>14}{hs}")
            x0 = steps[0].q.x if steps[0].q is not None else None
            hs = "".join(f"{exact_num(s.h, s.q and s.q.h, marked=self.marked):>18}" for s in steps)
            self._line(f"{steps[0].t:>6}{exact_num(steps[0].x, x0, marked=False):>14}{hs}")

    def close(self) -> None:
        if self.fmt == "json" and self.values:
            r0 = self.rnns[0]
            weights, u, b, h0, act = self.given or ([r.weight for r in self.rnns], r0.input_weight, r0.bias,
                                                    r0.h0, r0.activation)
            traces = [scalar.run(self.values, weight=w, input_weight=u, bias=b, h0=h0, activation=act)
                      for w in weights]
            render.write_json(document(traces))
