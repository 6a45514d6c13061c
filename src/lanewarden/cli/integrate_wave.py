"""Gates inside ``lanewarden integrate``: gate 2 per lane, gate 3 and culprit isolation.

Gates run through ``gate run``'s own runner, so every run (isolation's too)
is evidence for its tree. Failing tests are mapped to lanes through the
import graph for the test-scope step of isolation.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from lanewarden.adapters.integration_git import (
    IntegrationGit,
    checkout_target,
    is_ancestor,
    revert_lane,
)
from lanewarden.adapters.integration_store import IntegrationStore
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.cli.context import Context
from lanewarden.domain.integration import INTEGRATED, REVERTED, failure_text, isolate
from lanewarden.domain.times import format_time, now

__all__ = [
    "failing_tests",
    "failure_signature",
    "package_map",
    "reach_of",
    "record_step",
    "reopen_lane",
    "run_gate",
    "say",
    "wave_gate",
]

SUMMARY_WIDTH = 400
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)(?: - (.*))?$")


def say(text: str) -> None:
    print(f"lanewarden: integrate: {text}", file=sys.stderr, flush=True)


def record_step(state: dict[str, Any], store: IntegrationStore, **step: Any) -> None:
    step["time"] = format_time(now())
    state["steps"].append(step)
    store.write_state(state)


def reopen_lane(
    ctx: Context,
    state: dict[str, Any],
    lane_id: str,
    reason: str,
    signature: Sequence[str],
    before: str,
) -> None:
    text = failure_text(lane_id, reason, state["run"], signature, before)
    at = format_time(now())

    def make(number: int) -> dict[str, Any]:
        return {
            "lane_id": lane_id,
            "failure": f"F-{number:02d}",
            "number": number,
            **text,
            "reason": reason,
            "run": state["run"],
            "time": at,
        }

    LaneStore(ctx.repo).add_failure(lane_id, make)


def run_gate(
    ctx: Context, name: str, *, since: str | None, touched: Sequence[str]
) -> dict[str, Any]:
    """Run gate ``name`` on the work tree through ``gate run``'s own runner (evidence kept).

    Gate 2 here selects ``--lw-since`` the tree before the lane: the lane's
    change is committed by then, so ``--lw-changed`` would see nothing.
    """
    from lanewarden.cli.gate import _run_gate, ruff_command
    from lanewarden.domain.gates import Gate, GateLadder, Step

    ladder = GateLadder.from_config(
        ctx.config.gates, source=ctx.config.source_name, ruff=ruff_command()
    )
    gate = ladder.select(name)[0]
    if since is not None:
        gate = Gate(
            name=gate.name,
            title=gate.title,
            steps=tuple(
                Step(s.command.replace("--lw-changed", f"--lw-since {since}")) for s in gate.steps
            ),
        )
    root = ctx.repo.root
    files = [f for f in touched if (root / f).is_file()]
    # pytest cuts its summary lines ("FAILED id - first error line") to the
    # terminal's width; the failure record needs the whole first error line.
    wide = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(SUMMARY_WIDTH)
    try:
        return _run_gate(ctx, gate, files, name)
    finally:
        if wide is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = wide


def failing_tests(result: dict[str, Any]) -> dict[str, str]:
    """Failing test ids, each with its first error line when pytest printed one."""
    failing: dict[str, str] = dict.fromkeys(result["record"]["failures"], "")
    for step in result["steps"]:
        for line in step.get("tail", []):
            match = FAILED_LINE.match(line.strip())
            if match:
                failing[match[1]] = match[2] or failing.get(match[1], "")
    return failing


def failure_signature(failing: dict[str, str], result: dict[str, Any]) -> list[str]:
    """The failure signature: each failing test with its first error line."""
    if not failing:
        return list(result["record"]["reasons"]) or ["the gate failed"]
    return [f"{test}: {first}" if first else test for test, first in failing.items()]


def wave_gate(
    ctx: Context, git: IntegrationGit, store: IntegrationStore, state: dict[str, Any]
) -> None:
    """Gate 3 on the wave; when it fails, find and revert the culprits (it ends green)."""
    applied = [o for o in state["lanes"] if o["outcome"] == INTEGRATED]
    if not applied:
        return
    result = run_gate(ctx, "3", since=None, touched=())
    state["gate3_runs"] += 1
    record_step(state, store, step="gate3", status=result["status"], tree=result["tree"])
    if result["status"] == "passed":
        say("gate 3 passed: the wave is green")
        return
    first_lines = failing_tests(result)
    failing = frozenset(first_lines) or frozenset({"(gate)"})
    order = [o["lane"] for o in applied]
    by_lane = {o["lane"]: o for o in applied}
    reach = reach_of(ctx, {o["lane"]: o["files"] for o in applied})
    target = state["target"]
    applied_head = state["applied_head"]

    def run_subset(subset: Sequence[str]) -> frozenset[str]:
        # The prefix of the applied order ending with subset's last lane, minus
        # the lanes left out of it: checked out, the left-out lanes reverted.
        last = order.index(subset[-1]) if subset else -1
        checkout_target(git, target)
        git.reset_to(applied_head, git.tree(applied_head))
        at = by_lane[order[last]]["after"] if subset else state["start_commit"]
        if state["mode"] != "worktrees":
            # Lanes gated in place sit under commits of later lanes (and reverts of
            # lanes sent back): only the whole wave, lanes reverted, is a clean cut.
            at = applied_head
        if at != applied_head:
            git.repo.git("checkout", "-q", "--detach", at)
        # Every lane left out whose commits that checkout holds (in place: all of them).
        left_out = [
            lane
            for lane in order
            if lane not in subset and all(is_ancestor(git, c, at) for c in by_lane[lane]["commits"])
        ]
        for lane in reversed(left_out):
            revert_lane(git, state, by_lane[lane])
        found = run_gate(ctx, "3", since=None, touched=())
        state["gate3_runs"] += 1
        record_step(
            state,
            store,
            step="gate3",
            lanes=list(subset),
            status=found["status"],
            tree=found["tree"],
        )
        if found["status"] == "passed":
            return frozenset()
        return frozenset(failing_tests(found)) or frozenset({"(gate)"})

    found = isolate(order, failing, run_subset, lambda test: reach(test))
    # Leave the branch at the wave minus the culprits, reverted with recorded commits.
    checkout_target(git, target)
    git.reset_to(applied_head, git.tree(applied_head))
    for lane in reversed(order):
        if lane in found.culprits:
            outcome = by_lane[lane]
            outcome["revert_commits"] = revert_lane(git, state, outcome)
            outcome.update(outcome=REVERTED, reason="gate-3")
            tests = sorted(found.failing.get(lane, frozenset()))
            outcome["failing_tests"] = tests
            signature = [f"{t}: {first_lines[t]}" if first_lines.get(t) else t for t in tests]
            reopen_lane(ctx, state, lane, "gate-3", signature, outcome["before"])
            how = "test scope" if lane in found.by_scope else "bisection"
            say(f"{lane}: culprit of gate 3 (by {how}); reverted and reopened")
    state["isolation"] = {
        "culprits": found.culprits,
        "by_scope": found.by_scope,
        "runs": len(found.runs),
    }
    # The last isolation run was of exactly this tree; its evidence stands for it.
    store.write_state(state)


def reach_of(ctx: Context, files: dict[str, list[str]]) -> Any:
    """For a failing test id, the lanes whose changed files it reaches (import graph)."""
    from lanewarden.adapters.import_facts import build_graph

    packages = package_map(ctx)
    graph = build_graph(ctx.repo.root, packages, ctx.repo.state_dir / "import-cache" / "facts.json")
    reached: dict[str, set[str]] = {}
    for lane, paths in files.items():
        seeds = {}
        for path in paths:
            module = packages.module_name(path)
            if module:
                seeds[module] = path
        hit = set(paths) | {f for f, r in graph.affected(seeds).items() if r.full}
        owners = {p.name for f in paths for p in packages.owners(f)}
        reached[lane] = hit | {"pkg:" + name for name in owners}

    def lanes_of(test: str) -> set[str]:
        path = test.split("::", 1)[0]
        tested = {"pkg:" + p.name for p in packages.test_owners(path)}
        return {lane for lane, hit in reached.items() if path in hit or tested & hit}

    return lanes_of


def package_map(ctx: Context) -> Any:
    from lanewarden.adapters.changes import listed_files
    from lanewarden.domain.packages import detect_packages

    return detect_packages(listed_files(ctx.repo), ctx.config.packages, ctx.config.package_tests)
