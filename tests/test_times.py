from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lanewarden.domain.times import format_time, parse_duration, parse_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("45m", 2700), ("2h", 7200), ("1d", 86400), ("1h30m", 5400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "10", "h", "1x", "0s", "1h 30m", "-5m", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_iso_times_are_utc() -> None:
    utc = datetime(2026, 11, 28, 14, 10, tzinfo=timezone.utc)
    assert parse_time("2026-11-28T14:10:00Z") == utc
    assert parse_time("2026-11-28 14:10") == utc
    assert parse_time("2026-11-28T15:10:00+01:00") == utc
    assert format_time(parse_time("2026-11-28T15:10:00+01:00")) == "2026-11-28T14:10:00Z"


def test_bare_time_takes_the_reference_date() -> None:
    start = datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)
    assert parse_time("14:22", reference=start) == datetime(2026, 1, 2, 14, 22, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["yesterday", "25:00", "2026-13-01T00:00:00Z"])
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueError, match="bad time"):
        parse_time(text)


@pytest.mark.parametrize("text", ["99999999999d", "3651d", "87601h", "9" * 5000 + "s", "3650d1s"])
def test_durations_are_at_most_ten_years(text: str) -> None:
    with pytest.raises(ValueError, match="at most 10 years"):
        parse_duration(text)
    assert parse_duration("3650d") == timedelta(days=3650)


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+01:00",  # overflows when turned into UTC
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "9000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
def test_times_out_of_range(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_time(text)


@pytest.mark.parametrize("value", [5, None, 1.5, ["2026-01-01"]])
def test_a_time_that_is_not_text_is_a_bad_time(value: object) -> None:
    with pytest.raises(ValueError, match="bad time"):
        parse_time(value)  # type: ignore[arg-type]
