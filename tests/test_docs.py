"""The README stays true: its quick start is two commands, CI runs the same test command, every command is shown."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _quick_start_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_quick_start_is_two_commands():
    cmds = _quick_start_commands()
    assert cmds == ["pip install . && rnn-tutor trace", "pip install -e '.[test]' && python -m pytest"]


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    awk = re.search(r"cmd=\$\(awk '(.*?)' README.md\)", script).group(1)
    out = subprocess.run(["awk", awk, str(ROOT / "README.md")], capture_output=True, text=True).stdout.strip()
    assert out == _quick_start_commands()[1]


def test_every_command_is_documented_in_the_readme():
    import typer.main

    from rnn_tutor.cli.app import app

    for name in typer.main.get_command(app).commands:
        assert f"rnn-tutor {name}" in README, f"README does not show `rnn-tutor {name}`"
