"""After an integration run: the ledger's completion markers and failures, locks, lane cleanup.

The integrator writes the ledger (it is one of its writers): integrated lanes
get a completion entry in a section of their own (``## Completed lanes``),
and each failure record of a lane sent back goes to the Failures section,
both only *inserted* as :mod:`lanewarden.domain.ledger_sections` does. Each
integrated lane's lock is released with the history outcome ``integrated``;
in worktree mode its worktree is removed and its branch deleted (what
``lane finish`` does: a cherry-picked branch is not an ancestor of the
target, so ``lane finish`` itself would take it for unmerged).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lanewarden.adapters.files import atomic_write, exclusive_lock, read_text
from lanewarden.adapters.lane_git import delete_branch, remove_worktree
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_ledger import fold_ledger
from lanewarden.domain.ledger_sections import FAILURES, Entry, fold_entries
from lanewarden.domain.times import now
from lanewarden.errors import InputError

__all__ = ["COMPLETED", "complete_lanes"]

COMPLETED = re.compile(r"completed\b|completion", re.IGNORECASE)


def _failure_entry(failure: dict[str, Any]) -> Entry:
    return Entry(
        key=f"{failure.get('lane_id')} {failure.get('failure')}",
        lines=(
            f"- Failure: {failure.get('signature', '')}",
            f"- Impact: {failure.get('impact', '')}",
            "- Requested approval: none",
            f"- Remediation: {failure.get('remediation', '')}",
        ),
    )


def complete_lanes(ctx: Context, record: dict[str, Any], *, keep: bool) -> dict[str, list[str]]:
    """Markers, failures, locks and cleanup after run ``record``; what was done, per lane."""
    store = LaneStore(ctx.repo)
    integrated = [o for o in record["lanes"] if o["outcome"] == "integrated"]
    sent_back = {o["lane"] for o in record["lanes"] if o["outcome"] != "integrated"}
    done: dict[str, list[str]] = {o["lane"]: [] for o in integrated}
    registry_store = RegistryStore(ctx.repo, ctx.config)
    at = now()
    with registry_store.transaction() as tx:
        for outcome in integrated:
            if tx.registry.get(outcome["lane"]) is not None:
                tx.registry = tx.registry.released(
                    outcome["lane"], at, outcome="integrated", note=f"run {record['run']}"
                )
                done[outcome["lane"]].append("lock released")
    if ctx.config.mode == "worktrees" and not keep:
        for outcome in integrated:
            lane = store.read_lane(outcome["lane"])
            if lane is None:
                continue
            if lane.worktree is not None and Path(lane.worktree).is_dir():
                try:
                    remove_worktree(ctx.repo, Path(lane.worktree), force=False)
                except InputError:  # changes left in it: never thrown away
                    done[outcome["lane"]].append("worktree kept: it has uncommitted changes")
                    continue
                done[outcome["lane"]].append("worktree removed")
            if lane.branch is not None and ctx.repo.git(
                "rev-parse", "--verify", "--quiet", f"refs/heads/{lane.branch}", ok_codes=(0, 1)
            ):
                delete_branch(ctx.repo, outcome["lane"])
                done[outcome["lane"]].append("branch deleted")
    markers = [
        Entry(
            key=f"{o['lane']} integrated",
            lines=(
                f"- run: {record['run']} (wave {record['wave']})",
                f"- time: {record['finished']}",
                f"- target: {record['target']} at {record['end_commit']}",
                f"- commits: {', '.join(c[:12] for c in o['commits']) or 'none'}",
            ),
        )
        for o in integrated
    ]
    failures = [_failure_entry(f) for lane in sorted(sent_back) for f in store.failures(lane)]

    def add_entries(text: str) -> str:
        new = fold_entries(text, COMPLETED, "Completed lanes", markers)
        return fold_entries(new, FAILURES, "Failures and remediation", failures)

    fold_ledger(ctx, store)
    if registry_store.remote:
        # The ledger of record is the remote's: the entries go there (fetch, add, push),
        # never into this clone's copy only, which the next fetch would overwrite.
        from lanewarden.adapters.remote_registry import RemoteRegistry

        message = f"lanewarden ledger: integration run {record['run']}"
        RemoteRegistry(registry_store).edit_text(add_entries, message)
        return done
    path = registry_store.ledger_path
    if path.exists():
        with exclusive_lock(ctx.repo.state_dir / "ledger.lock"):
            text = read_text(path, what="execution ledger")
            new = add_entries(text)
            if new != text:
                atomic_write(path, new)
    return done


def commit_ledger(ctx: Context, run: str, lanes: Sequence[str]) -> str | None:
    """Commit the ledger's new entries on the target branch, so the next run starts clean."""
    ledger = ctx.config.ledger
    if not ctx.repo.git("status", "--porcelain", "--", ledger).strip():
        return None
    ctx.repo.git("add", "--", ledger)
    message = f"Ledger: integration run {run} ({', '.join(lanes) or 'no lane integrated'})"
    ctx.repo.git("commit", "-q", "--no-verify", "-m", message, "--", ledger)
    return ledger
