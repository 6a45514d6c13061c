"""Durations (``30s``, ``45m``, ``2h``, ``1h30m``) and ISO 8601 UTC times.

Written times are always ``YYYY-MM-DDTHH:MM:SSZ``. Read times accept:

* any ISO 8601 date-time Python understands (``2026-11-28T14:10:00Z``,
  ``2026-11-28 14:10``, ``2026-11-28T15:10:00+01:00``); a time with no
  offset is UTC;
* a bare ``HH:MM`` or ``HH:MM:SS`` as in the runbook's template, taken on the
  date of a reference time (the lock's start, or today in UTC); use full
  date-times for locks that cross midnight.

Both are bounded, so that no arithmetic on them can overflow: a duration is
at most ten years, a time lies between 1970 and the year 9000.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_DURATION",
    "format_time",
    "now",
    "parse_duration",
    "parse_time",
]

_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BARE_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")

# Ten years: longer than any lock or approval is meant to live, and far from
# the limits of datetime, so "now + duration" can never overflow.
MAX_DURATION = timedelta(days=3650)
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def now() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def parse_duration(text: str) -> timedelta:
    """Parse ``30s``, ``45m``, ``2h``, ``1d`` or a sum such as ``1h30m``."""
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration {text!r}: use a number and a unit, like 30s, 45m, 2h")
    # A number too long for int() (Python refuses over 4300 digits) is too long anyway.
    if any(len(n) > 12 for n, _ in parts):
        raise ValueError(f"bad duration {text!r}: at most 10 years (3650d)")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"bad duration {text!r}: must be longer than zero")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"bad duration {text!r}: at most 10 years (3650d)")
    return timedelta(seconds=seconds)


def parse_time(text: str, *, reference: datetime | None = None) -> datetime:
    """Parse an ISO 8601 time (UTC when it has no offset) or a bare ``HH:MM``.

    Times before 1970 or from the year 9000 on are refused (``ValueError``).
    """
    if not isinstance(text, str):  # a number or null read from a JSON record
        raise ValueError(f"bad time {text!r}: expected text, like 2026-11-28T14:10:00Z")
    text = text.strip()
    bare = _BARE_TIME.fullmatch(text)
    if bare:
        day = (reference or now()).astimezone(timezone.utc)
        hour, minute, second = int(bare[1]), int(bare[2]), int(bare[3] or 0)
        try:
            return day.replace(hour=hour, minute=minute, second=second, microsecond=0)
        except ValueError:
            raise ValueError(f"bad time {text!r}") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"bad time {text!r}: use ISO 8601 UTC, like 2026-11-28T14:10:00Z"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        parsed = parsed.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+01:00: before datetime's first day
        parsed = EARLIEST - timedelta(days=1)
    if not EARLIEST <= parsed < LATEST:
        raise ValueError(f"bad time {text!r}: out of range (1970 to 8999)")
    return parsed


def format_time(moment: datetime) -> str:
    """Format as ISO 8601 UTC to the second: ``2026-11-28T14:10:00Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
