"""Merges through real git: the merge's own change, judged as a commit's.

``git merge`` commits through pre-merge-commit, not pre-commit; a stopped
merge is concluded by ``git commit``, whose pre-commit hook judges the same
own change while ``MERGE_HEAD`` exists.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready

WORKER_L1 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
WORKER_L2 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-002"}
INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
INTEGRATOR_L1 = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"}
MERGE_L1 = "merge lane/L-001\n\nLane: L-001"


def run_git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_EDITOR": "true", **env},
        check=False,
    )


def lane_commit(repo: Path, branch: str, path: str, text: str, env: dict[str, str]) -> None:
    git(repo, "switch", "-q", branch)
    write(repo, path, text)
    git(repo, "add", "-A")
    lane = env["LANEWARDEN_LANE"]
    done = run_git(repo, "commit", "-qm", f"work\n\nLane: {lane}", env=env)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def lanes(repo: Path) -> Path:
    """Hooks installed; lane/L-001 changed two ``src/app/`` files, lane/L-002 ``src/lib/``."""
    make_parallel_ready(repo)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    acquire_two_lanes(repo)
    git(repo, "branch", "lane/L-001")
    git(repo, "branch", "lane/L-002")
    lane_commit(repo, "lane/L-001", "src/app/models.py", "L-001 models\n", WORKER_L1)
    lane_commit(repo, "lane/L-001", "src/app/views.py", "L-001 views\n", WORKER_L1)
    lane_commit(repo, "lane/L-002", "src/lib/core.py", "L-002 core\n", WORKER_L2)
    git(repo, "switch", "-q", "main")
    return repo


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_worker_merging_onto_the_target_branch_is_refused(lanes: Path) -> None:
    before = head(lanes)
    done = run_git(lanes, "merge", "--no-ff", "-m", MERGE_L1, "lane/L-001", env=WORKER_L1)
    assert done.returncode != 0, done.stdout
    assert "integrator-only" in done.stderr
    assert head(lanes) == before


def test_no_verify_does_not_skip_the_merge_check(lanes: Path) -> None:
    # `git merge --no-verify` skips pre-merge-commit and commit-msg, not prepare-commit-msg.
    before = head(lanes)
    args = ("merge", "--no-verify", "--no-ff", "-m", MERGE_L1, "lane/L-001")
    done = run_git(lanes, *args, env=WORKER_L1)
    assert done.returncode != 0, done.stdout
    assert "integrator-only" in done.stderr
    assert head(lanes) == before


def test_the_integrator_merging_a_lane_branch_as_that_lane_passes(lanes: Path) -> None:
    done = run_git(lanes, "merge", "--no-ff", "-m", MERGE_L1, "lane/L-001", env=INTEGRATOR_L1)
    assert done.returncode == 0, done.stderr
    assert git(lanes, "rev-list", "--parents", "-n", "1", "HEAD").count(" ") == 2


def test_a_merge_that_drops_another_lanes_work_is_that_lanes_change(lanes: Path) -> None:
    # `-s ours` records lane/L-002 as merged while keeping none of its work.
    before = head(lanes)
    done = run_git(lanes, "merge", "-s", "ours", "-m", MERGE_L1, "lane/L-002", env=INTEGRATOR_L1)
    assert done.returncode != 0, done.stdout
    assert "foreign-lock: src/lib/core.py" in done.stderr
    assert "changed by the merge itself" in done.stderr
    assert "merge as the lane that owns it (LANEWARDEN_LANE=L-002)" in done.stderr
    assert head(lanes) == before


def test_a_conflicted_merge_is_judged_on_its_resolution(lanes: Path) -> None:
    write(lanes, "src/app/models.py", "main's models\n")
    git(lanes, "add", "-A")
    done = run_git(lanes, "commit", "-qm", "models\n\nLane: L-001", env=INTEGRATOR_L1)
    assert done.returncode == 0, done.stderr
    stopped = run_git(lanes, "merge", "-m", MERGE_L1, "lane/L-001", env=INTEGRATOR_L1)
    assert stopped.returncode != 0
    assert "CONFLICT" in stopped.stdout
    write(lanes, "src/app/models.py", "resolved\n")
    write(lanes, "src/lib/core.py", "slipped into the resolution\n")
    git(lanes, "add", "-A")
    checked = lanewarden(lanes, "hook", "pre-commit", "--json", env=INTEGRATOR_L1)
    body = json.loads(checked.stdout)
    assert body["merge"] is True
    assert body["paths"] == 2  # the resolution and the extra edit; views.py is the lane's
    assert {(v["rule"], v["path"]) for v in body["violations"]} == {
        ("merge-out-of-scope", "src/lib/core.py"),
        ("foreign-lock", "src/lib/core.py"),
    }
    refused = run_git(lanes, "commit", "--no-edit", env=INTEGRATOR_L1)
    assert refused.returncode != 0
    assert "foreign-lock: src/lib/core.py" in refused.stderr
    git(lanes, "restore", "--staged", "--worktree", "--source", "HEAD", "src/lib/core.py")
    concluded = run_git(lanes, "commit", "--no-edit", env=INTEGRATOR_L1)
    assert concluded.returncode == 0, concluded.stderr
    worker = run_git(
        lanes, "merge", "--no-ff", "-m", "m\n\nLane: L-002", "lane/L-002", env=WORKER_L2
    )
    assert "integrator-only" in worker.stderr


def test_the_merge_hook_outside_a_merge_has_only_the_branch_rule(lanes: Path) -> None:
    git(lanes, "switch", "-q", "lane/L-001")
    done = lanewarden(lanes, "hook", "pre-merge-commit", "--json", env=WORKER_L1)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["paths"] is None  # no merge: no own change to judge
    git(lanes, "switch", "-q", "main")
    refused = lanewarden(lanes, "hook", "pre-merge-commit", "--json", env=WORKER_L1)
    assert refused.returncode == 1
    assert [v["rule"] for v in json.loads(refused.stdout)["violations"]] == ["integrator-only"]


def test_a_conflict_resolved_as_git_left_it_is_still_the_merges_own_change(lanes: Path) -> None:
    # lane/L-001 deletes views.py, main changes it: git leaves main's version in the
    # tree; keeping it decides the conflict, which only L-001 may do.
    lane_commit(lanes, "lane/L-001", "src/app/views.py", "", WORKER_L1)
    git(lanes, "rm", "-q", "src/app/views.py")
    assert run_git(lanes, "commit", "-qm", "drop\n\nLane: L-001", env=WORKER_L1).returncode == 0
    lane_commit(lanes, "main", "src/app/views.py", "main's views\n", INTEGRATOR_L1)
    integrator_l2 = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-002"}
    stopped = run_git(lanes, "merge", "-m", "m\n\nLane: L-002", "lane/L-001", env=integrator_l2)
    assert "CONFLICT (modify/delete)" in stopped.stdout
    git(lanes, "add", "src/app/views.py")
    checked = lanewarden(lanes, "hook", "pre-commit", "--json", env=integrator_l2)
    assert checked.returncode == 1
    assert ("foreign-lock", "src/app/views.py") in {
        (v["rule"], v["path"]) for v in json.loads(checked.stdout)["violations"]
    }
    done = lanewarden(lanes, "hook", "pre-commit", "--json", env=INTEGRATOR_L1)
    assert done.returncode == 0, done.stdout


def test_amending_a_merge_judges_its_own_change_not_what_it_merged(lanes: Path) -> None:
    done = run_git(lanes, "merge", "--no-ff", "-m", MERGE_L1, "lane/L-001", env=INTEGRATOR_L1)
    assert done.returncode == 0, done.stderr
    reworded = run_git(
        lanes, "commit", "--amend", "-m", "merge, reworded\n\nLane: L-001", env=INTEGRATOR
    )
    # The merged paths are L-001's own commits' change, not the merge's: the
    # integrator, with no lane, may reword it.
    assert reworded.returncode == 0, reworded.stderr
    write(lanes, "src/lib/core.py", "slipped into the merge\n")
    git(lanes, "add", "-A")
    refused = run_git(lanes, "commit", "--amend", "--no-verify", "--no-edit", env=INTEGRATOR_L1)
    assert refused.returncode != 0
    assert "foreign-lock: src/lib/core.py" in refused.stderr
