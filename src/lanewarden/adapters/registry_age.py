"""How old this clone's copy of the remote registry is: one ``stat``, no network.

The pre-commit hook judges a commit against the registry as last fetched and
never touches the network; when that copy is older than ``registry_max_age``
it says so, with the command that refreshes it. Only ``os`` and ``time``
here: the hook's warm path has no room for more.
"""

from __future__ import annotations

import os
import time

# typing.TYPE_CHECKING would import typing on the hook's warm path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import timedelta
    from pathlib import Path

__all__ = ["stale_copy_warning"]


def stale_copy_warning(copy: Path, max_age: timedelta, remote: str) -> str | None:
    """A warning when ``copy`` was last fetched more than ``max_age`` ago (None: fresh)."""
    try:
        fetched = os.stat(copy).st_mtime
    except OSError:
        return None  # no copy at all is reported by the read, with its own fix
    age = time.time() - fetched
    if age <= max_age.total_seconds():
        return None
    return (
        f"lanewarden: warning: the registry copy was fetched from {remote} "
        f"{_minutes(age)} ago (registry_max_age is {_minutes(max_age.total_seconds())}); "
        "locks taken since are not seen\n  fix: `lanewarden sync`"
    )


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min" if seconds >= 60 else f"{int(seconds)} s"
