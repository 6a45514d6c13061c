"""Locks: status over time, and rows validated with the ledger's file and line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lanewarden.domain.ledger import LockRecord
from lanewarden.domain.locks import Lock, check_lock_id
from lanewarden.domain.scopes import Scope
from lanewarden.errors import InputError

START = datetime(2026, 11, 28, 14, 0, tzinfo=timezone.utc)


def lock(**changes: object) -> Lock:
    values: dict[str, object] = {
        "lock_id": "L-001",
        "owner": "agent-a",
        "scope": Scope.parse(["src/app/"]),
        "objective": "o",
        "start": START,
        "heartbeat": START,
        "expires": START + timedelta(hours=1),
    }
    values.update(changes)
    return Lock(**values)  # type: ignore[arg-type]


def test_status_moves_from_active_to_stale_to_expired() -> None:
    stale_after = timedelta(minutes=30)
    assert lock().status(START + timedelta(minutes=29), stale_after) == "active"
    assert lock().status(START + timedelta(minutes=31), stale_after) == "stale"
    assert lock().status(START + timedelta(hours=1), stale_after) == "expired"


def test_a_refresh_never_moves_backwards() -> None:
    later = START + timedelta(minutes=10)
    refreshed = lock().refreshed(later, START + timedelta(minutes=20))
    assert refreshed.heartbeat == later
    assert refreshed.expires == START + timedelta(hours=1)


def test_record_round_trip_writes_iso_utc() -> None:
    record = lock().to_record()
    assert record.start == "2026-11-28T14:00:00Z"
    assert record.scope == ("src/app/",)
    assert Lock.from_record(record, Path("PLAN.md")) == lock()


def test_bare_times_take_the_start_date() -> None:
    record = LockRecord("L-1", "a", ("src/",), "o", "2026-11-28T14:10:00Z", "14:22", "15:00")
    parsed = Lock.from_record(record, Path("PLAN.md"))
    assert parsed.expires == datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"lock_id": "L 1"}, "bad lock id"),
        ({"scope": ("src/[ab",)}, "unbalanced"),
        ({"scope": ("../up",)}, "invalid scope pattern"),
        ({"start": "yesterday"}, "start: bad time"),
        ({"expires": "25:99"}, "expires: bad time"),
    ],
)
def test_malformed_rows_name_the_file_and_line(change: dict[str, object], words: str) -> None:
    values: dict[str, object] = {
        "lock_id": "L-1",
        "owner": "a",
        "scope": ("src/",),
        "objective": "o",
        "start": "2026-11-28T14:00:00Z",
        "heartbeat": "2026-11-28T14:00:00Z",
        "expires": "2026-11-28T15:00:00Z",
        "line": 7,
    }
    values.update(change)
    with pytest.raises(InputError, match=words) as caught:
        Lock.from_record(LockRecord(**values), Path("PLAN.md"))  # type: ignore[arg-type]
    assert caught.value.where() == "PLAN.md:7"


def test_lock_ids_are_file_name_safe() -> None:
    assert check_lock_id("L-001.a_b") == "L-001.a_b"
    for bad in ("", "../x", "a/b", "-L", "x" * 65):
        with pytest.raises(ValueError, match="bad lock id"):
            check_lock_id(bad)
