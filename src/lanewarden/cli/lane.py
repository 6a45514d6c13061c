"""``lanewarden lane``: start, checkpoint, resume, list and finish a lane.

The orchestrator starts and finishes lanes (it writes the ledger); a lane's
worker checkpoints it and resumes it from its records, writing only files of
its own in the common git dir (the ledger has one writer). ``lane brief`` and
``lane handoff`` live in their own modules.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.adapters.lane_git import (
    add_worktree,
    branch_ref,
    create_branch,
    delete_branch,
    remove_worktree,
    subject,
    target_commit,
    worktree_path,
)
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_facts import (
    LaneView,
    fold_ledger,
    known_lane,
    lane_id_argument,
    read_decisions,
    refuse_foreign,
    refuse_released,
    time_text,
    view,
)
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.lanes import Checkpoint, LaneRecord
from lanewarden.domain.registry import LockRegistry, expired_violation, shell_quote
from lanewarden.domain.times import format_time, now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["checkpoint", "finish", "list_lanes", "resume", "start"]


def _clean(text: str, what: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InputError(f"{what} must not be empty")
    return cleaned


def _refuse_role(ctx: Context, action: str, as_json: bool) -> int | None:
    if ctx.identity.may_write_ledger:
        return None
    violation = Violation(
        rule="wrong-role",
        message=f"a {ctx.identity.role} cannot {action} lanes: the orchestrator does, as the "
        "ledger's one writer",
        fix=f"ask the orchestrator, or run it as one: `LANEWARDEN_ROLE=orchestrator lanewarden "
        f"lane {action} ...`",
    )
    return report([violation], as_json=as_json, ok_text="")


def start(args: argparse.Namespace) -> int:
    """Acquire the lane's lock and record its criteria; in worktree mode, its branch and tree."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    refused = _refuse_role(ctx, "start", args.json)
    if refused is not None:
        return refused
    store = LaneStore(ctx.repo)
    if store.read_lane(lane_id) is not None:
        raise InputError(
            f"lane {lane_id} was started before (its records are kept)",
            hint="choose another lane id; see them with `lanewarden lane list`",
        )
    criteria = [_clean(c, "--accept") for c in args.accept or []]
    target = ctx.config.target_branch
    base = target_commit(ctx.repo, target)
    worktrees = ctx.config.mode == "worktrees"
    path: Path | None = None
    if worktrees:
        path = worktree_path(ctx.repo, ctx.config.worktree_dir, lane_id)
        if os.path.lexists(path):
            raise InputError(
                "the lane's worktree folder already exists",
                path=str(path),
                hint="remove it, or set `worktree_dir` in the configuration",
            )
        if ctx.repo.git("rev-parse", "--verify", "--quiet", branch_ref(lane_id), ok_codes=(0, 1)):
            raise InputError(
                f"branch lane/{lane_id} already exists",
                hint=f"delete it (`git branch -D lane/{lane_id}`) or choose another lane id",
            )
    patterns = list(args.scope) + [
        p if p.startswith("!") else f"!{p}" for p in args.out_of_scope or []
    ]
    from lanewarden.cli.lock import take_lock

    lock = take_lock(
        ctx,
        lane_id,
        owner=args.owner or lane_id,
        objective=args.objective,
        patterns=patterns,
        ttl=args.ttl,
        as_json=args.json,
    )
    if isinstance(lock, int):
        return lock
    record = LaneRecord(
        lane_id=lane_id,
        owner=lock.owner,
        started=lock.start,
        base=base,
        target=target,
        mode=ctx.config.mode,
        criteria=tuple(criteria),
        branch=f"lane/{lane_id}" if worktrees else None,
        worktree=str(path) if path else None,
    )
    undo: list[Callable[[], None]] = []
    try:
        if path is not None:
            create_branch(ctx.repo, lane_id, base)
            undo.append(lambda: delete_branch(ctx.repo, lane_id))
            add_worktree(ctx.repo, path, lane_id)
            undo.append(lambda: remove_worktree(ctx.repo, path, force=True))
        store.create_lane(record)
    except BaseException:
        # No half-made lane: undo every step that was done, the lock last.
        for step in reversed(undo):
            with contextlib.suppress(Exception):
                step()
        store.remove_lane(lane_id)
        _drop_lock(ctx, lane_id)
        raise
    fold_ledger(ctx, store)
    body = {
        "lane": record.to_json(),
        "lock": lock.to_json(lock.start, ctx.config.heartbeat_stale_after),
    }
    if args.json:
        emit_json({"ok": True, **body})
    else:
        where = f"; worktree {path} on branch lane/{lane_id}" if path else ""
        print(f"started lane {lane_id} for {lock.owner} from {base[:12]}{where}")
        print(f"  brief for its worker: lanewarden lane brief {shell_quote(lane_id)}")
    return 0


def _drop_lock(ctx: Context, lane_id: str) -> None:
    """Take a lock that a failed ``lane start`` acquired out of the table, without history."""
    with RegistryStore(ctx.repo, ctx.config).transaction() as tx:
        tx.registry = LockRegistry(
            locks=tuple(lock for lock in tx.registry.locks if lock.lock_id != lane_id),
            history=tx.registry.history,
        )


def _lane(ctx: Context, lane_id: str) -> tuple[LaneStore, LaneView]:
    store = LaneStore(ctx.repo)
    record = known_lane(store, lane_id)
    registry = RegistryStore(ctx.repo, ctx.config).read()
    return store, view(ctx, store, record, registry, read_decisions(ctx))


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
    store, lane = _lane(ctx, lane_id)
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
            done=tuple(_clean(d, "--done") for d in args.done or []),
            pending=tuple(_clean(p, "--pending") for p in args.pending or []),
            blockers=tuple(_clean(b, "--blocker") for b in args.blocker or []),
            next=next_command,
            head=lane.facts.tip,
            failure=failure,
            remediation=remediation,
        )

    made = store.add_checkpoint(lane_id, make)
    # A checkpoint is also a heartbeat: the worker is alive and working.
    heartbeats = RegistryStore(ctx.repo, ctx.config).heartbeats
    heartbeats.write(lock, at, max(at + ctx.config.lock_ttl, lock.expires))
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
        "owner": lane.lock.owner if lane.lock else record.owner,
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
    _, lane = _lane(ctx, lane_id)
    last = lane.last_checkpoint
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


def finish(args: argparse.Namespace) -> int:
    """Remove the worktree, delete the merged branch, release the lock (the orchestrator)."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    refused = _refuse_role(ctx, "finish", args.json)
    if refused is not None:
        return refused
    store, lane = _lane(ctx, lane_id)
    refused = refuse_released(lane, "finish", args.json)
    if refused is not None:
        return refused
    record = lane.record
    unmerged = list(lane.commits) if record.branch else []
    if unmerged and not args.force:
        violation = Violation(
            rule="branch-delete",
            lock=lane_id,
            message=f"branch {record.branch} has {len(unmerged)} commit(s) that "
            f"{record.target} does not have (last {unmerged[-1].short})",
            fix=f"integrate it first (`git merge {record.branch}`), or abandon the lane: "
            f"`lanewarden lane finish {shell_quote(lane_id)} --force` (recorded in the audit log)",
        )
        return report([violation], as_json=args.json, ok_text="")
    if record.worktree is not None and os.path.isdir(record.worktree):
        remove_worktree(ctx.repo, Path(record.worktree), force=args.force)
    if record.branch is not None:
        if unmerged:
            AuditLog(ctx.repo).append(
                {
                    "kind": "lane-abandoned",
                    "time": format_time(now()),
                    "lane": lane_id,
                    "branch": record.branch,
                    "commit": lane.facts.tip,
                    "by": f"{ctx.identity.role} {os.environ.get('USER', '') or 'unknown'}",
                    "reason": "lane finish --force deleted an unmerged branch",
                }
            )
        if ctx.repo.git("rev-parse", "--verify", "--quiet", branch_ref(lane_id), ok_codes=(0, 1)):
            delete_branch(ctx.repo, lane_id)
    at = now()
    with RegistryStore(ctx.repo, ctx.config).transaction() as tx:
        if tx.registry.get(lane_id) is not None:
            tx.registry = tx.registry.released(lane_id, at)
    fold_ledger(ctx, store)
    _, after = _lane(ctx, lane_id)
    if args.json:
        emit_json({"ok": True, "lane_id": lane_id, "state": after.state, "forced": bool(unmerged)})
    else:
        print(f"finished lane {lane_id}: {after.state}; lock released")
    return 0
