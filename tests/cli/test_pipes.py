"""Every command as a real process with its stdout already closed (``rnn-tutor ... | head`` after head quit),
and what each imported on the way (issue 12 §3 and §4).

Policy: a closed stdout ends any command quietly (no error, no traceback) with exit 141, what the shell's own tools
report (128 + SIGPIPE). One run per command (``tests/commands.py``) serves both checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.commands import QUICK_RUNS, clean_env, discovered, prepare, quick_args

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")

# Runs main() as the console script does, and writes the heavy modules it imported to a file at exit.
DRIVER = r"""
import atexit, json, os, sys
def report():
    mods = sorted(m for m in ("numpy", "pydantic", "rich", "typer") if m in sys.modules)
    with open(os.environ["RNN_TUTOR_TEST_MODULES"], "w") as f:
        json.dump(mods, f)
atexit.register(report)
from rnn_tutor.cli import main
main(sys.argv[1:])
"""


def run_closed(args, stdin, env, modules_file):
    """Run with stdout a pipe whose reader is already gone; returns (exit code, stderr, imported modules)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        p = subprocess.run([sys.executable, "-c", DRIVER, *args], input=stdin, stdout=write_end,
                           stderr=subprocess.PIPE, text=True, env={**env, "RNN_TUTOR_TEST_MODULES": str(modules_file)},
                           timeout=120)
    finally:
        os.close(write_end)
    modules = json.loads(modules_file.read_text()) if modules_file.exists() else None
    return p.returncode, p.stderr, modules


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipes")
    env = clean_env(folder / "home")
    files = prepare(folder, env)
    paths = list(QUICK_RUNS)

    def run_chain(chain: list[str]) -> dict:
        done = {}
        for path in chain:
            args, stdin = quick_args(path, files)
            done[path] = (args, *run_closed(args, stdin, env, folder / f"modules-{paths.index(path)}.json"))
        return done

    # two at a time (the machine has two cores); the quiz's runs share a store, so they go in order, in one chain
    quiz = [p for p in paths if p.split()[0] == "quiz"]
    chains = [quiz] + [[p] for p in paths if p not in quiz]
    from concurrent.futures import ThreadPoolExecutor

    out = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in pool.map(run_chain, chains):
            out.update(done)
    return out


def test_every_command_has_a_quick_run():
    missing = [p for p in discovered() if p not in QUICK_RUNS]
    assert not missing, (f"no quick run for {missing}: add one per command to QUICK_RUNS in tests/commands.py "
                         "(a run well under a second that writes to stdout), so the closed-pipe and start-up rules "
                         "hold for it")


def test_every_command_ends_quietly_on_a_closed_pipe(runs):
    bad = {}
    for path, (args, code, err, _) in runs.items():
        noisy = [w for w in ("Error", "Traceback", "Exception ignored", "BrokenPipe", "Broken pipe") if w in err]
        if code != 141 or noisy:  # the quiz's conversation on stderr is fine; a complaint is not
            bad[path] = f"rnn-tutor {' '.join(args)} exited {code}, stderr {err.strip()[-300:]!r}"
    assert not bad, (
        "with stdout closed, every command must end quietly with exit 141: " + "; ".join(bad.values())
        + ". Let BrokenPipeError (or rich's) propagate to rnn_tutor/cli/app.py, which makes it exit 141; "
        "do not catch it in the command, and write data with rnn_tutor.render.")


NO_ARRAY_MATHS = ["params", "cost", "learn", "quiz list", "quiz stats", "quiz export", "quiz import", "quiz reset"]


def test_start_up_imports_only_what_the_command_uses(runs):
    """pydantic never (values are read by rnn_tutor/cli/values.py); numpy only where there is array maths."""
    problems = []
    for path, (args, _, _, modules) in runs.items():
        if modules is None:
            problems.append(f"{path}: no report (did it crash?)")
            continue
        if "pydantic" in modules:
            problems.append(f"rnn-tutor {path} imported pydantic: an option of a type rnn_tutor/cli/values.py "
                            "does not read; use int, float, str, bool, Path, an Enum, or a list of one")
        if path in NO_ARRAY_MATHS and "numpy" in modules:
            problems.append(f"rnn-tutor {path} imported numpy but does no array maths: import numpy inside the "
                            "functions that need it (or use rnn_tutor.core.lazy.numpy)")
    assert not problems, "; ".join(problems)


def test_help_and_version_import_little(tmp_path):
    env = clean_env(tmp_path / "home")
    code, err, modules = run_closed(["--version"], None, env, tmp_path / "v.json")
    assert code == 141 and modules == [], (code, err, modules)  # printed before typer, rich or numpy load
    paths = [p.split() for p in discovered()]
    script = DRIVER.replace("main(sys.argv[1:])", "from rnn_tutor.cli.app import root_command\n"
                            f"for p in {paths!r} + [[]]:\n"
                            "    root_command().main(args=p + ['--help'], standalone_mode=False)\n")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       env={**env, "RNN_TUTOR_TEST_MODULES": str(tmp_path / "h.json")})
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "h.json").read_text()) == ["typer"], "every --help page needs only typer"
