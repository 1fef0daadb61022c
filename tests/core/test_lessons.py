"""Lessons: metadata, placeholders filled from the calculators, "try it" extraction."""

from __future__ import annotations

import re

import pytest

from rnn_tutor.core import lessons
from rnn_tutor.core.lessons import (
    PLACEHOLDER,
    VALUES,
    all_lessons,
    command_args,
    find_lesson,
    human_bytes,
    parse_lesson,
    render,
    try_it_commands,
)
from rnn_tutor.errors import BadValueError, RnnTutorError

TOPICS = ["order", "recurrence", "patterns", "gradients", "gating", "limits", "still-useful", "hand-trace",
          "language"]

# Decimal numbers a lesson may type by hand: inputs and parameters (weights), never results; a lesson's
# "try it" commands may also give their own inputs (-w 1.5).
# Every computed number must be a {{placeholder}}; a typed-in result like 4.03125 fails this test.
ALLOWED_DECIMALS = {"0.5", "0.9", "1.1"}


def test_every_topic_is_shipped_in_order():
    assert [lesson.topic for lesson in all_lessons()] == TOPICS
    assert len({lesson.order for lesson in all_lessons()}) == len(TOPICS)


@pytest.mark.parametrize("lesson", all_lessons(), ids=lambda lesson: lesson.topic)
def test_lesson_shape(lesson):
    assert lesson.title and lesson.summary and lesson.quiz
    assert 2 <= len(lesson.commands) <= 4, "each lesson ends with two to four 'try it' commands"
    assert "## Try it" in lesson.source
    tail = lesson.source.split("## Try it", 1)[1]
    assert try_it_commands(tail) == lesson.commands, "the commands come at the end, under 'Try it'"
    for line in lesson.source.splitlines():
        assert len(line) <= 120


@pytest.mark.parametrize("lesson", all_lessons(), ids=lambda lesson: lesson.topic)
def test_every_placeholder_is_known_and_filled(lesson):
    for name in lesson.placeholders:
        assert name in VALUES, name
    r = render(lesson)
    assert "{{" not in r.markdown and "}}" not in r.markdown
    assert set(r.values) == set(lesson.placeholders)
    for text in r.values.values():
        assert text and "None" not in text and "nan" not in text and "overflow" not in text


@pytest.mark.parametrize("lesson", all_lessons(), ids=lambda lesson: lesson.topic)
def test_no_hand_typed_results(lesson):
    prose = PLACEHOLDER.sub("", lesson.source)
    number = r"(?<![\w.])\d+\.\d+"
    allowed = ALLOWED_DECIMALS | {d for c in lesson.commands for d in re.findall(number, c)}  # command inputs
    decimals = set(re.findall(number, prose))
    assert decimals <= allowed, f"type these through placeholders: {sorted(decimals - allowed)}"
    assert "%" not in prose.replace("{{", ""), "percentages are results: use a placeholder"


def _trace(w, xs):
    h, out = 0.0, []
    for x in xs:
        h = w * h + 0.5 * x
        out.append(h)
    return out


def test_hand_trace_values_match_an_independent_trace():
    for tag, w in (("05", 0.5), ("09", 0.9)):
        states = _trace(w, [1, 2, 3, 4, 5])
        for t, h in enumerate(states, 1):
            assert float(VALUES[f"hand{tag}.h{t}"]()) == pytest.approx(h, rel=1e-6)
        assert float(VALUES[f"hand{tag}.first_part"]()) == pytest.approx(0.5 * w**4 * 1, rel=1e-6)
        assert float(VALUES[f"hand{tag}.last_part"]()) == pytest.approx(0.5 * 5, rel=1e-6)
        assert float(VALUES[f"hand{tag}.ratio"]()) == pytest.approx(1 / w**4, rel=1e-2)
    assert VALUES["hand05.h5"]() == "4.03125"


def test_other_quoted_values():
    assert VALUES["order.sum"]() == "11"
    assert VALUES["order.final_a"]() == "2.78125" and VALUES["order.final_b"]() == "1.90625"
    assert float(VALUES["grad.w09_t50"]()) == pytest.approx(0.9**49, rel=1e-2)
    assert float(VALUES["grad.w11_t50"]()) == pytest.approx(1.1**49, rel=1e-2)
    assert VALUES["params.lstm"]() == f"{4 * (20 * 10 + 20 * 20 + 2 * 20):,}"
    assert VALUES["params.gru"]() == f"{3 * (20 * 10 + 20 * 20 + 2 * 20):,}"
    assert VALUES["cost.ops_512"]() == f"{512**3:,}"
    assert VALUES["neck.bound_32"]() == "12.5%"
    assert VALUES["neck.all_32"]() == "100.0%"
    assert VALUES["stream.lstm_bytes"]() == "2 KiB" and VALUES["stream.kv_bytes"]() == "8 MiB"


def test_claims_next_to_the_numbers_hold():
    """Sentences around placeholders assert things ("both come to", "the last beats the first"): check them."""
    from rnn_tutor.core.demos import bottleneck_demo, cost_demo

    rnn, attn = cost_demo(512, 512).layers_cost
    assert rnn.operations == attn.operations  # "At n = d = 512 both come to ..."
    rnn, attn = cost_demo(2048, 512).layers_cost
    assert attn.operations > rnn.operations  # "long sequences cost attention more work"
    row = bottleneck_demo(size=4, max_length=32).rows[-1]
    assert row.context_last > row.context_first  # "What survives is mostly the end"
    assert float(VALUES["order.final_a"]()) != float(VALUES["order.final_b"]())


def test_find_lesson_by_topic_number_and_prefix():
    assert find_lesson("order").topic == "order"
    assert find_lesson("8").topic == "hand-trace"
    assert find_lesson("HAND").topic == "hand-trace"
    assert find_lesson("grad").topic == "gradients"
    assert find_lesson("hand trace").topic == "hand-trace"
    assert find_lesson("LSTM").topic == "gating"  # a quiz topic finds its lesson
    assert find_lesson("sequential computation").topic == "limits"


@pytest.mark.parametrize("name", ["nope", "0", "99", "g", ""])
def test_find_lesson_unknown_or_ambiguous(name):
    with pytest.raises(BadValueError) as e:
        find_lesson(name)
    assert e.value.option == "TOPIC"
    assert "order" in e.value.message  # lists what is allowed


def test_parse_lesson_errors():
    with pytest.raises(RnnTutorError):
        parse_lesson("# no front matter\n")
    with pytest.raises(RnnTutorError):
        parse_lesson("---\ntopic: x\n")
    with pytest.raises(RnnTutorError, match="lacks"):
        parse_lesson("---\ntopic: x\ntitle: y\n---\nbody\n")
    ok = parse_lesson("---\ntopic: x\ntitle: T\nsummary: s\nquiz: q\norder: 3\n---\nbody {{order.sum}}\n")
    assert ok.order == 3 and ok.placeholders == ["order.sum"]
    assert "11" in render(ok).markdown


def test_unknown_placeholder_is_an_error():
    bad = parse_lesson("---\ntopic: x\ntitle: T\nsummary: s\nquiz: q\norder: 3\n---\n{{no.such}}\n")
    with pytest.raises(RnnTutorError, match="no.such"):
        render(bad)


def test_try_it_only_inside_fences():
    text = "$ rnn-tutor outside\n```\n$ rnn-tutor order a b\nplain\n$ ls\n```\n$ rnn-tutor after\n"
    assert try_it_commands(text) == ["rnn-tutor order a b"]
    assert command_args('rnn-tutor order "a b" c') == ["order", "a b", "c"]
    with pytest.raises(ValueError):
        command_args("ls -l")


@pytest.mark.parametrize("n, text", [(0, "0 B"), (1023, "1023 B"), (1024, "1 KiB"), (1536, "1.5 KiB"),
                                     (8 * 1024**2, "8 MiB"), (3 * 1024**5, "3072 TiB")])
def test_human_bytes(n, text):
    assert human_bytes(n) == text


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, rnn_tutor.core.lessons; print('numpy' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert lessons.COMMAND_PREFIX == "$ rnn-tutor"


def test_quiz_topics_exist_in_the_deck():
    import tomllib
    from importlib import resources

    deck = resources.files("rnn_tutor.content").joinpath("deck.toml")
    if not deck.is_file():
        pytest.skip("no built-in deck yet")
    data = tomllib.loads(deck.read_text(encoding="utf-8"))
    topics = {entry.get("topic") for key in ("card", "numeric") for entry in data.get(key, [])}
    for lesson in all_lessons():
        assert lesson.quiz_topics
        missing = set(lesson.quiz_topics) - topics
        assert not missing, f"{lesson.topic}: quiz topics {missing} are not in the deck"


@pytest.mark.parametrize("word, topic", [("vanishing", "gradients"), ("Attention", "limits"),
                                         ("exploding gradients", "gradients")])
def test_a_word_of_one_lesson_title_finds_it(word, topic):
    assert find_lesson(word).topic == topic


def test_a_word_in_several_titles_is_still_an_error():
    with pytest.raises(BadValueError):
        find_lesson("the")


def _deck() -> dict:
    import tomllib
    from importlib import resources

    text = resources.files("rnn_tutor.content").joinpath("deck.toml").read_text(encoding="utf-8")
    return {c["id"]: c for c in tomllib.loads(text)["card"]}


def test_gradient_content_states_the_conditions_with_their_case():
    """Pascanu, Mikolov & Bengio (2013): linear, radius < 1 sufficient to vanish, > 1 necessary to explode;
    with tanh the largest singular value. Nothing claims one number decides."""
    deck = _deck()
    for card in deck.values():
        assert "single number" not in card["question"] and "dominant eigenvalue of W_h" not in card["answer"]
    van, exp = deck["vanishing-gradient"]["answer"], deck["exploding-gradient"]["answer"]
    assert "sufficient" in van and "singular value" in van and "Pascanu" in van and "Saturated" in van
    assert "necessary" in exp.lower() and "singular value" in exp and "Neither is enough" in exp
    lesson = render(find_lesson("gradients")).markdown
    for words in ("Pascanu, Mikolov and Bengio (2013)", "*sufficient*", "*necessary*", "largest singular value",
                  "saturate"):
        assert words in lesson, words
    assert "behaves like its largest eigenvalue" not in lesson


def test_saturated_example_vanishes_with_a_weight_above_one():
    from rnn_tutor.core.lessons import _saturated

    tr = _saturated()
    assert tr.weight > 1 and tr.rate < 0.1 and tr.half_life < 1


def test_hand_trace_content_asks_before_it_tells():
    lesson = render(find_lesson("hand-trace")).markdown
    answers = lesson.index("## Answers")
    assert lesson.index("trace --practice") < answers and lesson.index("trace --worksheet") < answers
    assert "4.03125" not in lesson[:answers] and "4.03125" in lesson[answers:]
    assert "first appearance" in lesson and "by position" not in lesson
    assert "|w| > 1" in lesson and "w < -1" in lesson and "above 1" not in lesson
    assert "rnn-tutor learn gradients" in lesson  # a cross-reference names its command
    deck = _deck()
    for cid in ("trace-lesson", "trace-weight-0.9"):
        assert "|w| > 1" in deck[cid]["answer"] and "above 1" not in deck[cid]["answer"]


def test_encoder_decoder_history():
    lesson = render(find_lesson("patterns")).markdown
    assert "2014-15" in lesson and "Bahdanau, Cho\nand Bengio (2014)" in find_lesson("patterns").source
    assert "2014 to 2017" not in lesson
    card = _deck()["encoder-decoder-era"]["answer"]
    assert "2014-15" in card and "attention" in card and "2017" in card


def test_forecast_values_are_what_train_reports():
    """The lesson's baseline errors are those `train --task forecast` prints beside its model (seed 0)."""
    import numpy as np

    from rnn_tutor.core import signals

    sig = signals.prepare("knocks", 0, None, 48)
    x, k = sig.heldout, signals.AR_ORDER
    pred = sig.normalise(x)[1:]  # any model: the baselines do not depend on it
    r = signals.report(sig, pred, "lstm")
    assert float(VALUES["forecast.knocks_ar"]()) == pytest.approx(r.ar_mse, rel=1e-2)
    assert float(VALUES["forecast.knocks_persistence"]()) == pytest.approx(r.persistence_mse, rel=1e-2)
    assert float(VALUES["forecast.knocks_persistence"]()) == pytest.approx(np.mean((x[k:] - x[k - 1 : -1]) ** 2),
                                                                          rel=1e-2)
    assert float(VALUES["forecast.knocks_ar"]()) < float(VALUES["forecast.knocks_persistence"]())
    s = signals.report(signals.prepare("sines", 0, None, 48), np.zeros(4095), "lstm")
    assert VALUES["forecast.sines_ar_explained"]() == f"{100 * (1 - s.ar_mse / s.mean_mse):.1f}%"
    assert float(VALUES["forecast.sines_ar_explained"]().rstrip("%")) > 98  # "already explains"
    assert VALUES["forecast.period"]() == str(signals.KNOCK_PERIOD) and signals.KNOCK_PERIOD > signals.AR_ORDER
    assert VALUES["stream.lstm16_numbers"]() == "32" and VALUES["stream.lstm16_bytes"]() == "256 B"



def test_lesson_percentages_round_half_away_from_zero():
    """6.25% is 6.3% in a lesson, as in every table (Python's format would give the half-to-even 6.2%)."""
    from rnn_tutor.core import lessons

    assert lessons._pct(0.0625) == "6.3%" and lessons._pct(0.3125) == "31.3%" and lessons._pct(0.5) == "50.0%"
