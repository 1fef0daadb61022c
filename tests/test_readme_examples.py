"""The README's shell examples can be pasted as they are (issue 12 §3): what they pipe from is a real command,
and the examples that need jq say so."""

import re
import shlex
import shutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# the package's own commands (rnn-tutor) are real whether or not this Python has them on PATH yet
OWN_COMMANDS = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])
SHELL_WORDS = {"for", "while", "until", "if", "echo", "printf", "read", "cat", "seq", "yes", "true", "(", "{"}


def _sh_lines():
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        yield from (ln for ln in block.replace("\\\n", " ").splitlines() if ln.strip())


def test_every_example_pipes_from_a_real_command():
    for line in _sh_lines():
        if "| rnn-tutor" not in line:
            continue
        producer = line.split("| rnn-tutor")[0]
        first = shlex.split(producer.replace("$(", " "), comments=True)[0]
        assert first in SHELL_WORDS | OWN_COMMANDS or shutil.which(first), (
            f"README example pipes from {first!r}, which is no command: {line.strip()!r} "
            "(use seq, printf, a while-read loop or a file)")


def test_the_examples_that_need_jq_say_so():
    assert any("| jq" in ln for ln in _sh_lines())
    tour = README.split("## A short tour", 1)[1]
    assert re.search(r"Examples that end in `\| jq \.\.\.` need \[jq\]", tour.split("###", 1)[0]), \
        "say before the first example that the ones piped into jq need jq"
