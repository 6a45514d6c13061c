"""Lanes from assignment to handoff: the records each one leaves, and its state.

A lane is a lock plus what its orchestrator and its worker record beside it:

- the *lane record*, written once by ``lane start``: the acceptance criteria,
  the base commit, the mode, and (worktree mode) the branch and worktree;
- *checkpoints* ``CP-NN`` (runbook §10), written by the worker;
- *requests*: escalations of a permission-gated command (runbook §9), decided
  by the orchestrator in the audit log;
- *handoffs*: the record that proves the lane done (runbook §7, §15).

A lane's state is never stored: :func:`lane_state` derives it from these
records, the registry and git, so no fact lives in two places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from lanewarden.domain.times import format_time, parse_time

__all__ = [
    "DECISION_KIND",
    "STATES",
    "Checkpoint",
    "Decision",
    "Handoff",
    "LaneFacts",
    "LaneRecord",
    "LaneState",
    "Request",
    "checkpoint_id",
    "decisions",
    "lane_state",
]

LaneState = Literal[
    "assigned", "working", "blocked", "handed-off", "integrated", "reopened", "abandoned"
]
STATES: tuple[LaneState, ...] = (
    "assigned",
    "working",
    "blocked",
    "handed-off",
    "integrated",
    "reopened",
    "abandoned",
)


# The audit-log entry that answers a request.
DECISION_KIND = "request-decision"


def checkpoint_id(number: int) -> str:
    """``CP-01``, ``CP-02``, ... (three digits from 100 on)."""
    return f"CP-{number:02d}"


def _texts(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ValueError(f"expected a list, got {raw!r}")
    return tuple(str(item) for item in raw)


def _optional(raw: Any) -> str | None:
    return None if raw is None else str(raw)


@dataclass(frozen=True)
class LaneRecord:
    """What ``lane start`` records beside the lock: criteria, base, where the lane works.

    The objective, the owner and the scope stay in the lock table only.
    """

    lane_id: str
    started: datetime  # the lock's start: which lock of that id is the lane's
    base: str
    target: str
    mode: str
    criteria: tuple[str, ...] = ()
    branch: str | None = None
    worktree: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as stored."""
        return {
            "lane_id": self.lane_id,
            "started": format_time(self.started),
            "base": self.base,
            "target": self.target,
            "mode": self.mode,
            "criteria": list(self.criteria),
            "branch": self.branch,
            "worktree": self.worktree,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LaneRecord:
        """Read a stored record; ``ValueError``/``KeyError`` when malformed."""
        return cls(
            lane_id=str(data["lane_id"]),
            started=parse_time(str(data["started"])),
            base=str(data["base"]),
            target=str(data["target"]),
            mode=str(data["mode"]),
            criteria=_texts(data.get("criteria", [])),
            branch=_optional(data.get("branch")),
            worktree=_optional(data.get("worktree")),
        )


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint of a lane (runbook §10), with an optional failure note."""

    lane_id: str
    number: int
    time: datetime
    done: tuple[str, ...]
    pending: tuple[str, ...]
    blockers: tuple[str, ...]
    next: str
    head: str | None = None
    failure: str | None = None
    remediation: str | None = None

    @property
    def id(self) -> str:
        """``CP-NN``."""
        return checkpoint_id(self.number)

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as stored and as ``--json`` prints it."""
        return {
            "lane_id": self.lane_id,
            "checkpoint_id": self.id,
            "number": self.number,
            "time": format_time(self.time),
            "done": list(self.done),
            "pending": list(self.pending),
            "blockers": list(self.blockers),
            "next": self.next,
            "head": self.head,
            "failure": self.failure,
            "remediation": self.remediation,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Read a stored checkpoint; ``ValueError``/``KeyError`` when malformed."""
        return cls(
            lane_id=str(data["lane_id"]),
            number=int(data["number"]),
            time=parse_time(str(data["time"])),
            done=_texts(data["done"]),
            pending=_texts(data["pending"]),
            blockers=_texts(data.get("blockers", [])),
            next=str(data["next"]),
            head=_optional(data.get("head")),
            failure=_optional(data.get("failure")),
            remediation=_optional(data.get("remediation")),
        )


@dataclass(frozen=True)
class Decision:
    """The orchestrator's answer to a request, as the audit log records it."""

    request: int
    granted: bool
    time: datetime
    by: str
    reason: str = ""
    expires: datetime | None = None

    def usable(self, at: datetime) -> bool:
        """A grant still within its lifetime."""
        return self.granted and self.expires is not None and at < self.expires

    def to_json(self, at: datetime) -> dict[str, Any]:
        return {
            "decision": "granted" if self.granted else "denied",
            "time": format_time(self.time),
            "by": self.by,
            "reason": self.reason,
            "expires": format_time(self.expires) if self.expires else None,
            "expired": self.granted and not self.usable(at),
        }


def decisions(bodies: Sequence[Mapping[str, Any]]) -> dict[int, Decision]:
    """The first answer to each request among the audit log's entries."""
    found: dict[int, Decision] = {}
    for body in bodies:
        if body.get("kind") != DECISION_KIND:
            continue
        try:
            number = int(body["request"])
            expires = body.get("expires")
            decision = Decision(
                request=number,
                granted=body["decision"] == "granted",
                time=parse_time(str(body["time"])),
                by=str(body.get("by", "")),
                reason=str(body.get("reason", "")),
                expires=parse_time(str(expires)) if expires else None,
            )
        except (KeyError, TypeError, ValueError):
            continue  # not an answer lanewarden wrote: it answers nothing
        found.setdefault(number, decision)
    return found


@dataclass(frozen=True)
class Request:
    """A worker's escalation: a blocked command and the approval it needs (runbook §9)."""

    number: int
    lane_id: str
    time: datetime
    command: str
    scope: str  # the exact command prefix the approval covers
    reason: str
    checkpoint: str | None = None  # where the lane stands (CP-NN), if it has checkpoints

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.number,
            "lane_id": self.lane_id,
            "time": format_time(self.time),
            "command": self.command,
            "scope": self.scope,
            "reason": self.reason,
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Request:
        return cls(
            number=int(data["request"]),
            lane_id=str(data["lane_id"]),
            time=parse_time(str(data["time"])),
            command=str(data["command"]),
            scope=str(data["scope"]),
            reason=str(data["reason"]),
            checkpoint=_optional(data.get("checkpoint")),
        )

    def failure_lines(self, decision: Decision | None) -> list[str]:
        """The runbook's failure/remediation template, filled in."""
        where = (
            f"at checkpoint {self.checkpoint}" if self.checkpoint else "before its first checkpoint"
        )
        if decision is None:
            remediation = "pending: awaiting the orchestrator's decision"
        elif decision.granted:
            until = format_time(decision.expires) if decision.expires else "?"
            remediation = (
                f"approval granted by {decision.by} until {until}; the orchestrator runs the "
                "command or the lane resumes from its last checkpoint"
            )
        else:
            why = f": {decision.reason}" if decision.reason else ""
            remediation = f"approval denied by {decision.by}{why}"
        return [
            f"Failure: permission denied for {self.scope}",
            f"Impact: lane {self.lane_id} blocked {where}",
            f"Requested approval: {self.scope}",
            f"Remediation: {remediation}",
        ]


@dataclass(frozen=True)
class Handoff:
    """A lane's handoff record (runbook §15), filled from facts."""

    lane_id: str
    number: int
    time: datetime
    commit: str
    tree: str
    checkpoint: str | None
    objective: str
    files: tuple[str, ...]
    acceptance: tuple[str, ...]
    commands: tuple[str, ...]
    result: str
    risks: str = "none"
    next: str = "integrator apply + full wave gate"

    def to_json(self) -> dict[str, Any]:
        return {
            "lane_id": self.lane_id,
            "handoff": self.number,
            "time": format_time(self.time),
            "commit": self.commit,
            "tree": self.tree,
            "checkpoint": self.checkpoint,
            "objective": self.objective,
            "files": list(self.files),
            "acceptance": list(self.acceptance),
            "commands": list(self.commands),
            "result": self.result,
            "risks": self.risks,
            "next": self.next,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Handoff:
        return cls(
            lane_id=str(data["lane_id"]),
            number=int(data["handoff"]),
            time=parse_time(str(data["time"])),
            commit=str(data["commit"]),
            tree=str(data["tree"]),
            checkpoint=_optional(data.get("checkpoint")),
            objective=str(data.get("objective", "")),
            files=_texts(data.get("files", [])),
            acceptance=_texts(data.get("acceptance", [])),
            commands=_texts(data.get("commands", [])),
            result=str(data.get("result", "")),
            risks=str(data.get("risks", "none")),
            next=str(data.get("next", "")),
        )

    def markdown(self) -> str:
        """The runbook's Lane Handoff template, filled in."""
        lines = [
            f"Lane: {self.lane_id}",
            f"Checkpoint: {self.checkpoint or 'none'}",
            f"Objective: {self.objective}",
            f"Files: {', '.join(self.files) or 'none'}",
            "Acceptance:",
            *(f"- [x] {criterion}" for criterion in self.acceptance),
            "Architecture Compliance: no cross-layer boundary violations",
            "Doc/Comment Compliance: updated for touched declarations/non-obvious logic",
            f"Commands: {'; '.join(self.commands) or 'none'}",
            f"Result: {self.result}",
            f"Risks: {self.risks}",
            f"Next: {self.next}",
            f"Commit: {self.commit}",
            f"Tree: {self.tree}",
        ]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LaneFacts:
    """Everything recorded about one lane, from which its state follows."""

    record: LaneRecord
    live: bool  # its lock is still in the lock table
    tip: str  # the lane's latest commit (its base while it has none)
    checkpoints: Sequence[Checkpoint] = ()
    requests: Sequence[Request] = ()
    decisions: Mapping[int, Decision] = field(default_factory=dict)
    handoffs: Sequence[Handoff] = ()
    heartbeat: datetime | None = None  # a worker's heartbeat file, if any
    tip_in_target: bool = False  # the target branch contains the lane's tip
    failures: Sequence[datetime] = ()  # when `integrate` sent the lane back, oldest first
    integrated_by_run: bool = False  # the latest integration run lists it as integrated

    @property
    def pending(self) -> list[Request]:
        """Requests nobody has answered yet."""
        return [r for r in self.requests if r.number not in self.decisions]

    @property
    def last_handoff(self) -> Handoff | None:
        return self.handoffs[-1] if self.handoffs else None


def lane_state(facts: LaneFacts) -> LaneState:
    """The lane's state, from its recorded facts (each state is defined in docs/lanes.md)."""
    handoff = facts.last_handoff
    if facts.integrated_by_run:
        return "integrated"
    if not facts.live:
        integrated = handoff is not None and handoff.commit == facts.tip and facts.tip_in_target
        return "integrated" if integrated else "abandoned"
    if facts.pending:
        return "blocked"
    if handoff is not None:
        later = [c for c in facts.checkpoints if c.time > handoff.time]
        sent_back = any(at > handoff.time for at in facts.failures)
        if later or sent_back or facts.tip != handoff.commit:
            return "reopened"
        if facts.record.mode == "worktrees" and facts.tip_in_target:
            return "integrated"
        return "handed-off"
    started = facts.tip != facts.record.base or facts.checkpoints or facts.heartbeat is not None
    return "working" if started else "assigned"
