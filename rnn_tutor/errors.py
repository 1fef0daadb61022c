"""Errors with user-facing text, raised by every floor and turned into exit codes by the CLI.

- ``BadValueError`` (exit 2): a value the user gave is not allowed. Names the option and what is allowed.
- ``RnnTutorError`` (exit 1): a runtime failure. Says what happened and, in ``hint``, what to do.
"""

from __future__ import annotations


class RnnTutorError(Exception):
    """A failure the user should read: ``Error: <message> (<hint>)``, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_message(self) -> str:
        text = f"Error: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class BadValueError(RnnTutorError):
    """A bad value for an option or argument, exit code 2.

    ``option`` is the name as the user typed it (``--weight``); ``message`` says what is allowed.
    """

    exit_code = 2

    def __init__(self, option: str | None, message: str, hint: str | None = None):
        super().__init__(message, hint)
        self.option = option

    def user_message(self) -> str:
        where = f"Error: Invalid value for '{self.option}': " if self.option else "Error: Invalid value: "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text
