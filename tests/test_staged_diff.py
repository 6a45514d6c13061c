"""The staged diff the pre-commit hook starts before its imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.git import Repo
from lanewarden.adapters.staged_diff import StagedDiff


def test_started_in_a_subfolder_it_reports_paths_from_the_top(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "config", "diff.relative", "true")
    write(repo, "pkg/sub/a.py")
    write(repo, "top.py")
    git(repo, "add", "-A")
    monkeypatch.chdir(repo / "pkg" / "sub")
    changes = StagedDiff.start().changes(Repo.discover())
    assert sorted(c.path for c in changes) == ["pkg/sub/a.py", "top.py"]
    assert changes == Repo.discover(repo).staged_changes()


def test_a_diff_that_failed_is_run_again_in_the_repository(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "a.py")
    git(repo, "add", "a.py")
    elsewhere = tmp_path / "not-a-repository"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    staged = StagedDiff.start()  # git fails here: no repository above this folder
    assert [c.path for c in staged.changes(Repo.discover(repo))] == ["a.py"]
