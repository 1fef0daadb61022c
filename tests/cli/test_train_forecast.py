"""``train --task forecast``: the comparison with persistence and AR(k), a user's file, the saved normalisation
and hostile metadata in a forecast model's file."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tutor.core import signals, train
from tests.fuzzing import invoke, loads_strict


def test_json_has_the_model_beside_both_baselines(tmp_path):
    r = invoke(["train", "--task", "forecast", "--steps", "20", "--eval-every", "20", "--hidden", "6",
                "--eval-size", "300", "--save", str(tmp_path / "k.npz"), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)
    f = d["forecast"]
    assert d["signal"] == "knocks" and f["signal"] == "knocks" and f["ar_order"] == signals.AR_ORDER
    assert f["readings"] == 300 - signals.AR_ORDER
    for key in ("mse", "ar_mse", "persistence_mse", "mean_mse", "error_std", "vs_ar", "vs_persistence"):
        assert isinstance(f[key], float) and f[key] > 0, key
    assert f["vs_ar"] == pytest.approx(f["mse"] / f["ar_mse"]) and f["sentence"]
    # the baselines by hand on the same stretch
    sig = signals.prepare("knocks", 0, 300, 100, heldout_rng=np.random.default_rng([0, 2]))
    x = sig.heldout
    assert f["persistence_mse"] == pytest.approx(np.mean((x[8:] - x[7:-1]) ** 2))
    ar = signals.ar_predictions(sig.normalise(x), sig.ar) * sig.std + sig.mean
    assert f["ar_mse"] == pytest.approx(np.mean((x[8:] - ar) ** 2))
    # the model's error, recomputed from the saved file
    saved = train.load_model(tmp_path / "k.npz")
    assert saved.meta["norm_mean"] == pytest.approx(f["mean"]) and saved.meta["norm_std"] == pytest.approx(f["std"])
    from rnn_tutor.core import heads

    pred = heads.predict(saved.model, sig.normalise(x)[None, :-1, None])[0] * f["std"] + f["mean"]
    assert f["mse"] == pytest.approx(np.mean((x[8:] - pred[7:]) ** 2), rel=1e-9)
    assert saved.meta["error_std"] == pytest.approx(np.std(x[8:] - pred[7:]), rel=1e-9)


def test_the_table_shows_the_comparison_at_80_columns():
    r = invoke(["train", "--task", "forecast", "--signal", "sines", "--steps", "5", "--eval-every", "5",
                "--hidden", "4", "--eval-size", "100"])
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "AR(8)" in out and "persistence" in out and "the mean" in out and "sines" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_a_file_of_readings(tmp_path):
    t = np.arange(600)
    values = 20 + 5 * np.sin(2 * np.pi * t / 24)
    csv = tmp_path / "temps.csv"
    csv.write_text("time,temp\n" + "".join(f"{i},{v:.4f}\n" for i, v in zip(t, values)) + "600,NA\n")
    r = invoke(["train", "--task", "forecast", "--signal", str(csv), "--column", "temp", "--length", "48",
                "--steps", "5", "--eval-every", "5", "--hidden", "4", "--format", "json", "--save",
                str(tmp_path / "t.npz")])
    assert r.exit_code == 0, r.stderr
    d = loads_strict(r.stdout)["forecast"]
    assert d["signal"] == "file" and "temps.csv, column 'temp'" in d["source"]
    assert d["readings"] == 600 // 5 - signals.AR_ORDER  # the last fifth held out
    assert d["mean"] == pytest.approx(values[:480].mean(), abs=1e-3)
    assert "Skipped 1 row of temps.csv, column 'temp' that were not numbers (line 602)." in r.stderr
    r = invoke(["predict", str(tmp_path / "t.npz"), "--samples", "2"])
    assert r.exit_code == 2 and "temps.csv" in r.stderr and "--stream" in r.stderr
    r = invoke(["predict", str(tmp_path / "t.npz"), "--stream", "-f", "jsonl"], input="20\n25\n")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2
    r = invoke(["train", "--task", "forecast", "--signal", str(csv), "--steps", "1"])
    assert r.exit_code == 2 and "--column" in r.stderr and "'time', 'temp'" in r.stderr


@pytest.mark.parametrize("args, option", [
    (["--task", "adding", "--signal", "knocks"], "--signal"),
    (["--task", "forecast", "--signal", "waves"], "--signal"),
    (["--task", "forecast", "--signal", ""], "--signal"),
    (["--task", "forecast", "--column", "2"], "--column"),
    (["--task", "forecast", "--eval-size", "5"], "--eval-size"),
])
def test_bad_values_name_the_option(args, option):
    r = invoke(["train", *args, "--steps", "1"])
    assert r.exit_code == 2 and f"'{option}'" in r.stderr, r.stderr


@pytest.fixture(scope="module")
def arrays(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    r = train.train(train.TrainConfig(task="forecast", steps=1, eval_every=1, hidden=3, eval_size=50))
    path = train.save_model(folder / "ok.npz", r)
    return folder, dict(np.load(path))


@pytest.mark.parametrize("key, value, message", [
    ("meta_norm_std", np.array(0.0), "meta_norm_std is 0.0; expected a number from"),
    ("meta_norm_std", np.array(-1.0), "meta_norm_std is -1.0; expected"),
    ("meta_norm_std", np.array(np.nan), "meta_norm_std is NaN"),
    ("meta_norm_mean", np.array(np.inf), "a finite one"),
    ("meta_norm_mean", np.array(1e200), "meta_norm_mean is 1e+200"),
    ("meta_error_std", np.array("abc"), "meta_error_std should be a number"),
    ("meta_error_std", np.array([1.0, 2.0]), "should be a single value"),
    ("meta_norm_std", None, "lacks meta_norm_std, which a forecast model needs"),
    ("meta_signal", np.array("waves"), "meta_signal is 'waves'; expected one of knocks"),
    ("meta_signal", np.array(b"\xff"), "not text"),
    ("meta_ar_order", np.array(10**12), "meta_ar_order is"),
])
def test_hostile_forecast_metadata_is_refused(arrays, key, value, message):
    folder, good = arrays
    bad = dict(good)
    if value is None:
        del bad[key]
    else:
        bad[key] = value
    path = folder / "bad.npz"
    np.savez(path, **bad)
    r = invoke(["predict", str(path), "--stream"], input="0.1\n")
    assert r.exit_code == 1 and message in r.stderr and "internal error" not in r.stderr, r.stderr


@pytest.mark.slow
def test_the_lstm_beats_ar_and_half_persistence_on_knocks_with_the_defaults():
    """The issue's bar, with train's defaults (1,000 steps, H = 16, T = 100)."""
    cfg = train.TrainConfig(task="forecast", steps=1000)
    from rnn_tutor.cli.train import one_blas_thread

    with one_blas_thread():
        f = train.train(cfg).forecast
    assert f.mse < f.ar_mse and f.mse < 0.5 * f.persistence_mse, f


def test_compare_forecast_sets_the_errors_side_by_side():
    r = invoke(["compare", "--task", "forecast", "--signal", "sines", "--steps", "3", "--eval-every", "3",
                "--hidden", "3", "--cells", "rnn,lstm", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    rows = loads_strict(r.stdout)
    assert [row["cell"] for row in rows] == ["rnn", "lstm"] and all(row["steps"] == 3 for row in rows)
    summary = rows[0]["summary"]
    assert "Held-out mean squared error on the sines signal" in summary and "AR(8)" in summary
    assert "99%" not in summary and all(row["forecast"]["signal"] == "sines" for row in rows)


def test_explained_goes_negative_for_a_predictor_worse_than_the_mean():
    """On knocks, persistence does worse than always guessing the mean: the table must say so (a negative share),
    not floor it at 0% as if it matched the mean."""
    r = invoke(["train", "--task", "forecast", "--steps", "5", "--eval-every", "5", "--hidden", "4",
                "--eval-size", "300", "--format", "json"])
    f = loads_strict(r.stdout)["forecast"]
    assert f["persistence_mse"] > f["mean_mse"]
    share = signals.explained_share(f["persistence_mse"], f["mean_mse"])
    assert share < 0
    r = invoke(["train", "--task", "forecast", "--steps", "5", "--eval-every", "5", "--hidden", "4",
                "--eval-size", "300"])
    row = next(line for line in r.stdout.splitlines() if line.strip().startswith("persistence"))
    assert f"{100 * share:.1f}%" in row and "-" in row.split()[2]
