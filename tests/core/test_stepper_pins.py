"""Pinned outputs of everything that steps a model one input at a time: ``sample`` (seeded, every cell, one and
two streams), ``predict --stream`` on every kind of model (forecast with anomaly scores, adding, tagging, recall,
a language model read character by character) and ``inspect``'s reading of a text.

The pins in ``stepper_pins.json`` were written by the code before the two steppers (core/lm.py's and
core/stream.py's) became one (core/stepper.py), so the refactor is held to the numbers users saw. The models are
made from seeds (no training), so the pins do not depend on how training rounds on a machine. Text, ids and flags
must match exactly; numbers to 1e-12 relative where the path computes in float64 and 1e-5 where it computes in
float32 (BLAS may sum in another order on another machine). Changed on purpose since: the language models'
streams (``stream.text-*``) were re-pinned when ``predict --stream`` began reading the start symbol first, as
``sample`` and ``inspect`` do (tests/cli/test_stream_text.py holds them to inspect --surprise's bits).

    python -m tests.core.test_stepper_pins --write     # rewrite the pins (only when a change of figures is meant)
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

PINS = Path(__file__).with_name("stepper_pins.json")
CHARS = tuple("\n ()[]abcdeo")


def _lm(cell: str, layers: int, dtype=np.float32, hidden: int = 12, seed: int = 3):
    from rnn_tutor.core import cells, corpus, heads, lm

    task = lm.vocab_task(corpus.Vocab(CHARS))
    model = heads.init_model(cell, task, hidden, seed=seed, dtype=np.float64)
    for k in range(1, layers):
        extra = cells.init_params(cell, hidden, hidden, seed=seed + k)
        model.params.update({n.replace("_l0", f"_l{k}"): v for n, v in extra.items()})
    for n in model.params:  # sharper than the init's: the distributions are far from uniform
        model.params[n] = (model.params[n] * 3.0).astype(dtype)
    return model


def _model(cell: str, task_name: str, layers: int = 1, hidden: int = 6, seed: int = 1):
    from rnn_tutor.core import cells, heads, tasks

    model = heads.init_model(cell, tasks.get_task(task_name), hidden, seed=seed, length=5)
    for k in range(1, layers):
        extra = cells.init_params(cell, hidden, hidden, seed=seed + k)
        model.params.update({n.replace("_l0", f"_l{k}"): v for n, v in extra.items()})
    for n in model.params:
        model.params[n] = model.params[n] * 2.0
    return model


def _num(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else repr(float(v))
    return v


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    return _num(obj)


def _samples() -> dict:
    from rnn_tutor.core import lm

    out = {}
    for cell, layers in (("lstm", 2), ("gru", 1), ("rnn", 1)):
        model = _lm(cell, layers)
        for name, kw in (("t1", dict(length=80, temperature=1.0, prime="(a", seed=5)),
                         ("t07-b2", dict(length=40, temperature=0.7, seed=2, batch=2)),
                         ("greedy", dict(length=30, temperature=0.0, prime="[b"))):
            rows = [[(c.id, c.probability, c.sampled_probability) for c in chars] for chars in lm.sample(model, **kw)]
            out[f"{cell}-{name}"] = rows
    m64 = _lm("lstm", 1, np.float64)
    out["lstm-f64"] = [[(c.id, c.probability, c.sampled_probability) for c in chars]
                       for chars in lm.sample(m64, 50, temperature=1.3, seed=9)]
    return out


def _feed(st, inputs) -> dict:
    from rnn_tutor.core import stream

    recs, skipped = [], []
    for text in inputs:
        try:
            recs.append(st.feed_text(text))
        except stream.Skip as e:
            skipped.append(str(e))
    return {"records": recs, "skipped": skipped, "summary": st.summary()}


def _streams() -> dict:
    from rnn_tutor.core import stream

    meta = {"norm_mean": 0.3, "norm_std": 2.0, "error_std": 0.05, "heldout_mse": 0.01}
    rng = np.random.default_rng(7)
    readings = [f"{v:.4f}" for v in 0.3 + 2.0 * np.sin(np.arange(60) / 4) + rng.normal(size=60) * 0.1]
    readings[30] = "9.5"  # a surprise
    readings[40] = "abc"  # skipped
    out = {}
    for cell in ("lstm", "gru", "rnn"):
        saved = SimpleNamespace(model=_model(cell, "forecast", layers=2), meta=meta)
        out[f"forecast-{cell}"] = _feed(stream.open_stream(saved, anomaly=2.0), readings)
    values = [f"{v:.3f}" + ("*" if i in (3, 9) else "") for i, v in enumerate(rng.uniform(-1, 1, 14))]
    out["adding-gru"] = _feed(stream.open_stream(SimpleNamespace(model=_model("gru", "adding"), meta={})), values)
    for cell, task in (("rnn", "tagging"), ("lstm", "recall")):
        saved = SimpleNamespace(model=_model(cell, task), meta={})
        words = list(saved.model.task.vocab) * 3 + ["zzz"]
        out[f"{task}-{cell}"] = _feed(stream.open_stream(saved), words)
    for cell, layers in (("lstm", 2), ("gru", 1)):
        saved = SimpleNamespace(model=_lm(cell, layers), meta={})
        out[f"text-{cell}"] = _feed(stream.open_stream(saved), list("(ab [cd] e)\n(o") + ["Z"])
    return out


def _inspect() -> dict:
    from rnn_tutor.core import units

    model = _lm("lstm", 2)
    r = units.read(model, "(ab [c (d e)] o)\n[a]", keep=("h", "c", "gates"))
    return {"bits": r.bits, "values": {f"{k[0]}-{k[1]}": v[:, :3] for k, v in sorted(r.values.items())}}


def outputs() -> dict:
    return _clean({"sample": _samples(), "stream": _streams(), "inspect": _inspect()})


def _compare(got, want, path: str, rel: float) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            _compare(got[k], want[k], f"{path}.{k}", rel)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            _compare(g, w, f"{path}[{i}]", rel)
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, (int, float)), f"{path}: {got!r} is not a number"
        assert got == pytest.approx(want, rel=rel, abs=rel), f"{path}: {got} != {want}"
    else:
        assert got == want and type(got) is type(want), f"{path}: {got!r} != {want!r}"


# which pins are computed in float32 (the language models' default), the rest in float64
FLOAT32 = ("sample.lstm-t1", "sample.lstm-t07", "sample.lstm-greedy", "sample.gru", "sample.rnn", "inspect")


@pytest.fixture(scope="module")
def pinned():
    return json.loads(PINS.read_text())


@pytest.fixture(scope="module")
def now():
    return outputs()


@pytest.mark.parametrize("part", ["sample", "stream", "inspect"])
def test_outputs_are_the_pinned_ones(pinned, now, part):
    for key in pinned[part]:
        name = f"{part}.{key}"
        rel = 1e-5 if name.startswith(FLOAT32) else 1e-12
        _compare(now[part][key], pinned[part][key], name, rel)
    assert set(now[part]) == set(pinned[part])


def test_the_pins_are_not_trivial(pinned):
    """The pins would catch a broken stepper: the samples differ per seed and cell, the streams flag and skip."""
    s = pinned["sample"]
    assert len({tuple(r[0][0] for r in v) for v in s.values()}) == len(s)
    f = pinned["stream"]["forecast-lstm"]
    assert f["summary"]["anomalies"] >= 1 and len(f["skipped"]) == 1 and f["summary"]["inputs"] == 59
    assert pinned["stream"]["text-gru"]["skipped"] and pinned["stream"]["recall-lstm"]["skipped"]


if __name__ == "__main__":
    if "--write" in sys.argv:
        PINS.write_text(json.dumps(outputs(), indent=None, separators=(",", ":")) + "\n")
        print(f"wrote {PINS}")
    else:
        print(json.dumps(outputs())[:2000])
