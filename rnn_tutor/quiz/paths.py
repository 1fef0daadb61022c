"""Where the progress store lives: ``--data-dir``, else ``RNN_TUTOR_HOME``, else the platform's
user data directory (via platformdirs, e.g. ~/.local/share/rnn-tutor on Linux)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "RNN_TUTOR_HOME"


def data_dir(option_value: str | os.PathLike | None = None) -> Path:
    if option_value is not None and str(option_value).strip():
        return Path(option_value).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rnn-tutor", appauthor=False))
