"""``lanewarden integrate``: apply the handed-off lanes one at a time, gate each, end green.

The integrator's loop (runbook §§ 8, 11, 12), with no server:

1. refuse a dirty work tree, a checkout that is not the target branch, a lane
   without a valid handoff, or a run already in progress;
2. for each lane, in handoff order (or as given): apply its commits onto the
   target branch (cherry-picked, or merged with ``integrate_strategy =
   "merge"``), each new commit carrying ``Lane:`` and ``Integrated-by:``
   trailers; run gate 2 on the packages it touched (``--lw-since`` the tree
   before it, since after a commit ``--lw-changed`` sees nothing); a conflict
   or a failing gate 2 resets the branch to exactly the tree before the lane
   (checked by tree id) and reopens the lane with a failure record;
3. end of wave: gate 3; when it fails, isolate the culprit (test scope, then
   bisection: :mod:`lanewarden.domain.integration`), ``git revert`` its commits
   and reopen it, so the wave ends green;
4. record the run, mark the integrated lanes in the ledger, release their locks
   (outcome ``integrated``) and, in worktree mode, finish them unless ``--keep``;
   push only with ``--push`` (through the normal pre-push hook).

After every step the run is saved in a state file in the common git dir:
``--continue`` resumes it, ``--abort`` resets the branch to the exact tree
the run started from.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lanewarden.adapters.integration_git import (
    IntegrationGit,
    UndoConflict,
    apply_lane,
    checkout_target,
    commits_since_base,
    is_ancestor,
    line_counts,
    new_commits,
    revert_lane,
)
from lanewarden.adapters.integration_store import IntegrationStore
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.integrate_wave import (
    failing_tests,
    failure_signature,
    package_map,
    reach_of,
    record_step,
    reopen_lane,
    run_gate,
    say,
    wave_gate,
)
from lanewarden.cli.lane_facts import LaneView, caller, lane_id_argument, read_decisions, view
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.integration import (
    INTEGRATED,
    REOPENED,
    REVERTED,
    overlaps,
)
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.times import format_time, now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["run"]

STATE_VERSION = 1


# -- entry ----------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Integrate the queue; 0 when the wave ended green, 1 when refused, 2 on bad input."""
    ctx = Context.load()
    as_json: bool = args.json
    if ctx.identity.role != "integrator":
        violation = Violation(
            rule="wrong-role",
            message=f"a {ctx.identity.role} cannot integrate: the integrator alone changes "
            f"the target branch {ctx.config.target_branch}",
            fix="run it as the integrator: `LANEWARDEN_ROLE=integrator lanewarden integrate`",
        )
        return report([violation], as_json=as_json, ok_text="")
    store = IntegrationStore(ctx.repo)
    state = store.read_state()
    if args.abort:
        return _abort(ctx, store, state, as_json)
    if args.resume:
        if state is None:
            raise InputError(
                "no integration is in progress: nothing to continue",
                hint="start one with `lanewarden integrate`",
            )
        say(f"continuing run {state['run']}")
        if state.pop("paused", None) is not None:
            state["resolved"] = True
        return _drive(ctx, store, state, as_json)
    if state is not None:
        violation = Violation(
            rule="integrate-in-progress",
            message=f"integration run {state['run']} was interrupted and is not finished",
            path=str(store.state_path),
            fix="resume it with `lanewarden integrate --continue`, or roll it back with "
            "`lanewarden integrate --abort`",
        )
        return report([violation], as_json=as_json, ok_text="")
    git = IntegrationGit(ctx.repo)
    violations = _preflight(ctx, git)
    lanes, refused = _queue(ctx, [lane_id_argument(i) for i in args.lane_ids])
    violations += refused
    if violations:
        return report(violations, as_json=as_json, ok_text="")
    if args.dry_run:
        return _dry_run(ctx, lanes, as_json)
    if not lanes:
        body = {"ok": True, "violations": [], "steps": [], "lanes": []}
        if as_json:
            emit_json(body)
        else:
            print("nothing to integrate: no lane is handed off")
        return 0
    started = now()
    start = git.head()
    state = {
        "version": STATE_VERSION,
        "run": f"{started.strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}",
        "started": format_time(started),
        "mode": ctx.config.mode,
        "strategy": ctx.config.integrate_strategy,
        "target": ctx.config.target_branch,
        "by": caller(ctx),
        "start_commit": start,
        "start_tree": git.tree(start),
        "head": start,
        "queue": [_queued(ctx, lane) for lane in lanes],
        "lanes": [],
        "current": None,
        "phase": "lanes",
        "gate3_runs": 0,
        "steps": [],
        "keep": bool(args.keep),
        "push": bool(args.push),
    }
    store.write_state(state)
    say(f"run {state['run']}: {len(lanes)} lane(s) onto {state['target']} at {start[:12]}")
    return _drive(ctx, store, state, as_json)


# -- checks before a run ---------------------------------------------------------


def _preflight(ctx: Context, git: IntegrationGit) -> list[Violation]:
    target = ctx.config.target_branch
    violations = []
    if ctx.repo.current_branch() != target:
        violations.append(
            Violation(
                rule="integrate-wrong-branch",
                message=f"integrate applies lanes onto {target}, but the work tree has "
                f"{ctx.repo.current_branch() or 'a detached HEAD'} checked out",
                path=str(ctx.repo.root),
                fix=f"`git switch {shell_quote(target)}` in the main work tree, then run it again",
            )
        )
    dirty = git.dirty()
    if dirty:
        violations.append(
            Violation(
                rule="integrate-dirty",
                message=f"the work tree has uncommitted changes ({', '.join(dirty[:5])})",
                path=dirty[0],
                fix="commit or stash them (`git stash`), then run `lanewarden integrate` again",
            )
        )
    return violations


def _queue(ctx: Context, wanted: Sequence[str]) -> tuple[list[LaneView], list[Violation]]:
    """The lanes to integrate, in handoff order (or as given), and the refusals."""
    store = LaneStore(ctx.repo)
    registry = RegistryStore(ctx.repo, ctx.config).read()
    answered = read_decisions(ctx)
    views = {}
    for lane_id in wanted or store.lane_ids():
        record = store.read_lane(lane_id)
        if record is None:
            raise InputError(
                f"unknown lane: {lane_id} was never started with `lanewarden lane start`",
                hint="see the lanes with `lanewarden lane list`",
            )
        views[lane_id] = view(ctx, store, record, registry, answered)
    violations = []
    chosen = []
    for lane_id, lane in views.items():
        if lane.state == "handed-off" and lane.facts.last_handoff is not None:
            chosen.append(lane)
        elif wanted:
            violations.append(
                Violation(
                    rule="integrate-no-handoff",
                    lock=lane_id,
                    message=f"lane {lane_id} is {lane.state}: only a lane whose latest handoff is "
                    "of its current tip can be integrated",
                    fix=f"the worker hands it off: `lanewarden lane handoff {shell_quote(lane_id)}"
                    " --met ...`",
                )
            )
    if not wanted:
        chosen.sort(key=lambda lane: _handoff_time(lane))
    return chosen, violations


def _handoff_time(lane: LaneView) -> datetime:
    handoff = lane.facts.last_handoff
    assert handoff is not None
    return handoff.time


def _queued(ctx: Context, lane: LaneView) -> dict[str, Any]:
    handoff = lane.facts.last_handoff
    assert handoff is not None
    return {
        "lane": lane.record.lane_id,
        "commit": handoff.commit,
        "base": lane.record.base,
        "branch": lane.record.branch,
        "files": list(handoff.files),
        "packages": _packages(ctx, handoff.files),
    }


def _packages(ctx: Context, files: Sequence[str]) -> list[str]:
    packages = package_map(ctx)
    return sorted({p.name for f in files for p in packages.owners(f)})


def _gate_2_plan(ctx: Context, files: Sequence[str]) -> dict[str, Any]:
    """The tests gate 2 would select for a lane's changed files, as the plugin selects them.

    Judged on the work tree as it is now (the target before the wave): the
    plan's guess, since earlier lanes of the wave may change what imports what.
    """
    from lanewarden.pytest_selection import Options, compute_selector

    computed = compute_selector(ctx.repo.root, Options(gate="2"), changed_files=files)
    selection = computed.selector.selection
    return {
        "full_suite": selection.full_suite,
        "packages_whole": list(selection.whole),
        "test_files": sorted(selection.tests),
        "untested": list(selection.untested),
    }


def _plan_text(plan: dict[str, Any]) -> str:
    if plan["full_suite"]:
        return f"every test ({plan['full_suite']})"
    parts = [f"every test of {name}" for name in plan["packages_whole"]]
    files = plan["test_files"]
    if files:
        shown = ", ".join(files[:4]) + (f" and {len(files) - 4} more" if len(files) > 4 else "")
        parts.append(f"{len(files)} test file(s): {shown}")
    return "; ".join(parts) or "no test (an empty selection)"


def _dry_run(ctx: Context, lanes: list[LaneView], as_json: bool) -> int:
    queued = [_queued(ctx, lane) for lane in lanes]
    overlap = overlaps({q["lane"]: q["files"] for q in queued})
    for q in queued:
        q["gate2"] = _gate_2_plan(ctx, q["files"])
    if as_json:
        emit_json({"ok": True, "violations": [], "plan": queued, "overlaps": overlap})
        return 0
    print(f"plan: {len(queued)} lane(s) onto {ctx.config.target_branch}, in this order")
    for number, q in enumerate(queued, start=1):
        print(f"  {number}. {q['lane']} at {q['commit'][:12]}: {len(q['files'])} file(s)")
        print(f"     packages: {', '.join(q['packages']) or 'none'}")
        print(f"     gate 2 (--lw-since the commit before the lane): {_plan_text(q['gate2'])}")
    for pair in overlap:
        first, second = pair["lanes"]
        print(f"  overlap: {first} and {second} both change {', '.join(pair['paths'])}")
    if not overlap:
        print("  no two lanes change the same path")
    return 0


# -- the run -------------------------------------------------------------------


def _drive(ctx: Context, store: IntegrationStore, state: dict[str, Any], as_json: bool) -> int:
    git = IntegrationGit(ctx.repo)
    target = state["target"]
    if state["phase"] == "lanes":
        current = state["current"]
        if current is not None:  # interrupted inside a lane: undo it, then do it again
            checkout_target(git, target)
            foreign = _foreign_commits(git, state, current["before"])
            if foreign is not None:
                return report([foreign], as_json=as_json, ok_text="")
            git.reset_to(current["before"], current["before_tree"])
            say(f"{current['lane']}: interrupted, reset to {current['before'][:12]} to redo it")
            state["current"] = None
            store.write_state(state)
        for item in state["queue"][len(state["lanes"]) :]:
            moved = _moved(ctx, git, state)
            if moved is not None:
                return report([moved], as_json=as_json, ok_text="")
            _integrate_lane(ctx, git, store, state, item)
            if state.get("paused"):
                return _pause(state, as_json)
        moved = _moved(ctx, git, state)  # after the last lane too: gate 3 tests only the run's
        if moved is not None:
            return report([moved], as_json=as_json, ok_text="")
        state["phase"] = "gate3"
        state["applied_head"] = git.head()
        store.write_state(state)
    if state["phase"] == "gate3":
        checkout_target(git, target)
        foreign = _foreign_commits(git, state, state["applied_head"])
        if foreign is not None:
            return report([foreign], as_json=as_json, ok_text="")
        git.reset_to(state["applied_head"], git.tree(state["applied_head"]))
        try:
            wave_gate(ctx, git, store, state)
        except UndoConflict as stuck:
            git.reset_to(state["applied_head"], git.tree(state["applied_head"]))
            violation = _undo_conflict(state, stuck)
            violation.fix = (
                f"roll the run back with `lanewarden integrate --abort`, then revert lane "
                f"{stuck.lane}'s commits by hand, resolving {', '.join(stuck.paths)}"
            )
            return report([violation], as_json=as_json, ok_text="")
        state["phase"] = "finish"
        state["head"] = git.head()
        store.write_state(state)
    return _finish(ctx, git, store, state, as_json)


def _undo_conflict(state: dict[str, Any], stuck: UndoConflict) -> Violation:
    commits = " ".join(c.split()[0] for c in stuck.blockers) or "the later commits"
    return Violation(
        rule="integrate-undo-conflict",
        lock=stuck.lane,
        path=stuck.paths[0],
        message=f"lane {stuck.lane} is sent back, but {stuck.describe()} (commits made "
        "outside its lane, with the hooks skipped)",
        fix=f"revert its commits by hand, resolving {', '.join(stuck.paths)} against "
        f"{commits}, commit with `--trailer 'Lane: {stuck.lane}' --trailer "
        f"'Integrated-by: {state['by']}'`, then `lanewarden integrate --continue` "
        "(or `lanewarden integrate --abort`)",
    )


def _pause(state: dict[str, Any], as_json: bool) -> int:
    paused = state["paused"]
    violation = Violation(
        rule=paused["rule"],
        message=paused["message"],
        path=paused.get("path"),
        lock=paused.get("lock"),
        fix=paused.get("fix"),
    )
    return report([violation], as_json=as_json, ok_text="")


def _foreign_commits(git: IntegrationGit, state: dict[str, Any], since: str) -> Violation | None:
    """Refuse to reset away commits this run did not make (the target moved under it)."""
    target = state["target"]
    head = git.branch_commit(target)
    ours = f"Integrated-by: {state['by']}"
    if is_ancestor(git, since, head):
        made = git.out("rev-list", "--format=%B%x00", head, f"^{since}")
        messages = [m for m in made.split("\0") if m.strip()]
        if all(ours in message for message in messages):
            return None
    return Violation(
        rule="integrate-moved",
        message=f"{target} is at {head[:12]}, with commits this run did not make since "
        f"{since[:12]}: someone else changed it during the integration",
        fix=f"move those commits elsewhere (`git branch keep {head[:12]}`), put {target} back "
        f"(`git reset --hard {since[:12]}`), then run `lanewarden integrate --continue` "
        "(or `--abort`)",
    )


def _moved(ctx: Context, git: IntegrationGit, state: dict[str, Any]) -> Violation | None:
    """The target branch moved under the run (re-checked between lanes).

    After a pause, the integrator's own commits (carrying the run's
    ``Integrated-by:`` trailer, as the pause's fix says) are taken on.
    """
    target = state["target"]
    found = git.branch_commit(target)
    here = ctx.repo.current_branch() == target and not git.dirty()
    if found == state["head"] and here:
        return None
    if here and state.pop("resolved", False) and not _foreign_commits(git, state, state["head"]):
        say(f"taking on the integrator's commits up to {found[:12]}")
        state["head"] = found
        return None
    return Violation(
        rule="integrate-moved",
        message=f"{target} is at {found[:12]} (or the work tree changed), but this run left it at "
        f"{state['head'][:12]}: someone else changed it during the integration",
        fix="roll the run back with `lanewarden integrate --abort`, or put "
        f"{target} back (`git reset --hard {state['head'][:12]}`) and run "
        "`lanewarden integrate --continue`",
    )


def _integrate_lane(
    ctx: Context,
    git: IntegrationGit,
    store: IntegrationStore,
    state: dict[str, Any],
    item: dict[str, Any],
) -> None:
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
            state["paused"] = _undo_conflict(state, stuck).to_json()
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


# -- gates -----------------------------------------------------------------------


# -- the end ---------------------------------------------------------------------


def _finish(
    ctx: Context, git: IntegrationGit, store: IntegrationStore, state: dict[str, Any], as_json: bool
) -> int:
    end = git.head()
    lanes = [{k: v for k, v in o.items() if k not in ("before", "after")} for o in state["lanes"]]
    record = {
        "version": 1,
        "run": state["run"],
        "wave": 1 + sum(1 for p in store.finished_runs() if p.stem != state["run"]),
        "mode": state["mode"],
        "target": state["target"],
        "started": state["started"],
        "finished": format_time(now()),
        "start_commit": state["start_commit"],
        "end_commit": end,
        "gate3_runs": state["gate3_runs"],
        "lanes": lanes,
    }
    integrated = [o["lane"] for o in lanes if o["outcome"] == INTEGRATED]
    completed = _complete(ctx, record, keep=state["keep"])
    end = record["end_commit"] = git.head()  # the ledger's commit, if it had new entries
    path = store.write_record(record)
    pushed: bool | None = None
    refusals: list[Violation] = []
    if state["push"]:
        from lanewarden.cli.integrate_push import push_target

        pushed, refusals, _ = push_target(ctx, state)
    store.clear_state()
    summary = {
        INTEGRATED: integrated,
        REOPENED: [o["lane"] for o in lanes if o["outcome"] == REOPENED],
        REVERTED: [o["lane"] for o in lanes if o["outcome"] == REVERTED],
    }
    if as_json:
        emit_json(
            {
                "ok": pushed is not False,
                "violations": [v.to_json() for v in refusals],
                "run": state["run"],
                "record": str(path),
                "end_commit": end,
                "steps": state["steps"],
                "lanes": lanes,
                **summary,
                "isolation": state.get("isolation"),
                "completed": completed,
                "pushed": pushed,
            }
        )
    else:
        print(f"integration run {state['run']}: {state['target']} at {end[:12]}")
        for o in lanes:
            why = f" ({o['reason']}: {', '.join(o['conflict_paths'] or o['failing_tests'])})"
            print(f"  {o['lane']}: {o['outcome']}{why if o['reason'] else ''}")
        print(f"  record: {path}")
        for violation in refusals:
            print(f"  {violation.rule}: {violation.message}\n    fix: {violation.fix}")
    return 0 if pushed is not False else 1


def _complete(ctx: Context, record: dict[str, Any], *, keep: bool) -> dict[str, list[str]]:
    """Completion markers in the ledger, locks released (``integrated``), lanes finished."""
    from lanewarden.cli.integrate_ledger import commit_ledger, complete_lanes

    done = complete_lanes(ctx, record, keep=keep)
    lanes = [o["lane"] for o in record["lanes"] if o["outcome"] == INTEGRATED]
    commit_ledger(ctx, record["run"], lanes)
    return done


def _abort(
    ctx: Context, store: IntegrationStore, state: dict[str, Any] | None, as_json: bool
) -> int:
    if state is None:
        raise InputError(
            "no integration is in progress: nothing to abort",
            hint="see `lanewarden lane list` for the lanes' states",
        )
    git = IntegrationGit(ctx.repo)
    checkout_target(git, state["target"])
    foreign = _foreign_commits(git, state, state["start_commit"])
    if foreign is not None:
        return report([foreign], as_json=as_json, ok_text="")
    git.reset_to(state["start_commit"], state["start_tree"])
    store.clear_state()
    if as_json:
        emit_json({"ok": True, "violations": [], "run": state["run"], "head": git.head()})
    else:
        print(f"integration run {state['run']} rolled back: {state['target']} at "
              f"{state['start_commit'][:12]}")  # fmt: skip
    return 0
