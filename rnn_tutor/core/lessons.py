"""Lessons: short Markdown pages shipped in ``rnn_tutor/content/lessons/``, with numbers filled in by the code.

A lesson file starts with a front-matter block of ``key: value`` lines between two ``---`` lines:

    ---
    topic: hand-trace          # what the learner types: rnn-tutor learn hand-trace
    title: The hand-trace exercise, step by step
    summary: one line for the list
    quiz: hand trace           # the quiz deck's topic(s) for this lesson, comma-separated
    order: 8                   # position in the list
    ---

Every number a lesson quotes as a *result* is a placeholder, ``{{name}}``, filled at render time from the
calculators (``VALUES`` below), so a lesson cannot disagree with the code. Commands the learner can run are the
lines starting with ``$ rnn-tutor`` inside fenced code blocks; a test runs each of them.

``render`` can take a ``lesson_cache.LessonCache``: a lesson whose values were computed before, by exactly this
code in this environment, is filled from it instead (lesson 6 trains models for its figures).

Standard library only at import time; the calculators are imported when a placeholder needs them.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass
from importlib import resources
from typing import Callable

from rnn_tutor.errors import BadValueError, RnnTutorError

PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_.]+)\s*\}\}")
COMMAND_PREFIX = "$ rnn-tutor"
FRONT_KEYS = ("topic", "title", "summary", "quiz", "order")


@dataclass(frozen=True)
class Lesson:
    topic: str
    title: str
    summary: str
    quiz: str
    order: int
    source: str  # the Markdown body with placeholders still in it
    filename: str

    @property
    def quiz_topics(self) -> list[str]:
        return [t.strip() for t in self.quiz.split(",") if t.strip()]

    @property
    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(self.source)

    @property
    def commands(self) -> list[str]:
        """The "try it" commands, as typed (``rnn-tutor ...``), in order of appearance."""
        return try_it_commands(self.source)


@dataclass(frozen=True)
class RenderedLesson:
    topic: str
    title: str
    summary: str
    quiz: str
    quiz_topics: tuple[str, ...]
    markdown: str  # placeholders filled
    commands: tuple[str, ...]
    values: dict[str, str]  # every placeholder used, with the text it was filled with


def parse_lesson(text: str, filename: str = "<lesson>") -> Lesson:
    """Split the front matter from the body; raise RnnTutorError when the file is malformed."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise RnnTutorError(f"lesson {filename} has no front matter", "start the file with a '---' line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise RnnTutorError(f"lesson {filename}: front matter is not closed", "add a '---' line after it") from None
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise RnnTutorError(f"lesson {filename}: front-matter line {line!r} has no ':'", "write key: value")
        meta[key.strip()] = value.strip()
    missing = [k for k in FRONT_KEYS if not meta.get(k)]
    if missing:
        raise RnnTutorError(f"lesson {filename} lacks {', '.join(missing)}", "add them to the front matter")
    try:
        order = int(meta["order"])
    except ValueError:
        raise RnnTutorError(f"lesson {filename}: order {meta['order']!r} is not a whole number") from None
    body = "\n".join(lines[end + 1 :]).strip("\n") + "\n"
    return Lesson(meta["topic"], meta["title"], meta["summary"], meta["quiz"], order, body, filename)


def try_it_commands(markdown: str) -> list[str]:
    """Lines ``$ rnn-tutor ...`` inside fenced code blocks, without the ``$ ``."""
    out, fenced = [], False
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
            continue
        if fenced and stripped.startswith(COMMAND_PREFIX + " "):
            out.append(stripped[2:])
    return out


def command_args(command: str) -> list[str]:
    """``rnn-tutor order "a b" "b a"`` -> ``['order', 'a b', 'b a']`` (the arguments after the program name)."""
    parts = shlex.split(command)
    if not parts or parts[0] != "rnn-tutor":
        raise ValueError(f"not an rnn-tutor command: {command!r}")
    return parts[1:]


@functools.lru_cache(maxsize=1)
def all_lessons() -> tuple[Lesson, ...]:
    """Every shipped lesson, in teaching order."""
    folder = resources.files("rnn_tutor.content").joinpath("lessons")
    lessons = [
        parse_lesson(entry.read_text(encoding="utf-8"), entry.name)
        for entry in folder.iterdir()
        if entry.name.endswith(".md")
    ]
    lessons.sort(key=lambda lesson: (lesson.order, lesson.topic))
    return tuple(lessons)


def find_lesson(name: str, option: str = "TOPIC") -> Lesson:
    """A lesson by topic, by its number in the list (1, 2, ...), by one of its quiz topics ("lstm") or by an
    unambiguous start of its topic. Spaces count as hyphens: "hand trace" is "hand-trace"."""
    lessons = all_lessons()
    key = "-".join(name.strip().lower().split())
    if key.isascii() and key.isdigit() and 1 <= int(key) <= len(lessons):  # not "¹": isdigit, but no int
        return lessons[int(key) - 1]
    for lesson in lessons:
        if lesson.topic == key:
            return lesson
    for lesson in lessons:
        if key in ("-".join(t.lower().split()) for t in lesson.quiz_topics):
            return lesson
    starts = [lesson for lesson in lessons if key and lesson.topic.startswith(key)]
    if len(starts) == 1:
        return starts[0]
    if not starts and key:  # a word of one title or summary only: "vanishing", "attention", "streaming"
        words = key.split("-")
        said = [lesson for lesson in lessons
                if all(w in re.findall(r"[a-z0-9]+", f"{lesson.title} {lesson.summary}".lower()) for w in words)]
        if len(said) == 1:
            return said[0]
    topics = ", ".join(lesson.topic for lesson in lessons)
    if len(starts) > 1:
        raise BadValueError(option, f"{name!r} could be {', '.join(s.topic for s in starts)}; choose one of {topics}")
    raise BadValueError(option, f"no lesson called {name!r}; choose one of {topics} (or its number 1-{len(lessons)})")


def render(lesson: Lesson, cache=None, on_compute: Callable[[tuple[str, str]], None] | None = None
           ) -> RenderedLesson:
    """Fill every placeholder from the calculators, or from ``cache`` (a ``lesson_cache.LessonCache``) when it
    holds this lesson's values for exactly this code and environment. Before computing work that takes seconds,
    ``on_compute`` is called once with what is being computed and about how long it takes (slow_work)."""
    names = list(dict.fromkeys(lesson.placeholders))  # in order of first appearance
    values = cache.load(lesson.topic, names) if cache is not None else None
    if values is None:
        slow = slow_work(names)
        if slow and on_compute is not None:
            on_compute(slow)
        values = {name: value(name) for name in names}
        if cache is not None:
            cache.save(lesson.topic, values)
    markdown = PLACEHOLDER.sub(lambda match: values[match.group(1)], lesson.source)
    return RenderedLesson(
        lesson.topic, lesson.title, lesson.summary, lesson.quiz, tuple(lesson.quiz_topics), markdown,
        tuple(try_it_commands(markdown)), values,
    )


def value(name: str) -> str:
    """The text for one placeholder. Unknown names are a content bug: RnnTutorError."""
    fn = VALUES.get(name)
    if fn is None:
        raise RnnTutorError(f"lesson placeholder {{{{{name}}}}} is unknown", "add it to rnn_tutor.core.lessons.VALUES")
    return fn()


# ---------------------------------------------------------------------------------------------------------------
# Numbers quoted in lessons, each computed by running a calculator.
# ---------------------------------------------------------------------------------------------------------------


def _num(x: float | None, digits: int = 6) -> str:
    from rnn_tutor.core.numfmt import num

    return num(x, digits)


def _int(n: int) -> str:
    return f"{n:,}"


def _pct(x: float) -> str:
    """One decimal, half away from zero, as every percentage here (numfmt.percent)."""
    from rnn_tutor.core.numfmt import percent

    return percent(x)


def human_bytes(n: int) -> str:
    """1024 -> '1 KiB', 2097152 -> '2 MiB', 1536 -> '1.5 KiB'."""
    value_ = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value_ < 1024 or unit == "TiB":
            text = f"{value_:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
        value_ /= 1024
    raise AssertionError("unreachable")


@functools.lru_cache(maxsize=None)
def _order():
    from rnn_tutor.core.demos import ORDER_DEFAULTS, order_demo

    return order_demo(*ORDER_DEFAULTS)


@functools.lru_cache(maxsize=None)
def _hand(weight: float):
    """The exercise: The quick brown fox jumps -> 1..5, h_t = w h_{t-1} + 0.5 x_t, h_0 = 0."""
    from rnn_tutor.core import scalar

    tokens, xs, vocab = scalar.encode(scalar.EXERCISE_SENTENCE)
    return scalar.run(xs, weight=weight, input_weight=scalar.EXERCISE_INPUT_WEIGHT, tokens=tokens, vocab=vocab)


@functools.lru_cache(maxsize=None)
def _first_influence(weight: float, length: int) -> float | None:
    """dh_T/dx_1 of the linear scalar RNN (u = 1): how much the first input still moves the last state."""
    from rnn_tutor.core import scalar

    return scalar.run([1.0] * length, weight=weight, input_weight=1.0).influence[0].sensitivity


@functools.lru_cache(maxsize=None)
def _saturated():
    """h_t = tanh(2 h_{t-1} + x_t), x_t = 1 for 10 steps: the unit saturates, so |w tanh'(a_t)| is far below 1."""
    from rnn_tutor.core import scalar

    return scalar.run([1] * 10, weight=2, input_weight=1, activation="tanh")


@functools.lru_cache(maxsize=None)
def _params(cell: str, input_size: int, hidden: int) -> int:
    from rnn_tutor.core.cells import param_shapes

    total = 0
    for shape in param_shapes(cell, input_size, hidden).values():
        count = 1
        for s in shape:
            count *= s
        total += count
    return total


@functools.lru_cache(maxsize=None)
def _cost(length: int, hidden: int):
    from rnn_tutor.core.demos import cost_demo

    return cost_demo(length=length, hidden=hidden)


@functools.lru_cache(maxsize=None)
def _bottleneck():
    from rnn_tutor.core.demos import bottleneck_demo

    return bottleneck_demo(size=4, max_length=32)


# How lesson 6 trains its decoders: compare --decoders plain,attention's defaults (an LSTM of 16 units, at most
# 1,000 steps, seed 0), lengths 2, 4, 8, ... up to 32. Part of the lesson cache's key (cache_parameters).
DECODER_RUNS = {"cell": "lstm", "task": "reverse", "hidden": 16, "steps": 1000, "seed": 0, "first_length": 2,
                "max_length": 32}


@functools.lru_cache(maxsize=None)
def _decoders():
    """The plain decoder against attention on reverse, as ``compare --decoders plain,attention`` trains them
    (DECODER_RUNS, stopping at 99%): lengths 2, 4, 8, ... until the plain decoder gets fewer than half of the
    held-out outputs right in every symbol, then attention at that length. Returns (length, plain exact-sequence
    accuracy, attention exact-sequence accuracy)."""
    from rnn_tutor.core import train
    from rnn_tutor.core.decoders import HALF

    runs = DECODER_RUNS

    def run(length: int, decoder: str) -> float:
        cfg = train.TrainConfig(cell=runs["cell"], task=runs["task"], length=length, hidden=runs["hidden"],
                                steps=runs["steps"], seed=runs["seed"], stop_at=train.SOLVED, decoder=decoder)
        return train.train(cfg).final.sequence_accuracy

    length = runs["first_length"]
    while True:
        plain = run(length, "plain")
        if plain < HALF or length >= runs["max_length"]:
            return length, plain, run(length, "attention")
        length *= 2


def _madds(kind: str, n: int, d: int) -> str:
    from rnn_tutor.core import measure

    return _int(measure.lstm_madds(n, d) if kind == "lstm" else measure.attention_madds(n, d))


def _hand_values() -> dict[str, Callable[[], str]]:
    out: dict[str, Callable[[], str]] = {}
    for tag, w in (("05", 0.5), ("09", 0.9)):
        for t in range(1, 6):
            out[f"hand{tag}.h{t}"] = lambda w=w, t=t: _num(_hand(w).steps[t - 1].h)
        # the part of h_5 each word put there: u * w^(5-t) * x_t
        out[f"hand{tag}.first_part"] = lambda w=w: _num(_hand(w).influence[0].contribution)
        out[f"hand{tag}.last_part"] = lambda w=w: _num(_hand(w).influence[-1].contribution)
        out[f"hand{tag}.first_sens"] = lambda w=w: _num(_hand(w).influence[0].sensitivity)
        out[f"hand{tag}.last_sens"] = lambda w=w: _num(_hand(w).influence[-1].sensitivity)
        out[f"hand{tag}.ratio"] = lambda w=w: _num(_hand(w).first_last_ratio(), 3)
        out[f"hand{tag}.first_share"] = lambda w=w: _pct(_hand(w).influence[0].contribution / _hand(w).final)
        out[f"hand{tag}.half_life"] = lambda w=w: _num(_hand(w).half_life, 3)
    return out


@functools.lru_cache(maxsize=None)
def _baselines(name: str) -> tuple[float, float, float]:
    from rnn_tutor.core.signals import baseline_errors

    return baseline_errors(name)


def _signals():
    from rnn_tutor.core import signals  # numpy: only when a lesson asks

    return signals


def _forecast_values() -> dict[str, Callable[[], str]]:
    return {
        "forecast.period": lambda: str(_signals().KNOCK_PERIOD),
        "forecast.ar_order": lambda: str(_signals().AR_ORDER),
        "forecast.knocks_persistence": lambda: _num(_baselines("knocks")[0], 3),
        "forecast.knocks_ar": lambda: _num(_baselines("knocks")[1], 3),
        "forecast.knocks_mean": lambda: _num(_baselines("knocks")[2], 3),
        "forecast.sines_ar_explained": lambda: _pct(1 - _baselines("sines")[1] / _baselines("sines")[2]),
        # an LSTM with 16 units (train's default) streams with h and c: 2 x 16 numbers, in float64
        "stream.lstm16_numbers": lambda: _int(2 * 16),
        "stream.lstm16_bytes": lambda: human_bytes(2 * 16 * 8),
    }
LM_VALUES = ("brackets_v", "brackets_uniform", "brackets_ngram_order", "brackets_ngram_bpc", "brackets_ngram_ppl",
             "brackets_ngram_closers", "full_bptt", "chunk_bptt", "temp_1", "temp_05", "temp_2")


def _lm(name: str) -> str:
    from rnn_tutor.core import lm

    return lm.lesson_value(name)


def _order_steps() -> str:
    r = _order()
    return ", ".join(f"{_num(s.h_a)} vs {_num(s.h_b)}" for s in r.steps)


VALUES: dict[str, Callable[[], str]] = {
    # why order matters
    "order.vocab": lambda: ", ".join(f"{w} = {i}" for w, i in _order().vocabulary.items()),
    "order.ids_a": lambda: ", ".join(str(i) for i in _order().ids_a),
    "order.ids_b": lambda: ", ".join(str(i) for i in _order().ids_b),
    "order.sum": lambda: str(_order().sum_a) if _order().sum_a == _order().sum_b else "unequal",
    "order.final_a": lambda: _num(_order().final_a),
    "order.final_b": lambda: _num(_order().final_b),
    "order.steps": _order_steps,
    "order.vector_distance": lambda: _num(_order().vector_distance, 3),
    # the hand trace, w = 0.5 and w = 0.9
    **_hand_values(),
    # vanishing and exploding
    "grad.w05_t50": lambda: _num(_first_influence(0.5, 50), 3),
    "grad.w09_t50": lambda: _num(_first_influence(0.9, 50), 3),
    "grad.w11_t50": lambda: _num(_first_influence(1.1, 50), 3),
    "grad.w09_t10": lambda: _num(_first_influence(0.9, 10), 3),
    "grad.w09_half_life": lambda: _num(_hand(0.9).half_life, 3),
    # a saturated tanh unit: w = 2 > 1, yet its gradient vanishes
    "grad.sat_h": lambda: _num(_saturated().final, 3),
    "grad.sat_rate": lambda: _num(_saturated().rate, 2),
    "grad.sat_half_life": lambda: _num(_saturated().half_life, 2),
    # LSTM and GRU: parameters for input size 10, hidden size 20
    "params.rnn": lambda: _int(_params("rnn", 10, 20)),
    "params.gru": lambda: _int(_params("gru", 10, 20)),
    "params.lstm": lambda: _int(_params("lstm", 10, 20)),
    # the limits: cost at n = d = 512 and the bottleneck at d = 4, T = 32
    "cost.ops_512": lambda: _int(_cost(512, 512).layers_cost[0].operations),
    "cost.seq_512": lambda: _int(_cost(512, 512).layers_cost[0].sequential_ops),
    "cost.attn_ops_2048": lambda: _int(_cost(2048, 512).layers_cost[1].operations),
    "cost.rnn_ops_2048": lambda: _int(_cost(2048, 512).layers_cost[0].operations),
    "neck.bound_32": lambda: _pct(_bottleneck().rows[-1].bound),
    "neck.measured_32": lambda: _pct(_bottleneck().rows[-1].context_measured),
    "neck.first_32": lambda: _pct(_bottleneck().rows[-1].context_first),
    "neck.last_32": lambda: _pct(_bottleneck().rows[-1].context_last),
    "neck.all_32": lambda: _pct(_bottleneck().rows[-1].all_states_measured),
    # the limits, with the constants: multiply-adds of one LSTM layer and one self-attention layer (issue 14)
    "cost.lstm_madds_512": lambda: _madds("lstm", 512, 512),
    "cost.attn_madds_512": lambda: _madds("attention", 512, 512),
    # the plain decoder against attention on reverse, as compare --decoders trains them (issue 14)
    "attn.first_fail": lambda: _int(_decoders()[0]),
    "attn.plain_at_fail": lambda: _pct(_decoders()[1]),
    "attn.attention_at_fail": lambda: _pct(_decoders()[2]),
    # streaming: one LSTM layer of width 256 after 4096 tokens, float32
    "stream.lstm_numbers": lambda: _int(_cost(4096, 256).stream[-1].lstm_numbers),
    "stream.lstm_bytes": lambda: human_bytes(_cost(4096, 256).stream[-1].lstm_bytes),
    "stream.kv_numbers": lambda: _int(_cost(4096, 256).stream[-1].kv_numbers),
    "stream.kv_bytes": lambda: human_bytes(_cost(4096, 256).stream[-1].kv_bytes),
    # forecasting (issue 15): the knocks and sines signals, their baselines, a streamed LSTM's state
    **_forecast_values(),
    # language models (lesson 9): the brackets corpus and its n-gram, truncated BPTT's memory, temperature
    **{f"lm.{k}": (lambda k=k: _lm(k)) for k in LM_VALUES},
}


# ---------------------------------------------------------------------------------------------------------------
# What takes time, for the hint shown while it is computed, and the settings the lesson cache keys on.
# ---------------------------------------------------------------------------------------------------------------

# placeholder prefix -> (what computing it does, about how long it took on the 2-core development machine)
SLOW_VALUES: dict[str, tuple[str, str]] = {
    "attn.": ("training small LSTMs", "about 4-10 s"),
    "lm.brackets": ("building n-gram models", "about 1 s"),
}


def slow_work(names) -> tuple[str, str] | None:
    """What computing these placeholders spends seconds on, and about how long; None when it takes no time."""
    slow = [work for prefix, work in SLOW_VALUES.items() if any(n.startswith(prefix) for n in names)]
    if not slow:
        return None
    return " and ".join(what for what, _ in slow), " + ".join(took for _, took in slow)


def cache_parameters() -> dict:
    """The seeds, sizes and steps the calculators pass in from here (those inside other modules, such as lm.py's
    corpus seed, are covered by the hash of their source): part of every lesson cache entry's key."""
    return {"decoders": dict(DECODER_RUNS)}
