"""Deck parsing: the built-in deck, user TOML/CSV decks, and errors that name the line."""

from __future__ import annotations

import pytest

from rnn_tutor.errors import BadValueError
from rnn_tutor.quiz.cards import builtin_deck, derived_id, load_deck, parse_csv, parse_toml, topics

LESSON_TOPICS = {"sequences", "recurrence", "weight sharing", "output patterns", "bottleneck",
                 "gradients", "clipping", "lstm", "gru", "sequential computation",
                 "when to use rnns", "hand trace", "review questions"}


def test_builtin_deck_covers_the_lesson():
    deck = builtin_deck()
    text = [c for c in deck if c.kind == "text"]
    assert len(text) >= 30
    assert LESSON_TOPICS <= set(topics(deck))
    ids = [c.id for c in deck]
    assert len(ids) == len(set(ids))
    for card in deck:
        assert card.question and card.answer and card.topic
        assert card.see_also.startswith("rnn-tutor "), card.id
    assert any(c.kind == "numeric" for c in deck)
    # the lesson's two review questions are there
    assert {"review-vanishing-long-range", "review-lstm-200-words"} <= set(ids)


def test_builtin_hand_trace_answer_is_right():
    from rnn_tutor.core.scalar import run

    card = next(c for c in builtin_deck() if c.id == "trace-exercise-values")
    hs = [s.h for s in run([1, 2, 3, 4, 5], weight=0.5, input_weight=0.5).steps]
    for h in hs:
        assert f"{h:g}" in card.answer


def test_toml_user_deck(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[[card]]\nid = "a1"\ntopic = "x"\nquestion = "Q?"\nanswer = "A."\n'
                    '[[card]]\nquestion = "Second?"\nanswer = "Yes"\n', "utf-8")
    cards = load_deck(path)
    assert [c.id for c in cards] == ["a1", derived_id("Second?")]
    assert cards[1].topic == "general"
    assert cards[0].source == str(path)


def test_derived_id_ignores_spacing_and_case():
    assert derived_id("What is  h_t?") == derived_id("what is h_t?")
    assert derived_id("What is h_t?") != derived_id("What is c_t?")


@pytest.mark.parametrize("text, line, words", [
    ('[[card]]\nid = "a"\nquestion = "Q"\nanswer = "A"\n\n[[card]]\nid = "b"\nquestion = "Q2"\n',
     6, "answer"),
    ('[[card]]\nid = "a"\nquestion = "Q"\nanswer = "A"\n[[card]]\nid = "a"\nquestion = "R"\n'
     'answer = "B"\n', 5, "used twice"),
    ('[[card]]\nquestion = "Q"\nanswer = "A"\ncolour = "red"\n', 1, "unknown field"),
    ('[[card]]\nquestion = "Q\nanswer = "A"\n', 2, "not valid TOML"),
    ('[[card]]\nid = "bad id!"\nquestion = "Q"\nanswer = "A"\n', 1, "not allowed"),
    ('[[card]]\nquestion = 3\nanswer = "A"\n', 1, "must be text"),
])
def test_bad_toml_names_the_line(text, line, words):
    with pytest.raises(BadValueError) as info:
        parse_toml(text, name="deck.toml", option="--deck")
    message = info.value.user_message()
    assert f"line {line}" in message
    assert words in message
    assert "'--deck'" in message


def test_csv_deck_and_its_errors():
    good = "id,topic,question,answer\nc1,t,What?,That.\n\nc2,t,\"Multi\nline?\",Yes\n"
    cards = parse_csv(good, name="d.csv")
    assert [c.id for c in cards] == ["c1", "c2"]
    assert cards[1].question == "Multi\nline?"
    with pytest.raises(BadValueError, match="line 3: the card has no 'answer'"):
        parse_csv("question,answer\nQ,A\nQ2,\n", name="d.csv")
    with pytest.raises(BadValueError, match="line 1: the header has no 'answer'"):
        parse_csv("question,reply\nQ,A\n", name="d.csv")
    with pytest.raises(BadValueError, match="line 2: expected 2 fields, found 3"):
        parse_csv("question,answer\nQ,A,extra\n", name="d.csv")


def test_load_deck_file_problems(tmp_path):
    with pytest.raises(BadValueError, match="does not exist"):
        load_deck(tmp_path / "nope.toml")
    (tmp_path / "d.txt").write_text("x")
    with pytest.raises(BadValueError, match=".toml or .csv"):
        load_deck(tmp_path / "d.txt")
    bad = tmp_path / "bin.csv"
    bad.write_bytes(b"question,answer\nQ,\xff\xfe\n")
    with pytest.raises(BadValueError, match="line 2: not UTF-8"):
        load_deck(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(BadValueError, match="no cards"):
        load_deck(empty)


def test_every_see_also_names_a_real_command():
    from rnn_tutor.cli.app import COMMAND_MODULES

    for card in builtin_deck():
        words = card.see_also.split()
        assert words[0] == "rnn-tutor" and words[1] in COMMAND_MODULES, card.id


def test_deck_and_history_csv_rows_share_their_rules():
    """Blank rows are skipped and a short or broken row is refused by its line, in decks and histories alike."""
    from rnn_tutor.quiz.transfer import HISTORY_COLUMNS, parse_history_csv

    assert [c.question for c in parse_csv("question,answer\n\nq1,a1\n , \nq2,a2\n", name="d.csv")] == ["q1", "q2"]
    header = ",".join(HISTORY_COLUMNS)
    assert parse_history_csv(header + "\n\n , \n", name="h.csv") == []
    for parse, text in ((parse_csv, "question,answer\n\nq1\n"), (parse_history_csv, header + "\n\nx,y\n")):
        with pytest.raises(BadValueError, match=r"x\.csv, line 3: expected \d+ fields, found"):
            parse(text, name="x.csv")
        with pytest.raises(BadValueError, match=r"x\.csv, line \d"):
            parse(text.replace("\n\n", '\n"unclosed\n'), name="x.csv")
