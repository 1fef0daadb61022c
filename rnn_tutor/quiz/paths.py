"""Where the progress store lives: ``--data-dir``, else ``RNN_TUTOR_HOME``, else the platform's
user data directory (via platformdirs, e.g. ~/.local/share/rnn-tutor on Linux)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "RNN_TUTOR_HOME"


def _expand(text: str | os.PathLike, where: str, option: str | None) -> Path:
    """``~`` and ``~user`` expanded; a user or home that cannot be found is the caller's error, in our words."""
    try:
        return Path(text).expanduser()
    except RuntimeError:  # Path("~nosuchuser/x").expanduser(): "Could not determine home directory."
        from rnn_tutor.errors import BadValueError

        raise BadValueError(option, f"{where} {str(text)!r} starts with a '~' whose home directory cannot be found "
                                    "(write the folder's full path instead)") from None


def data_dir(option_value: str | os.PathLike | None = None) -> Path:
    """The data folder. A ``~`` that cannot be expanded raises BadValueError naming ``--data-dir`` or
    ``RNN_TUTOR_HOME``."""
    if option_value is not None and str(option_value).strip():
        return _expand(option_value, "the folder", "--data-dir")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _expand(env, f"{ENV_VAR}, set to", None)
    import platformdirs

    return Path(platformdirs.user_data_dir("rnn-tutor", appauthor=False))
