"""A change of the lock registry, replayable on a registry that moved on meanwhile.

Two orchestrators may change the registry at once; the one whose change did
not land first replays it on the registry as it now stands. Every row it
rewrites must be as it was when the change was made, and every new lock
passes the acquisition rules again: otherwise the change is refused, naming
the lock that won.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from lanewarden.domain.locks import Lock, ReleasedLock
from lanewarden.domain.registry import Hotspots, LockRegistry, shell_quote
from lanewarden.domain.violations import Violation

__all__ = ["RegistryChange", "taken_violation"]


class RegistryChange(NamedTuple):
    """What a transaction did to the registry, replayable on a registry that moved on.

    ``replaced`` maps each lock id the change rewrote or removed to the row it
    was (as the remote held it) and what it becomes (None: removed);
    ``added`` are new locks; ``ended`` the history rows it appends.
    """

    replaced: dict[str, tuple[Lock, Lock | None]]
    added: tuple[Lock, ...]
    ended: tuple[ReleasedLock, ...]

    @classmethod
    def between(
        cls, parsed: LockRegistry, current: LockRegistry, edited: LockRegistry
    ) -> RegistryChange:
        """The change from ``current`` (``parsed`` with heartbeats) to ``edited``."""
        was = {lock.lock_id: lock for lock in current.locks}
        now_ = {lock.lock_id: lock for lock in edited.locks}
        rows = {lock.lock_id: lock._replace(line=0) for lock in parsed.locks}
        replaced: dict[str, tuple[Lock, Lock | None]] = {}
        for lock_id, lock in was.items():
            after = now_.get(lock_id)
            if after != lock:
                replaced[lock_id] = (rows[lock_id], after)
        added = tuple(lock for lock_id, lock in now_.items() if lock_id not in was)
        return cls(replaced, added, edited.history[len(current.history) :])

    def replay(
        self,
        parsed: LockRegistry,
        current: LockRegistry,
        hotspots: Hotspots,
        tracked_paths: Callable[[], Sequence[str]],
    ) -> LockRegistry | list[Violation]:
        """This change applied to a registry that moved on; or why it no longer applies.

        Each row the change rewrites must be as it was when the change was made
        (another orchestrator may have released or reclaimed it since), and
        every new lock passes the acquisition rules (overlap, hotspots) again,
        against the new registry.
        """
        rows = {lock.lock_id: lock._replace(line=0) for lock in parsed.locks}
        violations: list[Violation] = []
        for lock_id, (before, _after) in self.replaced.items():
            now_row = rows.get(lock_id)
            if now_row != before:
                violations.append(_moved_violation(lock_id, now_row))
        locks = [
            self.replaced[lock.lock_id][1] or lock if lock.lock_id in self.replaced else lock
            for lock in current.locks
            if lock.lock_id not in self.replaced or self.replaced[lock.lock_id][1] is not None
        ]
        for new in self.added:
            taken = current.get(new.lock_id)
            if taken is not None:
                violations.append(taken_violation(new.lock_id, taken))
                continue
            violations += LockRegistry(tuple(locks)).acquisition_conflicts(
                new.lock_id, new.scope, hotspots, tracked_paths
            )
            locks.append(new)
        if violations:
            return violations
        return LockRegistry(tuple(locks), (*current.history, *self.ended))

    def summary(self) -> str:
        """A commit subject naming what changed."""
        parts = [f"acquire {lock.lock_id}" for lock in self.added]
        ended = {e.lock.lock_id: e.outcome for e in self.ended}
        for lock_id, (_before, after) in self.replaced.items():
            parts.append(f"{ended.get(lock_id, 'update' if after else 'remove')} {lock_id}")
        return "lanewarden registry: " + (", ".join(parts) or "update")


def _moved_violation(lock_id: str, now_row: Lock | None) -> Violation:
    state = "is gone" if now_row is None else f"now belongs to {now_row.owner}"
    return Violation(
        rule="registry-race",
        lock=lock_id,
        message=f"lock {lock_id} changed on the remote registry while this change was being "
        f"pushed: it {state}",
        fix="see the registry as it is now with `lanewarden sync && lanewarden lock list`, "
        "then decide again",
    )


def taken_violation(lock_id: str, winner: Lock) -> Violation:
    """``lock_id`` is on the remote registry already, held by ``winner``: a lost race."""
    return Violation(
        rule="registry-race",
        lock=lock_id,
        message=f"lock {lock_id} was acquired on the remote registry first, by {winner.owner} "
        f"(scope {' '.join(winner.scope.texts())})",
        fix=f"choose another lock id, or wait until `lanewarden lock release "
        f"{shell_quote(lock_id)}`",
    )
