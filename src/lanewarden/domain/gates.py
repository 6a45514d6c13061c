"""The gate ladder (runbook §11): what each gate runs.

- Gate 1, format and static checks on the touched files: ``ruff check`` and
  ``ruff format --check`` when ruff is available.
- Gate 2, the tests of the touched packages: the pytest plugin with
  ``--lw-changed --lw-gate 2``.
- Gate 3, repo-wide validation: the whole suite with ``--lw-gate 3``.

Configuration (``[tool.lanewarden.gates]``), per gate ``"1"``, ``"2"``, ``"3"``:
``commands = [...]`` replaces the defaults, ``extra = [...]`` runs after
them; a plain list is short for ``commands``. Any other key defines a gate of
that name (letters, digits, ``.``, ``_``, ``-``), which must give its
``commands``; it runs after gate 3 in ``all``. A command is a shell command;
``{files}`` becomes the touched files, ``{py_files}`` the touched Python
files, ``{python}`` the running interpreter. A step that names ``{files}`` or
``{py_files}`` is skipped when there are none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lanewarden.domain.evidence import GATE_NAME, GATE_NAMES, check_gate_name, gate_names
from lanewarden.domain.registry import shell_quote
from lanewarden.errors import InputError

__all__ = ["Gate", "GateLadder", "Step", "default_steps"]

_TITLES = {
    "1": "format and static checks on the touched files",
    "2": "tests of the touched packages",
    "3": "repo-wide validation",
}
_PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Step:
    """One command of a gate."""

    command: str

    @property
    def needs_files(self) -> bool:
        """The command names ``{files}`` or ``{py_files}``."""
        return "{files}" in self.command or "{py_files}" in self.command

    def expand(self, files: Sequence[str], python: str) -> str | None:
        """The shell command to run, or None when it needs files and there are none."""
        py_files = [f for f in files if f.endswith(_PYTHON_SUFFIXES)]
        if "{py_files}" in self.command and not py_files:
            return None
        if "{files}" in self.command and not files:
            return None
        return (
            self.command.replace("{python}", shell_quote(python))
            .replace("{py_files}", " ".join(shell_quote(f) for f in py_files))
            .replace("{files}", " ".join(shell_quote(f) for f in files))
        )


@dataclass(frozen=True)
class Gate:
    """One rung of the ladder."""

    name: str
    title: str
    steps: tuple[Step, ...]


def default_steps(name: str, *, ruff: str | None) -> tuple[Step, ...]:
    """The commands a gate runs on a fresh Python repository."""
    if name == "1":
        if ruff is None:
            return ()
        return (Step(f"{ruff} check {{py_files}}"), Step(f"{ruff} format --check {{py_files}}"))
    if name == "2":
        return (Step("{python} -m pytest --lw-changed --lw-gate 2"),)
    if name == "3":
        return (Step("{python} -m pytest --lw-gate 3"),)
    return ()


@dataclass(frozen=True)
class GateLadder:
    """Gates 1, 2 and 3, in order."""

    gates: tuple[Gate, ...]

    @classmethod
    def from_config(cls, table: Mapping[str, Any], *, source: str, ruff: str | None) -> GateLadder:
        """Build the ladder from ``[gates]``; a bad entry names the key and the file.

        ``ruff`` is how to call ruff here (None when it is not installed).
        """
        for name in table:
            if not GATE_NAME.match(name) or name == "all":
                raise InputError(
                    f"bad gate name {name!r} in gates (letters, digits, . _ -; not 'all')",
                    path=source,
                )
            if name not in GATE_NAMES and not _has_commands(table[name]):
                raise InputError(
                    f"gate {name!r} in gates is not 1, 2 or 3: it must give its commands",
                    path=source,
                )
        gates = []
        for name in gate_names(table):
            steps = default_steps(name, ruff=ruff)
            raw = table.get(name)
            if raw is not None:
                steps = _configured(name, raw, steps, source)
            title = _TITLES.get(name, f"configured gate {name}")
            gates.append(Gate(name=name, title=title, steps=steps))
        return cls(tuple(gates))

    @property
    def names(self) -> tuple[str, ...]:
        """Every valid gate name, in ladder order."""
        return tuple(gate.name for gate in self.gates)

    def select(self, which: str) -> list[Gate]:
        """``all`` is every gate in order; a gate's name is that gate."""
        if which == "all":
            return list(self.gates)
        check_gate_name(which, (*self.names, "all"), where="gate")
        return [gate for gate in self.gates if gate.name == which]


def _has_commands(raw: Any) -> bool:
    return isinstance(raw, list) or (isinstance(raw, dict) and "commands" in raw)


def _commands(key: str, raw: Any, source: str) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not all(isinstance(c, str) and c.strip() for c in raw):
        raise InputError(f"gates.{key} must be a list of commands (strings)", path=source)
    return tuple(Step(command) for command in raw)


def _configured(name: str, raw: Any, defaults: tuple[Step, ...], source: str) -> tuple[Step, ...]:
    if isinstance(raw, list):
        return _commands(name, raw, source)
    if not isinstance(raw, dict):
        raise InputError(
            f"gates.{name} must be a list of commands or a table with commands/extra",
            path=source,
        )
    unknown = sorted(set(raw) - {"commands", "extra"})
    if unknown:
        raise InputError(
            f"unknown key gates.{name}.{unknown[0]} (known: commands, extra)", path=source
        )
    steps = (
        _commands(f"{name}.commands", raw["commands"], source) if "commands" in raw else defaults
    )
    extra = _commands(f"{name}.extra", raw["extra"], source) if "extra" in raw else ()
    return steps + extra
