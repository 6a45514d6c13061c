"""What every lane command reads first: the lane's records, lock, commits and evidence."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.adapters.evidence_store import read_evidence
from lanewarden.adapters.integration_store import integrated_by_run
from lanewarden.adapters.lane_git import contains, lane_commits, lane_tip, tree_of
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.output import report
from lanewarden.domain.evidence import Evidence, latest_by_gate
from lanewarden.domain.lanes import (
    Checkpoint,
    Decision,
    LaneFacts,
    LaneRecord,
    LaneState,
    decisions,
    lane_state,
)
from lanewarden.domain.locks import Lock, check_lock_id
from lanewarden.domain.push_check import PushedCommit
from lanewarden.domain.registry import LockRegistry, shell_quote
from lanewarden.domain.scopes import Scope
from lanewarden.domain.times import format_time, parse_time
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = [
    "LaneView",
    "caller",
    "clean_text",
    "known_lane",
    "lane_id_argument",
    "lane_view",
    "read_decisions",
    "refuse_foreign",
    "refuse_released",
    "time_text",
    "view",
]


def clean_text(text: str, what: str) -> str:
    """``text`` on one line, spaces collapsed; empty text is an input error naming ``what``."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InputError(f"{what} must not be empty")
    return cleaned


def caller(ctx: Context) -> str:
    """Who is acting, for the audit log: the role and git's user email."""
    email = os.fsdecode(ctx.repo.git("config", "user.email", ok_codes=(0, 1))).strip()
    return f"{ctx.identity.role} {email or os.environ.get('USER', '') or 'unknown'}"


def lane_id_argument(text: str) -> str:
    """A well-formed lane id (it names files), else an input error."""
    try:
        return check_lock_id(text)
    except ValueError as e:
        raise InputError(str(e).replace("lock id", "lane id")) from None


def known_lane(store: LaneStore, lane_id: str) -> LaneRecord:
    """The lane's record; an unknown lane is an input error with the fix."""
    record = store.read_lane(lane_id)
    if record is None:
        raise InputError(
            f"unknown lane: {lane_id} was never started with `lanewarden lane start`",
            hint="see the lanes with `lanewarden lane list`; with a remote registry, "
            "`lanewarden sync` first brings the lanes started on other machines",
        )
    return record


def read_decisions(ctx: Context) -> dict[int, Decision]:
    """Every answered request, from the audit log."""
    return decisions([entry.body for entry in AuditLog(ctx.repo).read()])


@dataclass(frozen=True)
class LaneView:
    """One lane with everything recorded about it."""

    facts: LaneFacts
    lock: Lock | None  # its live lock, None once released
    scope: Scope | None  # its lock's scope (the last one, once released)
    objective: str
    owner: str
    commits: list[PushedCommit]
    tree: str | None  # the tree of the lane's tip (None once that commit is gone)
    evidence: dict[str, Evidence]  # the latest record of each gate for that tree

    @property
    def record(self) -> LaneRecord:
        return self.facts.record

    @property
    def state(self) -> LaneState:
        return lane_state(self.facts)

    @property
    def last_checkpoint(self) -> Checkpoint | None:
        return self.facts.checkpoints[-1] if self.facts.checkpoints else None

    def evidence_json(self) -> dict[str, Any]:
        return {
            "tree": self.tree,
            "gates": {gate: record.status for gate, record in self.evidence.items()},
        }

    def evidence_text(self) -> str:
        if not self.evidence:
            return "no evidence"
        return ", ".join(f"gate {g} {r.status}" for g, r in self.evidence.items())


def view(
    ctx: Context,
    store: LaneStore,
    record: LaneRecord,
    registry: LockRegistry,
    answered: dict[int, Decision],
) -> LaneView:
    """Gather the lane's facts: lock, commits, tip, records, heartbeat, evidence."""
    lock = registry.get(record.lane_id)
    if lock is not None and lock.start < record.started:
        lock = None  # an older lock of that id; a reclaimed lock keeps the lane going
    scope: Scope | None = lock.scope if lock else None
    objective, owner = (lock.objective, lock.owner) if lock else ("", "")
    if lock is None:
        ended = [
            e
            for e in registry.history
            if e.lock.lock_id == record.lane_id and e.lock.start >= record.started
        ]
        if ended:
            last = ended[-1].lock
            scope, objective, owner = last.scope, last.objective, last.owner
    commits = lane_commits(ctx.repo, record)
    handoffs = store.handoffs(record.lane_id)
    tip = lane_tip(ctx.repo, record, commits)
    if tip is None:  # the branch is gone: the lane ended where it was last handed off
        tip = handoffs[-1].commit if handoffs else record.base
    requests = store.requests(record.lane_id)
    beat = RegistryStore(ctx.repo, ctx.config).heartbeats.read(lock) if lock else None
    facts = LaneFacts(
        record=record,
        live=lock is not None,
        tip=tip,
        checkpoints=store.checkpoints(record.lane_id),
        requests=requests,
        decisions={n: d for n, d in answered.items() if any(r.number == n for r in requests)},
        handoffs=handoffs,
        heartbeat=beat[0] if beat else None,
        tip_in_target=contains(ctx.repo, record.target, tip),
        failures=[parse_time(str(f["time"])) for f in store.failures(record.lane_id)],
        integrated_by_run=integrated_by_run(ctx.repo, record.lane_id),
    )
    tree = tree_of(ctx.repo, tip)
    return LaneView(
        facts=facts,
        lock=lock,
        scope=scope,
        objective=objective,
        owner=owner,
        commits=commits,
        tree=tree,
        evidence=latest_by_gate(read_evidence(ctx.repo, tree)) if tree else {},
    )


def lane_view(ctx: Context, lane_id: str) -> tuple[LaneStore, LaneView]:
    """The lane store and the view of one known lane (an unknown one is an input error)."""
    store = LaneStore(ctx.repo)
    record = known_lane(store, lane_id)
    registry = RegistryStore(ctx.repo, ctx.config).read()
    return store, view(ctx, store, record, registry, read_decisions(ctx))


def refuse_foreign(ctx: Context, lane_id: str, command: str, as_json: bool) -> int | None:
    """A worker acts for its own lane only (``command``: ``lane checkpoint``, ``escalate``...)."""
    lane = ctx.identity.lane
    if lane is None or lane == lane_id or ctx.identity.may_write_ledger:
        return None
    violation = Violation(
        rule="foreign-lock",
        lock=lane_id,
        message=f"lane {lane} cannot run {command} for lane {lane_id}: a worker acts for its "
        "own lane",
        fix=f"run it for your own lane (`lanewarden {command} {shell_quote(lane)} ...`)",
    )
    return report([violation], as_json=as_json, ok_text="")


def refuse_released(lane: LaneView, what: str, as_json: bool) -> int | None:
    """Nothing is recorded for a lane whose lock is gone."""
    if lane.lock is not None:
        return None
    lane_id = lane.record.lane_id
    violation = Violation(
        rule="lane-released",
        lock=lane_id,
        message=f"lane {lane_id} is {lane.state}: its lock was released, so it takes no {what}",
        fix="ask the orchestrator for a new lane: `lanewarden lane start NEW-ID --objective ... "
        "--scope ...`",
    )
    return report([violation], as_json=as_json, ok_text="")


def time_text(at: datetime | None) -> str:
    return format_time(at) if at else "never"
