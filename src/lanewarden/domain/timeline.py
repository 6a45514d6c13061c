"""A run's timeline: each lane's states over time, from its recorded events.

The live state of a lane is derived by :func:`lanewarden.domain.lanes.lane_state`
from the facts of now. A report needs the states of the past too, so this
module replays the dated records of each lane in order:

- its lane record's ``started``: ``assigned``;
- a checkpoint: ``working``;
- a request: ``blocked`` until its answer, then back to what it was;
- a handoff: ``handed-off``;
- an integration outcome: ``integrated``, or ``reopened`` (reopened or reverted);
- its lock's end in the lock history, without an integration after it: ``abandoned``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["LaneEvent", "Segment", "segments"]


@dataclass(frozen=True)
class LaneEvent:
    """One dated record of a lane: ``kind`` is start, checkpoint, request, answer,
    handoff, integrated, reopened or released."""

    lane: str
    time: datetime
    kind: str


@dataclass(frozen=True)
class Segment:
    """A lane in one state from ``start`` to ``end``."""

    lane: str
    state: str
    start: datetime
    end: datetime


_ORDER = {
    "start": 0,
    "checkpoint": 1,
    "request": 2,
    "answer": 3,
    "handoff": 4,
    "reopened": 5,
    "integrated": 6,
    "released": 7,
}
_STATE_OF = {
    "start": "assigned",
    "checkpoint": "working",
    "handoff": "handed-off",
    "integrated": "integrated",
    "reopened": "reopened",
}


def _states(events: Sequence[LaneEvent]) -> list[tuple[datetime, str]]:
    """The lane's state after each event, in time order."""
    changes: list[tuple[datetime, str]] = []
    state = "assigned"
    open_requests = 0
    for event in sorted(events, key=lambda e: (e.time, _ORDER.get(e.kind, 9))):
        if event.kind == "request":
            open_requests += 1
        elif event.kind == "answer":
            open_requests = max(0, open_requests - 1)
        elif event.kind == "released":
            if state != "integrated":
                state = "abandoned"
        else:
            state = _STATE_OF.get(event.kind, state)
        shown = "blocked" if open_requests and state not in ("integrated", "abandoned") else state
        changes.append((event.time, shown))
    return changes


def segments(events: Sequence[LaneEvent], end: datetime) -> list[Segment]:
    """Each lane's consecutive states, the last one lasting until ``end``."""
    lanes: dict[str, list[LaneEvent]] = {}
    for event in events:
        lanes.setdefault(event.lane, []).append(event)
    found: list[Segment] = []
    for lane in sorted(lanes):
        changes = _states(lanes[lane])
        merged: list[tuple[datetime, str]] = []
        for at, state in changes:
            if merged and merged[-1][0] == at:
                merged.pop()  # records of the same second: only where they lead shows
            if merged and merged[-1][1] == state:
                continue
            merged.append((at, state))
        for index, (at, state) in enumerate(merged):
            until = merged[index + 1][0] if index + 1 < len(merged) else max(end, at)
            if state == "abandoned" and index + 1 == len(merged):
                until = at  # an ended lane shows no bar after its end
            found.append(Segment(lane, state, at, until))
    return found
