"""`rnn-tutor quiz` as a real process: piped answers, SIGKILL and Ctrl-C mid-session, two sessions at
once, a busy database, and a real terminal driven through tmux."""

from __future__ import annotations

import json
import os
import queue
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and terminals")

WAIT = 60  # generous upper bound for a line to arrive on a loaded machine; never a speed assertion


def command() -> list[str]:
    script = Path(sys.executable).with_name("rnn-tutor")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from rnn_tutor.cli import main; main()"]


def env_for(home: Path) -> dict:
    env = dict(os.environ)
    env.update({"RNN_TUTOR_HOME": str(home), "TZ": "UTC", "COLUMNS": "80", "NO_COLOR": "1"})
    return env


def reviews_in(home: Path) -> int:
    conn = sqlite3.connect(home / "quiz.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    finally:
        conn.close()


class Session:
    """A running `rnn-tutor quiz --format jsonl` we feed line by line and read event by event."""

    def __init__(self, home: Path, *args: str):
        self.err = open(home.parent / f"stderr-{id(self)}.txt", "w+")
        self.proc = subprocess.Popen(
            command() + ["quiz", "--format", "jsonl", "--no-fuzz", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True,
            env=env_for(home))
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, text: str) -> None:
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def event(self) -> dict:
        line = self.lines.get(timeout=WAIT)
        assert line is not None, "stdout closed early"
        return json.loads(line)

    def finish(self) -> tuple[int, list[dict]]:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        code = self.proc.wait(timeout=WAIT)
        rest = []
        while True:
            line = self.lines.get(timeout=WAIT)
            if line is None:
                break
            rest.append(json.loads(line))
        self.err.close()
        return code, rest


def test_piped_answers(tmp_path):
    home = tmp_path / "home"
    out = subprocess.run(command() + ["quiz", "--format", "jsonl", "--no-fuzz", "--limit", "3"],
                         input="\n3\n\n1\n4\n", capture_output=True, text=True,
                         env=env_for(home), timeout=WAIT)
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e.get("grade") for e in events] == [3, 1, 4, None]
    assert events[-1]["event"] == "summary" and events[-1]["answered"] == 3
    assert "Traceback" not in out.stderr
    assert reviews_in(home) == 3


def test_sigkill_mid_session_keeps_every_completed_review(tmp_path):
    home = tmp_path / "home"
    s = Session(home, "--limit", "10")
    for grade in (3, 1, 4):
        s.send(f"\n{grade}\n")
        assert s.event()["grade"] == grade  # printed only after the review was committed
    s.send("\n")  # the fourth card is revealed but not graded: in progress
    time.sleep(0.2)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=WAIT)
    assert s.proc.returncode == -signal.SIGKILL
    assert reviews_in(home) == 3  # readable, and nothing completed was lost
    # and the store carries on
    again = subprocess.run(command() + ["quiz", "stats", "--format", "json"], capture_output=True,
                           text=True, env=env_for(home), timeout=WAIT)
    assert json.loads(again.stdout)["reviews_total"] == 3


def test_ctrl_c_exits_130_and_keeps_answers(tmp_path):
    home = tmp_path / "home"
    s = Session(home, "--limit", "10")
    for grade in (2, 3):
        s.send(f"\n{grade}\n")
        s.event()
    s.proc.send_signal(signal.SIGINT)
    code, rest = s.finish()
    assert code == 130
    assert rest[-1]["event"] == "summary" and rest[-1]["ended"] == "interrupted"
    assert rest[-1]["answered"] == 2
    assert reviews_in(home) == 2


def test_two_sessions_at_once_lose_nothing(tmp_path):
    home = tmp_path / "home"
    n = 15
    procs = [subprocess.Popen(command() + ["quiz", "--format", "jsonl", "--cram", "--limit", str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env_for(home))
             for _ in range(2)]
    # scheduled (non-cram) sessions on the same cards too, so states are written concurrently
    procs += [subprocess.Popen(command() + ["quiz", "--format", "jsonl", "--new", "100",
                                            "--limit", str(n)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env_for(home))
              for _ in range(2)]
    outputs = [p.communicate("\n3\n" * n, timeout=WAIT)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    answered = [json.loads(o.splitlines()[-1])["answered"] for o in outputs]
    assert answered == [n] * 4
    assert reviews_in(home) == 4 * n
    conn = sqlite3.connect(home / "quiz.sqlite3")
    # every scheduled card's state is the state after its latest review
    rows = conn.execute("SELECT card_id, state FROM card_state").fetchall()
    for card_id, state in rows:
        last = conn.execute("SELECT state_after FROM reviews WHERE card_id = ? AND cram = 0 "
                            "ORDER BY id DESC LIMIT 1", (card_id,)).fetchone()[0]
        assert json.loads(last) == json.loads(state)
    conn.close()


def test_a_busy_database_waits_instead_of_failing(tmp_path):
    home = tmp_path / "home"
    subprocess.run(command() + ["quiz", "stats"], capture_output=True, env=env_for(home),
                   timeout=WAIT, check=True)  # create the store
    blocker = sqlite3.connect(home / "quiz.sqlite3", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    s = Session(home, "--limit", "2")
    s.send("\n3\n\n3\n")
    time.sleep(1.0)
    blocker.execute("COMMIT")
    blocker.close()
    code, events = s.finish()
    assert code == 0
    assert [e["event"] for e in events] == ["review", "review", "summary"]
    assert reviews_in(home) == 2


# ------------------------------------------------------------------------------ a real terminal

def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=WAIT).stdout


def _start_session(name: str, tmp_path: Path, home: Path, quiz_args: str, after: str) -> None:
    """Run ``rnn-tutor quiz QUIZ_ARGS`` in a new 100x50 tmux session, then the shell lines ``after``. tmux starts
    the shell with its server's environment, not ours, so the script sets what the child needs, PYTHONPATH (the
    checkout under test) included, and the command is quoted for the shell."""
    keep = {"RNN_TUTOR_HOME": str(home), "TZ": "UTC", "NO_COLOR": "1",
            "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    script = tmp_path / "run.sh"
    script.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in keep.items())
                      + f"{shlex.join(command())} quiz {quiz_args}\n{after}")
    _tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "50", f"bash {script}")


def _wait_for(session: str, text: str) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session, "-S", "-200")
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared:\n{screen}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_single_keys_in_a_real_terminal(tmp_path):
    home = tmp_path / "home"
    name = f"rnnquiz{os.getpid()}"
    _start_session(name, tmp_path, home, f"--no-fuzz --limit 3 --topic 'hand trace' > {tmp_path}/out.txt",
                   "echo EXIT=$?\nstty -a\necho ALL-DONE\nsleep 30\n")
    try:
        _wait_for(name, "[1/3]")
        _tmux("send-keys", "-t", name, "x")  # ignored
        _tmux("send-keys", "-t", name, "Space")
        _wait_for(name, "Grade: 1 Again")
        _tmux("send-keys", "-t", name, "3")
        _wait_for(name, "[2/3]")
        _tmux("send-keys", "-t", name, "Enter")
        _tmux("send-keys", "-t", name, "1")
        _wait_for(name, "[3/3]")
        _tmux("send-keys", "-t", name, "q")
        screen = _wait_for(name, "ALL-DONE")  # after stty has printed
        assert "EXIT=0" in screen
        # the terminal is back in its normal mode (line editing and echo on)
        settings = screen[screen.index("EXIT="):]
        assert " icanon" in settings and " echo" in settings
        assert "Good: saved" in screen and "Again: saved" in screen
        assert "Studied   2 of 3" in (tmp_path / "out.txt").read_text()
        assert reviews_in(home) == 2
    finally:
        _tmux("kill-session", "-t", name)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_ctrl_c_in_a_real_terminal_restores_it(tmp_path):
    home = tmp_path / "home"
    name = f"rnnquizc{os.getpid()}"
    _start_session(name, tmp_path, home, "--no-fuzz --limit 3", "echo EXIT=$?\nstty -a\necho ALL-DONE\nsleep 30\n")
    try:
        _wait_for(name, "[1/3]")
        _tmux("send-keys", "-t", name, "Enter")
        _wait_for(name, "Grade: 1 Again")
        _tmux("send-keys", "-t", name, "4")
        _wait_for(name, "[2/3]")
        _tmux("send-keys", "-t", name, "C-c")
        screen = _wait_for(name, "ALL-DONE")  # after stty has printed
        assert "EXIT=130" in screen and "every answered card is saved" in screen
        settings = screen[screen.index("EXIT="):]
        assert " icanon" in settings and " echo" in settings
        assert reviews_in(home) == 1
    finally:
        _tmux("kill-session", "-t", name)
