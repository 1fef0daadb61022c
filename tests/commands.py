"""Every command of the app, discovered, and one quick run of each (for the tests that hold every command to a
rule: closed pipes, start-up imports).

A command added to the app without a quick run here fails ``test_every_command_has_a_quick_run`` with the line
to add. Each run must take well under a second, write something to stdout, and need no terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# path -> (arguments, stdin). "{model}", "{lm}" and "{deck}" are filled with files made by ``prepare``.
# Order matters: "quiz" answers one card, so "quiz export" has a review to write and "quiz undo" one to take
# back; "quiz reset" comes last.
QUICK_RUNS: dict[str, tuple[list[str], str | None]] = {
    "trace": (["trace", "-", "--format", "csv"], "1 2 3\n"),
    "learn": (["learn"], None),
    "order": (["order"], None),
    "cost": (["cost"], None),
    "bottleneck": (["bottleneck", "-d", "1", "-T", "2", "--samples", "10"], None),
    "decay": (["decay", "-w", "0.99", "--steps", "1000", "--format", "csv"], None),
    "params": (["params"], None),
    "gradcheck": (["gradcheck", "--cell", "rnn", "-H", "1", "-D", "1", "-T", "1", "-B", "1"], None),
    "train": (["train", "--task", "order", "-n", "2", "--eval-every", "1", "--eval-size", "16", "-H", "2",
               "--format", "jsonl"], None),
    "compare": (["compare", "--task", "order", "-n", "1", "--eval-every", "1", "-H", "2", "--cells", "rnn"], None),
    "predict": (["predict", "{model}", "--samples", "2"], None),
    "predict --stream": (["predict", "{model}", "--stream", "--format", "jsonl"], "the\ndog\nbit\n"),
    "signal": (["signal", "-n", "100"], None),
    "sample": (["sample", "{lm}", "--length", "60"], None),
    "inspect": (["inspect", "{lm}", "--max-chars", "60"], None),
    "quiz": (["quiz", "--limit", "1", "--format", "jsonl"], "\n3\n"),
    "quiz list": (["quiz", "list"], None),
    "quiz stats": (["quiz", "stats"], None),
    "quiz export": (["quiz", "export"], None),
    "quiz undo": (["quiz", "undo"], None),  # after export: it takes back the one review
    "quiz import": (["quiz", "import", "{deck}"], None),
    "quiz reset": (["quiz", "reset", "--yes"], None),
}

DECK = '[[card]]\nid = "t-1"\ntopic = "test"\nquestion = "What is h_1?"\nanswer = "0.5"\n'


def discovered() -> list[str]:
    """Every command and subcommand path the app has, as 'quiz list'."""
    from rnn_tutor.cli.app import command_paths

    return [" ".join(path) for path, _ in command_paths()]


def prepare(folder: Path, env: dict) -> dict[str, str]:
    """Files the quick runs need: a tiny trained model, a tiny language model and a one-card deck."""
    model = folder / "model.npz"
    subprocess.run([sys.executable, "-m", "rnn_tutor", "train", "--task", "order", "-n", "1", "--eval-every", "1",
                    "--eval-size", "8", "-H", "2", "--save", str(model), "--format", "json"],
                   env=env, capture_output=True, check=True, timeout=120)
    lm = folder / "lm.npz"
    subprocess.run([sys.executable, "-m", "rnn_tutor", "train", "--task", "text", "--max-chars", "3000", "-n", "1",
                    "--batch", "2", "--length", "5", "--eval-every", "1", "-H", "2", "--sample-every", "0",
                    "--save", str(lm), "--format", "json"], env=env, capture_output=True, check=True, timeout=120)
    deck = folder / "deck.toml"
    deck.write_text(DECK)
    return {"model": str(model), "lm": str(lm), "deck": str(deck)}


def quick_args(path: str, files: dict[str, str]) -> tuple[list[str], str | None]:
    args, stdin = QUICK_RUNS[path]
    return [a.format(**files) for a in args], stdin


def clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RNN_TUTOR_", "FORCE_COLOR", "PY_COLORS"))}
    env.update({"RNN_TUTOR_HOME": str(home), "COLUMNS": "80", "NO_COLOR": "1", "TZ": "UTC"})
    return env
