"""A compiled copy of the lock table, so the pre-commit hook skips parsing.

Parsing the ledger needs markdown-it-py and compiling scopes needs pathspec;
importing the two alone costs more than the hook's whole time budget. The
cache holds the lock table with every pattern already translated to a regex,
in :mod:`marshal` format (no import cost), keyed by lanewarden's version and
the change stamps (inode, size, mtime and ctime in nanoseconds) of the ledger
and of the digest lanewarden keeps of its own last write. Any write of either
file, by lanewarden or by hand, changes the key. Only a table that matched the
digest is stored, so a warm hook has nothing left to verify.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lanewarden import __version__
from lanewarden.adapters import marshal_cache
from lanewarden.domain.locks import Lock
from lanewarden.domain.scopes import Scope, ScopeError

__all__ = ["ledger_key", "load_locks", "save_locks"]

_FORMAT = 3


def ledger_key(ledger: Path, digest: Path) -> list[Any] | None:
    """The stamp to store with a table read from ``ledger`` (taken before reading it).

    None when the ledger cannot be seen (nothing is cached for it).
    """
    stamp = marshal_cache.file_stamp(ledger)
    if stamp is None:
        return None
    return [_FORMAT, __version__, str(ledger), stamp, marshal_cache.file_stamp(digest)]


def load_locks(cache: Path, key: list[Any]) -> tuple[Lock, ...] | None:
    """The cached lock table stored under ``key``, or None when there is none."""
    rows = marshal_cache.load(cache, key)
    if rows is marshal_cache.MISSING:
        return None
    try:
        return tuple(_lock(row) for row in rows)
    except (ValueError, TypeError, OverflowError, OSError, ScopeError):
        return None  # a damaged cache: read the ledger again


def save_locks(cache: Path, key: list[Any], locks: tuple[Lock, ...]) -> None:
    """Store ``locks`` as the verified table read at stamp ``key`` (a failed write is skipped)."""
    rows = [
        [
            lock.lock_id,
            lock.owner,
            lock.objective,
            lock.start.timestamp(),
            lock.heartbeat.timestamp(),
            lock.expires.timestamp(),
            lock.line,
            lock.scope.to_cache(),
        ]
        for lock in locks
    ]
    marshal_cache.store(cache, key, rows)


def _lock(row: list[Any]) -> Lock:
    lock_id, owner, objective, start, heartbeat, expires, line, patterns = row
    return Lock(
        lock_id=lock_id,
        owner=owner,
        scope=Scope.from_cache(patterns),
        objective=objective,
        start=datetime.fromtimestamp(start, timezone.utc),
        heartbeat=datetime.fromtimestamp(heartbeat, timezone.utc),
        expires=datetime.fromtimestamp(expires, timezone.utc),
        line=line,
    )
