"""Every option that takes a path gives a clear message for a path the system cannot take (a name over 255
bytes, a path over 4,096): never `OSError: [Errno 36]` or an internal error (issue 17 §1)."""

from __future__ import annotations

import pytest

from tests.fuzzing import invoke

LONG = "x" * 300


@pytest.mark.parametrize("args", [
    ["train", "-n", "1", "--save", LONG],
    ["predict", LONG],
    ["trace", LONG],
    ["trace", "--cell", "lstm", "--weights", LONG],
    ["quiz", "list", "--deck", LONG + ".toml"],
    ["quiz", "import", LONG + ".toml"],
    ["quiz", "export", "-o", LONG],
    ["quiz", "stats", "--data-dir", LONG],
    ["quiz", "list", "--data-dir", "/".join(["d" * 200] * 25)],
], ids=lambda a: " ".join(x[:12] for x in a[:3]))
def test_a_path_over_the_system_limit(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    r = invoke(args)
    assert r.exit_code in (1, 2), r.stderr
    assert r.stderr.startswith("Error: ") and "internal error" not in r.stderr and "Errno" not in r.stderr
    assert "bytes long" in r.stderr and "this system allows at most" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created on the way
