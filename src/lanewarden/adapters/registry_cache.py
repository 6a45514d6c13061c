"""A compiled copy of the lock table, so the pre-commit hook skips parsing.

Parsing the ledger needs markdown-it-py and compiling scopes needs pathspec;
importing the two alone costs more than the hook's whole time budget. The
cache holds the lock table with every pattern already translated to a regex,
in :mod:`marshal` format (no import cost), keyed by the ledger's identity and
change stamps (inode, size, mtime and ctime in nanoseconds) and lanewarden's
version. Any write of the ledger, by lanewarden or by hand, changes the key.
"""

from __future__ import annotations

import marshal
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lanewarden import __version__
from lanewarden.adapters.files import atomic_write
from lanewarden.domain.locks import Lock
from lanewarden.domain.scopes import Scope

__all__ = ["load_locks", "save_locks"]

_FORMAT = 3


def _key(ledger: Path) -> list[Any]:
    stat = os.stat(ledger)
    return [
        _FORMAT,
        __version__,
        str(ledger),
        stat.st_ino,
        stat.st_size,
        stat.st_mtime_ns,
        stat.st_ctime_ns,
    ]


def load_locks(cache: Path, ledger: Path) -> tuple[Lock, ...] | None:
    """The cached lock table of ``ledger``, or None when the cache is missing or old."""
    try:
        key = _key(ledger)
        with open(cache, "rb") as f:
            # One read: marshal.load(f) reads the file piece by piece, ~5x slower here.
            data = marshal.loads(f.read())
        if data["key"] != key:
            return None
        return tuple(_lock(row) for row in data["locks"])
    except (OSError, EOFError, ValueError, TypeError, KeyError):  # ScopeError too
        return None


def save_locks(cache: Path, ledger: Path, key: list[Any], locks: tuple[Lock, ...]) -> None:
    """Store ``locks`` as the compiled table of ``ledger`` read at stamp ``key``."""
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
    atomic_write(cache, marshal.dumps({"key": key, "locks": rows}))


def ledger_key(ledger: Path) -> list[Any]:
    """The stamp to store with a table parsed from ``ledger`` (taken before reading it)."""
    return _key(ledger)


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
