"""A whole wave, end to end, in worktree mode and in single-branch mode.

The orchestrator starts three lanes; the workers commit and checkpoint; one
is interrupted and resumed from its checkpoint; one escalates and is
approved; a handoff with failing evidence and one with an out-of-scope commit
are refused; each lane hands off, is integrated and finished.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import git, write
from scenario import (
    ORCHESTRATOR,
    configure,
    lane_base,
    lane_gate_2,
    lanewarden,
    make_parallel_ready,
    start_lane,
)

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
GATES = '\n[gates]\n"2" = ["test -z \\"$(git ls-files \'*BROKEN\')\\""]\n'
LANES = {"L-001": "src/app/", "L-002": "src/lib/", "L-003": "/docs/"}


class Wave:
    """The repository, seen by the orchestrator, the integrator and each lane's worker."""

    def __init__(self, repo: Path, mode: str) -> None:
        self.repo = repo
        self.mode = mode

    def where(self, lane: str) -> Path:
        """Where the lane's work happens: its worktree, or the shared work tree."""
        return self.repo.parent / f"repo-{lane}" if self.mode == "worktrees" else self.repo

    def worker(self, lane: str) -> dict[str, str]:
        """A worker's environment (in worktree mode the branch names the lane)."""
        if self.mode == "worktrees":
            return {"LANEWARDEN_ROLE": "worker"}
        return {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": lane}

    def run(self, lane: str, *args: str, code: int = 0) -> Any:
        done = lanewarden(self.where(lane), *args, "--json", env=self.worker(lane))
        assert done.returncode == code, done.stdout + done.stderr
        return json.loads(done.stdout)

    def commit(self, lane: str, path: str, text: str, *, verify: bool = True) -> None:
        """The lane's change committed: by its worker, or by the integrator as that lane."""
        where = self.where(lane)
        if self.mode == "single-branch":
            self.commit_ledger()
        write(where, path, text)
        env = {"LANEWARDEN_LANE": lane}
        if self.mode == "single-branch":
            env.update(INTEGRATOR)
        git(where, "add", "--", path)
        extra = () if verify else ("--no-verify",)
        git(
            where, "commit", "-qm", f"{lane}: {path}", "--trailer", f"Lane: {lane}", *extra, env=env
        )

    def commit_ledger(self) -> None:
        """The integrator commits the orchestrator's ledger edits (single-branch mode)."""
        if git(self.repo, "status", "--porcelain", "--", "PLAN.md").strip():
            git(self.repo, "add", "PLAN.md")
            git(self.repo, "commit", "-qm", "ledger", env=INTEGRATOR)

    def gate(self, lane: str) -> int:
        """The configured gate 2, then (when it passes) gate 2 over the lane's whole change."""
        code = lanewarden(self.where(lane), "gate", "run", "2", env=self.worker(lane)).returncode
        if code != 0:
            return code
        base = lane_base(self.repo, lane)
        return lane_gate_2(self.where(lane), base, self.worker(lane)).returncode

    def states(self) -> dict[str, str]:
        done = lanewarden(self.repo, "lane", "list", "--json")
        assert done.returncode == 0, done.stderr
        return {row["lane_id"]: row["state"] for row in json.loads(done.stdout)["lanes"]}

    def integrate(self, lane: str) -> None:
        if self.mode == "worktrees":
            message = f"Merge {lane}\n\nLane: {lane}\n"
            git(self.repo, "merge", "-q", "--no-ff", "-m", message, f"lane/{lane}", env=INTEGRATOR)
        done = lanewarden(self.repo, "lane", "finish", lane, env=ORCHESTRATOR)
        assert done.returncode == 0, done.stderr


@pytest.fixture(params=["worktrees", "single-branch"])
def wave(repo: Path, request: pytest.FixtureRequest) -> Wave:
    make_parallel_ready(repo)
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text().replace("single-branch", request.param))
    configure(repo, GATES)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    return Wave(repo, request.param)


def test_a_whole_wave(wave: Wave) -> None:
    for lane, scope in LANES.items():
        start_lane(wave.repo, lane, scope, accept=(f"{lane} objective met",))
    assert wave.states() == dict.fromkeys(LANES, "assigned")
    listing = lanewarden(wave.repo, "lane", "brief", "L-002").stdout
    assert "- `src/app/` (lane L-001, L-001)" in listing

    # L-001: a first attempt breaks the gate; its handoff is refused, then fixed.
    wave.commit("L-001", "src/app/BROKEN", "half done\n")
    wave.run("L-001", "lane", "checkpoint", "L-001", "--done", "models", "--next", "fix")
    assert wave.gate("L-001") == 1
    refused = wave.run("L-001", "lane", "handoff", "L-001", "--met", "1", code=1)
    assert [v["message"].split(" (")[0] for v in refused["violations"]] == [
        "gate 2 failed on the tree handed off"
    ]
    if wave.mode == "single-branch":
        wave.commit_ledger()
    env = {**wave.worker("L-001"), **(INTEGRATOR if wave.mode == "single-branch" else {})}
    git(wave.where("L-001"), "rm", "-q", "src/app/BROKEN")
    git(wave.where("L-001"), "commit", "-qm", "fix", "--trailer", "Lane: L-001", env=env)
    assert wave.gate("L-001") == 0
    handoff = wave.run("L-001", "lane", "handoff", "L-001", "--met", "1")
    assert handoff["handoff"]["checkpoint"] == "CP-01"
    assert "Result: pass\n" in handoff["markdown"]

    # L-002 is interrupted after its first checkpoint; a new agent resumes from it.
    wave.commit("L-002", "src/lib/core.py", "core, first half\n")
    next_step = "printf 'core, second half\\n' >> src/lib/core.py"
    wave.run(
        "L-002", "lane", "checkpoint", "L-002", "--done", "first half", "--pending",
        "second half", "--next", next_step,
    )  # fmt: skip
    resumed = wave.run("L-002", "lane", "resume", "L-002")
    assert resumed["state"] == "working"
    assert resumed["last_checkpoint"]["pending"] == ["second half"]
    assert [c["subject"] for c in resumed["commits"]] == ["L-002: src/lib/core.py"]
    if wave.mode == "single-branch":
        wave.commit_ledger()
    subprocess.run(
        resumed["last_checkpoint"]["next"], shell=True, cwd=wave.where("L-002"), check=True
    )
    assert (wave.where("L-002") / "src/lib/core.py").read_text() == (
        "core, first half\ncore, second half\n"
    )
    env = {**wave.worker("L-002"), **(INTEGRATOR if wave.mode == "single-branch" else {})}
    git(wave.where("L-002"), "commit", "-qam", "second half", "--trailer", "Lane: L-002", env=env)
    wave.run("L-002", "lane", "checkpoint", "L-002", "--done", "second half", "--next", "handoff")
    assert wave.gate("L-002") == 0
    assert wave.run("L-002", "lane", "handoff", "L-002", "--met", "1")["handoff"]["checkpoint"] == (
        "CP-02"
    )

    # L-003 needs a permission-gated command: it escalates, is blocked, then approved.
    request = wave.run(
        "L-003", "escalate", "L-003", "--command", "pip install mkdocs", "--reason", "docs build"
    )["request"]["request"]
    assert wave.states()["L-003"] == "blocked"
    refused = wave.run("L-003", "lane", "handoff", "L-003", "--met", "1", code=1)
    assert any("is not answered" in v["message"] for v in refused["violations"])
    approved = lanewarden(wave.repo, "approve", "--request", str(request), env=ORCHESTRATOR)
    assert approved.returncode == 0, approved.stderr
    assert wave.run("L-003", "lane", "resume", "L-003")["requests"][0]["status"] == "granted"
    wave.commit("L-003", "docs/guide.md", "the guide\n")
    # A commit outside the lane's scope (the hooks skipped) makes its handoff refused.
    wave.commit("L-003", "src/app/views.py", "not mine\n", verify=False)
    assert wave.gate("L-003") == 0
    refused = wave.run("L-003", "lane", "handoff", "L-003", "--met", "1", code=1)
    assert {v["path"] for v in refused["violations"]} == {"src/app/views.py"}
    git(wave.where("L-003"), "reset", "-q", "--hard", "HEAD~1")
    assert wave.gate("L-003") == 0
    assert wave.run("L-003", "lane", "handoff", "L-003", "--met", "1")["ok"] is True

    assert wave.states() == dict.fromkeys(LANES, "handed-off")
    for lane in LANES:
        wave.integrate(lane)
    assert wave.states() == dict.fromkeys(LANES, "integrated")
    plan = (wave.repo / "PLAN.md").read_text()
    for entry in ("### L-001 CP-01", "### L-002 CP-02", f"### L-003 request {request}"):
        assert entry in plan
    assert git(wave.repo, "notes", "--ref=refs/notes/lanewarden-handoff", "list").count("\n") == 3
    if wave.mode == "worktrees":
        assert git(wave.repo, "worktree", "list").count("\n") == 1
        assert git(wave.repo, "branch", "--list", "lane/*") == ""
