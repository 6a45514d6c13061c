"""The git commands the pre-commit hook starts before its imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.early_git import EarlyGit
from lanewarden.adapters.git import Repo
from lanewarden.errors import InputError


def test_started_in_a_subfolder_they_see_the_whole_repository(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "config", "diff.relative", "true")
    write(repo, "pkg/sub/a.py")
    write(repo, "top.py")
    git(repo, "add", "-A")
    monkeypatch.chdir(repo / "pkg" / "sub")
    early = EarlyGit()
    found = early.repo()
    assert found == Repo.discover(repo)
    changes = early.staged_changes(found)
    assert sorted(c.path for c in changes) == ["pkg/sub/a.py", "top.py"]
    assert changes == Repo.discover(repo).staged_changes()


def test_a_big_diff_is_read_whole(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"folder with a long name/file number {i:05}.py" for i in range(3000)]
    for name in names:
        write(repo, name)
    git(repo, "add", "-A")
    monkeypatch.chdir(repo)
    early = EarlyGit()
    changes = early.staged_changes(early.repo())
    assert sorted(c.path for c in changes) == names


def test_outside_a_repository_the_usual_error_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(InputError, match="not a git repository"):
        EarlyGit().repo()


def test_a_diff_that_failed_is_run_again_in_the_repository(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, "a.py")
    git(repo, "add", "a.py")
    elsewhere = tmp_path / "not-a-repository"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    early = EarlyGit()  # both commands fail here: no repository above this folder
    assert [c.path for c in early.staged_changes(Repo.discover(repo))] == ["a.py"]
