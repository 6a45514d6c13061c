"""A lane's state follows from its recorded facts; each state and each rule of precedence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lanewarden.domain.brief import policy_section
from lanewarden.domain.handoff import marked_criteria
from lanewarden.domain.lanes import (
    Checkpoint,
    Decision,
    Handoff,
    LaneFacts,
    LaneRecord,
    Request,
    decisions,
    lane_state,
)
from lanewarden.errors import InputError

T0 = datetime(2026, 11, 28, 14, 0, tzinfo=timezone.utc)
BASE, TIP, LATER = "b" * 40, "c" * 40, "d" * 40


def record(mode: str = "single-branch") -> LaneRecord:
    return LaneRecord("L-001", T0, BASE, "main", mode, ("criterion",))


def checkpoint(minutes: int) -> Checkpoint:
    return Checkpoint("L-001", 1, T0 + timedelta(minutes=minutes), (), (), (), "next")


def handoff(commit: str, minutes: int) -> Handoff:
    at = T0 + timedelta(minutes=minutes)
    return Handoff("L-001", 1, at, commit, "t" * 40, None, "o", (), (), (), "pass")


LATE = checkpoint(9)  # after the handoff at minute 5
REQUEST = Request(1, "L-001", T0, "pip install x", "pip install", "why")
GRANT = Decision(1, True, T0, "orchestrator", expires=T0 + timedelta(minutes=15))


@pytest.mark.parametrize(
    ("facts", "state"),
    [
        (LaneFacts(record(), live=True, tip=BASE), "assigned"),
        (LaneFacts(record(), live=True, tip=BASE, heartbeat=T0), "working"),
        (LaneFacts(record(), live=True, tip=BASE, checkpoints=[checkpoint(1)]), "working"),
        (LaneFacts(record(), live=True, tip=TIP), "working"),
        (LaneFacts(record(), live=True, tip=TIP, requests=[REQUEST]), "blocked"),
        (
            LaneFacts(record(), live=True, tip=TIP, requests=[REQUEST], decisions={1: GRANT}),
            "working",
        ),
        (LaneFacts(record(), live=True, tip=TIP, handoffs=[handoff(TIP, 5)]), "handed-off"),
        # Blocked wins: a lane waiting for an answer is blocked whatever else holds.
        (
            LaneFacts(record(), live=True, tip=TIP, handoffs=[handoff(TIP, 5)], requests=[REQUEST]),
            "blocked",
        ),
        (LaneFacts(record(), live=True, tip=LATER, handoffs=[handoff(TIP, 5)]), "reopened"),
        (
            LaneFacts(
                record(),
                live=True,
                tip=TIP,
                handoffs=[handoff(TIP, 5)],
                checkpoints=[checkpoint(9)],
            ),
            "reopened",
        ),
        # Single-branch: the tip is on the target at once, so only lane finish integrates.
        (
            LaneFacts(record(), live=True, tip=TIP, handoffs=[handoff(TIP, 5)], tip_in_target=True),
            "handed-off",
        ),
        (
            LaneFacts(
                record("worktrees"),
                live=True,
                tip=TIP,
                handoffs=[handoff(TIP, 5)],
                tip_in_target=True,
            ),
            "integrated",
        ),
        (
            LaneFacts(
                record(), live=False, tip=TIP, handoffs=[handoff(TIP, 5)], tip_in_target=True
            ),
            "integrated",
        ),
        (LaneFacts(record(), live=False, tip=TIP, handoffs=[handoff(TIP, 5)]), "abandoned"),
        (LaneFacts(record(), live=False, tip=LATER, handoffs=[handoff(TIP, 5)]), "abandoned"),
        (LaneFacts(record(), live=False, tip=BASE, tip_in_target=True), "abandoned"),
    ],
)
def test_each_state(facts: LaneFacts, state: str) -> None:
    assert lane_state(facts) == state


def test_a_grant_is_short_lived_and_the_first_answer_counts() -> None:
    assert GRANT.usable(T0 + timedelta(minutes=14))
    assert not GRANT.usable(T0 + timedelta(minutes=15))
    assert GRANT.to_json(T0 + timedelta(hours=1))["expired"] is True
    entries = [
        {"kind": "approval", "request": 1},
        {"kind": "request-decision", "request": 1, "decision": "denied", "time": "14:00"},
        {"kind": "request-decision", "request": 1, "decision": "granted", "time": "14:05"},
        {"kind": "request-decision", "request": "x"},
    ]
    found = decisions(entries)
    assert list(found) == [1]
    assert found[1].granted is False


def test_a_request_in_the_failure_template() -> None:
    assert REQUEST.failure_lines(None) == [
        "Failure: permission denied for pip install",
        "Impact: lane L-001 blocked before its first checkpoint",
        "Requested approval: pip install",
        "Remediation: pending: awaiting the orchestrator's decision",
    ]


def test_criteria_are_marked_by_text_or_number() -> None:
    criteria = ("a b", "c")
    assert marked_criteria(criteria, ["2", "a b", "c"]) == ["c", "a b"]
    with pytest.raises(InputError, match=r"1\. a b; 2\. c"):
        marked_criteria(criteria, ["3"])


def test_the_doc_source_section_of_a_policy_file() -> None:
    text = (
        "# Agents\n\n```\n## Context7 in a code block\n```\n\n"
        "## Documentation sources\n\nUse the docs.\n\n### Fallback\n\nRecord it.\n\n"
        "## Other\n\nnot this\n"
    )
    assert policy_section(text) == (
        "## Documentation sources\n\nUse the docs.\n\n### Fallback\n\nRecord it."
    )
    assert policy_section("# Agents\n\n## Locks\n") is None
