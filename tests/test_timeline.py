"""The timeline's states, replayed from dated records; the times are worked out by hand."""

from __future__ import annotations

from datetime import datetime, timezone

from lanewarden.domain.timeline import LaneEvent, segments


def t(hhmm: str) -> datetime:
    hour, minute = hhmm.split(":")
    return datetime(2026, 11, 28, int(hour), int(minute), tzinfo=timezone.utc)


def test_states_follow_the_records() -> None:
    events = [
        LaneEvent("A", t("10:00"), "start"),
        LaneEvent("A", t("10:10"), "checkpoint"),
        LaneEvent("A", t("10:20"), "request"),
        LaneEvent("A", t("10:50"), "answer"),
        LaneEvent("A", t("11:00"), "handoff"),
        LaneEvent("A", t("11:30"), "reopened"),
        LaneEvent("A", t("11:40"), "checkpoint"),
        LaneEvent("A", t("12:00"), "handoff"),
        LaneEvent("A", t("12:30"), "integrated"),
        LaneEvent("A", t("12:40"), "released"),
        LaneEvent("B", t("10:00"), "start"),
        LaneEvent("B", t("10:30"), "released"),
    ]
    found = [(s.lane, s.state, s.start, s.end) for s in segments(events, t("13:00"))]
    assert found == [
        ("A", "assigned", t("10:00"), t("10:10")),
        ("A", "working", t("10:10"), t("10:20")),
        ("A", "blocked", t("10:20"), t("10:50")),
        ("A", "working", t("10:50"), t("11:00")),
        ("A", "handed-off", t("11:00"), t("11:30")),
        ("A", "reopened", t("11:30"), t("11:40")),
        ("A", "working", t("11:40"), t("12:00")),
        ("A", "handed-off", t("12:00"), t("12:30")),
        ("A", "integrated", t("12:30"), t("13:00")),  # a release after integration changes nothing
        ("B", "assigned", t("10:00"), t("10:30")),
        ("B", "abandoned", t("10:30"), t("10:30")),  # released, never integrated: the row ends
    ]


def test_a_request_answered_in_the_same_second_does_not_block_forever() -> None:
    events = [
        LaneEvent("A", t("10:00"), "start"),
        LaneEvent("A", t("10:05"), "request"),
        LaneEvent("A", t("10:05"), "answer"),
    ]
    assert [s.state for s in segments(events, t("11:00"))] == ["assigned"]
