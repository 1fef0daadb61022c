"""Tables, JSON and CSV for the demos ``order``, ``cost`` and ``bottleneck``.

Each demo has ``record`` (the JSON object), ``csv_rows`` + columns, ``tables`` (rich renderables) and ``emit``.
The three formats are built from the same core result, so they never disagree.
"""

from __future__ import annotations

from typing import Any

from rnn_tutor import render
from rnn_tutor.core.demos import BottleneckResult, CostResult, OrderResult
from rnn_tutor.core.lessons import human_bytes
from rnn_tutor.core.numfmt import num, percent


def _pct(x: float | None) -> str:
    return "" if x is None else percent(x, 1)


# ---------------------------------------------------------------------------------------------------------- order

ORDER_COLUMNS = ["t", "token_a", "x_a", "h_a", "token_b", "x_b", "h_b", "diff", "vector_distance"]


def order_record(r: OrderResult) -> dict[str, Any]:
    data = render.jsonable(r)
    data["same_final"] = r.same_final
    data["vector_hidden_size"] = len(r.vector_final_a)
    return data


def order_rows(r: OrderResult) -> list[dict[str, Any]]:
    return [render.jsonable(s) for s in r.steps]


def _equation(r: OrderResult) -> str:
    inner = f"{num(r.weight)}·h_{{t-1}} + {num(r.input_weight)}·x_t"
    return f"h_t = {inner}" if r.activation == "linear" else f"h_t = {r.activation}({inner})"


def order_tables(r: OrderResult) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    out.append(Text(f"{_equation(r)}    h_0 = 0", style="bold"))
    out.append(Text("Shared vocabulary: " + "  ".join(f"{w}={i}" for w, i in r.vocabulary.items())))
    bag = "yes" if r.same_bag else "no"
    out.append(Text(f"Same bag of words: {bag}    sum of word numbers: A {r.sum_a}, B {r.sum_b}    "
                    f"words: A {len(r.ids_a)}, B {len(r.ids_b)}"))

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Side by side", title_justify="left")
    t.add_column("t", justify="right")
    t.add_column("A word", overflow="fold", max_width=12)
    t.add_column("x", justify="right")
    t.add_column("h_t (A)", justify="right", style="bold")
    t.add_column("B word", overflow="fold", max_width=12)
    t.add_column("x", justify="right")
    t.add_column("h_t (B)", justify="right", style="bold")
    t.add_column("A − B", justify="right")
    t.add_column("same?", justify="center")
    for s in r.steps:
        both = s.token_a is not None and s.token_b is not None
        if not both:
            same = "—"
        elif s.diff is None:
            same = "?"
        else:
            same = "= same" if s.diff == 0 else "≠ differ"
        t.add_row(str(s.t), s.token_a or "", "" if s.x_a is None else num(s.x_a),
                  "" if s.token_a is None else num(s.h_a), s.token_b or "",
                  "" if s.x_b is None else num(s.x_b), "" if s.token_b is None else num(s.h_b),
                  "" if s.diff is None else num(s.diff), same)
    out.append(t)

    lines = []
    if r.overflow:
        lines.append("The scalar state overflowed (shown as 'overflow'): try a weight with |w| < 1.")
    else:
        verdict = "the same" if r.same_final else "different"
        why = " although the bags of words are equal" if (r.same_bag and not r.same_final) else ""
        lines.append(f"Final states: A {num(r.final_a)}, B {num(r.final_b)}: {verdict}{why}.")
    lines.append(f"A seeded tanh RNN with {len(r.vector_final_a)} hidden units over one-hot words "
                 f"(seed {r.seed}) ends the two sentences {num(r.vector_distance, 3)} apart "
                 f"(bag-of-words vectors: {num(r.bag_distance, 3)} apart).")
    if r.same_bag and r.final_a != r.final_b:
        lines.append("A model that only counts words sees one input; the recurrence sees two.")
    for line in lines:
        out.append(Text(line))
    return out


def emit_order(r: OrderResult, fmt: str) -> None:
    render.emit(fmt, data=order_record(r), rows=order_rows(r), columns=ORDER_COLUMNS, table=lambda: order_tables(r))


# ----------------------------------------------------------------------------------------------------------- cost

COST_COLUMNS = ["kind", "layer", "complexity", "operations", "sequential", "sequential_ops", "path", "path_length",
                "tokens", "lstm_numbers", "kv_numbers", "lstm_bytes", "kv_bytes"]


def cost_record(r: CostResult) -> dict[str, Any]:
    return render.jsonable(r)


def cost_rows(r: CostResult) -> list[dict[str, Any]]:
    rows = [{"kind": "layer", **render.jsonable(c)} for c in r.layers_cost]
    rows += [{"kind": "stream", **render.jsonable(p)} for p in r.stream]
    return rows


def _many(count: int, word: str) -> str:
    """1 token, 2 tokens; 1 step, 4,096 steps."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _ops(count: int) -> str:
    """Every digit up to 999,999,999,999; beyond, 1.00e+21 (a cut-off '1,000,000,000,…' would be misread)."""
    return f"{count:,}" if count < 10**12 else f"{count:.2e}"


def cost_tables(r: CostResult) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    n, d = r.length, r.hidden
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"One layer at n = {_many(n, 'token')}, d = {d:,} "
              "(Vaswani et al. 2017, table 1)", title_justify="left")
    t.add_column("layer")
    t.add_column("work", justify="right")
    t.add_column("at n, d", justify="right", no_wrap=True)
    t.add_column("sequential steps", justify="right")
    t.add_column("longest path", justify="right")
    for c in r.layers_cost:
        t.add_row(c.layer, c.complexity, _ops(c.operations), f"{c.sequential} = {c.sequential_ops:,}",
                  f"{c.path} = {c.path_length:,}")
    out.append(t)
    if r.cheaper == "equal":
        ops = "The two orders of work are equal at n = d"
    else:
        ratio = r.ops_ratio if r.cheaper == "self-attention" else 1 / r.ops_ratio
        name = "the recurrent layer" if r.cheaper == "recurrent" else r.cheaper
        ops = f"By these orders {name} needs {num(ratio, 3)}× less work (d/n = {num(r.ops_ratio, 3)})"
    out.append(Text(f"{ops}; self-attention's work has no chain of steps, the recurrent layer's takes "
                    f"{_many(n, 'step')} that must run one after another. Constants are dropped: these are orders of "
                    "growth, not operation counts (cost --measure counts multiply-adds)."))

    s = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"Streaming memory ({r.layers} layer"
              f"{'s' if r.layers > 1 else ''}, {r.bytes_per_number} bytes per number)", title_justify="left")
    s.add_column("tokens", justify="right")
    s.add_column("LSTM h, c", justify="right")
    s.add_column("KV cache", justify="right")
    s.add_column("cache / state", justify="right")
    s.add_column("", no_wrap=True)
    top = r.stream[-1].kv_bytes
    for p in r.stream:
        s.add_row(f"{p.tokens:,}", human_bytes(p.lstm_bytes), human_bytes(p.kv_bytes),
                  f"{p.kv_numbers / p.lstm_numbers:,.0f}×", render.bar(p.kv_bytes / top, 16))
    out.append(s)
    out.append(Text(f"An LSTM keeps h and c ({r.stream[-1].lstm_numbers:,} numbers) whatever the length; "
                    f"attention keeps a key and a value per token, {r.kv_over_lstm:,.0f}× that at {_many(n, 'token')}."))
    return out


MEASURED_COLUMNS = ["n", "recurrent_seconds", "attention_seconds", "ratio", "recurrent_wall_seconds",
                    "attention_wall_seconds", "recurrent_runs", "attention_runs",
                    "recurrent_steps", "attention_steps", "recurrent_madds", "attention_madds"]


def emit_cost(r: CostResult, fmt: str, measured=None) -> None:
    """The table-1 costs; with ``measured`` (core.measure.MeasureResult) the timings beside them: JSON key
    ``measured``, CSV rows of kind ``measured``."""
    if measured is None:
        render.emit(fmt, data=cost_record(r), rows=cost_rows(r), columns=COST_COLUMNS, table=lambda: cost_tables(r))
        return
    data = {**cost_record(r), "measured": measured_record(measured)}
    rows = cost_rows(r) + [{"kind": "measured", **render.jsonable(p)} for p in measured.points]
    columns = COST_COLUMNS + [c for c in MEASURED_COLUMNS if c not in COST_COLUMNS]
    render.emit(fmt, data=data, rows=rows, columns=columns, table=lambda: cost_tables(r) + measured_tables(measured))


def measured_record(m) -> dict[str, Any]:
    data = render.jsonable(m)
    data["summary"] = measured_sentences(m)
    return data


def _time(seconds: float) -> str:
    """3 significant digits in µs, ms or s."""
    for unit, scale in (("µs", 1e-6), ("ms", 1e-3)):
        if seconds < 1000 * scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def _work(p) -> str:
    """Self-attention's multiply-adds over the LSTM's, an exact ratio of integers: rounded half away from zero
    like every other table number (0.5625 -> 0.563, where '.3g' would round half to even)."""
    from fractions import Fraction

    return num(Fraction(p.attention_madds, p.recurrent_madds), 3)


def _exponent(g) -> str:
    return "-" if g.measured_exponent is None else f"n^{g.measured_exponent:.2f}"


def measured_sentences(m) -> list[str]:
    """What the timings show, from the numbers; then what a GPU changes (said, not measured here)."""
    rec, att = m.growth
    d = m.hidden
    top = m.points[-1]
    span = f"n = {rec.from_n:,} to {rec.to_n:,}"
    text = (f"Growth with n ({span}): the LSTM's time grows as {_exponent(rec)} (table 1: n·d², so n^1); "
            f"self-attention's as {_exponent(att)} (table 1: n²·d, so n^2 once n is well above d: with the "
            f"constants, 4·n·d² + 2·n²·d, the n² term is the larger once n > 2·d = {2 * d:,}; at n = 2·d the two "
            f"are equal")
    # 2·n²·d > 4·n·d² exactly when n > 2·d: below it the projections weigh more, at it both the same
    if top.n < 2 * d:
        text += "; here n stays below that, so its n·d² projections still weigh most)."
    elif top.n == 2 * d:
        text += "; here n goes up to 2·d, where the projections and the n² term are the same work)."
    else:
        text += ")."
    out = [text]
    work = _work(top)
    chain = (f"the LSTM's chain of steps, each of which waits for the one before and multiplies a matrix by a "
             "single vector (one sequence: far below what a core can do) plus the fixed cost of a few numpy calls")
    if m.attention_slower_from is None:
        out.append(f"Self-attention was faster at every length measured, although at n = {top.n:,} it does "
                   f"{work}× the LSTM's arithmetic: its work comes as a few products of whole matrices, "
                   f"against {chain}." if top.attention_madds > top.recurrent_madds else
                   f"Self-attention was faster at every length measured, doing {work}× the LSTM's arithmetic "
                   f"at n = {top.n:,}: its work comes as a few products of whole matrices, against {chain}.")
    else:
        x = m.attention_slower_from
        after = [p for p in m.points if p.n >= x]
        where = (f"from n = {x:,} on" if all(p.attention_seconds > p.recurrent_seconds for p in after)
                 else f"first at n = {x:,}")
        out.append(f"Self-attention took longer than the LSTM {where} ({top.ratio:.3g}× its time at n = "
                   f"{top.n:,}, for {work}× its arithmetic). Below that, a few products of whole matrices beat "
                   f"{chain}; further on, the n² work outweighs it.")
    threads = "one thread" if m.threads == 1 else (f"{m.threads} threads" if m.threads else "BLAS's own threads")
    out.append(f"What this CPU shows ({threads}): arithmetic, memory traffic and a fixed cost per numpy call; with "
               "one core (or a few) there is little parallel hardware for self-attention's freedom from a chain of "
               "steps to use. On a GPU, self-attention's large products spread over thousands of parallel units "
               "and their time grows far more slowly with n until those units are busy, while the recurrent layer "
               "still runs its n steps one after another, each too small to keep a GPU busy unless many "
               "sequences are batched together. That is why Transformers train and encode faster on GPUs; "
               "generating output one token at a time stays sequential for both.")
    return out


def measured_tables(m) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    threads = f", {m.threads} thread{'s' if m.threads != 1 else ''}" if m.threads else ""
    clock = "CPU time" if m.clock == "cpu" else "wall time"
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left",
              title=f"Measured here: d = {m.hidden:,}, {m.dtype}{threads}, median {clock} of {m.repeats} runs")
    t.add_column("n", justify="right")
    t.add_column("LSTM", justify="right")
    t.add_column("attention", justify="right")
    t.add_column("att / LSTM", justify="right")
    t.add_column("work att / LSTM", justify="right")
    t.add_column("steps in a row", justify="right")
    for p in m.points:
        t.add_row(f"{p.n:,}", _time(p.recurrent_seconds), _time(p.attention_seconds), f"{p.ratio:.3g}×",
                  f"{_work(p)}×", f"{p.recurrent_steps:,} vs {p.attention_steps}")
    out: list[Any] = [t]
    for line in measured_sentences(m):
        out.append(Text(line))
    out.append(Text(f"(work: multiply-adds, LSTM 8·n·d², self-attention 4·n·d² + 2·n²·d; measured in "
                    f"{m.seconds:.1f} s, {m.cpu_seconds:.1f} s of CPU)", style="dim"))
    return out


# ----------------------------------------------------------------------------------------------------- bottleneck

BOTTLENECK_COLUMNS = ["length", "bound", "context_exact", "context_measured", "context_first", "context_last",
                      "all_states_measured", "all_states_first", "all_states_last", "context_first_exact",
                      "context_last_exact"]


def bottleneck_record(r: BottleneckResult) -> dict[str, Any]:
    return render.jsonable(r)


def bottleneck_rows(r: BottleneckResult) -> list[dict[str, Any]]:
    return [render.jsonable(row) for row in r.rows]


def bottleneck_tables(r: BottleneckResult) -> list[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    out.append(Text(f"Encoder h_t = W·h_(t-1) + U·x_t with a state of d = {r.size} numbers "
                    f"(|eigenvalues of W| = {num(r.weight)}); best linear decoder, measured on {r.samples:,} "
                    f"seeded random sequences (seed {r.seed}).", style="bold"))
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Share of the sequence recovered", title_justify="left")
    t.add_column("T", justify="right")
    t.add_column("min(1,d/T)", justify="right")
    t.add_column("from h_T", justify="right", style="bold")
    t.add_column("", no_wrap=True)
    t.add_column("first", justify="right")
    t.add_column("last", justify="right")
    t.add_column("all states", justify="right")
    for row in r.rows:
        t.add_row(str(row.length), _pct(row.bound), _pct(row.context_measured), render.bar(row.context_measured, 10),
                  _pct(row.context_first), _pct(row.context_last), _pct(row.all_states_measured))
    out.append(t)
    out.append(Text(f"Position by position at T = {r.max_length}, from h_T (first … last):"))
    out.append(Text("  " + render.sparkline(r.per_position, lo=0.0, hi=1.0) +
                    f"   {_pct(r.per_position[0])} … {_pct(r.per_position[-1])}"))
    last = r.rows[-1]
    lean = ""  # from the exact shares: a few --samples must not turn noise into a claim
    if last.context_last_exact > last.context_first_exact + 0.05:
        lean = " What it keeps leans to the end of the sequence: early inputs have faded."
    elif last.context_first_exact > last.context_last_exact + 0.05:
        lean = " What it keeps leans to the start of the sequence."
    out.append(Text(f"Read linearly, a context of d numbers gives back at most min(1, d/T) of the variance of T "
                    "independent unit-variance inputs (a bound on linear decoding, not on information in general)."
                    f"{lean} "
                    f"A decoder that sees every encoder state (as attention does) recovers "
                    f"{_pct(last.all_states_measured)} at T = {last.length}."))
    off = max(r.rows, key=lambda row: abs(row.context_measured - row.context_exact))
    if abs(off.context_measured - off.context_exact) >= 0.01:
        out.append(Text(f"Measured on {r.samples:,} sequences, the shares wander around the exact ones "
                        f"({_pct(off.context_measured)} measured against {_pct(off.context_exact)} exact at "
                        f"T = {off.length}); more --samples steady them.", style="dim"))
    return out


def emit_bottleneck(r: BottleneckResult, fmt: str) -> None:
    render.emit(fmt, data=bottleneck_record(r), rows=bottleneck_rows(r), columns=BOTTLENECK_COLUMNS,
                table=lambda: bottleneck_tables(r))
