"""A module loaded on first use: ``from rnn_tutor.core.lazy import numpy as np``.

For modules where some functions do array maths and others do not, so a command on the other path (``cost``
shares ``demos.py`` with ``order`` and ``bottleneck``) does not pay numpy's import (60-120 ms here)."""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands in for a module and imports it the first time one of its names is used."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazily imported module {self._name!r}>"


numpy = LazyModule("numpy")
