"""An edit of the lock registry, and the ledger text that records it.

Shared by the registry in the main work tree (:mod:`registry_store`) and the
registry on a git remote (:mod:`remote_registry`): both open a
:class:`Transaction`, and both write the edited registry back with
:func:`rendered`, which keeps the user's own text of every unchanged row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lanewarden.domain.registry import LockRegistry

if TYPE_CHECKING:
    from lanewarden.domain.ledger import HistoryRecord, Ledger, LockRecord

__all__ = ["NO_TABLE", "Transaction", "rendered"]

NO_TABLE = (
    "expected a table with columns "
    "lock_id | owner | scope | objective | start | heartbeat | expires"
)


class Transaction:
    """An edit of the registry; assign ``registry`` to change it."""

    def __init__(self, registry: LockRegistry, ledger: Ledger, original: LockRegistry) -> None:
        self.registry = registry
        self.ledger = ledger
        self.original = original


def rendered(ledger: Ledger, registry: LockRegistry, parsed: LockRegistry) -> str:
    """``ledger``'s text holding ``registry``, edited from ``parsed`` (what the ledger held)."""
    return ledger.render(
        _lock_records(registry, parsed, ledger), _history_records(registry, parsed, ledger)
    )


def _lock_records(registry: LockRegistry, parsed: LockRegistry, ledger: Ledger) -> list[LockRecord]:
    """Unchanged rows keep the user's own text; changed and new rows are canonical."""
    original = {pair[0].lock_id: pair for pair in zip(parsed.locks, ledger.locks, strict=True)}
    records = []
    for lock in registry.locks:
        before = original.get(lock.lock_id)
        records.append(before[1] if before and before[0] == lock else lock.to_record())
    return records


def _history_records(
    registry: LockRegistry, parsed: LockRegistry, ledger: Ledger
) -> list[HistoryRecord]:
    kept = list(ledger.history)
    return kept + [ended.to_record() for ended in registry.history[len(parsed.history) :]]
