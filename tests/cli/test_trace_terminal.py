"""trace --step and --practice in a real terminal (a pseudo-terminal), as a learner at a keyboard uses them."""

import os
import select
import sys
import time

import pytest

pty = pytest.importorskip("pty")


def _run_in_terminal(args, keys, prompt: bytes, timeout=30.0):
    """Run ``python -m rnn_tutor ARGS`` on a pseudo-terminal; type each of ``keys`` once the n-th ``prompt``
    has appeared (as a learner answers what is asked), then read until the program exits."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal on stdin, stdout and stderr
        os.environ.update(COLUMNS="80", LINES="40", TERM="xterm", NO_COLOR="1")
        os.execv(sys.executable, [sys.executable, "-m", "rnn_tutor", *args])
    out = b""
    deadline = time.monotonic() + timeout

    def read(until=None) -> bool:
        """Read until ``until`` holds (or the child exits); False once it has exited."""
        nonlocal out
        while time.monotonic() < deadline:
            if until is not None and until():
                return True
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child has exited
                return False
            if not chunk:
                return False
            out += chunk
        return False

    for n, key in enumerate(keys, 1):
        if not read(lambda n=n: out.count(prompt) >= n):
            break
        os.write(fd, key)
    read()
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace").replace("\r\n", "\n")


def test_step_mode_reveals_one_row_per_key_press():
    code, out = _run_in_terminal(["trace", "--step"], [b"\r", b"\r", b"q"], b"[Enter:")
    assert code == 0
    assert "0.5" in out and "1.25" in out and "2.125" not in out
    assert "Stopped after step 2 of 5" in out


def test_step_mode_to_the_end():
    code, out = _run_in_terminal(["trace", "--step"], [b"\r"] * 6, b"[Enter:")
    assert code == 0 and "4.03125" in out and "16 times as much" in out


def test_practice_in_a_terminal():
    code, out = _run_in_terminal(["trace", "--practice", "--values", "1,2"], [b"0.5\r", b"1.3\r", b"2\r"], b"= ? ")
    assert code == 0
    assert "✓ right: h_1 = 0.5 exactly" in out and "has only 2 significant digits" in out
    assert "Score: 2 right of 3." in out
