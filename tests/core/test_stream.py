"""The stepper: a stream over readings gives the batch forward pass's numbers, for every cell, kind and layer count."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import cells, heads, stream, tasks, train
from rnn_tutor.errors import BadValueError


@pytest.mark.parametrize("cell", cells.CELLS)
@pytest.mark.parametrize("task_name", ["forecast", "adding", "tagging", "recall"])
def test_stream_equals_the_batch_forward_pass(cell, task_name):
    task = tasks.get_task(task_name)
    model = heads.init_model(cell, task, 7, seed=2, length=20)
    x = np.random.default_rng(1).normal(size=(1, 300, task.input_size))
    s = stream.Stepper(model)
    outs, hs, cs = [], [], []
    for t in range(300):
        outs.append(s.step(x[0, t]).copy())
        hs.append(s.h[0])
        if cell == "lstm":
            cs.append(s.c[0])
    fwd = cells.forward(cell, model.cell_params(), x)
    ref = heads.linear(model.params["head.weight"], model.params["head.bias"], fwd.h[0])  # (T, O)
    assert np.max(np.abs(np.array(outs) - ref)) < 1e-12
    assert np.max(np.abs(np.array(hs) - fwd.h[0])) < 1e-12
    if cell == "lstm":
        assert np.max(np.abs(np.array(cs) - fwd.c[0])) < 1e-12
    assert s.state_numbers == 7 * (2 if cell == "lstm" else 1) and s.steps == 300
    s.reset()
    assert not np.any(s.h) and np.allclose(s.step(x[0, 0]), ref[0], atol=1e-12)


@pytest.mark.parametrize("cell", cells.CELLS)
def test_stacked_layers_step_bottom_to_top(cell):
    """Layers under PyTorch's names l0, l1, l2: each reads the one below; the state is (L, H)."""
    task = tasks.get_task("forecast")
    H, L = 5, 3
    model = heads.init_model(cell, task, H, seed=0)
    for layer in (1, 2):  # layers above the first read H numbers per step
        extra = cells.init_params(cell, H, H, seed=layer)
        model.params.update({k.replace("_l0", f"_l{layer}"): v for k, v in extra.items()})
    x = np.random.default_rng(3).normal(size=(1, 40, 1))
    s = stream.Stepper(model)
    assert s.layers == L and s.state_numbers == L * H * (2 if cell == "lstm" else 1)
    outs = np.array([s.step(x[0, t]).copy() for t in range(40)])
    below, states = x, []
    for layer in range(L):
        p = {k: model.params[k.replace("_l0", f"_l{layer}")] for k in cells.PARAM_KEYS}
        fwd = cells.forward(cell, p, below)
        below = fwd.h
        states.append(fwd.h_last[0])
    ref = heads.linear(model.params["head.weight"], model.params["head.bias"], below[0])
    assert np.max(np.abs(outs - ref)) < 1e-12
    assert s.h.shape == (L, H) and np.max(np.abs(s.h - np.array(states))) < 1e-12


def test_float32_stepper_is_close_and_float32():
    model = heads.init_model("lstm", tasks.get_task("forecast"), 32, seed=0)
    x = np.random.default_rng(0).normal(size=(1, 200, 1))
    s = stream.Stepper(model, np.float32)
    outs = np.array([float(s.step(x[0, t])[0]) for t in range(200)])
    assert s.step(0.0).dtype == np.float32
    ref = heads.predict(model, x)[0]
    assert np.max(np.abs(outs - ref)) < 1e-5


@pytest.fixture(scope="module")
def forecast_model(tmp_path_factory):
    r = train.train(train.TrainConfig(task="forecast", steps=30, eval_every=30, hidden=8, eval_size=200))
    return train.load_model(train.save_model(tmp_path_factory.mktemp("m") / "f.npz", r))


def test_forecast_stream_is_the_model_on_the_readings_in_their_units(forecast_model):
    saved = forecast_model
    readings = np.random.default_rng(4).normal(size=120) * 0.3 + 0.1
    st = stream.ForecastStream(saved)
    recs = [st.feed(float(v)) for v in readings]
    sig = saved.model.task.extra["signal"]
    batch = heads.predict(saved.model, sig.normalise(readings)[None, :, None])[0] * sig.std + sig.mean
    assert np.max(np.abs(np.array([r["next"] for r in recs]) - batch)) < 1e-12
    assert recs[0]["predicted"] is None and recs[0]["error"] is None
    for prev, rec in zip(recs, recs[1:]):
        assert rec["predicted"] == prev["next"] and rec["error"] == pytest.approx(rec["reading"] - rec["predicted"])
    summary = st.summary()
    errors = readings[1:] - batch[:-1]
    assert summary["mse"] == pytest.approx(np.mean(errors ** 2)) and summary["scored"] == 119
    assert summary["inputs"] == 120 and summary["state_numbers"] == 16


def test_anomalies_are_errors_beyond_k_held_out_sds(forecast_model):
    st = stream.ForecastStream(forecast_model, anomaly=3.0)
    sd = forecast_model.meta["error_std"]
    assert sd > 0 and st.threshold == pytest.approx(3 * sd)
    recs = [st.feed(v) for v in (0.1, 0.12, 0.1 + 100 * sd, 0.1)]
    assert [r["anomaly"] for r in recs] == [False, False, True, abs(recs[3]["error"]) > 3 * sd]
    assert recs[2]["surprise"] == pytest.approx(abs(recs[2]["error"]) / sd)
    assert st.summary()["anomalies"] == sum(r["anomaly"] for r in recs)


def test_open_stream_picks_the_stream_of_each_kind_and_refuses_what_cannot_stream(forecast_model, tmp_path):
    assert isinstance(stream.open_stream(forecast_model), stream.ForecastStream)
    out = {}
    for name in ("adding", "tagging", "reverse"):
        r = train.train(train.TrainConfig(task=name, steps=1, eval_every=1, hidden=3, eval_size=8, length=4))
        out[name] = train.load_model(train.save_model(tmp_path / f"{name}.npz", r))
    assert isinstance(stream.open_stream(out["adding"]), stream.AddingStream)
    tags = stream.open_stream(out["tagging"])
    assert isinstance(tags, stream.TokenStream) and tags.columns[2] == "tag"
    with pytest.raises(BadValueError, match="encoder-decoder") as e:
        stream.open_stream(out["reverse"])
    assert e.value.option == "--stream"
    with pytest.raises(BadValueError, match="forecast model"):
        stream.open_stream(out["adding"], anomaly=3)
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(BadValueError, match="above 0"):
            stream.open_stream(forecast_model, anomaly=bad)


def test_adding_and_token_streams_answer_each_input(tmp_path):
    r = train.train(train.TrainConfig(cell="gru", task="adding", steps=1, eval_every=1, hidden=3, eval_size=8,
                                      length=6))
    saved = train.load_model(train.save_model(tmp_path / "a.npz", r))
    st = stream.open_stream(saved)
    recs = [st.feed_text(w) for w in "0.5* 0.2 -0.1* 0.3".split()]
    ref = heads.predict(saved.model, saved.model.task.encode("0.5* 0.2 -0.1* 0.3"))  # the answer at the end
    assert recs[-1]["answer"] == pytest.approx(float(ref[0]), abs=1e-12)
    assert [r["expected"] for r in recs] == [None, None, 0.6, 0.6]
    for bad in ("abc", "2", "nan*", "x" * 300):
        with pytest.raises(stream.Skip):
            st.feed_text(bad)
    r = train.train(train.TrainConfig(task="tagging", steps=1, eval_every=1, hidden=3, eval_size=8, length=4))
    saved = train.load_model(train.save_model(tmp_path / "t.npz", r))
    st = stream.open_stream(saved)
    words = "the duck saw a big fly .".split()
    recs = [st.feed_text(w) for w in words]
    probs = heads.predict(saved.model, saved.model.task.encode(" ".join(words)))[0]
    assert [r["tag"] for r in recs] == [saved.model.task.classes[k] for k in probs.argmax(-1)]
    assert [r["confidence"] for r in recs] == pytest.approx(list(probs.max(-1)), abs=1e-12)
    with pytest.raises(stream.Skip, match="unknown word 'zebra'"):
        st.feed_text("zebra")


@pytest.mark.parametrize("cell", cells.CELLS)
def test_a_saved_stack_streams_as_its_batch_forward_pass(cell, tmp_path):
    """train --layers 2, saved and loaded: the stream gives heads.predict's numbers (fastlstm for the LSTM)."""
    r = train.train(train.TrainConfig(cell=cell, task="forecast", layers=2, steps=3, eval_every=3, hidden=5,
                                      eval_size=50))
    saved = train.load_model(train.save_model(tmp_path / "stack.npz", r))
    assert saved.model.num_layers == 2
    st = stream.ForecastStream(saved)
    readings = np.random.default_rng(6).normal(size=80)
    nxt = np.array([st.feed(float(v))["next"] for v in readings])
    sig = saved.model.task.extra["signal"]
    batch = heads.predict(saved.model, sig.normalise(readings)[None, :, None])[0] * sig.std + sig.mean
    assert np.max(np.abs(nxt - batch)) < 1e-12
    assert st.stepper.h.shape == (2, 5) and st.summary()["state_numbers"] == 2 * 5 * (2 if cell == "lstm" else 1)

