"""Locks: a lane's claim on a scope, with its lifetime and status.

A lock is *active* while its heartbeat is fresh, *stale* once the heartbeat
is older than ``heartbeat_stale_after``, *expired* past its expiry, and
*released* once it has moved to the ledger's history. Every lock still in
the lock table, whatever its status, claims its scope: an expired lock is
taken over with ``lock reclaim`` (which records why), never silently.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from lanewarden.domain.scopes import Scope, ScopeError
from lanewarden.domain.times import format_time, parse_time
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    # The hook reads locks from a compiled cache and never needs the Markdown side.
    from lanewarden.domain.ledger import HistoryRecord, LockRecord

__all__ = [
    "LOCK_ID",
    "Lock",
    "LockStatus",
    "ReleasedLock",
    "check_lock_id",
    "duration_text",
    "lifetime_violation",
]

LockStatus = Literal["active", "stale", "expired", "released"]

# Lock ids name heartbeat files, so they stay file-name safe.
LOCK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_lock_id(lock_id: str) -> str:
    """Return ``lock_id`` if it is well formed, else raise ``ValueError``."""
    if not LOCK_ID.fullmatch(lock_id):
        raise ValueError(
            f"bad lock id {lock_id!r}: use letters, digits, '.', '_' or '-' (like L-001)"
        )
    return lock_id


def lifetime_violation(ttl: timedelta, maximum: timedelta, source: str) -> Violation | None:
    """``ttl-too-long`` when a lock's lifetime ``ttl`` (asked for by ``source``) passes ``maximum``.

    A lock stays alive through its worker's heartbeats; a long lifetime would keep
    a lane's scope claimed long after the worker stopped.
    """
    if ttl <= maximum:
        return None
    return Violation(
        rule="ttl-too-long",
        message=f"{source} {ttl} is longer than max_lock_ttl ({maximum}): a lock is kept "
        "alive by heartbeats, not by a long lifetime",
        fix=f"ask for at most {maximum} (`--ttl {duration_text(maximum)}`) and refresh the "
        "lock with `lanewarden lock heartbeat ID`",
    )


def duration_text(duration: timedelta) -> str:
    """``duration`` as a duration string lanewarden reads: ``1d``, ``90m``, ``45s``."""
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class Lock(NamedTuple):
    """One row of the lock table, validated."""

    lock_id: str
    owner: str
    scope: Scope
    objective: str
    start: datetime
    heartbeat: datetime
    expires: datetime
    line: int = 0

    def status(self, at: datetime, stale_after: timedelta) -> LockStatus:
        """``expired`` past expiry, ``stale`` with an old heartbeat, else ``active``."""
        if at >= self.expires:
            return "expired"
        if at - self.heartbeat > stale_after:
            return "stale"
        return "active"

    def refreshed(self, heartbeat: datetime, expires: datetime) -> Lock:
        """This lock with a newer heartbeat and expiry (never moved backwards)."""
        return self._replace(
            heartbeat=max(self.heartbeat, heartbeat), expires=max(self.expires, expires)
        )

    def to_record(self) -> LockRecord:
        from lanewarden.domain.ledger import LockRecord

        return LockRecord(
            lock_id=self.lock_id,
            owner=self.owner,
            scope=self.scope.texts(),
            objective=self.objective,
            start=format_time(self.start),
            heartbeat=format_time(self.heartbeat),
            expires=format_time(self.expires),
            line=self.line,
        )

    def to_json(self, at: datetime, stale_after: timedelta) -> dict[str, Any]:
        return {**self._columns_json(), "status": self.status(at, stale_after)}

    def _columns_json(self) -> dict[str, Any]:
        """The lock-table columns, times in ISO 8601 UTC."""
        return {
            "lock_id": self.lock_id,
            "owner": self.owner,
            "scope": list(self.scope.texts()),
            "objective": self.objective,
            "start": format_time(self.start),
            "heartbeat": format_time(self.heartbeat),
            "expires": format_time(self.expires),
        }

    @classmethod
    def from_record(cls, record: LockRecord, ledger: Path) -> Lock:
        """Validate a lock-table row; errors name the ledger and the row's line."""

        def fail(message: str) -> InputError:
            return InputError(
                f"malformed lock row: {message}",
                path=ledger,
                line=record.line or None,
                hint="correct the row in the lock table, or ask the orchestrator to",
            )

        try:
            check_lock_id(record.lock_id)
            scope = Scope.parse(record.scope)
        except (ValueError, ScopeError) as e:
            raise fail(str(e)) from None
        times: dict[str, datetime] = {}
        for column in ("start", "heartbeat", "expires"):
            try:
                times[column] = parse_time(getattr(record, column), reference=times.get("start"))
            except ValueError as e:
                raise fail(f"{column}: {e}") from None
        return cls(
            lock_id=record.lock_id,
            owner=record.owner,
            scope=scope,
            objective=record.objective,
            start=times["start"],
            heartbeat=times["heartbeat"],
            expires=times["expires"],
            line=record.line,
        )


class ReleasedLock(NamedTuple):
    """A lock that ended (released, or reclaimed from its previous owner)."""

    lock: Lock
    ended: datetime
    outcome: str
    note: str = ""

    def to_record(self) -> HistoryRecord:
        from lanewarden.domain.ledger import LOCK_COLUMNS, HistoryRecord

        row = self.lock.to_record()
        return HistoryRecord(
            **{column: getattr(row, column) for column in LOCK_COLUMNS},
            ended=format_time(self.ended),
            outcome=self.outcome,
            note=self.note,
            line=self.lock.line,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **self.lock._columns_json(),
            "ended": format_time(self.ended),
            "outcome": self.outcome,
            "note": self.note,
            "status": "released",
        }

    @classmethod
    def from_record(cls, record: HistoryRecord, ledger: Path) -> ReleasedLock:
        """Validate a history row; errors name the ledger and the row's line."""
        from lanewarden.domain.ledger import LOCK_COLUMNS, LockRecord

        columns = {column: getattr(record, column) for column in LOCK_COLUMNS}
        lock = Lock.from_record(LockRecord(**columns, line=record.line), ledger)
        try:
            ended = parse_time(record.ended, reference=lock.start)
        except ValueError as e:
            raise InputError(
                f"malformed history row: ended: {e}", path=ledger, line=record.line or None
            ) from None
        return cls(lock=lock, ended=ended, outcome=record.outcome, note=record.note)
