"""SIGTERM and SIGHUP end a command as Ctrl-C does (issue 17 §4), checked on real processes.

The policy (rnn_tutor/cli/__init__.py): both raise KeyboardInterrupt, so every command unwinds as on Ctrl-C
(train saves what it has, the quiz keeps every answer and restores the terminal) and exits 130; a signal the
caller ignores (nohup) stays ignored; the lesson pager is ended with the command, never left behind.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.commands import clean_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

RUN = [sys.executable, "-c", "from rnn_tutor.cli import main; main()"]
WAIT = 60  # an upper bound for a loaded machine, never a speed assertion


def _first_line(p) -> str:
    line = p.stdout.readline()
    assert line, p.stderr.read()
    return line


def test_sigterm_to_train_saves_what_it_has(tmp_path):
    model = tmp_path / "model.npz"
    p = subprocess.Popen(RUN + ["train", "--task", "order", "-n", "100000", "--eval-every", "5", "-H", "4",
                                "--save", str(model), "--format", "jsonl"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path))
    try:
        for _ in range(3):  # a few evaluations in: training is under way
            assert json.loads(_first_line(p))["event"] == "eval"
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=WAIT)
    finally:
        p.kill()
    assert p.returncode == 130, err
    final = json.loads(out.splitlines()[-1])
    assert final["event"] == "final" and final["interrupted"] is True and final["saved"] == str(model)
    assert "Traceback" not in err and "Interrupted at step" in err
    import numpy as np

    with np.load(model) as saved:
        assert int(saved["meta_steps"]) == final["steps"] > 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_end_a_waiting_command_like_ctrl_c(tmp_path, sig):
    p = subprocess.Popen(RUN + ["trace", "--stream", "--format", "jsonl"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path))
    try:
        p.stdin.write("1\n")
        p.stdin.flush()
        assert json.loads(_first_line(p))["h"] == 0.5  # inside the command, waiting for the next number
        p.send_signal(sig)
        out, err = p.communicate(timeout=WAIT)
    finally:
        p.kill()
    assert p.returncode == 130 and "Interrupted." in err and "Traceback" not in err


def test_an_ignored_sighup_stays_ignored(tmp_path):
    """nohup rnn-tutor ... : SIGHUP was ignored by the caller and must not end the command."""
    code = ("import signal, os, sys\n"
            "signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
            "from rnn_tutor.cli import polite_signals\n"
            "polite_signals()\n"
            "os.kill(os.getpid(), signal.SIGHUP)\n"
            "print(signal.getsignal(signal.SIGHUP) is signal.SIG_IGN, signal.getsignal(signal.SIGTERM).__name__)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=WAIT)
    assert r.returncode == 0 and r.stdout.split() == ["True", "_interrupt"], r.stderr


def test_sigterm_to_the_quiz_keeps_its_answers(tmp_path):
    p = subprocess.Popen(RUN + ["quiz", "--limit", "5", "--format", "jsonl"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path))
    try:
        p.stdin.write("\n3\n")
        p.stdin.flush()
        assert json.loads(_first_line(p))["event"] == "review"
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=WAIT)
    finally:
        p.kill()
    summary = json.loads(out.splitlines()[-1])
    assert p.returncode == 130 and summary["ended"] == "interrupted" and summary["answered"] == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


@pytest.mark.skipif(shutil.which("less") is None or not os.path.exists("/proc/self/task"),
                    reason="needs less and /proc")
def test_sigterm_while_the_lesson_pager_is_open_ends_the_pager_too(tmp_path):
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**clean_env(tmp_path), "PAGER": "less", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)
    p = subprocess.Popen(RUN + ["learn", "gradients"], stdin=slave, stdout=slave, stderr=slave, env=env,
                         start_new_session=True)
    os.close(slave)
    try:
        deadline = time.monotonic() + WAIT
        pager = []
        while not pager and time.monotonic() < deadline:
            pager = [c for c in _children(p.pid) if _alive(c)]
            _drain(master)
        assert pager, "the lesson was not paged (is it shorter than 24 lines?)"
        p.send_signal(signal.SIGTERM)
        while p.poll() is None and time.monotonic() < deadline:
            _drain(master)
        assert p.returncode == 130
        time.sleep(0.2)
        assert not any(_alive(c) for c in pager), "less outlived rnn-tutor"
    finally:
        p.kill()
        os.close(master)


def _drain(fd) -> None:
    """Read what the terminal shows (so the writer never blocks); EIO once every writer has gone."""
    import select

    try:
        if select.select([fd], [], [], 0.05)[0]:
            os.read(fd, 65536)
    except OSError:
        time.sleep(0.05)
