"""Durations (``30s``, ``45m``, ``2h``, ``1h30m``) and ISO 8601 UTC times.

Written times are always ``YYYY-MM-DDTHH:MM:SSZ``. Read times accept:

* any ISO 8601 date-time Python understands (``2026-11-28T14:10:00Z``,
  ``2026-11-28 14:10``, ``2026-11-28T15:10:00+01:00``); a time with no
  offset is UTC;
* a bare ``HH:MM`` or ``HH:MM:SS`` as in the runbook's template, taken on the
  date of a reference time (the lock's start, or today in UTC); use full
  date-times for locks that cross midnight.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["format_time", "now", "parse_duration", "parse_time"]

_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BARE_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def now() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def parse_duration(text: str) -> timedelta:
    """Parse ``30s``, ``45m``, ``2h``, ``1d`` or a sum such as ``1h30m``."""
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration {text!r}: use a number and a unit, like 30s, 45m, 2h")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"bad duration {text!r}: must be longer than zero")
    return timedelta(seconds=seconds)


def parse_time(text: str, *, reference: datetime | None = None) -> datetime:
    """Parse an ISO 8601 time (UTC when it has no offset) or a bare ``HH:MM``."""
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
    return parsed.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    """Format as ISO 8601 UTC to the second: ``2026-11-28T14:10:00Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
