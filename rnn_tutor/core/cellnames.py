"""The cells' names and gate counts, without numpy: commands that only count (``params``) or list choices
need these facts and nothing of the arithmetic in ``cells.py``, which re-exports them."""

from __future__ import annotations

from rnn_tutor.errors import BadValueError

CELLS = ("rnn", "gru", "lstm")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
GATE_NAMES = {"rnn": ("h",), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}


def check_cell(cell: str, option: str = "--cell") -> str:
    """Return the cell name in lower case, or raise BadValueError naming ``option``."""
    name = str(cell).lower()
    if name not in CELLS:
        raise BadValueError(option, f"{cell!r} is not a cell; choose one of {', '.join(CELLS)}")
    return name
