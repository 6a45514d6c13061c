"""Reading and writing the lock registry held in the execution ledger.

The registry is the ledger in the *main* work tree, as the orchestrator holds
it: a linked worktree, or a lane's own commit, never supplies its own copy, so
a lane cannot widen its scope by editing the ledger. Writes happen under an
exclusive lock in the common git dir and replace the ledger atomically,
rewriting only the tables' lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lanewarden.adapters.config import Config
from lanewarden.adapters.files import atomic_write, exclusive_lock, read_text
from lanewarden.adapters.git import Repo
from lanewarden.adapters.heartbeats import HeartbeatStore
from lanewarden.adapters.registry_cache import ledger_key, load_locks, save_locks
from lanewarden.domain.locks import Lock, ReleasedLock
from lanewarden.domain.registry import LockRegistry
from lanewarden.errors import InputError

if TYPE_CHECKING:
    # Parsing Markdown is for a stale cache and for writes, never the hook's warm path.
    from lanewarden.domain.ledger import HistoryRecord, Ledger, LockRecord

__all__ = ["RegistryStore", "Transaction"]


class Transaction:
    """An edit of the registry; assign ``registry`` to change it."""

    def __init__(self, registry: LockRegistry, ledger: Ledger, original: LockRegistry) -> None:
        self.registry = registry
        self.ledger = ledger
        self.original = original


class RegistryStore:
    """The ledger file, its write lock and the workers' heartbeats."""

    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config
        self.ledger_path = repo.main_worktree() / config.ledger
        self.heartbeats = HeartbeatStore(repo.state_dir / "heartbeats")
        self._write_lock = repo.state_dir / "ledger.lock"

    def display_path(self) -> str:
        """The ledger's path as a user sees it from this work tree."""
        try:
            return str(self.ledger_path.relative_to(self.repo.root))
        except ValueError:
            return str(self.ledger_path)

    def _parse(self) -> Ledger:
        if not self.ledger_path.exists():
            raise InputError(
                "execution ledger not found",
                path=self.display_path(),
                hint="run `lanewarden init` to create it with an empty lock table",
            )
        from lanewarden.domain.ledger import Ledger

        text = read_text(self.ledger_path, what="execution ledger")
        return Ledger.parse(text, Path(self.display_path()))

    def _registry(self, ledger: Ledger) -> LockRegistry:
        where = Path(self.display_path())
        locks = tuple(Lock.from_record(record, where) for record in ledger.locks)
        history = tuple(ReleasedLock.from_record(record, where) for record in ledger.history)
        seen: set[str] = set()
        for lock in locks:
            if lock.lock_id in seen:
                raise InputError(
                    f"duplicate lock id {lock.lock_id!r} in the lock table",
                    path=where,
                    line=lock.line or None,
                    hint="each lock id names one lock: rename or remove one row",
                )
            seen.add(lock.lock_id)
        return LockRegistry(locks=locks, history=history)

    def read_for_commit(self, lane: str | None) -> LockRegistry:
        """The lock table (no history) for the hook, from the compiled cache when fresh.

        Only the committing lane's heartbeat matters to its own check: other locks
        claim their scopes whatever their status.
        """
        cache = self.repo.state_dir / "registry.cache"
        locks = load_locks(cache, self.ledger_path)
        if locks is None:
            key = ledger_key(self.ledger_path) if self.ledger_path.exists() else None
            locks = self._registry(self._parse()).locks
            if key is not None:
                save_locks(cache, self.ledger_path, key, locks)
        registry = LockRegistry(locks=locks)
        lock = registry.get(lane) if lane else None
        beat = self.heartbeats.read(lock) if lock else None
        return registry.with_heartbeats({lock.lock_id: beat}) if lock and beat else registry

    def read(self) -> LockRegistry:
        """The registry with the workers' latest heartbeats folded in."""
        registry = self._registry(self._parse())
        return registry.with_heartbeats(self.heartbeats.read_all(registry.locks))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Edit the registry under the ledger's write lock; written if changed."""
        with exclusive_lock(self._write_lock):
            ledger = self._parse()
            if not ledger.has_lock_table:
                raise InputError(
                    "the execution ledger has no lock table",
                    path=self.display_path(),
                    hint="run `lanewarden init`, or add the runbook's lock table "
                    "(| lock_id | owner | scope | objective | start | heartbeat | expires |)",
                )
            parsed = self._registry(ledger)
            current = parsed.with_heartbeats(self.heartbeats.read_all(parsed.locks))
            tx = Transaction(registry=current, ledger=ledger, original=parsed)
            yield tx
            if tx.registry == current:
                return
            text = ledger.render(
                _lock_records(tx.registry, parsed, ledger),
                _history_records(tx.registry, parsed, ledger),
            )
            atomic_write(self.ledger_path, text)
            # Heartbeat files of locks still in the table stay: a worker may write
            # one between our read and now, and removing it would lose that beat.
            live = {lock.lock_id for lock in tx.registry.locks}
            for lock in parsed.locks:
                if lock.lock_id not in live:
                    self.heartbeats.remove(lock.lock_id)


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
