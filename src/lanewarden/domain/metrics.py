"""Throughput metrics of a run, computed only from recorded facts.

The facts come from the records lanewarden and its users leave behind: the
lanes' records (when each lane's lock was taken), the integration records
(when a lane was applied, whether it hit a conflict, was reopened or
reverted), the gate evidence, the requests and their answers in the audit
log, and the ledger's lock history. This module only counts: the adapters
read the facts, the commands print the numbers. Each definition is written
out in docs/metrics.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lanewarden.domain.run_facts import (
    EscalationFact,
    GateRun,
    HistoryFacts,
    HotspotHold,
    IntegrationFact,
    LaneStart,
    Rewrite,
    Window,
)

__all__ = [
    "EscalationFact",
    "GateRun",
    "HistoryFacts",
    "HotspotHold",
    "IntegrationFact",
    "LaneStart",
    "Metrics",
    "Rewrite",
    "Window",
    "compute",
    "median",
    "p90",
    "size_bucket",
]

# Lane size buckets, by lines changed (added + removed): upper bounds, inclusive.
SIZE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("small (<=50 lines)", 50),
    ("medium (51-200 lines)", 200),
    ("large (>200 lines)", None),
)


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None when empty."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank: the ceil(0.9 n)-th smallest value."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _ratio(part: float, whole: float) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def size_bucket(lines: int) -> str:
    """The size bucket of a lane of ``lines`` changed lines."""
    for name, bound in SIZE_BUCKETS:
        if bound is None or lines <= bound:
            return name
    raise AssertionError("the last bucket has no bound")


@dataclass
class Metrics:
    """The computed metrics, ready for JSON, CSV, text and the HTML report."""

    window: str
    lanes: list[str]
    cycle_time: dict[str, Any]
    merge_conflict_rate: dict[str, Any]
    gate_pass_ratio: dict[str, Any]
    approval_blocks: dict[str, Any]
    rework: dict[str, Any]
    lane_size: dict[str, Any]
    hotspot_contention: dict[str, Any]
    waves: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "waves": self.waves,
            "lanes": self.lanes,
            "cycle_time": self.cycle_time,
            "merge_conflict_rate": self.merge_conflict_rate,
            "gate_pass_ratio": self.gate_pass_ratio,
            "approval_blocks": self.approval_blocks,
            "rework": self.rework,
            "lane_size": self.lane_size,
            "hotspot_contention": self.hotspot_contention,
        }

    def headline(self) -> dict[str, float | None]:
        """The five runbook metrics as one number each (for tables, CSV and trends)."""
        gates = self.gate_pass_ratio["overall"]
        return {
            "cycle_time_median_seconds": self.cycle_time["median_seconds"],
            "merge_conflict_rate": self.merge_conflict_rate["rate"],
            "gate_pass_ratio": gates["by_runs"],
            "escalations_per_lane": self.approval_blocks["per_lane"],
            "rework_ratio": self.rework["lines_ratio"],
        }


def _select(facts: HistoryFacts, window: Window, at: datetime) -> tuple[HistoryFacts, set[str]]:
    """The facts inside ``window`` and the lanes they concern."""
    if window.wave is not None:
        integrations = [f for f in facts.integrations if f.wave == window.wave]
        lanes = {f.lane for f in integrations}
        return (
            HistoryFacts(
                starts=[s for s in facts.starts if s.lane in lanes],
                integrations=integrations,
                gate_runs=[g for g in facts.gate_runs if g.lane in lanes],
                escalations=[e for e in facts.escalations if e.lane in lanes],
                holds=[h for h in facts.holds if h.lane in lanes],
                handoffs={k: v for k, v in facts.handoffs.items() if k in lanes},
                rewrites=facts.rewrites,
            ),
            lanes,
        )
    since = window.since
    if since is None:
        lanes = {s.lane for s in facts.starts} | {f.lane for f in facts.integrations}
        return facts, lanes
    starts = [s for s in facts.starts if s.acquired >= since]
    integrations = [f for f in facts.integrations if f.applied >= since]
    selected = HistoryFacts(
        starts=starts,
        integrations=integrations,
        gate_runs=[g for g in facts.gate_runs if g.time >= since],
        escalations=[e for e in facts.escalations if e.requested >= since],
        holds=[h for h in facts.holds if (h.end or at) >= since],
        handoffs={k: [t for t in v if t >= since] for k, v in facts.handoffs.items()},
        rewrites=facts.rewrites,
    )
    return selected, {s.lane for s in starts} | {f.lane for f in integrations}


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def _cycle_time(facts: HistoryFacts) -> dict[str, Any]:
    acquired: dict[str, datetime] = {}
    for start in facts.starts:
        acquired[start.lane] = min(start.acquired, acquired.get(start.lane, start.acquired))
    integrated: dict[str, datetime] = {}
    for fact in facts.integrations:
        if fact.outcome == "integrated":
            integrated[fact.lane] = max(fact.applied, integrated.get(fact.lane, fact.applied))
    per_lane = {
        lane: _seconds(integrated[lane] - acquired[lane])
        for lane in sorted(integrated)
        if lane in acquired
    }
    values = list(per_lane.values())
    return {
        "lanes": len(values),
        "median_seconds": median(values),
        "p90_seconds": p90(values),
        "per_lane_seconds": per_lane,
    }


def _integrated_lanes(facts: HistoryFacts) -> set[str]:
    return {f.lane for f in facts.integrations if f.outcome == "integrated"}


def _conflicted_lanes(facts: HistoryFacts) -> set[str]:
    return {f.lane for f in facts.integrations if f.reason == "conflict"}


def _conflict_rate(facts: HistoryFacts) -> dict[str, Any]:
    integrated = _integrated_lanes(facts)
    conflicted = _conflicted_lanes(facts)
    return {
        "conflicted_lanes": sorted(conflicted),
        "integrated_lanes": len(integrated),
        "rate": _ratio(len(conflicted), len(integrated)),
    }


def _gate_counts(runs: Iterable[GateRun]) -> dict[str, Any]:
    runs = list(runs)
    passed = sum(1 for r in runs if r.status == "passed")
    latest: dict[str, GateRun] = {}
    for run in sorted(runs, key=lambda r: r.time):
        latest[run.tree] = run
    trees_passed = sum(1 for r in latest.values() if r.status == "passed")
    return {
        "runs": len(runs),
        "runs_passed": passed,
        "runs_failed": sum(1 for r in runs if r.status == "failed"),
        "runs_narrowed": sum(1 for r in runs if r.status == "narrowed"),
        "by_runs": _ratio(passed, len(runs)),
        "trees": len(latest),
        "trees_passed": trees_passed,
        "by_trees": _ratio(trees_passed, len(latest)),
    }


def _gate_ratio(facts: HistoryFacts) -> dict[str, Any]:
    gates = sorted({r.gate for r in facts.gate_runs})
    per_gate = {g: _gate_counts(r for r in facts.gate_runs if r.gate == g) for g in gates}
    overall = {
        "runs": sum(c["runs"] for c in per_gate.values()),
        "runs_passed": sum(c["runs_passed"] for c in per_gate.values()),
        "trees": sum(c["trees"] for c in per_gate.values()),
        "trees_passed": sum(c["trees_passed"] for c in per_gate.values()),
    }
    overall["by_runs"] = _ratio(overall["runs_passed"], overall["runs"])
    overall["by_trees"] = _ratio(overall["trees_passed"], overall["trees"])
    return {"per_gate": per_gate, "overall": overall}


def _approval_blocks(facts: HistoryFacts, lanes: set[str], at: datetime) -> dict[str, Any]:
    per_lane: dict[str, dict[str, Any]] = {}
    total_blocked = 0.0
    for escalation in sorted(facts.escalations, key=lambda e: e.number):
        until = escalation.answered or at
        blocked = max(0.0, _seconds(until - escalation.requested))
        row = per_lane.setdefault(escalation.lane, {"escalations": 0, "blocked_seconds": 0.0})
        row["escalations"] += 1
        row["blocked_seconds"] += blocked
        total_blocked += blocked
    count = len(facts.escalations)
    return {
        "escalations": count,
        "pending": sum(1 for e in facts.escalations if e.answered is None),
        "lanes": len(lanes),
        "per_lane": _ratio(count, len(lanes)),
        "blocked_seconds": total_blocked,
        "by_lane": dict(sorted(per_lane.items())),
    }


def _window_end_run(facts: HistoryFacts) -> str | None:
    """The run of the window's last integration outcome: where its history ends."""
    if not facts.integrations:
        return None
    return max(facts.integrations, key=lambda f: (f.wave, f.applied, f.run)).run


def _rework(facts: HistoryFacts, lanes: set[str]) -> dict[str, Any]:
    reopened = {f.lane for f in facts.integrations if f.outcome in ("reopened", "reverted")}
    reopened |= {lane for lane, times in facts.handoffs.items() if len(times) > 1 and lane in lanes}
    integrated = [f for f in facts.integrations if f.outcome == "integrated"]
    integrated_lines = sum(f.lines for f in integrated)
    reverted_lines = sum(f.lines for f in facts.integrations if f.outcome == "reverted")
    end = _window_end_run(facts)
    measured = {(r.lane, r.run): r.lines for r in facts.rewrites if r.end_run == end}
    rewritten: dict[str, int] = {}
    unmeasured: set[str] = set()
    for fact in integrated:
        lines = measured.get((fact.lane, fact.run))
        if lines is None:
            unmeasured.add(fact.lane)
        else:
            rewritten[fact.lane] = rewritten.get(fact.lane, 0) + lines
    rewritten_lines = sum(rewritten.values())
    return {
        "reopened_lanes": sorted(reopened),
        "lanes": len(lanes),
        "reopened_ratio": _ratio(len(reopened), len(lanes)),
        "lines_integrated": integrated_lines,
        "lines_reverted": reverted_lines,
        "lines_rewritten": rewritten_lines,
        "rewritten_by_lane": {lane: n for lane, n in sorted(rewritten.items()) if n},
        "rewrites_unmeasured_lanes": sorted(unmeasured),
        "lines_ratio": _ratio(reverted_lines + rewritten_lines, integrated_lines),
    }


def _lane_size(facts: HistoryFacts, cycle: dict[str, Any]) -> dict[str, Any]:
    size: dict[str, tuple[int, int]] = {}
    for fact in sorted(facts.integrations, key=lambda f: f.applied):
        if fact.outcome == "integrated":
            size[fact.lane] = (fact.files, fact.lines)  # the size that finally landed
    conflicted = _conflicted_lanes(facts)
    per_cycle: dict[str, float] = cycle["per_lane_seconds"]
    rows: list[dict[str, Any]] = [
        {
            "lane": lane,
            "files": files,
            "lines": lines,
            "cycle_seconds": per_cycle.get(lane),
            "conflicted": lane in conflicted,
        }
        for lane, (files, lines) in sorted(size.items())
    ]
    buckets = []
    for name, _ in SIZE_BUCKETS:
        members = [r for r in rows if size_bucket(r["lines"]) == name]
        times = [r["cycle_seconds"] for r in members if r["cycle_seconds"] is not None]
        buckets.append(
            {
                "bucket": name,
                "lanes": len(members),
                "median_cycle_seconds": median(times),
                "conflict_rate": _ratio(sum(1 for r in members if r["conflicted"]), len(members)),
            }
        )
    return {"per_lane": rows, "buckets": buckets}


def _hotspots(facts: HistoryFacts, at: datetime, since: datetime | None) -> dict[str, Any]:
    found: dict[str, dict[str, Any]] = {}
    # ties (locks taken within the same second): the ended hold came first
    for hold in sorted(facts.holds, key=lambda h: (h.start, h.end is None, h.lane)):
        start = max(hold.start, since) if since else hold.start
        held = max(0.0, _seconds((hold.end or at) - start))
        for hotspot in hold.hotspots:
            row = found.setdefault(
                hotspot, {"holds": 0, "lanes": [], "held_seconds": 0.0, "holders": []}
            )
            row["holds"] += 1
            row["held_seconds"] += held
            if hold.lane not in row["lanes"]:
                row["lanes"].append(hold.lane)
            row["holders"].append(hold.lane)
    for row in found.values():
        row["contended"] = len(row["lanes"]) > 1
    return dict(sorted(found.items()))


def compute(facts: HistoryFacts, window: Window, at: datetime) -> Metrics:
    """The metrics of the facts in ``window``; ``at`` ends open intervals (a pending request)."""
    selected, lanes = _select(facts, window, at)
    cycle = _cycle_time(selected)
    return Metrics(
        window=window.describe(),
        waves=sorted({f.wave for f in selected.integrations}),
        lanes=sorted(lanes),
        cycle_time=cycle,
        merge_conflict_rate=_conflict_rate(selected),
        gate_pass_ratio=_gate_ratio(selected),
        approval_blocks=_approval_blocks(selected, lanes, at),
        rework=_rework(selected, lanes),
        lane_size=_lane_size(selected, cycle),
        hotspot_contention=_hotspots(selected, at, window.since),
    )
