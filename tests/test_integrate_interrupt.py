"""SIGKILL during culprit isolation and during the run's last steps; --continue and --abort.

Isolation checks out prefixes detached and reverts lanes in them; the end
releases locks, removes worktrees and commits the ledger. A kill in either
must leave a repository that ``--continue`` finishes exactly as an
uninterrupted run would (no lane lost, none applied or reverted twice, one
failure record per lane sent back) and, while the lanes are still whole,
``--abort`` returns to the exact starting tree.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import git
from scenario import lanewarden
from test_integrate import INTEGRATOR, integrate, states, two_clean_lanes
from test_integrate_culprits import drift_project

STATE = Path(".git") / "lanewarden" / "integrate-state.json"


def killed_when(repo: Path, seen: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Run integrate and SIGKILL it as soon as its saved state satisfies ``seen``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lanewarden", "integrate", "--json"],
        cwd=repo,
        env={**os.environ, **INTEGRATOR},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    state: dict[str, Any] = {}
    try:
        while process.poll() is None:
            try:
                state = json.loads((repo / STATE).read_text())
            except (OSError, ValueError):
                continue
            if seen(state):
                os.kill(process.pid, signal.SIGKILL)
                break
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    return state


def isolating(state: dict[str, Any]) -> bool:
    """Gate 3 failed: isolation's runs (detached checkouts, reverts) are under way."""
    return any(s["step"] == "gate3" and s["status"] == "failed" for s in state["steps"])


def failure_records(repo: Path, lane: str) -> list[str]:
    folder = repo / ".git" / "lanewarden" / "lanes" / lane / "failures"
    return sorted(p.name for p in folder.glob("F-*.json"))


def test_killed_during_isolation_aborts_to_the_start_and_continues_to_the_same_end(
    repo: Path,
) -> None:
    drift_project(repo, eps_imports_zeta=False)
    start = git(repo, "rev-parse", "HEAD").strip()
    start_tree = git(repo, "rev-parse", "HEAD^{tree}").strip()

    killed_when(repo, isolating)
    aborted = integrate(repo, "--abort")
    assert aborted["head"] == start
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"  # not left detached
    assert git(repo, "rev-parse", "HEAD^{tree}").strip() == start_tree
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""

    killed_when(repo, isolating)
    body = integrate(repo, "--continue")
    assert body["integrated"] == ["L-1", "L-3", "L-4"]
    assert body["reverted"] == ["L-2"]
    assert body["isolation"]["culprits"] == ["L-2"]
    log = git(repo, "log", "--format=%B", f"{start}..HEAD")
    for lane in ("L-1", "L-3", "L-4"):
        assert log.count(f"Lane: {lane}") == 1  # applied once, over two killed runs
    assert log.count("Lane: L-2") == 2  # its commit and its one revert
    assert log.count("This reverts commit") == 1
    assert lanewarden(repo, "gate", "run", "3", env=INTEGRATOR).returncode == 0
    assert failure_records(repo, "L-2") == ["F-01.json"]  # sent back once
    assert states(repo)["L-2"] == "reopened"


def test_a_run_killed_at_its_end_continues_and_is_never_rolled_back(repo: Path) -> None:
    two_clean_lanes(repo)
    state = killed_when(repo, lambda s: s.get("phase") == "finish")
    head = git(repo, "rev-parse", "HEAD").strip()
    # Locks may be released, worktrees and branches gone: rolling back would lose the lanes.
    refused = integrate(repo, "--abort", code=1)
    assert [v["rule"] for v in refused["violations"]] == ["integrate-in-progress"]
    assert "--continue" in refused["violations"][0]["fix"]
    assert git(repo, "rev-parse", "HEAD").strip() == head
    body = integrate(repo, "--continue")
    assert body["run"] == state["run"]
    assert body["integrated"] == ["L-1", "L-5"]
    log = git(repo, "log", "--format=%B", f"{state['start_commit']}..HEAD")
    assert log.count("Lane: L-1") == log.count("Lane: L-5") == 1
    assert log.count("Ledger: integration run") == 1
    assert (repo / "PLAN.md").read_text().count("### L-1 integrated") == 1
    assert states(repo) == {"L-1": "integrated", "L-5": "integrated"}
    assert not (repo / STATE).exists()
