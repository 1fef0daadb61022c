"""Real runs of the installed ``rnn-tutor``: exit codes, pipes and signals as a shell user sees them."""

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

EXE = shutil.which("rnn-tutor")
pytestmark = pytest.mark.skipif(EXE is None, reason="rnn-tutor is not installed on PATH")


def run(args, input=None, env=None):
    e = dict(os.environ, COLUMNS="80", **(env or {}))
    return subprocess.run([EXE, *args], input=input, capture_output=True, text=True, env=e, timeout=60)


def test_trace_runs_and_prints_the_exercise():
    r = run(["trace"])
    assert r.returncode == 0 and "4.03125" in r.stdout and r.stderr == ""


def test_python_dash_m_matches():
    a = run(["trace", "--format", "json"])
    b = subprocess.run([sys.executable, "-m", "rnn_tutor", "trace", "--format", "json"], capture_output=True,
                       text=True, timeout=60)
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_exit_codes_and_no_traceback():
    assert run(["trace", "-w", "abc"]).returncode == 2
    assert run(["trace", "--values", "1,nan"]).returncode == 2
    r = run(["trace", "/nonexistent/file"])
    assert r.returncode == 1 and r.stderr.startswith("Error:")
    for r in (run(["trace", "-w", "abc"]), run(["nope"])):
        assert "Traceback" not in r.stderr


def test_piped_stdin_and_json_pipe():
    r = run(["trace", "-", "--format", "json"], input="1 2 3 4 5")
    assert json.loads(r.stdout)["final"] == 4.03125


def test_no_color_and_non_tty_output_is_plain():
    r = run(["trace"], env={"NO_COLOR": "1"})
    assert "\x1b[" not in r.stdout


def test_ctrl_c_exits_130_without_traceback():
    p = subprocess.Popen([EXE, "trace", "--stream"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write("1\n")
    p.stdin.flush()
    first = p.stdout.readline()  # the stream answered: we are inside the command
    assert first.strip()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130
    assert "Traceback" not in err


def test_stream_prints_as_input_arrives():
    p = subprocess.Popen([EXE, "trace", "--stream", "--format", "jsonl"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.stdin.write("1\n")
        p.stdin.flush()
        assert json.loads(p.stdout.readline())["h"] == 0.5  # before stdin is closed
        p.stdin.write("2\n")
        p.stdin.flush()
        assert json.loads(p.stdout.readline())["h"] == 1.25
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert p.returncode == 0


def test_closed_pipe_is_quiet():
    r = subprocess.run(f"'{EXE}' trace --values \"$(seq -s, 1 5000)\" --format csv | head -n 2",
                       shell=True, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in r.stderr and len(r.stdout.splitlines()) == 2


def test_a_terminal_that_cannot_encode_glyphs_gets_no_crash():
    for args in (["trace"], ["trace", "--cell", "lstm"], ["decay"]):
        r = run(args, env={"PYTHONIOENCODING": "ascii"})
        assert r.returncode == 0, (args, r.stderr)
        assert "Error" not in r.stderr
