"""Fuzz every loader with hostile files (issue 17): model archives, decks, exports, things that are not regular
files. Each command ends with exit 0, 1 or 2 and a message, never a traceback, an internal error or a hang,
and no file outside the one handed in changes."""

from __future__ import annotations

import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import check_invocation, hostile_specs, write_hostile
from tests.hostile import snapshot

COMMANDS = [
    ["trace", "--cell", "lstm", "--weights", "{f}"],
    ["trace", "--cell", "lstm", "--one-hot", "--weights", "{f}"],
    ["predict", "{f}", "--format", "json"],
    ["trace", "{f}", "--format", "json"],
    ["quiz", "list", "--deck", "{f}", "--format", "json", "--data-dir", "{home}"],
    ["quiz", "import", "{f}", "--data-dir", "{home}"],
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=hostile_specs(), command=st.sampled_from(COMMANDS))
def test_hostile_files_end_in_a_message(tmp_path_factory, spec, command):
    folder = tmp_path_factory.mktemp("hostile")
    home = folder / "home"
    path = write_hostile(folder, spec)
    before = {k: v for k, v in snapshot(folder).items() if not k.startswith("home")}
    args = [a.format(f=path, home=home) for a in command]
    r = check_invocation(args)
    assert "internal error" not in r.stderr, (spec, args, r.stderr)
    after = {k: v for k, v in snapshot(folder).items() if not k.startswith("home")}
    assert after == before, (spec, args)
    shutil.rmtree(folder, ignore_errors=True)
