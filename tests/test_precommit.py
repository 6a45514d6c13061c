"""The pre-commit hook end to end: real commits through the installed hook."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import Cli, git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready, set_lock_rows

INTEGRATOR_L1 = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"}
OLD = "2020-01-01T00:00:00Z"
FAR = "2099-01-01T00:00:00Z"
FARTHER = "2099-01-02T00:00:00Z"


@pytest.fixture
def ready(repo: Path) -> Path:
    """A repository with the hook installed and lock L-001 on ``src/app/``."""
    make_parallel_ready(repo)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    acquire_two_lanes(repo)
    return repo


def commit(
    repo: Path,
    *args: str,
    env: dict[str, str] | None = None,
    message: str = "change",
    lane: str | None = "L-001",
) -> subprocess.CompletedProcess[str]:
    """``git commit`` through the installed hooks, with the lane's ``Lane:`` trailer."""
    if lane is not None:
        message += f"\n\nLane: {lane}"
    return subprocess.run(
        ["git", "commit", "-q", "-m", message, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_commit_inside_the_scope_passes(ready: Path) -> None:
    write(ready, "src/app/models.py", "changed\n")
    write(ready, "src/app/new file ü.py")
    git(ready, "add", "-A")
    done = commit(ready, env=INTEGRATOR_L1)
    assert done.returncode == 0, done.stderr


def test_commit_outside_the_scope_is_refused(ready: Path) -> None:
    write(ready, "src/app/models.py", "changed\n")
    write(ready, "docs/guide.md", "changed\n")
    git(ready, "add", "-A")
    done = commit(ready, env=INTEGRATOR_L1)
    assert done.returncode != 0
    assert "out-of-scope: docs/guide.md" in done.stderr
    assert "git restore --staged -- docs/guide.md" in done.stderr
    assert git(ready, "log", "-1", "--format=%s").strip() == "locks"


def test_foreign_lock_names_the_other_lock(ready: Path) -> None:
    write(ready, "src/lib/core.py", "changed\n")
    git(ready, "add", "-A")
    done = commit(ready, env=INTEGRATOR_L1)
    assert done.returncode != 0
    assert "foreign-lock: src/lib/core.py" in done.stderr
    assert "L-002" in done.stderr


def test_both_sides_of_a_rename_are_checked(ready: Path) -> None:
    git(ready, "mv", "docs/guide.md", "src/app/guide.md")
    done = commit(ready, env=INTEGRATOR_L1)
    assert done.returncode != 0
    assert "out-of-scope: docs/guide.md" in done.stderr


def test_deletions_and_odd_names_are_checked(ready: Path, cli: Cli) -> None:
    write(ready, "src/app/line\nbreak.py")
    git(ready, "add", "-A")
    git(ready, "rm", "-q", "docs/with space.md")
    done = cli(ready, "hook", "pre-commit", "--json", **INTEGRATOR_L1)
    assert done.code == 1
    assert [(v["rule"], v["path"]) for v in done.json["violations"]] == [
        ("out-of-scope", "docs/with space.md")
    ]


def test_commit_all_and_commit_paths_check_what_is_committed(ready: Path) -> None:
    # Staged: nothing. `git commit -a` commits the tracked change outside the scope.
    write(ready, "docs/guide.md", "changed\n")
    done = commit(ready, "-a", env=INTEGRATOR_L1)
    assert done.returncode != 0
    assert "out-of-scope: docs/guide.md" in done.stderr
    # Staged: the outside change; `git commit PATH` commits only the in-scope file.
    git(ready, "add", "docs/guide.md")
    write(ready, "src/app/views.py", "changed\n")
    done = commit(ready, "--", "src/app/views.py", env=INTEGRATOR_L1)
    assert done.returncode == 0, done.stderr
    assert git(ready, "show", "--name-only", "--format=", "HEAD").split() == ["src/app/views.py"]


def test_no_lane_unknown_lane_and_roles(ready: Path, cli: Cli) -> None:
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "-A")
    no_lane = cli(ready, "hook", "pre-commit", "--json", LANEWARDEN_ROLE="integrator")
    assert [v["rule"] for v in no_lane.json["violations"]] == ["foreign-lock"]
    worker = cli(ready, "hook", "pre-commit", "--json")
    assert {v["rule"] for v in worker.json["violations"]} == {"integrator-only", "no-lane"}
    unknown = cli(
        ready, "hook", "pre-commit", "--json", LANEWARDEN_LANE="L-404", LANEWARDEN_ROLE="integrator"
    )
    assert unknown.code == 2
    assert "unknown lane" in unknown.json["error"]["message"]


def test_a_worker_on_its_own_branch_commits_in_scope(ready: Path) -> None:
    git(ready, "checkout", "-qb", "work")
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "-A")
    assert commit(ready, env={"LANEWARDEN_LANE": "L-001"}).returncode == 0
    git(ready, "checkout", "-q", "main")
    write(ready, "src/app/models.py", "again\n")
    git(ready, "add", "-A")
    refused = commit(ready, env={"LANEWARDEN_LANE": "L-001"})
    assert refused.returncode != 0
    assert "integrator-only" in refused.stderr


def test_expired_and_stale_locks_are_refused(ready: Path, cli: Cli) -> None:
    set_lock_rows(
        ready,
        [
            f"| L-001 | a | `src/app/` | o | {OLD} | {OLD} | 2020-01-01T01:00:00Z |",
            f"| L-002 | b | `src/lib/` | o | {OLD} | {OLD} | 2099-01-01T00:00:00Z |",
        ],
    )
    write(ready, "src/app/models.py", "changed\n")
    write(ready, "src/lib/core.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    expired = cli(ready, "hook", "pre-commit", "--json", **INTEGRATOR_L1)
    assert [v["rule"] for v in expired.json["violations"]] == ["lock-expired"]
    git(ready, "reset", "-q")
    git(ready, "add", "src/lib/core.py")
    stale = cli(
        ready, "hook", "pre-commit", "--json", LANEWARDEN_ROLE="integrator", LANEWARDEN_LANE="L-002"
    )
    assert [v["rule"] for v in stale.json["violations"]] == ["lock-stale"]
    assert "lanewarden lock heartbeat L-002" in stale.json["violations"][0]["fix"]


def test_a_lane_cannot_widen_its_scope_in_its_own_commit(ready: Path) -> None:
    # Stage a ledger that gives L-001 everything, while the orchestrator's copy
    # (the main work tree's file) stays as it is.
    widened = (ready / "PLAN.md").read_text().replace("`src/app/`", "`**`")
    blob_id = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=ready,
        input=widened,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    git(ready, "update-index", "--cacheinfo", f"100644,{blob_id},PLAN.md")
    write(ready, "docs/guide.md", "changed\n")
    git(ready, "add", "docs/guide.md")
    done = commit(ready, env=INTEGRATOR_L1)
    assert done.returncode != 0
    assert "out-of-scope: docs/guide.md" in done.stderr
    assert "out-of-scope: PLAN.md" in done.stderr


def test_worktree_lane_reads_the_main_worktree_registry(ready: Path, tmp_path: Path) -> None:
    (ready / "lanewarden.toml").write_text('mode = "worktrees"\n')
    git(ready, "add", "lanewarden.toml")
    commit(ready, env={"LANEWARDEN_ROLE": "integrator"}, lane=None)
    linked = tmp_path / "lane-1"
    git(ready, "worktree", "add", "-q", "-b", "lane/L-001", str(linked))
    # The lane edits its own copy of the ledger to widen its scope: no effect.
    plan = linked / "PLAN.md"
    plan.write_text(plan.read_text().replace("`src/app/`", "`**`"))
    write(linked, "src/app/models.py", "changed\n")
    git(linked, "add", "src/app/models.py")
    assert commit(linked).returncode == 0
    write(linked, "docs/guide.md", "changed\n")
    git(linked, "add", "docs/guide.md")
    refused = commit(linked)
    assert refused.returncode != 0
    assert "out-of-scope: docs/guide.md" in refused.stderr


def test_empty_staged_change_passes(ready: Path, cli: Cli) -> None:
    assert cli(ready, "hook", "pre-commit", **INTEGRATOR_L1).code == 0


def test_hotspot_shared_by_hand_edited_locks(ready: Path, cli: Cli) -> None:
    (ready / "lanewarden.toml").write_text('hotspots = ["src/app/models.py"]\n')
    set_lock_rows(
        ready,
        [
            f"| L-001 | a | `src/app/` | o | {OLD} | {FAR} | {FARTHER} |",
            f"| L-003 | c | `src/app/models.py` | o | {OLD} | {FAR} | {FARTHER} |",
        ],
    )
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    done = cli(ready, "hook", "pre-commit", "--json", **INTEGRATOR_L1)
    assert {v["rule"] for v in done.json["violations"]} == {"foreign-lock", "hotspot"}


def test_a_bad_hotspot_glob_is_bad_input(ready: Path, cli: Cli) -> None:
    (ready / "lanewarden.toml").write_text('hotspots = ["src/[app"]\n')
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    done = cli(ready, "hook", "pre-commit", **INTEGRATOR_L1)
    assert done.code == 2
    assert "lanewarden.toml: bad glob in hotspots" in done.err
    assert not (ready / ".git" / "lanewarden" / "hotspots.cache").exists()
