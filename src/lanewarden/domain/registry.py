"""The lock registry: the ledger's lock table as a value, and its rules.

Everything here is pure: it takes the registry, the tracked paths and the
time, and returns a new registry or a list of violations. Reading and
writing the ledger is :mod:`lanewarden.adapters.registry_store`'s job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cached_property

from lanewarden.domain.locks import Lock, ReleasedLock
from lanewarden.domain.scopes import Scope, ScopeIndex
from lanewarden.domain.violations import Violation

__all__ = ["Hotspots", "LockRegistry", "shell_quote"]

_SHOWN_PATHS = 5


def shell_quote(text: str) -> str:
    """Quote for a POSIX shell, so a fix can be pasted as it is."""
    if text and all(c.isalnum() or c in "@%+=:,./-_" for c in text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _sample(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:_SHOWN_PATHS])
    more = len(paths) - _SHOWN_PATHS
    return f"{shown} (+{more} more)" if more > 0 else shown


class Hotspots:
    """Configured hotspot globs, each one an area no two locks may share."""

    def __init__(self, scopes: Mapping[str, Scope]) -> None:
        """``scopes``: each hotspot glob and its one-pattern scope."""
        self.scopes = dict(scopes)
        self.globs = tuple(self.scopes)

    @classmethod
    def parse(cls, globs: Sequence[str]) -> Hotspots:
        """Parse the configured globs; the :class:`ScopeError` names a bad one."""
        return cls({glob: Scope.parse([glob]) for glob in globs})

    @cached_property
    def index(self) -> ScopeIndex:
        return ScopeIndex(self.scopes)

    def containing(self, path: str) -> list[str]:
        """The hotspot globs that match ``path``."""
        return self.index.owners(path) if self.globs else []

    def members(self, tracked_paths: Iterable[str]) -> dict[str, list[str]]:
        """The tracked paths inside each hotspot, in one pass over the paths."""
        found: dict[str, list[str]] = {glob: [] for glob in self.globs}
        for path in tracked_paths:
            for glob in self.containing(path):
                found[glob].append(path)
        return found

    def touched_by(self, scope: Scope, members: Mapping[str, list[str]]) -> list[str]:
        """The hotspots ``scope`` reaches: a tracked path in both, or the hotspot's own name.

        Judged on paths rather than prefixes: a hotspot such as ``pyproject.toml``
        is unanchored, and by prefix alone it would touch every scope.
        """
        touched = []
        for glob in self.globs:
            literal = _literal_path(glob)
            if (literal is not None and scope.matches(literal)) or any(
                scope.matches(path) for path in members[glob]
            ):
                touched.append(glob)
        return touched


def _literal_path(glob: str) -> str | None:
    """The one path a wildcard-free glob names (``/a/b/`` is ``a/b``), else None."""
    if glob.startswith("!") or any(c in glob for c in "*?[\\"):
        return None
    return glob.strip("/") or None


class LockRegistry:
    """The lock table and the history of ended locks; a value, changed by making a new one."""

    def __init__(
        self, locks: tuple[Lock, ...] = (), history: tuple[ReleasedLock, ...] = ()
    ) -> None:
        self.locks = locks
        self.history = history

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LockRegistry):
            return NotImplemented
        return (self.locks, self.history) == (other.locks, other.history)

    def __repr__(self) -> str:
        return f"LockRegistry(locks={self.locks!r}, history={self.history!r})"

    def get(self, lock_id: str) -> Lock | None:
        return next((lock for lock in self.locks if lock.lock_id == lock_id), None)

    @cached_property
    def index(self) -> ScopeIndex:
        """Every lock in the table (each claims its scope until released)."""
        return ScopeIndex({lock.lock_id: lock.scope for lock in self.locks})

    def owners(self, path: str) -> list[str]:
        """The ids of the locks whose scope includes ``path``."""
        return self.index.owners(path)

    # -- changes -------------------------------------------------------------------------

    def with_lock(self, lock: Lock) -> LockRegistry:
        return LockRegistry((*self.locks, lock), self.history)

    def released(
        self, lock_id: str, at: datetime, *, outcome: str = "released", note: str = ""
    ) -> LockRegistry:
        """Move a lock to the history."""
        lock = self.get(lock_id)
        assert lock is not None, lock_id
        ended = ReleasedLock(lock=lock._replace(line=0), ended=at, outcome=outcome, note=note)
        return LockRegistry(
            locks=tuple(other for other in self.locks if other.lock_id != lock_id),
            history=(*self.history, ended),
        )

    def reclaimed(
        self, lock_id: str, *, owner: str, note: str, at: datetime, ttl: timedelta
    ) -> LockRegistry:
        """Hand a lock to a new owner; the old ownership goes to the history with the note."""
        old = self.get(lock_id)
        assert old is not None, lock_id
        new = old._replace(owner=owner, start=at, heartbeat=at, expires=at + ttl, line=0)
        ended = ReleasedLock(lock=old._replace(line=0), ended=at, outcome="reclaimed", note=note)
        return LockRegistry(
            locks=tuple(new if lock.lock_id == lock_id else lock for lock in self.locks),
            history=(*self.history, ended),
        )

    def with_heartbeats(self, beats: Mapping[str, tuple[datetime, datetime]]) -> LockRegistry:
        """Fold workers' heartbeats (``lock_id -> (heartbeat, expires)``) into the table."""
        if not beats:
            return self
        return LockRegistry(
            locks=tuple(
                lock.refreshed(*beats[lock.lock_id]) if lock.lock_id in beats else lock
                for lock in self.locks
            ),
            history=self.history,
        )

    # -- rules ---------------------------------------------------------------------------

    def acquisition_conflicts(
        self,
        lock_id: str,
        scope: Scope,
        hotspots: Hotspots,
        tracked_paths: Callable[[], Sequence[str]],
    ) -> list[Violation]:
        """Why a new lock on ``scope`` cannot be added (empty: it can).

        Refused when it can share a path with a lock in the table (a tracked path
        both match, or patterns whose literal prefixes nest, so files created later
        are covered too), or when it and another lock touch one hotspot.
        """
        violations: list[Violation] = []
        for other in self.locks:
            pairs = scope.may_share_paths_with(other.scope)
            if not pairs:
                continue
            shared = [p for p in tracked_paths() if scope.matches(p) and other.scope.matches(p)]
            detail = "; ".join(f"{mine!r} vs {theirs!r}" for mine, theirs in pairs)
            paths = f"; shared tracked paths: {_sample(shared)}" if shared else ""
            violations.append(
                Violation(
                    rule="lock-overlap",
                    lock=other.lock_id,
                    path=shared[0] if shared else None,
                    message=(
                        f"scope of {lock_id} can share paths with lock {other.lock_id} "
                        f"(owner {other.owner}): {detail}{paths}"
                    ),
                    fix=(
                        f"narrow the scope to paths outside {other.lock_id}, or wait until "
                        f"`lanewarden lock release {shell_quote(other.lock_id)}`"
                    ),
                )
            )
        members = hotspots.members(tracked_paths()) if hotspots.globs else {}
        mine = set(hotspots.touched_by(scope, members)) if members else set()
        for other in self.locks if mine else ():
            for glob in hotspots.touched_by(other.scope, members):
                if glob in mine:
                    violations.append(
                        Violation(
                            rule="hotspot",
                            lock=other.lock_id,
                            path=glob,
                            message=(
                                f"hotspot {glob!r} is already in lock {other.lock_id} "
                                f"(owner {other.owner}); hotspots are serialized"
                            ),
                            fix=(
                                f"acquire after `lanewarden lock release "
                                f"{shell_quote(other.lock_id)}`, or leave {glob!r} out"
                            ),
                        )
                    )
        return violations

    def health(
        self,
        tracked_paths: Iterable[str],
        hotspots: Hotspots,
        at: datetime,
        stale_after: timedelta,
    ) -> list[Violation]:
        """``lock check``: overlaps and shared hotspots on tracked paths, old locks."""
        overlaps: dict[tuple[str, str], list[str]] = defaultdict(list)
        hotspot_holders: dict[str, dict[str, str]] = defaultdict(dict)
        for path in tracked_paths:
            owners = self.index.owners(path)
            if not owners:
                continue
            for i, first in enumerate(owners):
                for second in owners[i + 1 :]:
                    overlaps[first, second].append(path)
            for glob in hotspots.containing(path):
                for owner in owners:
                    hotspot_holders[glob].setdefault(owner, path)
        violations = [
            Violation(
                rule="lock-overlap",
                lock=first,
                path=paths[0],
                message=f"locks {first} and {second} both claim {len(paths)} tracked "
                f"path(s): {_sample(paths)}",
                fix=f"release one of them, or narrow a scope: `lanewarden lock who "
                f"{shell_quote(paths[0])}`",
            )
            for (first, second), paths in overlaps.items()
        ]
        for glob, holders in hotspot_holders.items():
            if len(holders) > 1:
                names = ", ".join(sorted(holders))
                violations.append(
                    Violation(
                        rule="hotspot",
                        lock=sorted(holders)[0],
                        path=glob,
                        message=f"hotspot {glob!r} is in {len(holders)} locks at once: {names}",
                        fix="release all but one of them; hotspots are serialized",
                    )
                )
        for lock in self.locks:
            status = lock.status(at, stale_after)
            if status == "expired":
                violations.append(expired_violation(lock))
            elif status == "stale":
                violations.append(stale_violation(lock, stale_after))
        return violations


def expired_violation(lock: Lock) -> Violation:
    """The lock is past its expiry: only a reclaim (with a note) or a release ends that."""
    return Violation(
        rule="lock-expired",
        lock=lock.lock_id,
        message=f"lock {lock.lock_id} (owner {lock.owner}) expired at "
        f"{lock.expires:%Y-%m-%dT%H:%M:%SZ}",
        fix=(
            f"the orchestrator reclaims it: `lanewarden lock reclaim {shell_quote(lock.lock_id)} "
            f"--owner OWNER --note WHY` (or releases it)"
        ),
    )


def stale_violation(lock: Lock, stale_after: timedelta) -> Violation:
    """The lock's worker has not sent a heartbeat for too long."""
    return Violation(
        rule="lock-stale",
        lock=lock.lock_id,
        message=f"lock {lock.lock_id} (owner {lock.owner}) is stale: no heartbeat since "
        f"{lock.heartbeat:%Y-%m-%dT%H:%M:%SZ} (stale after {stale_after})",
        fix=f"the worker refreshes it: `lanewarden lock heartbeat {shell_quote(lock.lock_id)}`",
    )
