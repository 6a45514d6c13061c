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
the run started from (until the wave's bookkeeping has begun).

The plan and ``--dry-run`` are in :mod:`lanewarden.cli.integrate_plan`, one
lane's step in :mod:`lanewarden.cli.integrate_step`, the gates and isolation
in :mod:`lanewarden.cli.integrate_wave`, the push in
:mod:`lanewarden.cli.integrate_push`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from lanewarden.adapters.integration_git import (
    IntegrationGit,
    UndoConflict,
    checkout_target,
    is_ancestor,
)
from lanewarden.adapters.integration_store import IntegrationStore
from lanewarden.cli.context import Context
from lanewarden.cli.integrate_plan import dry_run, preflight, queue, queued
from lanewarden.cli.integrate_step import integrate_lane, undo_conflict
from lanewarden.cli.integrate_wave import (
    say,
    wave_gate,
)
from lanewarden.cli.lane_facts import caller, lane_id_argument
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.integration import (
    INTEGRATED,
    REOPENED,
    REVERTED,
)
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
        if state.get("paused") is not None:
            if IntegrationGit(ctx.repo).branch_commit(state["target"]) == state["head"]:
                return _pause(state, as_json)  # nothing resolved yet: the lane is still in
            del state["paused"]
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
    if args.push:
        _check_pushable(ctx)
    git = IntegrationGit(ctx.repo)
    violations = preflight(ctx, git)
    lanes, refused = queue(ctx, [lane_id_argument(i) for i in args.lane_ids])
    violations += refused
    if violations:
        return report(violations, as_json=as_json, ok_text="")
    if args.dry_run:
        return dry_run(ctx, lanes, as_json)
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
        "queue": [queued(ctx, lane) for lane in lanes],
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
            integrate_lane(ctx, git, store, state, item)
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
            violation = undo_conflict(state, stuck)
            violation.fix = (
                f"roll the run back with `lanewarden integrate --abort`, then revert lane "
                f"{stuck.lane}'s commits by hand, resolving {', '.join(stuck.paths)}"
            )
            return report([violation], as_json=as_json, ok_text="")
        state["phase"] = "finish"
        state["head"] = git.head()
        store.write_state(state)
    return _finish(ctx, git, store, state, as_json)


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
        "isolation": state.get("isolation"),
        "lanes": lanes,
    }
    integrated = [o["lane"] for o in lanes if o["outcome"] == INTEGRATED]
    completed = _complete(ctx, record, keep=state["keep"])
    end = record["end_commit"] = git.head()  # the ledger's commit, if it had new entries
    path = store.write_record(record)
    pushed: bool | None = None
    refusals: list[Violation] = []
    push_error: str | None = None
    if state["push"]:
        from lanewarden.cli.integrate_push import push_target

        pushed, refusals, _, push_error = push_target(ctx, state)
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
                "push_error": push_error,
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
    if push_error is not None:
        # Not a refusal: git could not push (the remote unreachable, say). Exit 2, as for
        # every failure of the remote; the wave itself is integrated and recorded.
        target = state["target"]
        print(
            f"lanewarden: the push of {target} to origin failed (the wave is integrated "
            f"locally): {push_error}\n  fix: check `git remote -v` and the network, then "
            f"`git push origin {target}`",
            file=sys.stderr,
        )
        return 2
    return 0 if pushed is not False else 1


def _check_pushable(ctx: Context) -> None:
    """``--push`` cannot work when the remote registry lives on the target branch itself.

    Every registry change (and this run's own lock releases and ledger entries)
    is then a commit on the remote's target branch that the integrated branch
    lacks, so the push could only be refused as a non-fast-forward; found out
    before anything changes, not after the wave.
    """
    if ctx.config.registry != "remote":
        return
    from lanewarden.adapters.remote_registry import remote_spec

    spec = remote_spec(ctx.config)
    if spec.dedicated:
        return
    target = ctx.config.target_branch
    raise InputError(
        f"--push cannot work while the remote registry is the target branch {target} itself "
        "(every lock change is a commit there that the integrated branch lacks)",
        path=ctx.config.source_name,
        hint='keep the registry on a ref of its own: `registry_ref = "refs/lanewarden/registry"`; '
        f"or integrate without --push, then `git pull --no-rebase origin {target}`, "
        f"run gate 3 and `git push origin {target}`",
    )


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
    if state["phase"] == "finish":
        # The wave is green and its bookkeeping under way: locks may be released and
        # worktrees and branches gone, so a rollback would lose the lanes.
        violation = Violation(
            rule="integrate-in-progress",
            message=f"integration run {state['run']} was interrupted after its wave passed "
            "gate 3, while releasing locks and finishing lanes: it can no longer be rolled back",
            path=str(store.state_path),
            fix="finish it with `lanewarden integrate --continue`",
        )
        return report([violation], as_json=as_json, ok_text="")
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
