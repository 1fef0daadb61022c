"""Task generators: shapes, labels correct by construction, seeding, and reading a user's input."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import tasks
from rnn_tutor.core.tasks import TASKS, get_task
from rnn_tutor.errors import BadValueError


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", list(TASKS))
def test_shapes_and_dtypes(name):
    task = get_task(name)
    T = max(task.min_length, 12)
    b = task.batch(rng(), 7, T)
    assert b.x.shape == (7, T, task.input_size)
    assert b.x.dtype == np.float64
    if task.kind == tasks.SEQ_REGRESSION:
        assert b.y.shape == (7, 1)
    elif task.kind == tasks.SEQ_CLASS:
        assert b.y.shape == (7,) and b.y.dtype.kind == "i"
        assert b.y.min() >= 0 and b.y.max() < task.output_size
    elif task.kind == tasks.STEP_REGRESSION:  # the target of every step is the next reading
        assert b.y.shape == (7, T, 1) and b.y.dtype == np.float64
        assert np.array_equal(b.y[:, :-1], b.x[:, 1:])
    else:
        assert b.y.shape == (7, T) and b.y.dtype.kind == "i"
        assert b.y.min() >= 0 and b.y.max() < task.output_size
    if task.vocab:  # one-hot inputs
        assert np.array_equal(b.x.sum(-1), np.ones((7, T)))


@pytest.mark.parametrize("name", list(TASKS))
def test_seeded_and_float32(name):
    task = get_task(name)
    a = task.batch(rng(3), 5, task.default_length)
    b = task.batch(rng(3), 5, task.default_length)
    c = task.batch(rng(4), 5, task.default_length)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert task.batch(rng(3), 5, task.default_length, dtype=np.float32).x.dtype == np.float32


@pytest.mark.parametrize("T", [2, 3, 5, 20, 100, 301])
def test_adding_labels(T):
    b = get_task("adding").batch(rng(T), 200, T)
    values, marks = b.x[..., 0], b.x[..., 1]
    assert np.all(marks.sum(1) == 2)
    assert np.all(np.abs(values) <= 1.0)
    # both marks in the first half (long lag), the first within the first ten steps
    pos = np.argwhere(marks == 1.0)[:, 1].reshape(200, 2)
    assert pos.max() < max(2, T // 2)
    assert pos.min(1).max() < 10
    expected = 0.5 + (values * marks).sum(1) / 4.0
    assert np.allclose(b.y[:, 0], expected)
    assert np.all((b.y >= 0) & (b.y <= 1))


def test_recall_labels():
    task = get_task("recall")
    b = task.batch(rng(), 50, 30)
    ids = b.x.argmax(-1)
    assert np.array_equal(ids[:, 0], b.y)
    assert np.all(ids[:, 1:] >= 4)  # only distractors after the first step
    assert set(np.unique(b.y)) == {0, 1, 2, 3}


def test_order_labels_are_the_subject_and_swapping_flips_them():
    task = get_task("order")
    b = task.batch(rng(), 60, 9)
    vocab = task.vocab
    for x, y in zip(b.x, b.y):
        words = [vocab[i] for i in x.argmax(-1)]
        assert len(words) == 9 and words[0] == "the"
        assert task.classes[y] == task.target_of(" ".join(words))
        nouns = [w for w in words if w in tasks.ORDER_NOUNS]
        assert len(nouns) == 2 and nouns[0] != nouns[1] and nouns[0] == task.classes[y]
        swapped = [nouns[1] if w == nouns[0] else nouns[0] if w == nouns[1] else w for w in words]
        assert task.target_of(" ".join(swapped)) == nouns[1]  # same words, other answer
    assert task.target_of("the dog bit the man") == "dog"
    assert task.target_of("the man bit the dog") == "man"


def test_tagging_labels_follow_the_grammar():
    task = get_task("tagging")
    b = task.batch(rng(), 40, 25)
    ambiguous_seen = set()
    for x, y in zip(b.x, b.y):
        words = [task.vocab[i] for i in x.argmax(-1)]
        assert [task.classes[t] for t in y] == task.target_of(" ".join(words))
        for w, t in zip(words, y):
            if w in tasks.TAG_BOTH:
                ambiguous_seen.add((w, task.classes[t]))
    # the same word gets both tags somewhere: context decides
    tags_of = {}
    for w, t in ambiguous_seen:
        tags_of.setdefault(w, set()).add(t)
    assert any(t == {"NOUN", "VERB"} for t in tags_of.values())
    assert task.target_of("the duck saw a fly .") == ["DET", "NOUN", "VERB", "DET", "NOUN", "END"]


def test_reverse_labels():
    b = get_task("reverse").batch(rng(), 10, 7)
    assert np.array_equal(b.y, b.x.argmax(-1)[:, ::-1])


def test_eval_stream_differs_from_training_stream():
    task = get_task("adding")
    a = task.batch(np.random.default_rng([0, 1]), 4, 20)
    b = task.batch(np.random.default_rng([0, 2]), 4, 20)
    assert not np.array_equal(a.x, b.x)


@pytest.mark.parametrize("name", list(TASKS))
def test_bad_lengths(name):
    task = get_task(name)
    for bad in (0, -1, task.min_length - 1, tasks.MAX_LENGTH + 1, 2.5, True):
        if isinstance(bad, int) and not isinstance(bad, bool) and task.min_length <= bad <= tasks.MAX_LENGTH:
            continue
        with pytest.raises(BadValueError) as e:
            task.batch(rng(), 2, bad)
        assert e.value.option == "--length"


def test_unknown_task():
    with pytest.raises(BadValueError) as e:
        get_task("sorting")
    assert e.value.option == "--task" and "adding" in e.value.message


def test_encode_user_input():
    add = get_task("adding")
    x = add.encode("0.5* 0.1 -0.3* 0.9")
    assert x.shape == (1, 4, 2)
    assert np.array_equal(x[0, :, 1], [1, 0, 1, 0])
    assert add.target_of("0.5* 0.1 -0.3* 0.9") == pytest.approx(0.5 + 0.2 / 4)
    for bad in ("", "0.5 0.1", "0.5* 0.1* 0.2*", "2* 0.1*", "abc* 0.1*", "nan* 0.1*"):
        with pytest.raises(BadValueError) as e:
            add.encode(bad)
        assert e.value.option == "--input"
    rec = get_task("recall")
    assert rec.encode("c x y").argmax(-1).tolist() == [[2, 5, 6]]
    with pytest.raises(BadValueError, match="unknown word"):
        rec.encode("c q")
    assert get_task("order").encode("The dog bit the man").shape == (1, 5, len(tasks.ORDER_VOCAB))


def _tags_by_word(length: int) -> dict:
    """Every tag each word gets over many generated sequences of ``length`` words: {word: {tags}}."""
    task = get_task("tagging")
    seen: dict = {}
    for seed in range(3):  # the generator always starts a sentence, whatever the seed
        b = tasks._gen_tagging(task, np.random.default_rng(seed), 500, length)
        for ids, ys in zip(b[0].argmax(-1), b[1]):
            for i, t in zip(ids, ys):
                seen.setdefault(task.vocab[i], set()).add(t)
    return seen


def test_tagging_is_refused_below_the_length_where_context_first_matters():
    """Up to 2 words a tag is a function of the word alone (a memoryless lookup scores 100%); at 3 the same word
    can take two tags (the big saw / the duck saw). So the task starts at 3, and says why below it."""
    assert all(len(tags) == 1 for tags in _tags_by_word(2).values())
    assert any(len(tags) > 1 for tags in _tags_by_word(3).values())
    task = get_task("tagging")
    assert task.min_length == 3 and task.check_length(3) == 3
    for n in (1, 2):
        with pytest.raises(BadValueError) as e:
            task.check_length(n)
        assert "from 3 to" in e.value.message and "from the word alone" in e.value.message
