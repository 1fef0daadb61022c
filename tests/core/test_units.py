"""Inside a language model: the features ``inspect --find`` correlates with (on hand-made strings), reading a text
(bits and unit values equal the batch forward pass), and the correlations themselves."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import heads, lm, units
from rnn_tutor.core.corpus import Vocab
from rnn_tutor.errors import BadValueError


def test_features_on_hand_made_strings():
    f = units.features("(a [b] c)")
    assert list(f["bracket depth"]) == [1, 1, 1, 2, 2, 1, 1, 1, 0]
    assert list(units.bracket_depth("))(")) == [0, 0, 1]  # never below 0
    assert list(units.inside_quotes('x "ab" \'c"d\' e')) == [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    assert list(units.inside_quotes('"ab\ncd')) == [1, 1, 1, 0, 0, 0]  # a newline ends an open quote
    assert list(units.position_in_line("ab\ncde\n")) == [1, 2, 0, 1, 2, 3, 0]
    assert list(units.position_in_word("ab c_d1 !x")) == [1, 2, 0, 1, 2, 3, 4, 0, 0, 1]
    g = units.features("a1 ,")
    assert list(g["letter"]) == [1, 0, 0, 0] and list(g["digit"]) == [0, 1, 0, 0]
    assert list(g["space"]) == [0, 0, 1, 0] and list(g["punctuation"]) == [0, 0, 0, 1]
    assert set(units.features("x")) == set(units.FEATURES)


@pytest.mark.parametrize("cell, layers", [("lstm", 1), ("gru", 2), ("rnn", 1)])
def test_reading_equals_the_batch_forward(cell, layers):
    vocab = Vocab(tuple("\n ()ab"))
    m = heads.init_model(cell, lm.vocab_task(vocab), 5, seed=1, num_layers=layers)
    text = "(ab (ba))\n(a)" * 60  # longer than one chunk of units.CHUNK
    r = units.read(m, text, keep=("gates",))
    ids = np.r_[[lm.start_symbol(vocab)], vocab.encode(text)[0]]
    _, _, logits = lm.loss_and_grads(m, lm.one_hot(ids[None, :-1], vocab.size), ids[None, 1:], train=False)
    p = heads.softmax(logits[0])
    assert np.allclose(r.bits, -np.log2(p[np.arange(len(text)), ids[1:]]), atol=1e-10)
    fwd = heads._forward(m, lm.one_hot(ids[None], vocab.size))
    top = np.asarray(fwd.h)[0, 1:]  # the state after each text character
    assert r.layers == layers and np.allclose(r.values[(layers - 1, "h")], top, atol=1e-12)
    if cell == "lstm":
        assert np.allclose(r.values[(0, "c")], np.asarray(fwd.c)[0, 1:], atol=1e-12)
        assert set(k for _, k in r.values) == {"h", "c", "i", "f", "g", "o"}


def test_find_ranks_a_unit_that_is_the_feature():
    vocab = Vocab(tuple("\n ()ab"))
    m = heads.init_model("lstm", lm.vocab_task(vocab), 4, seed=0)
    text = "(a (b (a) b) a)\n" * 30
    r = units.read(m, text)
    depth = units.bracket_depth(text)
    r.values[(0, "c")][:, 2] = 3.0 * depth - 1.0  # plant a perfect depth counter in c 0:2
    r.values[(0, "h")][:, 1] = -depth  # and a perfect negative one in h 0:1
    ranked = {f.feature: f for f in units.find(r, top=2)}
    best = ranked["bracket depth"].units
    assert {(u.unit, round(u.r, 12)) for u in best} == {("c 0:2", 1.0), ("h 0:1", -1.0)}
    assert ranked["inside quotes"].units == () and "same at every character" in ranked["inside quotes"].note
    keys, R = units.correlations(r, units.features(text))
    assert keys == [(0, "h"), (0, "c")] and R.shape == (8, len(units.FEATURES))
    k = units.FEATURES.index("position in line")
    assert R[0, k] == pytest.approx(np.corrcoef(r.values[(0, "h")][:, 0], units.position_in_line(text))[0, 1])


def test_unit_and_show_arguments():
    m = heads.init_model("gru", lm.vocab_task(Vocab(tuple("ab"))), 3, seed=0, num_layers=2)
    assert units.parse_unit("1:2", 2, 3) == (1, 2) and units.parse_unit("2", 2, 3) == (0, 2)
    for bad in ("2:0", "0:3", "x", "0:-1"):
        with pytest.raises(BadValueError):
            units.parse_unit(bad, 2, 3)
    assert units.check_what(m, "Z") == "z"
    with pytest.raises(BadValueError, match="h, r, z, n"):
        units.check_what(m, "c")
    with pytest.raises(BadValueError):
        units.read(m, "")
