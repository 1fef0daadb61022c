"""``predict MODEL --stream`` (every kind of model) and ``signal``: answers per input, bad lines skipped, a real
pipe answered line by line, Ctrl-C, and constant memory over a long stream (slow)."""

from __future__ import annotations

import os
import select
import signal as signal_module
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnn_tutor.core import heads, train
from tests.fuzzing import invoke, loads_strict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream-models")
    out = {}
    for name, cell, task, steps in (("forecast", "lstm", "forecast", 30), ("adding", "gru", "adding", 1),
                                    ("tagging", "rnn", "tagging", 1), ("recall", "lstm", "recall", 1),
                                    ("reverse", "lstm", "reverse", 1)):
        r = train.train(train.TrainConfig(cell=cell, task=task, steps=steps, eval_every=steps, hidden=6,
                                          eval_size=200 if task == "forecast" else 8,
                                          length=None if task == "forecast" else 5))
        out[name] = str(train.save_model(folder / f"{name}.npz", r))
    return out


def _jsonl(text):
    return [loads_strict(line) for line in text.splitlines() if line.strip()]


def test_forecast_stream_jsonl_is_the_batch_forward_pass(models):
    readings = np.random.default_rng(0).normal(size=50) * 0.3
    r = invoke(["predict", models["forecast"], "--stream", "--format", "jsonl"],
               input="".join(f"{float(v)!r}\n" for v in readings))
    assert r.exit_code == 0, r.stderr
    recs = _jsonl(r.stdout)
    assert [x["t"] for x in recs] == list(range(1, 51)) and [x["reading"] for x in recs] == list(readings)
    saved = train.load_model(models["forecast"])
    sig = saved.model.task.extra["signal"]
    batch = heads.predict(saved.model, sig.normalise(readings)[None, :, None])[0] * sig.std + sig.mean
    assert np.max(np.abs(np.array([x["next"] for x in recs]) - batch)) < 1e-12
    assert "Streamed 50 readings" in r.stderr and "held 12 numbers after every one" in r.stderr


def test_bad_lines_are_reported_and_skipped(models):
    text = "0.1\nabc\n\n0.2, 0.3\nnan\n1e400\n" + "9" * 5000 + "\n\xff\n1e308\n0.4\n"
    r = invoke(["predict", models["forecast"], "--stream", "--format", "csv"], input=text.encode("latin-1"))
    assert r.exit_code == 0, r.stderr
    rows = r.stdout.splitlines()
    assert rows[0] == "t,reading,predicted,error,next"
    assert [row.split(",")[1] for row in rows[1:]] == ["0.1", "0.2", "0.3", "0.4"]
    err = r.stderr
    assert "line 2: 'abc' is not a number; skipped" in err
    assert "line 5: 'nan' is not a finite number; skipped" in err and "line 6: '1e400'" in err
    assert "line 7 is longer than 4,096 characters; skipped" in err
    assert "line 8 is not UTF-8 text; skipped" in err
    assert "line 9: '1e308' is more than 1e+100 standard deviations" in err
    assert "without overflowing" in err and "RuntimeWarning" not in err
    assert "Streamed 4 readings" in err


def test_table_with_anomalies(models):
    r = invoke(["predict", models["forecast"], "--stream", "--anomaly", "3"], input="0.1\n0.1\n50\n0.1\n")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["t", "reading", "predicted", "error", "next", "x", "sd", "anomaly"]
    assert "! anomaly" in lines[3] and "! anomaly" not in lines[2]
    assert all(len(line) <= 80 for line in lines)
    assert "flagged as an anomaly" in r.stderr or "flagged as anomalies" in r.stderr


def test_symbol_tasks_stream_one_word_at_a_time(models):
    r = invoke(["predict", models["tagging"], "--stream", "--format", "jsonl"], input="the\nduck\nzebra\nsaw .\n")
    assert r.exit_code == 0, r.stderr
    recs = _jsonl(r.stdout)
    assert [x["token"] for x in recs] == ["the", "duck", "saw", "."] and all("tag" in x for x in recs)
    assert "unknown word 'zebra'" in r.stderr
    r = invoke(["predict", models["recall"], "--stream", "-f", "jsonl"], input="c\nx\nw\n")
    assert [x["answer"] in "ABCD" for x in _jsonl(r.stdout)] == [True] * 3
    r = invoke(["predict", models["adding"], "--stream", "-f", "jsonl"], input="0.5*\n0.2\n-0.1*\n2\n")
    recs = _jsonl(r.stdout)
    assert [x["expected"] for x in recs] == [None, None, 0.6] and "outside [-1, 1]" in r.stderr


@pytest.mark.parametrize("args, stdin, code, message", [
    (["--stream", "--format", "json"], "0.1\n", 2, "use table, csv or"),
    (["--stream", "--input", "0.1 0.2"], "", 2, "drop --input, --samples and --length"),
    (["--stream", "--samples", "3"], "", 2, "drop --input"),
    (["--anomaly", "3"], "", 2, "add --stream"),
    (["--stream", "--anomaly", "0"], "0.1\n", 2, "above 0"),
    (["--stream"], "", 2, "no readings arrived on stdin"),
    (["--stream"], "abc\n", 2, "no readings arrived"),
])
def test_stream_usage_errors(models, args, stdin, code, message):
    r = invoke(["predict", models["forecast"], *args], input=stdin)
    assert r.exit_code == code and message in r.stderr and "Traceback" not in r.stderr


def test_an_encoder_decoder_says_why_it_cannot_stream(models):
    r = invoke(["predict", models["reverse"], "--stream"], input="a\nb\n")
    assert r.exit_code == 2
    assert "encoder-decoder" in r.stderr and "whole input" in r.stderr and "--input" in r.stderr
    r = invoke(["predict", models["adding"], "--stream", "--anomaly", "3"], input="0.1\n")
    assert r.exit_code == 2 and "forecast model" in r.stderr


def test_forecast_predict_without_stream(models):
    r = invoke(["predict", models["forecast"], "--input", "0.1 0.2 1.0 0.5", "--format", "jsonl"])
    assert r.exit_code == 0, r.stderr
    (rec,) = _jsonl(r.stdout)
    saved = train.load_model(models["forecast"])
    sig = saved.model.task.extra["signal"]
    z = sig.normalise([0.1, 0.2, 1.0, 0.5])[None, :, None]
    assert rec["value"] == pytest.approx(heads.predict(saved.model, z)[0, -1] * sig.std + sig.mean, abs=1e-12)
    r = invoke(["predict", models["forecast"], "--samples", "2", "--length", "12", "--format", "json"])
    assert r.exit_code == 0 and len(loads_strict(r.stdout)["predictions"]) == 2


def _spawn(*args):
    return subprocess.Popen([sys.executable, "-m", "rnn_tutor", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)


def _readline(proc, timeout=30.0) -> bytes:
    """One line of the child's stdout, waiting at most `timeout` seconds (raw reads: nothing kept in a buffer)."""
    fd = proc.stdout.fileno()
    line = b""
    end = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        assert ready, f"no answer within {timeout} s (got {line!r})"
        ch = os.read(fd, 1)
        assert ch, f"the stream ended early: {proc.stderr.read()!r}"
        line += ch
    return line


def test_each_answer_arrives_before_the_next_reading_is_sent_and_ctrl_c_ends_cleanly(models):
    """A real pipe: write a reading, read its answer, only then write the next; then Ctrl-C (exit 130)."""
    proc = _spawn("predict", models["forecast"], "--stream", "--format", "jsonl")
    try:
        answers = []
        for i, v in enumerate((0.1, 0.5, -0.2, 1.0)):
            proc.stdin.write(f"{v}\n".encode())
            proc.stdin.flush()
            rec = loads_strict(_readline(proc).decode())
            assert rec["t"] == i + 1 and rec["reading"] == v
            answers.append(rec)
        assert answers[1]["predicted"] == answers[0]["next"]
        proc.send_signal(signal_module.SIGINT)
        assert proc.wait(30) == 130
        err = proc.stderr.read().decode()
        assert "Interrupted after 4 readings" in err and "Traceback" not in err
    finally:
        proc.kill()


def test_signal_command(tmp_path):
    r = invoke(["signal", "knocks", "--length", "5"])
    assert r.exit_code == 0 and len(r.stdout.split()) == 5
    values = [float(v) for v in r.stdout.split()]
    from rnn_tutor.core import signals

    want = signals.SignalStream("knocks", np.random.default_rng([0, 5])).take(5)
    assert values == pytest.approx(list(want), abs=1e-5)
    data = loads_strict(invoke(["signal", "sines", "-n", "3", "-f", "json", "--seed", "2"]).stdout)
    assert data["signal"] == "sines" and len(data["readings"]) == 3
    rows = invoke(["signal", "-n", "2", "-f", "csv"]).stdout.splitlines()
    assert rows[0] == "t,reading" and rows[1].startswith("1,")
    assert [x["t"] for x in _jsonl(invoke(["signal", "regimes", "-n", "3", "-f", "jsonl"]).stdout)] == [1, 2, 3]
    glitchy = [float(v) for v in invoke(["signal", "-n", "2000", "--glitches", "0.5"]).stdout.split()]
    assert max(glitchy) > 1.5 and max(values) < 1.5
    for args, option in ((["-n", "-1"], "--length"), (["--rate", "-1"], "--rate"), (["--glitches", "2"], "--glitches"),
                         (["-n", "0", "-f", "json"], "--format"), (["--rate", "nan"], "--rate"),
                         (["--rate", "1e-10"], "--rate")):  # a wait of 1e10 s overflowed time.sleep
        r = invoke(["signal", *args])
        assert r.exit_code == 2 and option in r.stderr, (args, r.stderr)


@pytest.mark.slow
def test_signal_into_predict_through_a_real_pipe(models):
    gen = subprocess.Popen([sys.executable, "-m", "rnn_tutor", "signal", "knocks", "-n", "300"],
                           stdout=subprocess.PIPE, cwd=ROOT)
    out = subprocess.run([sys.executable, "-m", "rnn_tutor", "predict", models["forecast"], "--stream", "-f",
                          "jsonl"], stdin=gen.stdout, capture_output=True, cwd=ROOT, timeout=120)
    gen.stdout.close()
    assert gen.wait(30) == 0 and out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 300


def _rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_memory_stays_constant_over_a_long_stream(models):
    """The command's resident memory after 300,000 readings is that after 1,000, within 1 MB."""
    proc = _spawn("predict", models["forecast"], "--stream", "--format", "jsonl")
    block = "".join(f"{v:.5f}\n" for v in np.random.default_rng(0).normal(size=1000)).encode()
    try:
        rss, sent = {}, 0
        for total in (1_000, 300_000):
            while sent < total:  # a block, then its 1,000 answers: the command has read exactly `sent`
                proc.stdin.write(block)
                proc.stdin.flush()
                for _ in range(1000):
                    assert proc.stdout.readline()
                sent += 1000
            rss[total] = _rss_kb(proc.pid)
        assert abs(rss[300_000] - rss[1_000]) <= 1024, rss
    finally:
        proc.kill()


@pytest.mark.parametrize("kind, text, line", [("forecast", "1_5", "1_5\n0.2\n"), ("adding", "0.1_5*", "0.1_5*\n0.2\n"),
                                              ("forecast", "١٢", "١٢\n0.2\n")])
def test_numbers_python_reads_but_people_do_not_write_are_refused(models, kind, text, line):
    """Python's float() takes '1_5' as 15 and Arabic-Indic digits as 12; a reading typed that way is a typo, not
    fifteen: --input refuses it (exit 2) and the stream skips it with a warning, as trace does."""
    example = {"forecast": "0.1 0.2", "adding": "0.3* -0.2 0.5*"}[kind]
    r = invoke(["predict", models[kind], "--input", f"{text} {example}"])
    assert r.exit_code == 2 and repr(text) in r.stderr, r.stdout + r.stderr
    s = invoke(["predict", models[kind], "--stream", "-f", "jsonl"], input=line)
    assert s.exit_code == 0 and "line 1" in s.stderr and repr(text) in s.stderr
    assert len(_jsonl(s.stdout)) == 1  # only 0.2 was read


def test_a_reading_too_far_from_the_training_mean_is_refused_by_input_as_by_the_stream(models):
    """1e308 normalised overflows to inf: the stream skips it; --input and trace --weights must refuse it too,
    not feed inf to the cell behind a RuntimeWarning."""
    r = invoke(["predict", models["forecast"], "--input", "1e308 0.1", "-f", "json"])
    assert r.exit_code == 2 and "'1e308'" in r.stderr and "standard deviations" in r.stderr
    assert "RuntimeWarning" not in r.stderr
    t = invoke(["trace", "--weights", models["forecast"], "--values", "1e308,0.1"])
    assert t.exit_code == 2 and "--values" in t.stderr and "RuntimeWarning" not in t.stderr


def test_closing_line_counts_one_prediction_in_the_singular(models):
    r = invoke(["predict", models["forecast"], "--stream"], input="0.1\n0.2\n")
    assert "over 1 prediction " in r.stderr and "1 predictions" not in r.stderr


def _signal(fmt, n):
    r = invoke(["signal", "knocks", "-n", str(n), "--format", fmt])
    assert r.exit_code == 0, r.stderr
    return r.stdout


def test_signal_csv_through_a_real_pipe_reads_the_reading_column_not_the_step_numbers(models):
    """`signal --format csv | predict --stream`: the header is understood and said, the step column t is not a
    reading, and every reading arrives with all its digits (the table rounds to 6)."""
    gen = subprocess.Popen([sys.executable, "-m", "rnn_tutor", "signal", "knocks", "-n", "40", "--format", "csv"],
                           stdout=subprocess.PIPE, cwd=ROOT)
    out = subprocess.run([sys.executable, "-m", "rnn_tutor", "predict", models["forecast"], "--stream", "-f",
                          "jsonl"], stdin=gen.stdout, capture_output=True, cwd=ROOT, timeout=120)
    gen.stdout.close()
    assert gen.wait(30) == 0 and out.returncode == 0, out.stderr
    recs = _jsonl(out.stdout.decode())
    rows = _signal("csv", 40).splitlines()
    assert rows[0] == "t,reading"
    sent = [float(row.split(",")[1]) for row in rows[1:]]
    assert [r["t"] for r in recs] == list(range(1, 41)) and [r["reading"] for r in recs] == sent
    err = out.stderr.decode()
    assert "CSV header (t,reading): reading the 'reading' column" in err and "'t' is the step number" in err
    assert "Warning" not in err and "Streamed 40 readings" in err
    # the same as the readings given one per line, with every digit
    bare = invoke(["predict", models["forecast"], "--stream", "-f", "jsonl"], input="\n".join(map(repr, sent)))
    assert _jsonl(bare.stdout) == recs


def test_signal_jsonl_streams_its_reading_field_and_other_csv_headers_are_named(models):
    recs = _jsonl(invoke(["predict", models["forecast"], "--stream", "-f", "jsonl"], input=_signal("jsonl", 5)).stdout)
    sent = [loads_strict(line)["reading"] for line in _signal("jsonl", 5).splitlines()]
    assert [r["reading"] for r in recs] == sent
    r = invoke(["predict", models["forecast"], "--stream"], input="time,temp\n1,20.5\n")
    assert r.exit_code == 2 and "CSV header naming 2 columns (time,temp)" in r.stderr and "'reading'" in r.stderr
    r = invoke(["predict", models["forecast"], "--stream", "-f", "jsonl"], input="step,reading,note\n1,0.5,x\n2,0.7\n")
    assert r.exit_code == 0 and [x["reading"] for x in _jsonl(r.stdout)] == [0.5]
    assert "'step' is the step number, not a reading; 'note' is not read" in r.stderr
    assert "line 3 has 2 fields, the CSV header 3; skipped" in r.stderr
    r = invoke(["predict", models["forecast"], "--stream", "-f", "jsonl"], input="0.1,abc\n0.2\n")
    assert r.exit_code == 0 and [x["reading"] for x in _jsonl(r.stdout)] == [0.1, 0.2]  # a typo, not a header
    assert "'abc' is not a number" in r.stderr and "header" not in r.stderr
    r = invoke(["predict", models["forecast"], "--stream", "-f", "jsonl"], input="0.1, 0.2\n0.3 0.4\n")
    assert [x["reading"] for x in _jsonl(r.stdout)] == [0.1, 0.2, 0.3, 0.4]  # bare numbers: as before


def test_forecast_samples_show_the_true_next_reading_and_the_error_one_row_each(models):
    """A generated window has a right answer: the reading the generator drew after it. JSON gives it (target),
    the error (target - value), and value equals predict --input on the same window; the table is one row per
    sample (it was ~25 lines of readings each, with 'right answer -')."""
    from rnn_tutor.core import signals

    n, T = 3, 12
    r = invoke(["predict", models["forecast"], "--samples", str(n), "--length", str(T), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    preds = loads_strict(r.stdout)["predictions"]
    raw = signals.generate_batch("knocks", np.random.default_rng([0, 3]), n, T + 1)  # (n, T + 1), signal units
    for p, row in zip(preds, raw):
        assert p["input"] == " ".join(f"{v:.6g}" for v in row[:-1])
        assert p["target"] == pytest.approx(row[-1], abs=1e-12) and p["expected"] == f"{row[-1]:.4g}"
        assert p["error"] == pytest.approx(p["target"] - p["value"], abs=1e-15) and p["overflow"] is False
        again = loads_strict(invoke(["predict", models["forecast"], "--input", p["input"], "--format",
                                     "json"]).stdout)["predictions"][0]
        assert again["value"] == p["value"] and again["target"] is None and again["error"] is None
    table = invoke(["predict", models["forecast"], "--samples", "5"])
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    head = next(i for i, ln in enumerate(lines) if "true next" in ln)  # the title (a long path) may take two
    assert "error" in lines[head] and max(map(len, lines)) <= 80
    rows = [ln for ln in lines[head + 2:] if ln.strip()[:1].isdigit()]
    assert len(rows) == 5 and "Mean squared error over 5 samples" in " ".join(table.stdout.split())
    assert "right answer" not in table.stdout
    commas = invoke(["predict", models["forecast"], "--input", "0.1,0.2, 0.3"])  # the task reads commas too
    assert commas.exit_code == 0 and "0.3" in commas.stdout, commas.stderr
