"""Shell completion (issue 12 §3): `rnn-tutor --show-completion` / `--install-completion` for bash, zsh and fish,
completing commands, options and choice values.

bash is driven for real: the script `--show-completion` prints is sourced and its completion function called as
bash calls it on TAB. zsh and fish are not installed here, so their side of the protocol is checked directly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands import clean_env

EXE_DIR = str(Path(sys.executable).parent)
HAS_SCRIPT = (Path(EXE_DIR) / "rnn-tutor").exists()


def _env(tmp_path) -> dict:
    env = clean_env(tmp_path)
    env["PATH"] = EXE_DIR + os.pathsep + env.get("PATH", "")
    return env


BASH = r'''
source <(rnn-tutor --show-completion)
complete -p rnn-tutor >/dev/null || exit 3
for w in "$@"; do
  read -ra COMP_WORDS <<< "$w"
  [[ "$w" == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  _rnn_tutor_completion rnn-tutor
  echo "${COMPREPLY[*]}"
done
'''


@pytest.mark.skipif(shutil.which("bash") is None or not HAS_SCRIPT, reason="needs bash and the installed script")
def test_bash_completes_commands_options_and_choices(tmp_path):
    lines = ["rnn-tutor tr", "rnn-tutor trace --act", "rnn-tutor trace --activation ", "rnn-tutor quiz l",
             "rnn-tutor quiz export --format ", "rnn-tutor train --task ad", "rnn-tutor learn --no",
             "rnn-tutor quiz --n"]
    r = subprocess.run(["bash", "--norc", "-c", BASH, "bash", *lines], capture_output=True, text=True,
                       env=_env(tmp_path), timeout=120)
    assert r.returncode == 0, r.stderr
    got = r.stdout.splitlines()
    assert got == ["trace train", "--activation", "linear tanh relu sigmoid", "list", "jsonl csv",
                   "adding", "--no-pager --no-cache", "--new"], got  # the hidden --now is not offered


def _complete(cli, shell: str, line: str, **extra) -> str:
    """The app's side of the protocol, in-process: what the shell's script gets back for this line."""
    r = cli([], env={"_RNN_TUTOR_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line, **extra})
    assert r.exit_code == 0, r.stderr
    return r.stdout


def test_zsh_and_fish_get_completions_too(cli):
    zsh = _complete(cli, "zsh", "rnn-tutor trace --activation ")
    assert all(f'"{c}"' in zsh for c in ("linear", "tanh", "relu", "sigmoid")), zsh
    fish = _complete(cli, "fish", "rnn-tutor tr", _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert [ln.split("\t")[0] for ln in fish.splitlines()] == ["trace", "train"], fish
    for shell in ("bash", "zsh", "fish"):
        script = cli([], env={"_RNN_TUTOR_COMPLETE": f"source_{shell}"}).stdout
        assert "_RNN_TUTOR_COMPLETE=complete_" in script and "rnn-tutor" in script, shell


def test_completion_options_are_on_the_root_help(cli):
    r = cli(["--help"])
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout
