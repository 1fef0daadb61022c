"""The training loop: learning happens, runs are reproducible, divergence and interruption are handled."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core.train import SOLVED, TrainConfig, Trainer, train
from rnn_tutor.errors import BadValueError, RnnTutorError


def test_a_small_run_reduces_the_loss():
    r = train(TrainConfig(cell="lstm", task="recall", length=8, steps=120, eval_every=40, eval_size=128))
    first, last = r.records[0], r.records[-1]
    assert [rec.step for rec in r.records] == [0, 40, 80, 120]
    assert last.loss < 0.5 * first.loss
    assert last.accuracy > 0.9 > first.accuracy
    assert r.accuracy == last.accuracy and r.loss == last.loss
    assert last.sequences == 120 * 32


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_other_cells_learn_a_short_task(cell):
    r = train(TrainConfig(cell=cell, task="adding", length=6, steps=150, eval_every=150, eval_size=128))
    assert r.loss < 0.3 * r.records[0].loss


@pytest.mark.parametrize("task", ["order", "tagging", "reverse"])
def test_each_output_pattern_trains(task):
    r = train(TrainConfig(cell="lstm", task=task, steps=80, eval_every=80, eval_size=64, hidden=12))
    assert r.loss < r.records[0].loss
    assert r.accuracy > r.records[0].accuracy


def test_same_seed_same_numbers_other_seed_other_numbers():
    cfg = TrainConfig(cell="gru", task="adding", length=10, steps=30, eval_every=10, eval_size=32)
    a, b = train(cfg), train(cfg)
    c = train(TrainConfig(**{**cfg.__dict__, "seed": 1}))
    strip = lambda r: [(x.step, x.loss, x.accuracy, x.train_loss) for x in r.records]  # noqa: E731
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


def test_stop_at_and_solved_step():
    r = train(TrainConfig(cell="lstm", task="recall", length=5, steps=1000, eval_every=20, eval_size=64,
                          stop_at=SOLVED))
    assert r.solved_step is not None and r.records[-1].step == r.solved_step < 1000
    assert r.solved_sequences == r.solved_step * 32


def test_divergence_is_an_error_with_a_hint():
    with pytest.raises(RnnTutorError) as e:
        train(TrainConfig(cell="rnn", task="adding", length=20, steps=200, lr=10.0, optimizer="sgd", clip=0,
                          eval_every=200))
    assert "diverged" in e.value.message
    assert "--lr" in e.value.hint and "--clip" in e.value.hint
    assert not isinstance(e.value, BadValueError)


def test_interrupting_keeps_what_was_done():
    t = Trainer(TrainConfig(cell="lstm", task="recall", length=6, steps=100, eval_every=10, eval_size=32))
    it = t.run()
    for rec in it:
        if rec.step == 30:
            break  # as if Ctrl-C arrived here
    r = t.result(interrupted=True)
    assert r.interrupted and r.final.step == 30 and t.step == 30
    assert set(r.params) >= {"weight_ih_l0", "head.weight"}


def test_an_interruption_between_evaluations_reports_the_weights_it_keeps(monkeypatch):
    """Ctrl-C during step 38 (evaluations every 10): the result ends with an evaluation of the weights it keeps
    (37 steps), not the step-30 numbers beside step-37 weights."""
    from rnn_tutor.core import heads

    real, calls = heads.loss_and_grads, []

    def interrupted_at_38(model, x, y, train=True):
        calls.append(1)
        if len(calls) == 38:
            raise KeyboardInterrupt
        return real(model, x, y, train)

    monkeypatch.setattr(heads, "loss_and_grads", interrupted_at_38)
    t = Trainer(TrainConfig(cell="lstm", task="recall", length=6, steps=100, eval_every=10, eval_size=64))
    with pytest.raises(KeyboardInterrupt):
        for _ in t.run():
            pass
    assert t.step == 37 and t.records[-1].step == 30
    r = t.result(interrupted=True)
    e = heads.evaluate(t.model, t.eval_x, t.eval_y)
    assert r.final.step == 37 and r.final.sequences == 37 * 32
    assert (r.accuracy, r.loss) == (e.accuracy, e.loss)
    assert [rec.step for rec in r.records] == [0, 10, 20, 30, 37]
    assert t.result(interrupted=True).records == r.records  # asked twice: evaluated once


def test_baseline_is_the_constant_answer():
    t = Trainer(TrainConfig(cell="rnn", task="adding", length=20, eval_size=2000, steps=1))
    assert 0.1 < t.baseline_accuracy < 0.2  # 0.5 +- 0.04 catches ~15% of the triangular target
    assert t.baseline_loss == pytest.approx(1 / 24, rel=0.1)
    t = Trainer(TrainConfig(cell="rnn", task="recall", length=5, eval_size=2000, steps=1))
    assert t.baseline_accuracy == pytest.approx(0.25, abs=0.05)


@pytest.mark.parametrize(
    "kw, option",
    [
        ({"cell": "transformer"}, "--cell"),
        ({"task": "sort"}, "--task"),
        ({"length": 0}, "--length"),
        ({"task": "order", "length": 3}, "--length"),
        ({"hidden": 0}, "--hidden"),
        ({"hidden": -3}, "--hidden"),
        ({"hidden": 10**6}, "--hidden"),
        ({"steps": 0}, "--steps"),
        ({"batch": 0}, "--batch"),
        ({"lr": 0.0}, "--lr"),
        ({"lr": float("nan")}, "--lr"),
        ({"clip": -1.0}, "--clip"),
        ({"clip": float("inf")}, "--clip"),
        ({"optimizer": "lbfgs"}, "--optimizer"),
        ({"gate_init": "zeros"}, "--gate-init"),
        ({"hidden": 1024, "batch": 4096, "length": 100}, "--hidden"),
        ({"eval_size": 100_000, "length": 10_000}, "--eval-size"),
    ],
)
def test_bad_config_names_the_option(kw, option):
    with pytest.raises(BadValueError) as e:
        Trainer(TrainConfig(**kw))
    assert e.value.option == option


@pytest.mark.slow
def test_lstm_solves_the_long_lag_adding_task_and_the_rnn_does_not():
    """The lesson's claim, measured: T = 100, same budget and seed.   python -m pytest -m slow"""
    budget = dict(task="adding", length=100, steps=1000, eval_every=50, eval_size=512, stop_at=SOLVED)
    lstm = train(TrainConfig(cell="lstm", **budget))
    assert lstm.solved_step is not None and lstm.solved_sequences < 74_000
    rnn = train(TrainConfig(cell="rnn", **budget))
    assert rnn.solved_step is None
    assert rnn.accuracy < rnn.baseline_accuracy + 0.1


@pytest.mark.parametrize("optimizer, clip", [("adam", 0.1), ("adam", None), ("sgd", 0.05)])
def test_a_few_training_steps_follow_pytorch(optimizer, clip):
    """Trainer's steps (loss, clipping by global norm, Adam / SGD with momentum 0.9) against torch.optim on the
    same batches from the same start."""
    torch = pytest.importorskip("torch")
    from rnn_tutor.core import heads
    from rnn_tutor.core.tasks import get_task

    cfg = TrainConfig(cell="gru", task="adding", length=6, hidden=4, steps=4, batch=8, lr=0.05, clip=clip,
                      optimizer=optimizer, eval_every=100, eval_size=8, seed=5)
    trainer = Trainer(cfg)
    start = {k: v.copy() for k, v in trainer.model.params.items()}
    list(trainer.run())
    task, rng = get_task("adding"), np.random.default_rng([5, 1])  # the trainer's batch stream
    gru = torch.nn.GRU(task.input_size, 4, batch_first=True).double()
    head = torch.nn.Linear(4, 1).double()
    named = {**{k: getattr(gru, k) for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")},
             "head.weight": head.weight, "head.bias": head.bias}
    for k, p in named.items():
        p.data = torch.tensor(start[k])
    params = list(named.values())
    opt = (torch.optim.Adam(params, lr=0.05) if optimizer == "adam"
           else torch.optim.SGD(params, lr=0.05, momentum=0.9))
    for _ in range(4):
        b = task.batch(rng, 8, 6)
        opt.zero_grad()
        h, _ = gru(torch.tensor(b.x))
        torch.nn.functional.mse_loss(head(h[:, -1]), torch.tensor(b.y)).backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
    assert heads.SEQ_REGRESSION == task.kind
    if clip:
        assert trainer.records[-1].grad_norm > 2 * clip  # clipping was really at work
    for k, p in named.items():
        np.testing.assert_allclose(trainer.model.params[k], p.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
        assert not np.allclose(start[k], trainer.model.params[k])  # it did move


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_run_that_needs_too_much_memory_is_refused_with_the_estimate(dtype):
    with pytest.raises(BadValueError) as e:
        TrainConfig(cell="lstm", task="adding", length=10_000, hidden=64, dtype=dtype).checked()
    msg = str(e.value)
    assert e.value.option == "--hidden" and "GB of memory" in msg and "an LSTM" in msg and "limit is 4 GB" in msg
    assert ("--dtype float32" in (e.value.hint or "")) == (dtype == "float64")
    # the same sizes fit in float32 at half the length, and the defaults are far below the limit
    TrainConfig(cell="lstm", task="adding", length=4_000, hidden=64, dtype="float32").checked()
    for cell in ("rnn", "gru", "lstm"):
        for task in ("adding", "recall", "order", "tagging", "reverse"):
            TrainConfig(cell=cell, task=task).checked()


def test_memory_estimate_covers_the_lstm_buffers():
    """The estimate is an upper bound for the memory fastlstm uses: all of a training workspace, and the
    forward pass's buffers of an evaluation one (the backward buffers are allocated there but never touched)."""
    from rnn_tutor.core import fastlstm, heads, train as train_mod

    for H in (1, 4, 24, 25, 64):
        T, B, D = 50, 32, 2
        ws = fastlstm.Workspace().ensure(T, B, H, D, np.float64)
        total = sum(v.nbytes for v in vars(ws).values() if isinstance(v, np.ndarray))
        ev = fastlstm.Workspace().ensure(T, heads.EVAL_CHUNK, H, D, np.float64)
        total += sum(a.nbytes for a in (ev.HX, ev.Z, ev.TC, ev.P))
        assert total <= train_mod.memory_estimate("lstm", "sequence-regression", H + D + 1, B, 512, T, "float64")
