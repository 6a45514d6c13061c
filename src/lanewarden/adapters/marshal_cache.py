"""One cache file in :mod:`marshal` form: a key and a value, read back only under that key.

The hooks keep what is slow to compute (a parsed configuration, a compiled lock
table, compiled globs) in such files. A cache is an optimisation only: a
missing, old or damaged file reads as no entry, and a file that cannot be
written (a read-only git dir, a full disk) is skipped.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from pathlib import Path
from typing import Any

__all__ = ["MISSING", "file_stamp", "load", "store"]

# What ``load`` returns when the cache holds nothing under the key (None is a value).
MISSING: Any = object()


def file_stamp(path: Path) -> list[int] | None:
    """What changes whenever ``path`` is written, for a cache key; None when it is missing.

    The inode catches a file replaced by rename (lanewarden's own atomic writes),
    the change time a write that kept the modification time.
    """
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def load(cache: Path, key: Any) -> Any:
    """The value stored in ``cache`` under ``key``, or :data:`MISSING`."""
    try:
        with open(cache, "rb") as f:
            # One read: marshal.load(f) reads the file piece by piece, ~5x slower here.
            stored_key, value = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return MISSING  # no cache, or a damaged one
    return value if stored_key == key else MISSING


def store(cache: Path, key: Any, value: Any) -> None:
    """Keep ``value`` in ``cache`` under ``key``; a value or file that fails is skipped."""
    try:
        data = marshal.dumps((key, value))
    except ValueError:
        return  # not marshal data (a TOML date, say): computed again each time
    from lanewarden.adapters.files import atomic_write

    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        atomic_write(cache, data)
