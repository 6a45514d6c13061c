"""``lanewarden lane``: checkpoint, resume and list lanes.

A lane's worker checkpoints it and resumes it from its records, writing only
files of its own in the common git dir (the ledger has one writer). The
orchestrator's ``lane start`` and ``lane finish`` are in
:mod:`lanewarden.cli.lane_lifecycle`; ``lane brief`` and ``lane handoff`` in
their own modules.
"""

from __future__ import annotations

import argparse
from typing import Any

from lanewarden.adapters.lane_git import (
    subject,
)
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_facts import (
    LaneView,
    clean_text,
    known_lane,
    lane_id_argument,
    lane_view,
    read_decisions,
    refuse_foreign,
    refuse_released,
    time_text,
    view,
)
from lanewarden.cli.lane_sharing import share_worker_state
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.lanes import Checkpoint
from lanewarden.domain.registry import expired_violation
from lanewarden.domain.times import format_time, now
from lanewarden.errors import InputError

__all__ = ["checkpoint", "list_lanes", "resume"]


def checkpoint(args: argparse.Namespace) -> int:
    """Record checkpoint CP-NN for the lane (its worker); it counts as a heartbeat."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    next_command = args.next.strip()
    if not next_command:
        raise InputError("--next must name the next command to run", hint='--next "pytest -q"')
    refused = refuse_foreign(ctx, lane_id, "lane checkpoint", args.json)
    if refused is not None:
        return refused
    store, lane = lane_view(ctx, lane_id)
    refused = refuse_released(lane, "checkpoint", args.json)
    if refused is not None:
        return refused
    lock = lane.lock
    assert lock is not None
    at = now()
    if lock.status(at, ctx.config.heartbeat_stale_after) == "expired":
        return report([expired_violation(lock)], as_json=args.json, ok_text="")
    failure = " ".join((args.failure or "").split()) or None
    remediation = " ".join((args.remediation or "").split()) or None
    if remediation and not failure:
        raise InputError("--remediation goes with --failure (the failure it remedies)")

    def make(number: int) -> Checkpoint:
        return Checkpoint(
            lane_id=lane_id,
            number=number,
            time=at,
            done=tuple(clean_text(d, "--done") for d in args.done or []),
            pending=tuple(clean_text(p, "--pending") for p in args.pending or []),
            blockers=tuple(clean_text(b, "--blocker") for b in args.blocker or []),
            next=next_command,
            head=lane.facts.tip,
            failure=failure,
            remediation=remediation,
        )

    made = store.add_checkpoint(lane_id, make)
    # A checkpoint is also a heartbeat: the worker is alive and working.
    heartbeats = RegistryStore(ctx.repo, ctx.config).heartbeats
    heartbeats.write(lock, at, max(at + ctx.config.lock_ttl, lock.expires))
    share_worker_state(ctx, lane_id)
    if args.json:
        emit_json({"ok": True, "checkpoint": made.to_json()})
    else:
        print(f"checkpoint {made.id} of lane {lane_id} recorded at {format_time(at)} (heartbeat)")
    return 0


def _request_json(lane: LaneView) -> list[dict[str, Any]]:
    rows = []
    at = now()
    for request in lane.facts.requests:
        decision = lane.facts.decisions.get(request.number)
        status = "pending" if decision is None else ("granted" if decision.granted else "denied")
        if decision is not None and decision.granted and not decision.usable(at):
            status = "expired"
        rows.append(
            {
                **request.to_json(),
                "status": status,
                "decision": decision.to_json(at) if decision else None,
                "failure": request.failure_lines(decision),
            }
        )
    return rows


def _lane_json(lane: LaneView) -> dict[str, Any]:
    record = lane.record
    last = lane.last_checkpoint
    return {
        "lane_id": record.lane_id,
        "state": lane.state,
        "owner": lane.owner,
        "objective": lane.objective,
        "mode": record.mode,
        "branch": record.branch,
        "worktree": record.worktree,
        "base": record.base,
        "tip": lane.facts.tip,
        "started": format_time(record.started),
        "age_seconds": int((now() - record.started).total_seconds()),
        "last_checkpoint": last.to_json() if last else None,
        "heartbeat": format_time(lane.facts.heartbeat) if lane.facts.heartbeat else None,
        "evidence": lane.evidence_json(),
        "pending_requests": [r.number for r in lane.facts.pending],
        "handoffs": len(lane.facts.handoffs),
    }


def _age(seconds: int) -> str:
    minutes = seconds // 60
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def list_lanes(args: argparse.Namespace) -> int:
    """Every lane with its state, age, last checkpoint or heartbeat, and evidence."""
    ctx = Context.load()
    store = LaneStore(ctx.repo)
    registry = RegistryStore(ctx.repo, ctx.config).read()
    answered = read_decisions(ctx)
    lanes = [view(ctx, store, known_lane(store, i), registry, answered) for i in store.lane_ids()]
    rows = [_lane_json(lane) for lane in lanes]
    if args.json:
        emit_json({"ok": True, "lanes": rows})
        return 0
    if not rows:
        print("no lanes")
    for row, lane in zip(rows, lanes, strict=True):
        last = lane.last_checkpoint
        seen = (
            f"{last.id} at {format_time(last.time)}"
            if last
            else f"heartbeat {time_text(lane.facts.heartbeat)}"
        )
        pending = "".join(f"\trequest {n} pending" for n in row["pending_requests"])
        print(
            f"{row['lane_id']}\t{row['state']}\t{row['owner']}\t{_age(row['age_seconds'])}\t"
            f"{seen}\t{lane.evidence_text()}{pending}"
        )
    return 0


def resume(args: argparse.Namespace) -> int:
    """What a restarted worker needs: last checkpoint, failures, commits, evidence."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    store, lane = lane_view(ctx, lane_id)
    last = lane.last_checkpoint
    sent_back = store.failures(lane_id)  # written by `lanewarden integrate`
    failures = [
        {
            "checkpoint": c.id,
            "failure": c.failure,
            "remediation": c.remediation,
        }
        for c in lane.facts.checkpoints
        if c.failure
    ]
    requests = _request_json(lane)
    commits = [{"commit": c.sha, "subject": subject(ctx.repo, c.sha)} for c in lane.commits]
    body = {
        **_lane_json(lane),
        "failures": failures,
        "integration_failures": sent_back,
        "requests": requests,
        "commits": commits,
    }
    if args.json:
        emit_json({"ok": True, **body})
        return 0
    print(f"lane {lane_id} ({lane.state}): {lane.objective}")
    if lane.scope is not None:
        print(f"  scope: {', '.join(lane.scope.texts())}")
    if last is None:
        print("  no checkpoint yet: start from the lane's brief (`lanewarden lane brief ...`)")
    else:
        print(f"  last checkpoint {last.id} at {format_time(last.time)}")
        print(f"    done: {'; '.join(last.done) or 'none'}")
        print(f"    pending: {'; '.join(last.pending) or 'none'}")
        print(f"    blockers: {'; '.join(last.blockers) or 'none'}")
        print(f"    next: {last.next}")
    for failure in failures:
        fix = failure["remediation"] or "no remediation recorded"
        print(f"  failure at {failure['checkpoint']}: {failure['failure']} -> {fix}")
    for record in sent_back:
        print(f"  sent back by integration run {record.get('run')} ({record.get('failure')}):")
        for key in ("signature", "impact", "remediation"):
            print(f"    {key.capitalize()}: {record.get(key, '')}")
    for request in requests:
        print(f"  request {request['request']} ({request['status']}): {request['command']}")
        for line in request["failure"]:
            print(f"    {line}")
    print(f"  commits since base {lane.record.base[:12]}: {len(commits)}")
    for commit in commits:
        print(f"    {commit['commit'][:12]} {commit['subject']}")
    tree = lane.tree[:12] if lane.tree else "(gone)"
    print(f"  evidence for tree {tree}: {lane.evidence_text()}")
    return 0
