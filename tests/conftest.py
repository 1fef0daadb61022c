"""Shared test setup: a clean, predictable environment for every test."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the checkout under test


def _missing_dependencies() -> list[str]:
    """Distributions from pyproject.toml (runtime and [test]) that this Python cannot import."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    names = [re.match(r"[A-Za-z0-9_.\-]+", spec).group(0) for spec in wanted]
    return [n for n in names if importlib.util.find_spec(n.replace("-", "_").lower()) is None]


def _children_import_this_checkout() -> None:
    """Child processes (``python -m rnn_tutor ...``, run from temporary folders) import the checkout under test,
    as the tests themselves do, whether or not rnn-tutor is installed in this Python (pytest run straight from a
    checkout: without this every such child failed with "No module named rnn_tutor")."""
    import os

    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(ROOT) not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *parts])


def pytest_configure(config):
    """Without the dependencies every test module fails on an import: say once what is wrong and what to run."""
    missing = _missing_dependencies()
    if missing:
        pytest.exit(f"this Python lacks rnn-tutor's dependencies ({', '.join(missing)}); install them first with "
                    "`pip install -e '.[test]'` and run `python -m pytest` with the same Python", returncode=4)
    _children_import_this_checkout()

_TERMINAL_VARS = ("FORCE_COLOR", "PY_COLORS", "CLICOLOR_FORCE", "CLICOLOR", "GITHUB_ACTIONS", "TTY_COMPATIBLE",
                  "TTY_INTERACTIVE", "RNN_TUTOR_DEBUG", "RNN_TUTOR_NO_FASTPATH", "NO_COLOR", "TERM_PROGRAM",
                  "JUPYTER_COLUMNS", "JUPYTER_LINES")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path_factory):
    """No test depends on the caller's terminal, colour settings or home directory."""
    for var in _TERMINAL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "40")
    monkeypatch.setenv("TERM", "dumb")
    # Never touch the real user data directory (quiz progress) from a test.
    monkeypatch.setenv("RNN_TUTOR_HOME", str(tmp_path_factory.mktemp("rnn_tutor_home")))
    # Reset the debug switch the CLI keeps between invocations in one process.
    from rnn_tutor.cli import app as app_module

    monkeypatch.setitem(app_module._debug, "on", False)
    yield


@pytest.fixture
def cli():
    """Run the CLI in-process: ``cli(["trace", "--format", "json"], input="1 2")`` -> result with
    ``exit_code``, ``stdout``, ``stderr``."""
    from tests.fuzzing import invoke

    return invoke


@pytest.fixture
def local_utc(monkeypatch):
    """The local time zone is UTC for this test (local days, the quiz's calendar), put back afterwards."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
