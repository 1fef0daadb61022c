"""Reading the learner's answers: single keys in a real terminal, whole lines from a pipe.

``open_input(stream)`` picks one:

- ``KeyInput`` when stdin is a terminal: ``key()`` reads one key press (terminal in cbreak mode:
  no echo, no line buffering, but Ctrl-C still sends SIGINT), restoring the terminal settings in a
  ``finally`` block whatever happens; ``line()`` reads a typed line with echo (numeric answers).
- ``LineInput`` otherwise: both ``key()`` and ``line()`` read one line (scripts, CI, tests).

Both return ``None`` at end of input (EOF, or Ctrl-D on a terminal).
"""

from __future__ import annotations

import os
import sys

ENTER = "\n"


class LineInput:
    """One answer per line (stdin is not a terminal)."""

    interactive = False

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stdin

    def line(self) -> str | None:
        if self.stream is None:  # no stdin at all (a detached process)
            return None
        try:
            text = self.stream.readline()
        except UnicodeDecodeError:  # bytes that are not text: an answer that means nothing
            return "\ufffd"
        except (OSError, ValueError):  # stdin closed or unreadable: treat as the end
            return None
        if text == "":
            return None
        return text.rstrip("\r\n")

    def key(self) -> str | None:
        """A whole line; an empty line stands for Enter."""
        text = self.line()
        if text is None:
            return None
        stripped = text.strip()
        return stripped if stripped else ENTER


class KeyInput:
    """Single key presses from a terminal."""

    interactive = True

    def __init__(self, fd: int):
        self.fd = fd

    def key(self) -> str | None:
        import termios
        import tty

        old = termios.tcgetattr(self.fd)
        try:
            tty.setcbreak(self.fd, termios.TCSANOW)
            data = os.read(self.fd, 1)
            if data == b"\x1b":  # an escape sequence (arrow keys...): skip it, and only it
                self._skip_escape()
                return ""
            if data and data[0] >= 0xC0:  # first byte of a UTF-8 character: skip the rest, ignore it
                for _ in range(1 if data[0] < 0xE0 else 2 if data[0] < 0xF0 else 3):
                    if not self._ready() or os.read(self.fd, 1)[:1] < b"\x80":
                        break
                return ""
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, old)
        if data in (b"", b"\x04"):  # end of input / Ctrl-D
            return None
        if data in (b"\r", b"\n"):
            return ENTER
        if data[0] >= 0x80:  # a stray continuation byte
            return ""
        return data.decode("ascii", "replace")

    def _ready(self, timeout: float = 0.05) -> bool:
        import select

        return bool(select.select([self.fd], [], [], timeout)[0])

    def _skip_escape(self) -> None:
        """Read the rest of one escape sequence: ESC [ params final (CSI, arrows), ESC O final (SS3, F1-F4)
        or ESC key (Alt+key). Keys typed after it stay unread (they used to be swallowed with it)."""
        if not self._ready():
            return  # a lone Esc
        second = os.read(self.fd, 1)
        if second not in (b"[", b"O"):
            return
        while self._ready():
            byte = os.read(self.fd, 1)
            if not byte or 0x40 <= byte[0] <= 0x7E:  # the final byte ends the sequence
                return

    def line(self) -> str | None:
        """A line typed with echo and editing (the terminal's normal mode)."""
        chunks = []
        while True:
            data = os.read(self.fd, 1024)
            if not data:
                return "".join(chunks) if chunks else None
            chunks.append(data.decode("utf-8", "replace"))
            if chunks[-1].endswith("\n"):
                return "".join(chunks).rstrip("\r\n")


def open_input(stream=None) -> LineInput | KeyInput:
    stream = stream if stream is not None else sys.stdin
    try:
        fd = stream.fileno()
        if os.isatty(fd):
            import termios

            termios.tcgetattr(fd)  # raises if this is not a real terminal
            return KeyInput(fd)
    except (AttributeError, OSError, ValueError, ImportError):
        pass
    except Exception:  # termios.error
        pass
    return LineInput(stream)
