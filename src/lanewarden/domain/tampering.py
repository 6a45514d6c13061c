"""Edits of the lock table that lanewarden did not make itself.

In single-branch mode every agent can edit the working-tree ledger, so a lane
could widen its own scope by hand. lanewarden therefore records the lock table
as it wrote it (its *rows*: the cells as lanewarden reads them, so layout,
spacing and row order do not count) and compares the table with that record
wherever the registry is read for a commit. A difference is ``ledger-tampered``
until the orchestrator accepts the edit, which is recorded in the audit log.

Without a record, only an empty table is trusted: lanewarden writes a record at
each of its writes, so a table with locks and no record is one lanewarden never
wrote (or whose record was deleted), and it cannot tell the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation

if TYPE_CHECKING:
    from lanewarden.domain.ledger import LockRecord

__all__ = [
    "ACCEPT_COMMAND",
    "Row",
    "is_row_list",
    "staged_ledger_violation",
    "table_changes",
    "table_rows",
    "tamper_violation",
]

# One lock-table row as compared: lock_id, owner, scope patterns, objective, start,
# heartbeat, expires.
Row = list[Any]

ACCEPT_COMMAND = "LANEWARDEN_ROLE=orchestrator lanewarden lock accept-edit --note WHY"
_COLUMNS = ("lock_id", "owner", "scope", "objective", "start", "heartbeat", "expires")
_SHOWN = 6


def table_rows(records: Sequence[LockRecord]) -> list[Row]:
    """The rows of a lock table, in lock id order."""
    rows = [
        [r.lock_id, r.owner, list(r.scope), r.objective, r.start, r.heartbeat, r.expires]
        for r in records
    ]
    return sorted(rows, key=lambda row: str(row[0]))


def is_row_list(data: Any) -> bool:
    """Whether ``data`` (read back from a record) has the shape of :func:`table_rows`."""
    return isinstance(data, list) and all(
        isinstance(row, list)
        and len(row) == len(_COLUMNS)
        and isinstance(row[2], list)
        and all(isinstance(p, str) for p in row[2])
        and all(isinstance(cell, str) for i, cell in enumerate(row) if i != 2)
        for row in data
    )


def _show(row: Row) -> str:
    scope = ", ".join(f"`{p}`" for p in row[2])
    return f"{row[0]} (owner {row[1]}, scope {scope}, expires {row[6]})"


def table_changes(before: Sequence[Row], after: Sequence[Row]) -> list[str]:
    """What changed from ``before`` to ``after``, one line per lock: added, removed, changed."""
    old = {str(row[0]): row for row in before}
    new = {str(row[0]): row for row in after}
    lines = [f"added {_show(row)}" for lock_id, row in new.items() if lock_id not in old]
    lines += [f"removed {_show(row)}" for lock_id, row in old.items() if lock_id not in new]
    for lock_id, row in new.items():
        was = old.get(lock_id)
        if was is None or was == row:
            continue
        diffs = [
            f"{column} {_cell(was[i])} -> {_cell(row[i])}"
            for i, column in enumerate(_COLUMNS)
            if was[i] != row[i]
        ]
        lines.append(f"changed {lock_id}: " + "; ".join(diffs))
    return lines


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"`{p}`" for p in value)
    return repr(value)


def _summary(lines: list[str]) -> str:
    more = len(lines) - _SHOWN
    return "; ".join(lines[:_SHOWN]) + (f" (+{more} more)" if more > 0 else "")


def tamper_violation(
    recorded: Sequence[Row] | None, current: Sequence[Row], ledger: str, *, remote: bool = False
) -> Violation | None:
    """``ledger-tampered`` when the table is not the one lanewarden recorded.

    In remote mode the table here is a copy of the remote's, so the fix is to
    fetch the registry again, not to accept the edit.
    """
    if recorded is None:
        if not current:
            return None  # an empty table grants nothing: `lanewarden init` writes one
        message = (
            f"lanewarden has no record of writing this lock table ({len(current)} lock(s)); "
            "it was written by hand or its record was removed: "
            + _summary(table_changes([], current))
        )
    else:
        if list(recorded) == list(current):
            return None
        message = "the lock table was edited outside lanewarden: " + _summary(
            table_changes(recorded, current)
        )
    return Violation(
        rule="ledger-tampered",
        path=ledger,
        message=message,
        fix=(
            "this is a copy of the remote registry: `lanewarden sync` fetches it again; "
            "change locks with `lanewarden lock acquire|release|reclaim`"
            if remote
            else "undo the edit and change locks with `lanewarden lock acquire|release|reclaim`; "
            f"or the orchestrator reviews it and accepts it: `{ACCEPT_COMMAND}`"
        ),
    )


def staged_ledger_violation(
    staged: Sequence[Row] | None, registry: Sequence[Row], ledger: str
) -> Violation | None:
    """A staged ledger whose lock table is not the registry's (``None``: no table staged)."""
    if staged is not None and list(staged) == list(registry):
        return None
    what = "has no lock table" if staged is None else _summary(table_changes(registry, staged))
    return Violation(
        rule="ledger-tampered",
        path=ledger,
        message=f"the staged {ledger} changes the lock table, which only the orchestrator or "
        f"the integrator commits: {what}",
        fix=f"unstage it: `git restore --staged -- {shell_quote(ledger)}` (locks change "
        "through `lanewarden lock ...`, run by the orchestrator)",
    )
