"""Workers' heartbeats, kept outside the single-writer ledger.

The execution ledger has one writer, the orchestrator (runbook §6.1). A worker
refreshing its own lock therefore never writes the ledger: it writes its own
small file, ``<git common dir>/lanewarden/heartbeats/<lock id>.json``,
atomically. Workers never share a file, so many can heartbeat at once without
colliding, and every worktree sees the same files. A heartbeat counts only for
the lock it was written for (same owner and start), so a late heartbeat from a
previous owner cannot refresh a reclaimed lock. The orchestrator folds the
heartbeats into the ledger's table the next time it writes the ledger.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime
from pathlib import Path

from lanewarden.adapters.files import atomic_write
from lanewarden.domain.locks import Lock
from lanewarden.domain.times import format_time, parse_time

__all__ = ["HeartbeatStore"]


class HeartbeatStore:
    """The heartbeat files of one repository."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, lock_id: str) -> Path:
        return self.folder / f"{lock_id}.json"

    def write(self, lock: Lock, heartbeat: datetime, expires: datetime) -> None:
        """Record a heartbeat for ``lock`` (its owner and start identify it)."""
        import json

        record = {
            "lock_id": lock.lock_id,
            "owner": lock.owner,
            "start": format_time(lock.start),
            "heartbeat": format_time(heartbeat),
            "expires": format_time(expires),
        }
        atomic_write(self._file(lock.lock_id), json.dumps(record, indent=2) + "\n")

    def read(self, lock: Lock) -> tuple[datetime, datetime] | None:
        """The heartbeat and expiry recorded for ``lock``, if any still applies.

        A heartbeat file that cannot be read as one is no heartbeat: the
        ledger's own columns stand, and a warning names the file.
        """
        path = self._file(lock.lock_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            _warn(path, f"cannot read it: {e.strerror}")
            return None
        from lanewarden.domain.json_input import load_json  # only when there is one to read

        try:
            record = load_json(data)
            if record["owner"] != lock.owner or parse_time(record["start"]) != lock.start:
                return None  # written for an earlier owner of this lock id
            return parse_time(record["heartbeat"]), parse_time(record["expires"])
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as e:
            _warn(path, f"{type(e).__name__}: {e}")
            return None

    def read_all(self, locks: tuple[Lock, ...]) -> dict[str, tuple[datetime, datetime]]:
        """The heartbeats that apply to ``locks``, by lock id."""
        beats = {}
        for lock in locks:
            beat = self.read(lock)
            if beat is not None:
                beats[lock.lock_id] = beat
        return beats

    def remove(self, lock_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._file(lock_id).unlink()


def _warn(path: Path, why: str) -> None:
    print(
        f"lanewarden: warning: {path}: not a heartbeat ({why}); ignored, the ledger's "
        "heartbeat column stands (the lock's worker rewrites it with `lanewarden lock "
        "heartbeat`)",
        file=sys.stderr,
    )
