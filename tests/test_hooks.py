"""``lanewarden hooks install`` and the plain scripts: chaining, worktrees, core.hooksPath."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import Cli, git, write
from scenario import acquire_two_lanes, make_parallel_ready


def hooks_dir(repo: Path) -> Path:
    return repo / ".git" / "hooks"


def test_installs_an_executable_hook_and_leaves_no_untracked_files(cli: Cli, repo: Path) -> None:
    done = cli(repo, "hooks", "install", "--json")
    assert done.code == 0
    hook = hooks_dir(repo) / "pre-commit"
    assert os.access(hook, os.X_OK)
    assert "lanewarden hook pre-commit" in hook.read_text()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    again = cli(repo, "hooks", "install", "--json")
    assert again.json["hooks"][0]["action"] == "updated"


def test_an_existing_hook_is_chained_and_runs_first(cli: Cli, repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hook = hooks_dir(repo) / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\necho ran > '{marker}'\nexit 3\n")
    hook.chmod(0o755)
    done = cli(repo, "hooks", "install", "--json")
    assert done.json["hooks"][0]["chained"].endswith("pre-commit.pre-lanewarden")
    write(repo, "a.txt")
    git(repo, "add", "a.txt")
    result = subprocess.run(["git", "commit", "-qm", "x"], cwd=repo, capture_output=True, text=True)
    assert result.returncode != 0  # the user's hook ran first and its refusal stands
    assert marker.read_text() == "ran\n"


def test_refuses_core_hooks_path_unless_asked(cli: Cli, repo: Path) -> None:
    git(repo, "config", "core.hooksPath", ".githooks")
    refused = cli(repo, "hooks", "install", "--json")
    assert refused.code == 1
    assert refused.json["violations"][0]["rule"] == "hooks-path"
    assert "--use-hooks-path" in refused.json["violations"][0]["fix"]
    assert not (hooks_dir(repo) / "pre-commit").exists()
    done = cli(repo, "hooks", "install", "--use-hooks-path", "--json")
    assert done.code == 0
    assert (repo / ".githooks" / "pre-commit").is_file()


def test_works_from_a_linked_worktree(cli: Cli, repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "lane/L-001", str(linked))
    assert cli(linked, "hooks", "install").code == 0
    assert (hooks_dir(repo) / "pre-commit").is_file()
    assert not (linked / "pre-commit").exists()


ALL_HOOKS = ["pre-commit", "prepare-commit-msg", "commit-msg", "pre-merge-commit", "pre-push"]


def test_installs_every_hook(cli: Cli, repo: Path) -> None:
    done = cli(repo, "hooks", "install", "--json")
    assert [row["hook"] for row in done.json["hooks"]] == ALL_HOOKS
    for name in ALL_HOOKS:
        hook = hooks_dir(repo) / name
        assert os.access(hook, os.X_OK)
        assert f"lanewarden hook {name}" in hook.read_text()


def test_pre_push_feeds_gits_input_to_the_chained_hook_and_to_lanewarden(
    cli: Cli, repo: Path, tmp_path: Path
) -> None:
    seen = tmp_path / "seen"
    hook = hooks_dir(repo) / "pre-push"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ncat > '{seen}'\nexit 0\n")
    hook.chmod(0o755)
    assert cli(repo, "hooks", "install").code == 0
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    refused = subprocess.run(
        ["git", "push", "origin", "--delete", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "branch-delete" in refused.stderr  # lanewarden read the line
    assert "refs/heads/main" in seen.read_text()  # and so did the chained hook


def test_the_plain_hook_scripts_work_through_core_hooks_path(repo: Path, tmp_path: Path) -> None:
    scripts = Path(__file__).resolve().parents[1] / "hooks"
    for name in ALL_HOOKS:
        assert os.access(scripts / name, os.X_OK), name
        assert f"lanewarden hook {name} " in (scripts / name).read_text(), name
    git(repo, "config", "core.hooksPath", str(scripts))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LANEWARDEN_ROLE": "integrator",
    }
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    refused = subprocess.run(
        ["git", "push", "origin", "--delete", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert refused.returncode != 0
    assert "branch-delete" in refused.stderr
    write(repo, "a.txt")
    git(repo, "add", "a.txt")
    done = subprocess.run(
        ["git", "commit", "-qm", "x"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    # No ledger yet: the pre-commit script ran lanewarden, which says how to start.
    assert done.returncode != 0
    assert "execution ledger not found" in done.stderr


def test_the_plain_scripts_check_amends_and_merges(repo: Path) -> None:
    scripts = Path(__file__).resolve().parents[1] / "hooks"
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    git(repo, "config", "core.hooksPath", str(scripts))
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    def run(*args: str, lane: str, role: str = "worker") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PATH": path, "LANEWARDEN_ROLE": role, "LANEWARDEN_LANE": lane}
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env)

    git(repo, "switch", "-q", "-c", "lane/L-002")
    write(repo, "src/lib/core.py", "L-002\n")
    git(repo, "add", "-A")
    assert run("commit", "-qm", "lib\n\nLane: L-002", lane="L-002").returncode == 0
    relabel = run("commit", "--amend", "--no-verify", "-m", "mine\n\nLane: L-001", lane="L-001")
    assert relabel.returncode != 0
    assert "foreign-lock: src/lib/core.py" in relabel.stderr
    git(repo, "switch", "-q", "main")
    merge = run("merge", "--no-ff", "-m", "m\n\nLane: L-002", "lane/L-002", lane="L-002")
    assert merge.returncode != 0
    assert "integrator-only" in merge.stderr
    git(repo, "merge", "--abort", check=False)
    done = run(
        "merge", "--no-ff", "-m", "m\n\nLane: L-002", "lane/L-002", lane="L-002", role="integrator"
    )
    assert done.returncode == 0, done.stderr
