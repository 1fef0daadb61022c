"""Single keys from a real terminal (a pseudo-terminal here): what is skipped, and what is not swallowed."""

from __future__ import annotations

import os
import select
import sys

import pytest

from rnn_tutor.quiz.keys import ENTER, KeyInput, LineInput, open_input

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def _pending(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0.3)[0])


def test_keys_typed_right_after_an_arrow_or_an_accent_are_not_swallowed(pty_pair):
    master, slave = pty_pair
    keys = KeyInput(slave)
    # Up arrow, F1 (SS3), Alt+x, a two-byte and a three-byte character, then Space and 3, all at once
    os.write(master, b"\x1b[A\x1bOP\x1bx" + "é€".encode() + b" 3\r")
    got = []
    for _ in range(8):
        assert _pending(slave), f"keys were swallowed; read so far {got!r}"
        got.append(keys.key())
    assert got == ["", "", "", "", "", " ", "3", ENTER]


def test_a_lone_escape_and_ctrl_d(pty_pair):
    master, slave = pty_pair
    keys = KeyInput(slave)
    os.write(master, b"\x1b")
    assert keys.key() == ""
    import tty

    tty.setcbreak(slave)  # as while key() waits: Ctrl-D arrives as a byte, not as the line discipline's EOF
    os.write(master, b"q\x04")
    assert keys.key() == "q" and keys.key() is None


def test_a_terminal_gets_single_keys_and_a_pipe_gets_lines(pty_pair):
    _, slave = pty_pair
    with os.fdopen(os.dup(slave), "r") as tty_stream:
        assert isinstance(open_input(tty_stream), KeyInput)
    r, w = os.pipe()
    os.write(w, b"\n  3 \n")
    os.close(w)
    with os.fdopen(r, "r") as pipe:
        inp = open_input(pipe)
        assert isinstance(inp, LineInput) and [inp.key(), inp.key(), inp.key()] == [ENTER, "3", None]


def test_the_first_line_of_a_session_is_word_wrapped_on_a_terminal(monkeypatch):
    """On a terminal every line goes through rich and wraps between words; the first one used to be written raw
    (no console existed yet), and the terminal cut it mid-word: 'shows the a' / 'nswer'."""
    import io

    from rnn_tutor import render
    from rnn_tutor.render import quiz as rq

    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(render, "_stderr_console", None)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    text = rq.intro(0, 7, True, True)
    assert len(text) > 80
    rq.say(text)
    lines = err.getvalue().splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    assert " ".join(line.strip() for line in lines) == text  # broken between words only
