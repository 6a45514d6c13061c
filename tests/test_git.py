from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.git import Repo, run_git
from lanewarden.errors import InputError

ODD_NAMES = ["with space.py", 'quote"d.py', "new\nline.py", "ünïcødé.py", "tab\there.py"]


def test_staged_changes_cover_every_kind(repo: Path) -> None:
    write(repo, "old.py", "a\n" * 20)
    write(repo, "gone.py")
    write(repo, "mode.sh")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "mv", "old.py", "renamed.py")
    git(repo, "rm", "-q", "gone.py")
    (repo / "mode.sh").chmod(0o755)
    os.symlink("README.md", repo / "link")
    for name in ODD_NAMES:
        write(repo, name)
    git(repo, "add", "-A")
    changes = Repo.discover(repo).staged_changes()
    paths = {p for change in changes for p in change.paths()}
    assert {"old.py", "renamed.py", "gone.py", "mode.sh", "link", *ODD_NAMES} <= paths
    rename = next(c for c in changes if c.status == "R")
    assert (rename.source, rename.path) == ("old.py", "renamed.py")


def test_submodule_link_is_a_staged_path(repo: Path, tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    git(sub, "init", "-q")
    write(sub, "f")
    git(sub, "add", "f")
    git(sub, "commit", "-qm", "sub")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor/sub")
    paths = {p for c in Repo.discover(repo).staged_changes() for p in c.paths()}
    assert {"vendor/sub", ".gitmodules"} <= paths


def test_first_commit_has_staged_changes(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, "a.py")
    git(tmp_path, "add", "a.py")
    assert [c.path for c in Repo.discover(tmp_path).staged_changes()] == ["a.py"]


def test_honours_git_index_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, "a.py")
    index = repo / ".git" / "other-index"
    shutil.copyfile(repo / ".git" / "index", index)
    git(repo, "add", "a.py", env={"GIT_INDEX_FILE": str(index)})
    assert Repo.discover(repo).staged_changes() == []
    monkeypatch.setenv("GIT_INDEX_FILE", str(index))
    assert [c.path for c in Repo.discover(repo).staged_changes()] == ["a.py"]


def test_unmerged_index_is_an_input_error(repo: Path) -> None:
    write(repo, "f.txt", "base\n")
    git(repo, "add", "f.txt")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "other")
    write(repo, "f.txt", "other\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    write(repo, "f.txt", "main\n")
    git(repo, "commit", "-qam", "main")
    git(repo, "merge", "other", check=False)
    with pytest.raises(InputError, match="merge is in progress"):
        Repo.discover(repo).staged_changes()


def test_not_a_repository_and_bare(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a git repository"):
        Repo.discover(tmp_path)
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(InputError, match="bare repository"):
        Repo.discover(tmp_path / "bare.git")


def test_linked_worktree_sees_main_worktree_and_common_dir(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "lane/L-001", str(tmp_path / "wt"))
    linked = Repo.discover(tmp_path / "wt")
    assert linked.is_linked_worktree
    assert linked.main_worktree().resolve() == repo.resolve()
    assert linked.state_dir.resolve() == (repo / ".git" / "lanewarden").resolve()
    assert linked.current_branch() == "lane/L-001"


def test_a_branch_name_that_is_not_utf8_is_read(repo: Path) -> None:
    name = os.fsdecode(b"lane/caf\xe9")
    git(repo, "checkout", "-q", "-b", name)
    assert Repo.discover(repo).current_branch() == name
    assert os.fsencode(Repo.discover(repo).current_branch() or "") == b"lane/caf\xe9"


def test_git_in_a_folder_that_is_gone(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder") as caught:
        run_git(["status"], cwd=tmp_path / "gone")
    assert caught.value.path == str(tmp_path / "gone")
