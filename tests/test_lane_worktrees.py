"""Worktree mode: a lane is a lock, a branch ``lane/ID`` and a linked worktree, made and
removed as one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

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
GATES = '\n[gates]\n"2" = ["test ! -e src/app/BROKEN"]\n'


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    text = (
        (repo / "lanewarden.toml")
        .read_text()
        .replace('mode = "single-branch"', 'mode = "worktrees"')
    )
    (repo / "lanewarden.toml").write_text(text)
    configure(repo, GATES)
    done = lanewarden(repo, "hooks", "install")
    assert done.returncode == 0, done.stderr
    return repo


def commit(tree: Path, path: str, message: str, lane: str = "L-001") -> None:
    write(tree, path, f"{message}\n")
    git(tree, "add", "--", path)
    git(tree, "commit", "-qm", message, "--trailer", f"Lane: {lane}")


def merge(repo: Path, lane: str) -> None:
    """The integrator merges the lane's branch; the merge names the lane."""
    message = f"Merge {lane}\n\nLane: {lane}\n"
    git(repo, "merge", "-q", "--no-ff", "-m", message, f"lane/{lane}", env=INTEGRATOR)


def lane_list(repo: Path) -> dict[str, str]:
    done = lanewarden(repo, "lane", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["lane_id"]: row["state"] for row in json.loads(done.stdout)["lanes"]}


def test_start_makes_the_branch_and_the_worktree_with_hooks_working_there(ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    tree = ready.parent / "repo-L-001"
    assert git(tree, "branch", "--show-current").strip() == "lane/L-001"
    assert git(ready, "rev-parse", "lane/L-001") == git(ready, "rev-parse", "main")
    commit(tree, "src/app/models.py", "models")  # the worker: its lane comes from the branch
    write(tree, "docs/guide.md", "outside\n")
    git(tree, "add", "docs/guide.md")
    refused = subprocess.run(
        ["git", "commit", "-qm", "docs", "--trailer", "Lane: L-001"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert "out-of-scope: docs/guide.md" in refused.stderr  # the hooks run in the worktree
    assert git(tree, "log", "-1", "--format=%s").strip() == "models"
    done = lanewarden(tree, "lane", "checkpoint", "L-001", "--done", "models", "--next", "views")
    assert done.returncode == 0, done.stderr
    assert lane_list(ready) == {"L-001": "working"}


def test_a_failing_step_undoes_the_others(ready: Path) -> None:
    (ready.parent / "blocker").write_text("a file where the worktree's folder would go\n")
    config = ready / "lanewarden.toml"
    config.write_text('worktree_dir = "../blocker/{lane}"\n' + config.read_text())
    git(ready, "commit", "-qam", "worktree_dir", env=INTEGRATOR)
    plan = (ready / "PLAN.md").read_bytes()
    done = lanewarden(
        ready, "lane", "start", "L-001", "--objective", "o", "--scope", "src/app/", env=ORCHESTRATOR
    )
    assert done.returncode == 2
    assert "git worktree failed" in done.stderr
    assert (ready / "PLAN.md").read_bytes() == plan  # no lock left behind, not even in history
    assert git(ready, "branch", "--list", "lane/*") == ""
    assert lane_list(ready) == {}
    assert not (ready / ".git" / "lanewarden" / "lanes" / "L-001").exists()


def test_finish_deletes_a_merged_branch_and_needs_force_for_an_unmerged_one(
    ready: Path,
) -> None:
    start_lane(ready, "L-001", "src/app/")
    start_lane(ready, "L-002", "src/lib/")
    one, two = ready.parent / "repo-L-001", ready.parent / "repo-L-002"
    commit(one, "src/app/models.py", "models")
    commit(two, "src/lib/core.py", "core", lane="L-002")
    done = lanewarden(ready, "lane", "finish", "L-002", "--json", env=ORCHESTRATOR)
    assert done.returncode == 1
    violation = json.loads(done.stdout)["violations"][0]
    assert violation["rule"] == "branch-delete"
    assert "--force" in violation["fix"]
    assert two.is_dir()
    # Integrated: the merged branch goes without --force.
    merge(ready, "L-001")
    assert lane_list(ready)["L-001"] == "working"  # merged, but never handed off
    done = lanewarden(ready, "lane", "finish", "L-001", env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert not one.exists()
    assert git(ready, "branch", "--list", "lane/L-001") == ""
    # Abandoned: --force deletes the unmerged branch, and the audit log says so.
    done = lanewarden(ready, "lane", "finish", "L-002", "--force", env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert not two.exists()
    log = (ready / ".git" / "lanewarden" / "audit.log").read_text().splitlines()
    entry = json.loads(log[-1])
    assert (entry["kind"], entry["lane"], entry["branch"]) == (
        "lane-abandoned",
        "L-002",
        "lane/L-002",
    )
    assert lane_list(ready) == {"L-001": "abandoned", "L-002": "abandoned"}
    assert lanewarden(ready, "lock", "list", "--json").stdout.count("L-00") == 0


def test_handoff_runs_in_the_lanes_own_worktree(ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/", accept=("models done",))
    tree = ready.parent / "repo-L-001"
    commit(tree, "src/app/models.py", "models")
    done = lanewarden(ready, "lane", "handoff", "L-001", "--met", "1", "--json", env=INTEGRATOR)
    assert done.returncode == 1
    violation = json.loads(done.stdout)["violations"][0]
    assert violation["rule"] == "wrong-worktree"
    assert str(tree) in violation["fix"]
    write(tree, "src/app/views.py", "not committed\n")
    assert lanewarden(tree, "gate", "run", "2").returncode == 0
    done = lanewarden(tree, "lane", "handoff", "L-001", "--met", "1", "--json")
    assert done.returncode == 1
    # The gate ran on the work tree with the change, not on the tip that is handed off.
    missing = [v["message"] for v in json.loads(done.stdout)["violations"]]
    assert len(missing) == 2
    assert missing[0] == "uncommitted changes are not part of the handoff: src/app/views.py"
    assert missing[1].startswith("no gate 2 evidence for the tree handed off")
    (tree / "src/app/views.py").write_text("x\n")  # as it was
    assert lane_gate_2(tree, lane_base(ready, "L-001"), {}).returncode == 0
    done = lanewarden(tree, "lane", "handoff", "L-001", "--met", "1")
    assert done.returncode == 0, done.stderr
    tip = git(tree, "rev-parse", "HEAD").strip()
    assert done.stdout.startswith("Lane: L-001\n")
    assert f"Commit: {tip}\n" in done.stdout
    assert "Files: src/app/models.py\n" in done.stdout
    assert lane_list(ready)["L-001"] == "handed-off"
    merge(ready, "L-001")
    assert lane_list(ready)["L-001"] == "integrated"
    assert lanewarden(ready, "lane", "finish", "L-001", env=ORCHESTRATOR).returncode == 0
    assert lane_list(ready)["L-001"] == "integrated"


def test_an_abandoned_lane_whose_commits_were_pruned_is_still_listed(ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    tree = ready.parent / "repo-L-001"
    commit(tree, "src/app/models.py", "models")
    assert lane_gate_2(tree, lane_base(ready, "L-001"), {}).returncode == 0
    assert lanewarden(tree, "lane", "handoff", "L-001").returncode == 0
    done = lanewarden(ready, "lane", "finish", "L-001", "--force", env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    git(ready, "reflog", "expire", "--expire=now", "--all")
    git(ready, "gc", "-q", "--prune=now")
    done = lanewarden(ready, "lane", "list", "--json")
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)["lanes"]
    assert row["state"] == "abandoned"
    assert row["evidence"]["tree"] is None
    assert lanewarden(ready, "lane", "resume", "L-001").returncode == 0


def test_worktree_paths_with_spaces_quotes_and_non_ascii_letters(ready: Path) -> None:
    config = ready / "lanewarden.toml"
    config.write_text('worktree_dir = "../lanes dir/{repo} ä {lane}"\n' + config.read_text())
    git(ready, "commit", "-qam", "worktree_dir", env=INTEGRATOR)
    start_lane(ready, "L-001", "src/app/")
    tree = ready.parent / "lanes dir" / "repo ä L-001"
    name = 'src/app/my dir/naïve "q".py'
    commit(tree, name, "quoted")
    assert lane_gate_2(tree, lane_base(ready, "L-001"), {}).returncode == 0
    done = lanewarden(tree, "lane", "handoff", "L-001", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["handoff"]["files"] == [name]
    assert lanewarden(ready, "lane", "finish", "L-001", "--force", env=ORCHESTRATOR).returncode == 0
    assert not tree.exists()


def test_start_warns_when_the_hooks_are_not_installed(repo: Path) -> None:
    make_parallel_ready(repo)
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text().replace("single-branch", "worktrees"))
    git(repo, "commit", "-qam", "worktree mode", env=INTEGRATOR)
    args = ("lane", "start", "L-001", "--objective", "o", "--scope", "src/app/")
    done = lanewarden(repo, *args, env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert "no lanewarden pre-commit hook" in done.stderr
    assert lanewarden(repo, "hooks", "install").returncode == 0
    done = lanewarden(repo, *args[:2], "L-002", *args[3:-1], "src/lib/", env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr


def test_finish_cleans_up_a_lane_whose_lock_was_released_by_hand(ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    assert lanewarden(ready, "lock", "release", "L-001", env=ORCHESTRATOR).returncode == 0
    done = lanewarden(ready, "lane", "finish", "L-001", env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert not (ready.parent / "repo-L-001").exists()
    assert git(ready, "branch", "--list", "lane/*") == ""
    done = lanewarden(ready, "lane", "finish", "L-001", "--json", env=ORCHESTRATOR)
    assert done.returncode == 1
    assert json.loads(done.stdout)["violations"][0]["rule"] == "lane-released"
