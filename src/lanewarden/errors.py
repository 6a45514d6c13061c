"""The one exception for "the user must fix something" (exit code 2).

Policy violations are not exceptions: they are data (see
:mod:`lanewarden.domain.violations`). An :class:`InputError` is raised for
usage, configuration and input errors, and turned into a message and exit
code 2 in exactly one place, :func:`lanewarden.cli.main.main` (its words are
written by :mod:`lanewarden.cli.endings`). Any other exception that reaches
``main`` is a bug: exit 3, never 1, which means a policy refused something.
"""

from __future__ import annotations

import os

__all__ = ["InputError"]


class InputError(Exception):
    """Bad usage, configuration or input; carries where it is and how to fix it."""

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.hint = hint

    def where(self) -> str | None:
        """``file:line`` (or just ``file``) when the error has a location."""
        if self.path is None:
            return None
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text}\n  fix: {self.hint}" if self.hint else text
