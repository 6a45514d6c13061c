"""``lanewarden hooks install``: chaining, worktrees, core.hooksPath."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import Cli, git, write


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
