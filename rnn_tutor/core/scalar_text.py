"""The scalar trace in words: the working of one step, the ratio of the exercise's step 5, and the summary.

Every number goes through ``numfmt.exact_num``: in a trace that promises exact numbers (linear or relu over
exact inputs) a value is written exactly, or rounded with the ≈ marker, never rounded silently.
"""

from __future__ import annotations

from fractions import Fraction

from rnn_tutor.core.numfmt import APPROX, exact_num, fraction_text, rounded
from rnn_tutor.core.scalar_step import exact_of


def value(tr, x, q: Fraction | None = None, digits: int = 6) -> str:
    """One number of trace ``tr`` as the tables write it."""
    return exact_num(x, q, marked=tr.exact_mode, digits=digits)


def params(tr) -> tuple[str, str, str, str]:
    """w, u, b and h_0 as written: exact decimals, else a short fraction (1/3), else rounded with ≈."""
    given = (tr.weight, tr.input_weight, tr.bias, tr.h0)
    qp = tr.q_params or tuple(exact_of(x) for x in given)  # a float given is the decimal that prints it
    return tuple(parameter(tr, x, q) for x, q in zip(given, qp))


def x_text(tr, step) -> str:
    """An input x_t as given (inputs are the user's numbers, never rounded results)."""
    return value(tr, step.x, step.q.x if step.q is not None else exact_of(step.x))


def parameter(tr, x, q: Fraction | None) -> str:
    text = value(tr, x, q)
    if q is not None and APPROX in text:
        frac = fraction_text(q)
        if len(frac) <= 15:
            return frac
    return text


def ratio_text(tr, x: float | None, q: Fraction | None = None) -> str:
    """A ratio for a sentence, by the rule the tables follow and the note under them states (exact, else six
    significant digits, half away from zero, ≈ in a trace that promises exact numbers): '16', '≈1.52416',
    '1972.51' (the tanh trace whose sensitivities are 0.0169637 and 8.60009e-06), never a shorter '1970'."""
    if q is not None or tr.exact_mode:
        return exact_num(x, q, marked=tr.exact_mode)
    return rounded(x) if x is not None else "n/a"


def steps_word(shown: str) -> str:
    """'1 step', '2 steps', '≈1 step': singular only for a count that reads as one."""
    return "step" if shown.lstrip(APPROX) == "1" else "steps"


def times_phrase(tr, x: float | None, q: Fraction | None = None) -> str:
    """'16 times as much as', 'exactly as much as', 'about as much as' (never '1 times')."""
    if q is not None and q == 1:
        return "exactly as much as"
    shown = ratio_text(tr, x, q)
    if shown.lstrip(APPROX) == "1":
        return "about as much as"
    return f"{shown} times as much as"


def step_formula(tr, step) -> str:
    """The step written out with its numbers, for feedback on a wrong answer."""
    w, u, b, _ = params(tr)
    q = step.q
    hp = "overflow" if step.h_prev is None else value(tr, step.h_prev, q and q.h_prev)
    x = x_text(tr, step)
    parts = f"{w} * {hp} + {u} * {x}"
    if tr.bias:
        parts += f" + {b}"
    wh, ux = value(tr, step.wh, q and q.wh), value(tr, step.ux, q and q.ux)
    sums = f"{wh} + {ux}" + (f" + {b}" if tr.bias else "")
    h = value(tr, step.h, q and q.h)
    plus_b = " + b" if tr.bias else ""
    if tr.linear:
        return f"h_{step.t} = w*h_{step.t - 1} + u*x_{step.t}{plus_b} = {parts} = {sums} = {h}"
    f = tr.activation
    pre = value(tr, step.pre, q and q.pre)
    return (f"h_{step.t} = {f}(w*h_{step.t - 1} + u*x_{step.t}{plus_b}) = {f}({parts}) = {f}({sums}) = "
            f"{f}({pre}) = {h}")


def ratio_question(tr) -> str:
    T = tr.length
    first, last = tr.steps[0], tr.steps[-1]
    return (f"How many times as much does the last input ({last.token}) move h_{T} as the first ({first.token})? "
            f"(|dh_{T}/dx_{T}| divided by |dh_{T}/dx_1|)")


def ratio_formula(tr) -> str:
    """The working of the exercise's step 5: dh_T/dx_T over dh_T/dx_1."""
    T = tr.length
    first, last = tr.influence[0], tr.influence[-1]
    a = value(tr, last.sensitivity, last.q_sensitivity)
    b = value(tr, first.sensitivity, first.q_sensitivity)
    # the ratio as the answer column shows it (six significant digits, or exact), never a shorter rounding
    r = value(tr, tr.first_last_ratio(), tr.first_last_ratio_exact())
    w = params(tr)[0]
    why = (f"every step in between multiplies an input's effect by w = {w}, so the ratio is 1/|w|^{T - 1}"
           if tr.linear else f"every step in between multiplies by w times the slope of {tr.activation}")
    signed = (last.sensitivity or 0) < 0 or (first.sensitivity or 0) < 0  # the ratio is of sizes: write the bars
    quotient = f"|{a}| / |{b}|" if signed else f"{a} / {b}"
    return f"dh_{T}/dx_{T} = {a} and dh_{T}/dx_1 = {b}, so the ratio is {quotient} = {r}: {why}."


def summary(tr) -> str:
    """The lesson's point in one or two sentences, with this trace's numbers filled in."""
    T = tr.length
    w = params(tr)[0]
    if tr.overflow:
        if abs(tr.weight) > 1:
            return (f"With w = {w} the numbers outgrow a 64-bit float within {T} steps: each step multiplies the "
                    f"state by |w| > 1, which is the exploding side of the same effect that makes memories fade "
                    f"when |w| < 1.")
        return (f"The numbers outgrow a 64-bit float (about 1.8e308) within {T} steps: the inputs or weights are "
                f"too large for floating point.")
    if T == 1:
        return f"Only one input, so h_1 = {value(tr, tr.final, tr.q_final)} depends on it alone."
    first, last = tr.influence[0], tr.influence[-1]
    fs = value(tr, first.sensitivity, first.q_sensitivity)
    ls = value(tr, last.sensitivity, last.q_sensitivity)
    if tr.weight == 0:
        return (f"With w = 0 nothing is carried over: h_{T} depends on the last input only "
                f"(the first moves it by {fs}).")
    via = "" if tr.linear else f" through {tr.activation}"
    ratio, q_ratio = tr.first_last_ratio(), tr.first_last_ratio_exact()
    if first.sensitivity == 0 or ratio is None:
        text = (f"The first input ({first.token}) no longer moves h_{T} at all{via}: its sensitivity is "
                f"{fs}, against {ls} for the last ({last.token}).")
    elif ratio >= 1:
        text = (f"The last input ({last.token}) moves h_{T} {times_phrase(tr, ratio, q_ratio)} the first "
                f"({first.token}){via}: dh_{T}/dx_{T} = {ls} against dh_{T}/dx_1 = {fs}, because every step in "
                f"between multiplies an input's effect by w = {w}"
                f"{'' if tr.linear else ' times the slope of ' + tr.activation}.")
    else:
        inv = None if q_ratio is None else 1 / q_ratio
        text = (f"The first input ({first.token}) moves h_{T} {times_phrase(tr, 1 / ratio, inv)} the last "
                f"({last.token}){via}: with |w| = {parameter(tr, abs(tr.weight), tr.q_params and abs(tr.q_params[0]))}"
                f" > 1 every step amplifies what came before, so the oldest input dominates (the exploding side "
                f"of the same effect).")
    if tr.linear and first.contribution is not None and last.contribution is not None:
        text += (f" Of h_{T} = {value(tr, tr.final, tr.q_final)}, the first input put in "
                 f"{value(tr, first.contribution, first.q_contribution)} and the last "
                 f"{value(tr, last.contribution, last.q_contribution)}.")
    return text + " " + memory_sentence(tr)


def memory_sentence(tr) -> str:
    """The half-life (or doubling time) and where it comes from."""
    if tr.linear:
        if tr.half_life is not None and tr.weight != 0:
            hl = ratio_text(tr, tr.half_life, tr.q_half_life)
            return (f"Memory half-life: {hl} {steps_word(hl)} (an input's weight halves every "
                    "ln 0.5 / ln |w| steps).")
        if abs(tr.weight) == 1:
            return "With |w| = 1 an input's weight neither fades nor grows (no half-life)."
        if tr.doubling_time is not None:
            dt = ratio_text(tr, tr.doubling_time, tr.q_doubling_time)
            return f"An input's weight doubles every {dt} {steps_word(dt)} (ln 2 / ln |w|)."
        return ""
    f = tr.activation
    if tr.rate is None:
        return ""
    rate = rounded(tr.rate)  # floats under tanh and sigmoid: six significant digits, as the note says
    lin_hl, lin_dt = _linear_figures(tr.weight)
    if lin_hl is not None:
        lin = f"ln 0.5 / ln |w| = {lin_hl} {steps_word(lin_hl)}, the half-life without {f}"
    elif lin_dt is not None:
        lin = f"without {f} it would double every {lin_dt} {steps_word(lin_dt)}"
    else:
        lin = f"without {f}, |w| = 1 would neither fade nor grow"
    factor = f"the factor |w·{f}'(a_t)| per step has a geometric mean of {rate} here; {lin}"
    if tr.half_life is not None:
        if tr.half_life == 0:
            return (f"Along this trajectory an input's weight is cut to nothing at once ({f}'(a_t) = 0 at some step, "
                    f"so nothing before it reaches h_{tr.length}).")
        hl = rounded(tr.half_life)
        return f"Along this trajectory an input's weight halves every {hl} {steps_word(hl)} ({factor})."
    if tr.doubling_time is not None:
        dt = rounded(tr.doubling_time)
        return f"Along this trajectory an input's weight doubles every {dt} {steps_word(dt)} ({factor})."
    return f"Along this trajectory an input's weight neither fades nor grows on average ({factor})."


def _linear_figures(w: float) -> tuple[str | None, str | None]:
    from rnn_tutor.core.scalar import doubling_time, half_life

    hl, dt = half_life(w), doubling_time(w)
    return (None if hl is None else rounded(hl)), (None if dt is None else rounded(dt))
