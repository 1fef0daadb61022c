"""Tables, JSON, CSV, summary and the optional plot for ``rnn-tutor decay``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rnn_tutor import render
from rnn_tutor.core import decay as D
from rnn_tutor.core.numfmt import num
from rnn_tutor.errors import BadValueError, RnnTutorError

CSV_COLUMNS = ["k", "norm", "log10_norm", "overflow"]
CELL_COLUMNS = ["cell_path", "cell_log10"]
MAX_TABLE_ROWS = 40
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
_CELL_NAMES = {"lstm": "LSTM", "gru": "GRU"}


# ---------------------------------------------------------------------------------------------- words

def _pct(log10_value: float) -> str:
    v = D._value(log10_value)[0]
    if v is None:
        return "overflow"
    return f"{num(100.0 * v, 3)}%"


def _setup(r: D.DecayResult) -> str:
    if r.mode == "scalar":
        if r.activation == "linear":
            eq = f"h_t = w·h_(t-1) + u·x_t with w = {num(r.weight)}"
        else:
            eq = f"h_t = tanh(w·h_(t-1) + u·x_t) with w = {num(r.weight)}, u = {num(r.input_weight)}"
    else:
        eq = ("h_t = W·h_(t-1) + U·x_t" if r.activation == "linear" else
              f"h_t = tanh(W·h_(t-1) + {num(r.input_weight)}·x_t)") + f", W is {r.size}x{r.size}"
        if r.activation == "tanh":
            eq += f", inputs x_t ~ N(0, 1) from --seed {r.seed}"
    return eq


def factor_name(r: D.DecayResult) -> str:
    return "|dh_T/dh_(T-k)|" if r.mode == "scalar" else "||dh_T/dh_(T-k)||_2"


def summary(r: D.DecayResult) -> str:
    """A few plain sentences on what the numbers mean."""
    thr = num(r.threshold)
    inv = num(1.0 / r.threshold)
    parts: list[str] = []
    if r.mode == "scalar" and r.activation == "linear":
        lead = f"Each step back multiplies the gradient by |w| = {num(abs(r.weight))}"
    elif r.activation == "linear":
        lead = (f"Each step back multiplies the gradient by W; in the long run its size changes by the spectral "
                f"radius {num(r.spectral_radius)} per step")
    else:
        lead = (f"Along this tanh trajectory each step multiplies the gradient by w·(1 - h_t^2), never more than "
                f"|w| in size; on average the factor changed by {num(r.rate)} per step over {r.n_steps} steps"
                if r.mode == "scalar" else
                f"Along this tanh trajectory each step multiplies the gradient by diag(1 - h_t^2)·W; on average "
                f"its size changed by {num(r.rate)} per step over {r.n_steps} steps")
    if r.verdict == "vanishing":
        hl = "at once" if r.half_life == 0 else f"every {_steps_word(_rate_steps(r.half_life))}"
        parts.append(f"{lead}, so the signal from far back vanishes: it halves {hl}")
        if r.horizon is not None:
            parts[-1] += (f" and is down to {thr} of its size after {_steps_word(r.horizon)}. Inputs further back than "
                          f"that barely move the weights, which is why a plain RNN struggles with long-range "
                          f"dependencies.")
        else:
            parts[-1] += f"; it did not reach {thr} within {r.horizon_searched_to} steps."
    elif r.verdict == "exploding":
        parts.append(f"{lead}, so the gradient explodes: it doubles every {_steps_word(_rate_steps(r.doubling_time))}")
        if r.horizon is not None:
            parts[-1] += (f" and is {inv} times larger after {_steps_word(r.horizon)}. Training steps become huge and "
                          f"unstable; clipping the gradient's norm (--clip) keeps them in check.")
        else:
            parts[-1] += f"; it did not pass {inv} within {r.horizon_searched_to} steps."
    else:
        parts.append(f"{lead}, so the factor neither shrinks nor grows exponentially: the edge between "
                     f"vanishing and exploding.")
    if r.transient_growth and r.activation == "tanh":
        parts.append(f"Yet the factor first rises to {num(r.peak_norm)} (at k = {r.peak_k}) before the tanh slopes "
                     f"1 - h_t^2 pull it down.")
    elif r.transient_growth:
        parts.append(f"Yet the factor first rises to {num(r.peak_norm)} (at k = {r.peak_k}): W is not normal, and "
                     f"its largest singular value {num(r.max_singular_value)} > 1 lets some directions grow for a "
                     f"few steps before the spectral radius {num(r.spectral_radius)} < 1 takes over.")
    if r.cell is not None:
        c = r.cell
        name = _CELL_NAMES[c.cell]
        k = r.n_steps
        gate = "forget gate f" if c.gate == "f" else "update gate z"
        path = "cell state c_t" if c.cell == "lstm" else "hidden state's z·h_(t-1) term"
        gated, vanilla = r.steps[-1].cell_log10, r.steps[-1].log10_norm
        if gated is not None and vanilla is not None and gated < vanilla:
            # the lane is only slower while the gate stays near 1: do not call it slower when it fades faster here
            more = "--forget 0.95" if c.source == "constant" else "--forget-bias 3"
            parts.append(f"The {name}'s {path} can be a slower memory lane, where the gradient is only multiplied "
                         f"by the {gate}, but only while that gate stays near 1: here it averages "
                         f"{num(c.gate_mean, 3)}, so after {k} steps the lane keeps {_pct(gated)}, less than the "
                         f"{_pct(vanilla)} on the vanilla path. A gate nearer 1 ({more}) keeps it open.")
        else:
            parts.append(f"The {name}'s {path} is a slower memory lane: along it the gradient is only multiplied by "
                         f"the {gate} (mean {num(c.gate_mean, 3)}). After {k} steps it keeps "
                         f"{_pct(gated)}, against {_pct(vanilla)} on the vanilla path.")
    if r.clip is not None:
        c = r.clip
        if c.norm_clipped:
            by_value = (f"changed {c.values_clipped} of {len(c.components)} components and turned the direction "
                        f"by {num(c.angle_value_clip_deg, 3)} degrees" if c.values_clipped else
                        "changes none of them here (each is within the threshold), so the norm stays above it")
            parts.append(f"Clipping by norm scales the whole gradient down to {num(c.threshold)} and keeps its "
                         f"direction; clipping each component to ±{num(c.threshold)} {by_value}.")
        else:
            parts.append(f"The gradient's norm {num(c.norm_before)} is within {num(c.threshold)}, so norm clipping "
                         f"leaves it alone.")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------- JSON / CSV

def record(r: D.DecayResult) -> dict[str, Any]:
    rec = r.to_record()
    rec["summary"] = summary(r)
    return rec


def csv_rows(r: D.DecayResult) -> tuple[list[dict[str, Any]], list[str]]:
    with_cell = r.cell is not None
    cols = CSV_COLUMNS + (CELL_COLUMNS if with_cell else [])
    return [s.to_record(with_cell) for s in r.steps], cols


def emit(r: D.DecayResult, fmt: str) -> None:
    rows, cols = csv_rows(r)
    render.emit(fmt, data=record(r), rows=rows, columns=cols, table=lambda: tables(r))


# ---------------------------------------------------------------------------------------------- tables

def shown_rows(r: D.DecayResult, limit: int = MAX_TABLE_ROWS) -> list[int]:
    """Which k the table shows: all up to ``limit``; else the first ten, the horizon, the peak, the last, and
    evenly spaced ones between."""
    n = r.n_steps
    if n <= limit:
        return list(range(1, n + 1))
    keep = set(range(1, 11)) | {n, r.peak_k}
    if r.horizon is not None and r.horizon <= n:
        keep.add(r.horizon)
    spare = limit - len(keep)
    if spare > 0:
        step = (n - 10) / (spare + 1)
        keep |= {10 + round(step * (i + 1)) for i in range(spare)}
    return sorted(k for k in keep if 1 <= k <= n)


def _log_range(r: D.DecayResult) -> tuple[float, float]:
    logs = [s.log10_norm for s in r.steps if math.isfinite(s.log10_norm)]
    logs += [s.cell_log10 for s in r.steps if s.cell_log10 is not None and math.isfinite(s.cell_log10)]
    lt = math.log10(r.threshold)
    lo = min(logs + [0.0, lt if r.verdict == "vanishing" else 0.0])
    hi = max(logs + [0.0, -lt if r.verdict == "exploding" else 0.0])
    return lo, hi


def _bar(log10_value: float | None, lo: float, hi: float, width: int) -> str:
    if log10_value is None:
        return ""
    if log10_value == -math.inf:
        return "0"
    if hi <= lo:
        return render.bar(1.0, width)
    return render.bar((log10_value - lo) / (hi - lo), width) or "▏"


def curve(r: D.DecayResult, width: int = 60) -> str:
    """A sparkline of log10 of the factor over k = 1..T (at most ``width`` glyphs, evenly sampled)."""
    logs = [s.log10_norm if math.isfinite(s.log10_norm) else None for s in r.steps]
    if len(logs) > width:
        logs = [logs[round(i * (len(logs) - 1) / (width - 1))] for i in range(width)]
    return render.sparkline(logs)


def _rate_steps(v: float) -> float:
    """A half-life or doubling time for a sentence: two decimals, or three significant digits below 0.01 (w = 1e100
    doubles every 0.00301 steps, not 'every 0 steps')."""
    return round(v, 2) if v >= 0.01 else float(f"{v:.3g}")


def _steps_word(v: float) -> str:
    return f"{num(v, 4)} step" + ("" if v == 1 else "s")


def _fmt_log(v: float | None) -> str:
    if v is None:
        return ""
    if v == -math.inf:
        return "-inf"
    return f"{v:.3f}"


def tables(r: D.DecayResult) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = [Text(_setup(r), style="bold")]
    if r.mode == "matrix" and r.size <= 6:
        out.append(Text("W = [" + "; ".join(", ".join(num(v, 4) for v in row) for row in r.matrix) + "]"))
    if r.inputs is not None:
        xs = ", ".join(num(v, 3) for v in r.inputs[:12]) + (", ..." if len(r.inputs) > 12 else "")
        out.append(Text(f"inputs x_1..x_{len(r.inputs)} ({'seeded, --seed ' + str(r.seed) if r.inputs_seeded else 'given'}): {xs}"))

    # key numbers
    key = Table(box=box.SIMPLE_HEAD, show_header=False, pad_edge=False)
    key.add_column("what")
    key.add_column("value", overflow="fold")
    glyph = render.verdict_glyph(r.verdict)
    key.add_row("verdict", f"{glyph} {r.verdict}")
    if r.mode == "scalar":
        key.add_row("|w| (radius = largest singular value)", num(abs(r.weight)))
    else:
        key.add_row("spectral radius rho(W)", f"{num(r.spectral_radius)}  (long-run rate per step)")
        key.add_row("largest singular value", f"{num(r.max_singular_value)}  (the most one step can stretch)")
    if r.activation == "tanh":
        key.add_row("average rate per step", num(r.rate))
    if r.horizon is not None:
        what = f"≤ {num(r.threshold)}" if r.verdict == "vanishing" else f"≥ {num(1.0 / r.threshold)}"
        beyond = f", beyond the {r.n_steps} shown" if r.horizon > r.n_steps else ""
        key.add_row("horizon", f"k = {r.horizon}  (factor {what}{beyond})")
    elif r.verdict == "neither":
        key.add_row("horizon", "none (the factor does not change exponentially)")
    else:
        key.add_row("horizon", f"not reached within {r.horizon_searched_to} steps")
    if r.half_life is not None:
        key.add_row("half-life", _steps_word(r.half_life))
    if r.doubling_time is not None:
        key.add_row("doubling time", _steps_word(r.doubling_time))
    if r.transient_growth:
        why = "although rho < 1" if r.activation == "linear" else "before it vanishes"
        key.add_row("transient growth", f"peak {num(r.peak_norm)} at k = {r.peak_k} {why}")
    if r.cell is not None:
        c = r.cell
        src = (f"constant {c.gate} = {num(c.forget)}" if c.source == "constant" else
               f"seeded, H = {c.hidden_size}" + (f", bias {num(c.forget_bias)}" if c.forget_bias is not None else ""))
        hz = f"k = {c.horizon}" if c.horizon is not None else f"not within {r.n_steps} steps"
        key.add_row(f"{_CELL_NAMES[c.cell]} cell path ({src})", f"horizon {hz}" +
                    (f", half-life {num(c.half_life, 4)}" if c.half_life is not None else ""))
    if r.overflow:
        key.add_row("overflow", "yes: factors beyond the float range are shown as 'overflow' (log10 stays exact)")
    out.append(key)

    # the factors
    lo, hi = _log_range(r)
    with_cell = r.cell is not None
    width = 10 if with_cell else 20
    ks = shown_rows(r)
    out.append(Text(f"The factor {factor_name(r)} for k = 1..{r.n_steps} (bars on a log scale):", style="bold"))
    steps = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    steps.add_column("k", justify="right")
    steps.add_column("factor", justify="right", no_wrap=True, min_width=10)
    steps.add_column("log10", justify="right")
    steps.add_column("", no_wrap=True)
    if with_cell:
        steps.add_column(f"{_CELL_NAMES[r.cell.cell]} path", justify="right", no_wrap=True, min_width=10)
        steps.add_column("", no_wrap=True)
    for k in ks:
        s = r.steps[k - 1]
        mark = ""
        if r.horizon == k:
            mark = " ◀ horizon"
        row = [str(k), num(s.norm, 5), _fmt_log(s.log10_norm), _bar(s.log10_norm, lo, hi, width) + mark]
        if with_cell:
            row += [num(s.cell_path, 5), _bar(s.cell_log10, lo, hi, width)]
        steps.add_row(*row)
    out.append(steps)
    if len(ks) < r.n_steps:
        out.append(Text(f"({len(ks)} of {r.n_steps} rows shown; --format csv lists every k)", style="dim"))
    out.append(Text(f"log10 curve, k = 1..{r.n_steps}: {curve(r, 48)}"))

    # Pascanu, Mikolov & Bengio (2013)
    cond = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Pascanu, Mikolov & Bengio (2013)",
                 title_justify="left")
    cond.add_column("condition")
    cond.add_column("met", no_wrap=True)
    cond.add_column("what it says here", overflow="fold")
    for c in r.conditions:
        cond.add_row(f"{c.quantity} {'< 1' if c.kind.startswith('sufficient') else '> 1'}: {c.kind}",
                     "✓ yes" if c.holds else "✗ no", c.meaning)
    out.append(cond)

    if r.clip is not None:
        out.extend(_clip_tables(r))

    for note in r.notes:
        out.append(Text(f"Note: {note}", style="dim"))
    out.append(Text(""))
    out.append(Text(summary(r)))
    return out


def _clip_tables(r: D.DecayResult) -> list[Any]:
    from rich import box
    from rich.table import Table

    c = r.clip
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"Clipping the gradient dL/dh_(T-k) at {num(c.threshold)}",
              title_justify="left")
    t.add_column("")
    t.add_column("by norm", justify="right")
    t.add_column("by value", justify="right")
    before = num(c.norm_before) if c.norm_before is not None else f"overflow (10^{c.log10_norm_before:.1f})"
    t.add_row("norm before", before, before)
    t.add_row("norm after", num(c.norm_after_norm_clip), num(c.norm_after_value_clip))
    t.add_row("direction change (degrees)", num(c.angle_norm_clip_deg, 4), num(c.angle_value_clip_deg, 4))
    t.add_row("components changed", str(len(c.components)) if c.norm_clipped else "0", str(c.values_clipped))
    out: list[Any] = [t]
    comps = c.components
    show = comps if len(comps) <= 12 else comps[:6] + comps[-6:]
    ct = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    ct.add_column("k", justify="right")
    if r.size > 1:
        ct.add_column("unit", justify="right")
    ct.add_column("gradient", justify="right")
    ct.add_column("clipped by norm", justify="right")
    ct.add_column("clipped by value", justify="right")
    for i, p in enumerate(show):
        if len(comps) > 12 and i == 6:
            ct.add_row("⋮", *([""] * (4 if r.size > 1 else 3)))
        row = [str(p.k)] + ([str(p.unit)] if r.size > 1 else [])
        ct.add_row(*row, num(p.original), num(p.by_norm), num(p.by_value))
    out.append(ct)
    return out


# ---------------------------------------------------------------------------------------------- plot

def check_plot_path(path: str | Path) -> Path:
    """The plot's file name must end in .png, .svg or .pdf (checked before any work is done)."""
    p = Path(path)
    if p.suffix.lower() not in PLOT_SUFFIXES:
        raise BadValueError("--plot", f"{str(path)!r} does not end in .png, .svg or .pdf (e.g. --plot decay.png)")
    return p


def write_plot(r: D.DecayResult, path: str | Path) -> Path:
    """log10 of the factor against k, with the threshold and the gated path; needs the optional matplotlib."""
    p = check_plot_path(path)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RnnTutorError("--plot needs matplotlib, which is not installed",
                            "install it with pip install 'rnn-tutor[plot]', or pip install matplotlib") from None
    ks = [s.k for s in r.steps]
    logs = [s.log10_norm if math.isfinite(s.log10_norm) else float("nan") for s in r.steps]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    try:
        ax.plot(ks, logs, marker="o" if len(ks) <= 40 else None, ms=3, label=f"vanilla {factor_name(r)}")
        if r.cell is not None:
            cl = [s.cell_log10 if s.cell_log10 is not None and math.isfinite(s.cell_log10) else float("nan")
                  for s in r.steps]
            ax.plot(ks, cl, label=f"{_CELL_NAMES[r.cell.cell]} cell path (gate {r.cell.gate})")
        lt = math.log10(r.threshold)
        ax.axhline(0.0, color="grey", lw=0.8)
        if r.verdict == "exploding":
            ax.axhline(-lt, color="red", ls="--", lw=0.8, label=f"1/threshold = {num(1 / r.threshold)}")
        else:
            ax.axhline(lt, color="red", ls="--", lw=0.8, label=f"threshold = {num(r.threshold)}")
        if r.horizon is not None and r.horizon <= r.n_steps:
            ax.axvline(r.horizon, color="grey", ls=":", lw=0.8, label=f"horizon k = {r.horizon}")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # k counts steps: no tick at 2.5
        ax.set_xlabel("k (steps back from T)")
        ax.set_ylabel("log10 of the factor")
        ax.set_title(f"{r.verdict}: {_setup(r)}", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        try:
            fig.savefig(p)
        except OSError as e:
            raise RnnTutorError(f"cannot write the plot to {str(p)!r}: {e.strerror or e}",
                                "check that the folder exists and is writable") from None
    finally:
        plt.close(fig)
    return p
