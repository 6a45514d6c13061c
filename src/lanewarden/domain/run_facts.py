"""The recorded facts of a run that the metrics read, and the window that selects them.

Each fact is one record (or one row of a record) that lanewarden or its users
wrote; :mod:`lanewarden.adapters.run_history` reads them, and
:mod:`lanewarden.domain.metrics` counts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "EscalationFact",
    "GateRun",
    "HistoryFacts",
    "HotspotHold",
    "IntegrationFact",
    "LaneStart",
    "Rewrite",
    "Window",
]


@dataclass(frozen=True)
class LaneStart:
    """A lane's lock being taken (the lane record's ``started``)."""

    lane: str
    acquired: datetime


@dataclass(frozen=True)
class IntegrationFact:
    """One lane's outcome in one integration run (an entry of ``lanes`` of its record)."""

    lane: str
    wave: int
    run: str
    outcome: str  # integrated | reopened | reverted
    reason: str  # conflict | gate-2 | gate-3 | ""
    applied: datetime
    files: int
    lines: int  # lines added + lines removed


@dataclass(frozen=True)
class GateRun:
    """One evidence record: a gate run on a tree."""

    gate: str
    tree: str
    status: str  # passed | failed | narrowed
    time: datetime
    lane: str | None = None


@dataclass(frozen=True)
class EscalationFact:
    """A request and, once answered, when."""

    lane: str
    number: int
    requested: datetime
    answered: datetime | None


@dataclass(frozen=True)
class HotspotHold:
    """A lock (live or in the history) whose scope reaches one or more hotspots."""

    lane: str
    hotspots: tuple[str, ...]
    start: datetime
    end: datetime | None  # None while the lock is held


@dataclass(frozen=True)
class Rewrite:
    """Of the lines a lane's ``integrated`` outcome in ``run`` put on the target, how many
    later commits had changed or deleted by the end of run ``end_run`` (git blame)."""

    lane: str
    run: str
    end_run: str
    lines: int


@dataclass(frozen=True)
class HistoryFacts:
    """Everything recorded about a run that the metrics read."""

    starts: Sequence[LaneStart] = ()
    integrations: Sequence[IntegrationFact] = ()
    gate_runs: Sequence[GateRun] = ()
    escalations: Sequence[EscalationFact] = ()
    holds: Sequence[HotspotHold] = ()
    # lane -> times of its handoffs: a lane handed off twice was reopened in between
    handoffs: Mapping[str, Sequence[datetime]] = field(default_factory=dict)
    # measured rewrites; an integrated outcome without one for the window's end is unmeasured
    rewrites: Sequence[Rewrite] = ()


@dataclass(frozen=True)
class Window:
    """Which facts count: all, those since a time, or those of one wave."""

    since: datetime | None = None
    wave: int | None = None

    def describe(self) -> str:
        if self.wave is not None:
            return f"wave {self.wave}"
        if self.since is not None:
            return f"since {self.since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        return "all"
