"""Fuzz every loader and writer with hostile files (issue 17): model archives, decks, exports, things that are not
regular files. Each command ends with exit 0, 1 or 2 and a message, never a traceback, an internal error or a
hang (an alarm fails the example after 60 s), and no file outside the one handed in changes; a target that is not
a regular file is never replaced."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import check_invocation, hostile_specs, write_hostile
from tests.hostile import snapshot

READERS = [
    ["trace", "--cell", "lstm", "--weights", "{f}"],
    ["trace", "--cell", "lstm", "--one-hot", "--weights", "{f}"],
    ["predict", "{f}", "--format", "json"],
    ["trace", "{f}", "--format", "json"],
    ["quiz", "list", "--deck", "{f}", "--format", "json", "--data-dir", "{home}"],
    ["quiz", "import", "{f}", "--data-dir", "{home}"],
]
WRITERS = [
    ["quiz", "export", "-o", "{f}", "--data-dir", "{home}"],
    ["quiz", "export", "--anki", "{f}", "--data-dir", "{home}"],
    ["train", "--task", "recall", "-T", "4", "-n", "1", "--eval-size", "8", "--save", "{f}", "-f", "json"],
]


@contextlib.contextmanager
def no_hang(seconds: int = 60):
    def ring(signum, frame):
        raise AssertionError(f"the command hung for {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=hostile_specs(), command=st.sampled_from(READERS))
def test_hostile_files_end_in_a_message(tmp_path_factory, spec, command):
    folder = tmp_path_factory.mktemp("hostile")
    home = folder / "home"
    path = write_hostile(folder, spec)
    before = {k: v for k, v in snapshot(folder).items() if not k.startswith("home")}
    args = [a.format(f=path, home=home) for a in command]
    with no_hang():
        r = check_invocation(args)
    assert "internal error" not in r.stderr, (spec, args, r.stderr)
    after = {k: v for k, v in snapshot(folder).items() if not k.startswith("home")}
    assert after == before, (spec, args)
    shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=hostile_specs(), command=st.sampled_from(WRITERS), apkg=st.booleans())
def test_hostile_targets_for_writers(tmp_path_factory, spec, command, apkg):
    folder = tmp_path_factory.mktemp("target")
    spec = (spec[0], ".apkg" if apkg else spec[1], *spec[2:])
    path = write_hostile(folder, spec)
    try:
        kind = stat.S_IFMT(os.lstat(path).st_mode)
        link = os.readlink(path) if os.path.islink(path) else None
    except OSError:
        kind = link = None
    args = [a.format(f=path, home=folder / "home") for a in command]
    with no_hang():
        r = check_invocation(args)
    assert "internal error" not in r.stderr, (spec, args, r.stderr)
    if kind is not None and kind != stat.S_IFREG:  # a FIFO, a folder or a link is still just that
        assert stat.S_IFMT(os.lstat(path).st_mode) == kind, (spec, args)
        assert link is None or os.readlink(path) == link
        assert r.exit_code != 0 or kind == stat.S_IFLNK and not link.startswith("/dev"), (spec, args, r.stderr)
    shutil.rmtree(folder, ignore_errors=True)
