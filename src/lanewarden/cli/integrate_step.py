"""One lane's step in ``lanewarden integrate``: apply it, gate it, keep it or send it back.

In worktree mode (and for commits the target lacks) the lane is applied and,
on a conflict or a failing gate 2, reset away to the exact tree before it.
In single-branch mode a lane whose commits are on the target already is gated
where it stands and, when it fails, reverted; a revert that conflicts pauses
the run for the integrator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lanewarden.adapters.integration_git import (
    IntegrationGit,
    UndoConflict,
    apply_lane,
    commits_since_base,
    is_ancestor,
    line_counts,
    new_commits,
    revert_lane,
)
from lanewarden.adapters.integration_store import IntegrationStore
from lanewarden.cli.context import Context
from lanewarden.cli.integrate_wave import (
    failing_tests,
    failure_signature,
    reach_of,
    record_step,
    reopen_lane,
    run_gate,
    say,
)
from lanewarden.domain.integration import INTEGRATED, REOPENED
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.times import format_time, now
from lanewarden.domain.violations import Violation

__all__ = ["integrate_lane", "undo_conflict"]


def undo_conflict(state: dict[str, Any], stuck: UndoConflict) -> Violation:
    """The pause: a lane's revert conflicts; the integrator resolves it, then continues."""
    commits = " ".join(c.split()[0] for c in stuck.blockers) or "the later commits"
    return Violation(
        rule="integrate-undo-conflict",
        lock=stuck.lane,
        path=stuck.paths[0],
        message=f"lane {stuck.lane} is sent back, but {stuck.describe()} (commits made "
        "outside its lane, with the hooks skipped)",
        fix=f"revert its commits by hand, resolving {', '.join(stuck.paths)} against "
        f"{commits}, commit with `--trailer {shell_quote('Lane: ' + stuck.lane)} --trailer "
        f"{shell_quote('Integrated-by: ' + state['by'])}`, then `lanewarden integrate --continue` "
        "(or `lanewarden integrate --abort`)",
    )


def integrate_lane(
    ctx: Context,
    git: IntegrationGit,
    store: IntegrationStore,
    state: dict[str, Any],
    item: dict[str, Any],
) -> None:
    """Apply one lane and gate it; a conflict or a failing gate 2 sends it back."""
    lane_id = item["lane"]
    before = git.head()
    state["current"] = {"lane": lane_id, "before": before, "before_tree": git.tree()}
    record_step(state, store, step="start", lane=lane_id, before=before)
    outcome: dict[str, Any] = {
        "lane": lane_id,
        "outcome": INTEGRATED,
        "reason": "",
        "applied": format_time(now()),
        "commits": [],
        "files": item["files"],
        "lines_added": 0,
        "lines_removed": 0,
        "conflict_paths": [],
        "failing_tests": [],
        "revert_commits": [],
        "before": before,
    }
    if state["mode"] != "worktrees" and is_ancestor(git, item["commit"], before):
        _check_in_place(ctx, git, store, state, item, outcome)
        return
    conflicts = apply_lane(git, state, item)
    if conflicts:
        say(f"{lane_id}: conflict in {', '.join(conflicts)}; undone")
        _send_back(ctx, git, state, outcome, "conflict", conflicts, paths=conflicts)
        record_step(state, store, step="apply", lane=lane_id, status="conflict", paths=conflicts)
        return
    after = git.head()
    outcome["commits"] = new_commits(git, before, after)
    added, removed = line_counts(git, before, after)
    outcome["lines_added"], outcome["lines_removed"] = added, removed
    record_step(
        state, store, step="apply", lane=lane_id, status="applied", commits=outcome["commits"]
    )
    result = run_gate(ctx, "2", since=before, touched=item["files"])
    record_step(
        state, store, step="gate2", lane=lane_id, status=result["status"], tree=result["tree"]
    )
    if result["status"] != "passed":
        failing = failing_tests(result)
        say(f"{lane_id}: gate 2 {result['status']}; undone")
        outcome["commits"] = []
        signature = failure_signature(failing, result)
        _send_back(ctx, git, state, outcome, "gate-2", signature, tests=list(failing))
        return
    say(f"{lane_id}: integrated ({len(outcome['commits'])} commit(s), gate 2 passed)")
    outcome["after"] = after
    state["lanes"].append(outcome)
    state["head"] = after
    state["current"] = None
    store.write_state(state)


def _check_in_place(
    ctx: Context,
    git: IntegrationGit,
    store: IntegrationStore,
    state: dict[str, Any],
    item: dict[str, Any],
    outcome: dict[str, Any],
) -> None:
    """Single-branch mode, the lane's commits already on the target: gate it where it stands.

    Nothing is applied (nothing is applied twice); a failing gate 2 reverts the
    lane's commits (``git revert``, recorded) instead of resetting the branch,
    since other commits may follow them.
    """
    lane_id = item["lane"]
    commits = commits_since_base(git, item)
    outcome["commits"] = commits
    for commit in commits:
        added, removed = line_counts(git, f"{commit}^", commit)
        outcome["lines_added"] += added
        outcome["lines_removed"] += removed
    record_step(state, store, step="apply", lane=lane_id, status="on-target", commits=commits)
    since = f"{commits[0]}^" if commits else item["base"]
    result = run_gate(ctx, "2", since=git.out("rev-parse", since), touched=item["files"])
    record_step(
        state, store, step="gate2", lane=lane_id, status=result["status"], tree=result["tree"]
    )
    failing = failing_tests(result)
    if failing and result["status"] != "passed":
        # Later lanes' changes are in this tree too, and --lw-since selects theirs as
        # well: only tests the lane's own files reach count against it.
        reach = reach_of(ctx, {lane_id: item["files"]})
        failing = {t: first for t, first in failing.items() if lane_id in reach(t)}
        if not failing:
            result = {**result, "status": "passed"}
    if result["status"] != "passed":
        outcome.update(outcome=REOPENED, reason="gate-2", failing_tests=list(failing))
        signature = failure_signature(failing, result)
        try:
            outcome["revert_commits"] = revert_lane(git, state, outcome)
            say(f"{lane_id}: gate 2 {result['status']}; its commits reverted")
        except UndoConflict as stuck:
            # Only a commit that broke the lock rules (hooks skipped) can change a
            # lane's lines after it: the integrator resolves it, then the run goes on.
            outcome["conflict_paths"] = stuck.paths
            signature = [*signature, stuck.describe()]
            state["paused"] = undo_conflict(state, stuck).to_json()
            say(f"{lane_id}: gate 2 {result['status']}; {stuck.describe()}: run paused")
        reopen_lane(ctx, state, lane_id, "gate-2", signature, outcome["before"])
    else:
        say(f"{lane_id}: integrated in place ({len(commits)} commit(s), gate 2 passed)")
    outcome["after"] = git.head()
    state["lanes"].append(outcome)
    state["head"] = outcome["after"]
    state["current"] = None
    store.write_state(state)


def _send_back(
    ctx: Context,
    git: IntegrationGit,
    state: dict[str, Any],
    outcome: dict[str, Any],
    reason: str,
    signature: Sequence[str],
    *,
    paths: Sequence[str] = (),
    tests: Sequence[str] = (),
) -> None:
    """Undo the lane (the exact tree before it) and reopen it with a failure record."""
    current = state["current"]
    git.reset_to(current["before"], current["before_tree"])
    outcome.update(
        outcome=REOPENED, reason=reason, conflict_paths=list(paths), failing_tests=list(tests)
    )
    reopen_lane(ctx, state, outcome["lane"], reason, signature, current["before"])
    state["lanes"].append(outcome)
    state["current"] = None
    state["head"] = current["before"]
    IntegrationStore(ctx.repo).write_state(state)
