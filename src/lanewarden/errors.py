"""The one exception for "the user must fix something" (exit code 2).

Policy violations are not exceptions: they are data (see
:mod:`lanewarden.domain.violations`). An :class:`InputError` is raised for
usage, configuration and input errors, and turned into a message and exit
code 2 in exactly one place, :func:`lanewarden.cli.main.main` (its words are
written by :mod:`lanewarden.cli.endings`). A policy refusal found deep
inside a command, where returning the violations is not practical (in the
middle of a ledger transaction), is raised as :class:`PolicyRefusal` and
reported by ``main`` like any check's violations: exit 1. Any other exception
that reaches ``main`` is a bug: exit 3, never 1, which means a policy refused
something.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

# typing.TYPE_CHECKING would import typing into every command's start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from lanewarden.domain.violations import Violation

__all__ = ["InputError", "PolicyRefusal"]


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


class PolicyRefusal(Exception):
    """A policy refused the command midway (exit 1); ``violations`` say what, where and the fix."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        if not violations:
            raise ValueError("a policy refusal names at least one violation")
        super().__init__(violations[0].message)
        self.violations = list(violations)
