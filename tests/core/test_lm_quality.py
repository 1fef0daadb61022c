"""The language model's quality bar on brackets (issue 13), as a slow test: `python -m pytest -m slow
tests/core/test_lm_quality.py` (about a minute of CPU). The figures and their timing: benchmarks/bench_lm_brackets.py.

With the defaults (one layer of 64, float32, PyTorch's gate init, chunks of 100, batch 32) for 4,000 steps (51 s of
CPU on the development machine): held-out bpc below the best n-gram's (orders 1-8), at least 90 of the first 100
lines of a sample balanced, and a unit that follows the bracket depth with |r| >= 0.8."""

from __future__ import annotations

import pytest

from rnn_tutor.core import corpus, lm, units
from rnn_tutor.core.train import TrainConfig, train


@pytest.mark.slow
def test_brackets_quality_bar():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        result = train(TrainConfig(cell="lstm", task="text", text="brackets", steps=4000))
    from rnn_tutor.core import heads

    model = heads.Model("lstm", lm.vocab_task(result.text.vocab), result.config.hidden, result.params)
    rep = result.text.ngram()
    assert result.loss / lm.LN2 < rep.best_bpc - 0.2  # 1.298 against 1.551 when measured
    text = "".join(c[0].char for c in lm.sample(model, 20_000, seed=0))
    lines = text.split("\n")[:100]
    assert len(lines) == 100 and sum(lm.balanced(line) for line in lines) >= 90
    found = units.find(units.read(model, corpus.brackets_text(20_000, seed=1_000_003)), top=1)
    depth = next(f for f in found if f.feature == "bracket depth").units[0]
    assert abs(depth.r) >= 0.8
