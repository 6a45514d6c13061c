"""The plan of ``lanewarden integrate``: refusals before a run, the queue, ``--dry-run``.

Nothing here changes the repository: it reads the lanes' handoffs, orders
them, and says what gate 2 would run for each lane and which lanes change the
same paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lanewarden.adapters.integration_git import IntegrationGit
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.integrate_wave import package_map
from lanewarden.cli.lane_facts import LaneView, read_decisions, view
from lanewarden.cli.output import emit_json
from lanewarden.domain.integration import overlaps
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["dry_run", "preflight", "queue", "queued"]


def preflight(ctx: Context, git: IntegrationGit) -> list[Violation]:
    """The refusals before a run: another branch checked out, a dirty work tree."""
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


def queue(ctx: Context, wanted: Sequence[str]) -> tuple[list[LaneView], list[Violation]]:
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


def queued(ctx: Context, lane: LaneView) -> dict[str, Any]:
    """A lane as the run keeps it: its handed-off commit, base, branch, files, packages."""
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


def dry_run(ctx: Context, lanes: list[LaneView], as_json: bool) -> int:
    """Show the plan: the order, each lane's packages and gate-2 tests, the overlaps."""
    plan = [queued(ctx, lane) for lane in lanes]
    overlap = overlaps({q["lane"]: q["files"] for q in plan})
    for q in plan:
        q["gate2"] = _gate_2_plan(ctx, q["files"])
    if as_json:
        emit_json({"ok": True, "violations": [], "plan": plan, "overlaps": overlap})
        return 0
    print(f"plan: {len(plan)} lane(s) onto {ctx.config.target_branch}, in this order")
    for number, q in enumerate(plan, start=1):
        print(f"  {number}. {q['lane']} at {q['commit'][:12]}: {len(q['files'])} file(s)")
        print(f"     packages: {', '.join(q['packages']) or 'none'}")
        print(f"     gate 2 (--lw-since the commit before the lane): {_plan_text(q['gate2'])}")
    for pair in overlap:
        first, second = pair["lanes"]
        print(f"  overlap: {first} and {second} both change {', '.join(pair['paths'])}")
    if not overlap:
        print("  no two lanes change the same path")
    return 0
