"""Signals for the forecast task: the generators, the AR(k) and persistence baselines, a user's file of readings."""

from __future__ import annotations

import os

import numpy as np
import pytest

from rnn_tutor.core import signals
from rnn_tutor.core.signals import AR_ORDER, KNOCK_PERIOD, KNOCK_SHAPE
from rnn_tutor.errors import BadValueError, RnnTutorError


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", signals.SIGNALS)
def test_shapes_seeds_and_any_cut_gives_the_same_readings(name):
    a = signals.generate(name, rng(1), 500)
    assert a.shape == (500,) and a.dtype == np.float64 and np.all(np.isfinite(a))
    assert np.array_equal(a, signals.generate(name, rng(1), 500))
    assert not np.array_equal(a, signals.generate(name, rng(2), 500))
    s = signals.SignalStream(name, rng(1))
    pieces = np.concatenate([s.take(n) for n in (1, 2, 3, 15, 16, 17, 100, 346)])
    assert np.array_equal(a, pieces)  # a stream cut anywhere is the same signal
    b = signals.generate_batch(name, rng(3), 4, 50)
    assert b.shape == (4, 50) and not np.array_equal(b[0], b[1])


def _knock_starts(x, noise_free_hum):
    """Readings where a knock starts: the residual after the hum jumps by about KNOCK_SHAPE[0]."""
    r = x - noise_free_hum
    return np.flatnonzero(r > 0.6)


def test_knocks_come_every_period_readings_beyond_the_ar_window():
    """The slow period is there: knock onsets exactly KNOCK_PERIOD apart, and KNOCK_PERIOD > AR_ORDER."""
    assert KNOCK_PERIOD > AR_ORDER
    s = signals.SignalStream("knocks", rng(5))
    x = s.take(2000)
    t = np.arange(2000)
    hum = signals.HUM[0] * np.sin(2 * np.pi * t / signals.HUM[1] + s.phases[0])
    starts = _knock_starts(x, hum)
    assert len(starts) == 2000 // KNOCK_PERIOD or len(starts) == 2000 // KNOCK_PERIOD + 1
    assert set(np.diff(starts)) == {KNOCK_PERIOD}
    # what is left after hum and knocks is the noise, sd NOISE
    knocks = np.zeros(2000)
    for k in starts:
        knocks[k : k + len(KNOCK_SHAPE)] += KNOCK_SHAPE[: 2000 - k]
    assert np.std(x - hum - knocks) == pytest.approx(signals.NOISE, rel=0.1)
    # the autocorrelation of the knocks peaks at the period
    z = x - x.mean()
    ac = [np.dot(z[:-lag], z[lag:]) for lag in range(8, 25)]
    assert 8 + int(np.argmax(ac)) == KNOCK_PERIOD


def test_regimes_knock_up_or_down_and_change_mode_now_and_then():
    s = signals.SignalStream("regimes", rng(7))
    x = s.take(16_000)
    t = np.arange(16_000)
    r = x - signals.HUM[0] * np.sin(2 * np.pi * t / signals.HUM[1] + s.phases[0])
    starts = np.flatnonzero(np.abs(r) > 0.6)
    starts = starts[np.insert(np.diff(starts) > 1, 0, True)]  # the first reading of each knock
    assert set(np.diff(starts)) == {KNOCK_PERIOD}
    signs = np.sign(r[starts])
    changes = np.mean(signs[1:] != signs[:-1])
    assert changes == pytest.approx(signals.REGIME_SWITCH, abs=0.03)  # about one knock in 8


def test_sines_are_two_sines_and_noise():
    s = signals.SignalStream("sines", rng(9))
    x = s.take(3000)
    t = np.arange(3000)
    clean = sum(a * np.sin(2 * np.pi * t / p + ph) for (a, p), ph in zip(signals.SINES, s.phases))
    assert np.std(x - clean) == pytest.approx(signals.NOISE, rel=0.1)


def test_ar_fit_is_numpys_least_squares_on_a_hand_case():
    """x_t = x_(t-1) + x_(t-2) (Fibonacci) is exactly AR(2) with weights 1, 1 and no constant."""
    fib = [1.0, 1.0]
    for _ in range(10):
        fib.append(fib[-1] + fib[-2])
    coef = signals.fit_ar(np.array(fib), 2)
    assert coef == pytest.approx([1.0, 1.0, 0.0], abs=1e-9)
    # a noisy case against numpy directly: rows [x_(t-1), x_(t-2), x_(t-3), 1]
    x = rng(0).normal(size=40).cumsum()
    X = np.column_stack([x[2:-1], x[1:-2], x[:-3], np.ones(37)])
    want, *_ = np.linalg.lstsq(X, x[3:], rcond=None)
    assert np.allclose(signals.fit_ar(x, 3), want, atol=1e-12)
    assert np.allclose(signals.ar_predictions(x, want), X @ want, atol=1e-12)
    with pytest.raises(RnnTutorError):
        signals.fit_ar(np.arange(5.0), 3)


def test_report_scores_model_and_baselines_on_the_same_readings():
    """By hand: the held-out stretch 0..N-1, persistence predicts x_(t-1), a model that predicts perfectly."""
    held = np.array([0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 3.0])
    sig = signals.Signal("file", "hand", 0.0, 1.0, held, np.zeros(AR_ORDER + 1))  # AR: always 0
    perfect = held[1:]  # predictions of readings 1 .. N-1
    r = signals.report(sig, perfect, "lstm")
    target = held[AR_ORDER:]
    assert r.readings == len(target) == 4
    assert r.mse == 0.0
    assert r.ar_mse == pytest.approx(np.mean(target ** 2))  # predicting 0
    assert r.persistence_mse == pytest.approx(np.mean((target - held[AR_ORDER - 1 : -1]) ** 2))
    assert r.mean_mse == pytest.approx(np.mean(target ** 2))
    assert "Memory bought a lot" in r.sentence


def test_the_sentence_says_when_a_linear_model_is_enough():
    base = dict(cell="gru", signal="sines", source="the sines signal", readings=100, ar_order=8,
                persistence_mse=0.15, mean_mse=0.6, error_std=0.07, mean=0.0, std=0.8, sentence="")
    little = signals.ForecastReport(mse=0.0047, ar_mse=0.0063, **base)
    text = signals.memory_sentence(little)
    assert text.startswith("Memory bought little") and "2 cos(ω)" in text and "99.0%" in text
    worse = signals.ForecastReport(mse=0.1, ar_mse=0.0063, **base)
    assert signals.memory_sentence(worse).startswith("AR(8) beats the gru")


def _write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_readings_one_per_line_and_csv_columns(tmp_path):
    r = signals.read_readings(_write(tmp_path, "a.txt", "1\n2.5\n\n-3e2\n"))
    assert list(r.values) == [1.0, 2.5, -300.0] and r.skipped == 0
    r = signals.read_readings(_write(tmp_path, "h.txt", "temp\n1\n2\n"))  # a header line
    assert list(r.values) == [1.0, 2.0]
    csv = _write(tmp_path, "b.csv", "time,temp,note\n1,20.5,ok\n2,21.0,ok\n3,NA,gap\n4,22.5,ok\n" + "5,23,ok\n" * 6)
    with pytest.raises(BadValueError, match="2 columns of numbers .*'time', 'temp'.*--column"):
        signals.read_readings(csv)  # 'time' and 'temp' are both numbers: the user must say which
    r = signals.read_readings(csv, "TEMP")
    assert list(r.values[:3]) == [20.5, 21.0, 22.5] and len(r.values) == 9
    assert r.skipped == 1 and r.skipped_lines == (4,) and "column 'temp'" in r.source
    assert list(signals.read_readings(csv, "1").values[:2]) == [1.0, 2.0]
    with pytest.raises(BadValueError, match="no column 'humidity'"):
        signals.read_readings(csv, "humidity")
    one = _write(tmp_path, "c.csv", "a;b\n1,5;x\n2,5;y\n")  # semicolons: a decimal comma is read as a point
    assert list(signals.read_readings(one).values) == [1.5, 2.5]
    with pytest.raises(BadValueError, match="drop --column"):
        signals.read_readings(_write(tmp_path, "d.txt", "1\n2\n"), "2")


@pytest.mark.parametrize("content, match", [
    ("", "holds no numbers"),
    ("a\nb\nc\n", "holds no numbers"),
    ("1\nx\ny\n2\n", "2 of 4 rows are not numbers"),
    ("nan\ninf\n", "holds no numbers"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, content, match):
    with pytest.raises(BadValueError, match=match):
        signals.read_readings(_write(tmp_path, "bad.txt", content))


def test_files_that_are_not_text_or_not_files(tmp_path):
    with pytest.raises(BadValueError, match="binary"):
        signals.read_readings(_write(tmp_path, "b.bin", b"\x00\x01\x02", "wb"))
    with pytest.raises(BadValueError, match="line 2: not UTF-8"):
        signals.read_readings(_write(tmp_path, "l.txt", b"1\n\xff\n", "wb"))
    with pytest.raises(BadValueError, match="folder"):
        signals.read_readings(tmp_path)
    with pytest.raises(BadValueError, match="neither a signal"):
        signals.read_readings(tmp_path / "missing.txt")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(BadValueError, match="not a regular file"):  # never blocks waiting for a writer
        signals.read_readings(fifo)


def test_prepare_a_file_holds_out_its_end_and_normalises_by_the_training_part(tmp_path):
    values = np.sin(np.arange(300) / 5.0) * 10 + 50
    path = _write(tmp_path, "s.txt", "\n".join(f"{v:.6f}" for v in values))
    sig = signals.prepare(str(path), 0, None, 20)
    assert sig.heldout.shape == (60,) and np.allclose(sig.heldout, values[240:], atol=1e-6)
    assert sig.mean == pytest.approx(values[:240].mean(), abs=1e-5)
    assert sig.std == pytest.approx(values[:240].std(), abs=1e-5)
    assert np.allclose(sig.train, (values[:240] - sig.mean) / sig.std, atol=1e-6)
    x, y = sig.batch(rng(0), 3, 20)
    assert x.shape == y.shape == (3, 20, 1) and np.array_equal(x[:, 1:], y[:, :-1])
    with pytest.raises(BadValueError, match="needs at least"):
        signals.prepare(str(path), 0, None, 290)
    flat = _write(tmp_path, "flat.txt", "5\n" * 100)
    with pytest.raises(BadValueError, match="never change"):
        signals.prepare(str(flat), 0, None, 10)
    with pytest.raises(BadValueError, match="for a --signal FILE") as e:
        signals.prepare("knocks", 0, None, 10, column="temp")
    assert e.value.option == "--column"


def test_scale_never_overflows():
    m, s = signals.scale_of(np.array([1e300, -1e300, 1e300]))
    assert np.isfinite(m) and np.isfinite(s) and s > 1e299


def test_readings_python_would_misread_are_skipped_not_taken(tmp_path):
    """float('1_000') is 1000.0 and float('٣') is 3.0; in a file of readings they are not numbers a person wrote."""
    rows = "\n".join(["0.5"] * 20 + ["1_000", "٣"]) + "\n"
    r = signals.read_readings(_write(tmp_path, "r.txt", rows))
    assert r.values.tolist() == [0.5] * 20 and r.skipped == 2


def test_a_superscript_column_number_is_refused_not_an_internal_error(tmp_path):
    csv = _write(tmp_path, "c.csv", "a,b\n" + "1,2\n" * 30)
    with pytest.raises(BadValueError, match="no column '²'"):
        signals.read_readings(csv, "²")  # '²'.isdigit() is True, int('²') raises ValueError
