"""``lanewarden lane start`` and ``lane finish``: the orchestrator makes and ends lanes.

``lane start`` acquires the lane's lock through the same code as ``lock
acquire``, records its acceptance criteria and base commit and, in worktree
mode, creates branch ``lane/<id>`` and its linked worktree; a failing step
undoes the ones before it. ``lane finish`` removes the worktree, deletes the
branch (an unmerged one only with ``--force``, which is audited) and
releases the lock.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.adapters.git import Repo
from lanewarden.adapters.lane_git import (
    add_worktree,
    branch_ref,
    create_branch,
    delete_branch,
    remove_worktree,
    target_commit,
    worktree_path,
)
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_facts import (
    caller,
    clean_text,
    lane_id_argument,
    lane_view,
    refuse_released,
)
from lanewarden.cli.lane_ledger import fold_ledger, refuse_tampered_ledger
from lanewarden.cli.lane_sharing import share_lane_record
from lanewarden.cli.lock import take_lock
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.lanes import LaneRecord
from lanewarden.domain.registry import LockRegistry, shell_quote
from lanewarden.domain.times import format_time, now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["finish", "start"]


def start(args: argparse.Namespace) -> int:
    """Acquire the lane's lock and record its criteria; in worktree mode, its branch and tree."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    refused = ctx.refuse_unless_ledger_writer("start lanes", "lane start", as_json=args.json)
    if refused is not None:
        return refused
    store = LaneStore(ctx.repo)
    if store.read_lane(lane_id) is not None:
        raise InputError(
            f"lane {lane_id} was started before (its records are kept)",
            hint="choose another lane id; see them with `lanewarden lane list`",
        )
    criteria = [clean_text(c, "--accept") for c in args.accept or []]
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
        store.create_lane(record)  # the last step: when it fails, it wrote nothing
    except BaseException:
        # No half-made lane: undo every step that was done, the lock last.
        for step in reversed(undo):
            with contextlib.suppress(Exception):
                step()
        _drop_lock(ctx, lane_id)
        raise
    share_lane_record(ctx, lane_id)  # for the worker's clone, in remote registry mode
    fold_ledger(ctx, store)
    if path is not None:
        _warn_without_hooks(path)
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


def _warn_without_hooks(worktree: Path) -> None:
    """The worktree shares the repository's hooks: say so when lanewarden's are missing."""
    out = Repo.discover(worktree).git("rev-parse", "--git-path", "hooks")
    folder = Path(os.fsdecode(out).strip())
    hook = folder if folder.is_absolute() else worktree / folder
    try:
        installed = "lanewarden" in (hook / "pre-commit").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        installed = False
    if not installed:
        print(
            "lanewarden: warning: no lanewarden pre-commit hook: the lane's worktree commits "
            "unchecked until `lanewarden hooks install`",
            file=sys.stderr,
        )


def _drop_lock(ctx: Context, lane_id: str) -> None:
    """Take a lock that a failed ``lane start`` acquired out of the table, without history."""
    with RegistryStore(ctx.repo, ctx.config).transaction() as tx:
        tx.registry = LockRegistry(
            locks=tuple(lock for lock in tx.registry.locks if lock.lock_id != lane_id),
            history=tx.registry.history,
        )


def finish(args: argparse.Namespace) -> int:
    """Remove the worktree, delete the merged branch, release the lock (the orchestrator)."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    refused = ctx.refuse_unless_ledger_writer("finish lanes", "lane finish", as_json=args.json)
    if refused is not None:
        return refused
    refuse_tampered_ledger(ctx)  # before the worktree and branch go: nothing half done
    store, lane = lane_view(ctx, lane_id)
    record = lane.record
    has_worktree = record.worktree is not None and os.path.isdir(record.worktree)
    has_branch = bool(
        ctx.repo.git("rev-parse", "--verify", "--quiet", branch_ref(lane_id), ok_codes=(0, 1))
    )
    if not (has_worktree or has_branch):
        # Its lock already released elsewhere (`lock release`), a lane is finished once
        # nothing of it is left; otherwise finish cleans up what remains.
        refused = refuse_released(lane, "finish", args.json)
        if refused is not None:
            return refused
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
    if has_worktree and record.worktree is not None:
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
                    "by": caller(ctx),
                    "reason": "lane finish --force deleted an unmerged branch",
                }
            )
        if has_branch:
            delete_branch(ctx.repo, lane_id)
    at = now()
    if lane.lock is not None:
        with RegistryStore(ctx.repo, ctx.config).transaction() as tx:
            if tx.registry.get(lane_id) is not None:
                tx.registry = tx.registry.released(lane_id, at)
    fold_ledger(ctx, store)
    _, after = lane_view(ctx, lane_id)
    if args.json:
        emit_json({"ok": True, "lane_id": lane_id, "state": after.state, "forced": bool(unmerged)})
    else:
        print(f"finished lane {lane_id}: {after.state}; lock released")
    return 0
