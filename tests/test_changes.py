"""Changed files and tested tree ids, against real git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lanewarden.adapters import changes
from lanewarden.adapters.git import Repo
from lanewarden.errors import InputError

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(root: Path, *args: str, index: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    write(
        root,
        {
            ".gitignore": "*.log\n",
            "a.py": "a\n",
            "b.py": "b\n",
            "dir/c.py": "c\n",
            "with space.py": "s\n",
            "ünï.py": "u\n",
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return Repo.discover(root)


def test_changed_files_include_staged_unstaged_and_untracked(repo: Repo) -> None:
    write(repo.root, {"a.py": "A\n", "with space.py": "S\n", "new.py": "n\n", "x.log": "ignored"})
    git(repo.root, "add", "a.py")
    write(repo.root, {"ünï.py": "U\n", "line\nbreak.py": "weird\n"})
    assert changes.changed_files(repo) == sorted(
        ["a.py", "with space.py", "new.py", "ünï.py", "line\nbreak.py"]
    )


def test_rename_and_deletion_give_both_sides(repo: Repo) -> None:
    git(repo.root, "mv", "dir/c.py", "moved.py")
    git(repo.root, "rm", "-q", "b.py")
    assert changes.changed_files(repo) == ["b.py", "dir/c.py", "moved.py"]
    assert changes.staged_files(repo) == ["b.py", "dir/c.py", "moved.py"]


def test_staged_files_ignore_unstaged_and_untracked(repo: Repo) -> None:
    write(repo.root, {"a.py": "A\n", "b.py": "B\n", "new.py": "n\n"})
    git(repo.root, "add", "a.py")
    assert changes.staged_files(repo) == ["a.py"]


def test_files_since_use_the_merge_base(repo: Repo) -> None:
    git(repo.root, "switch", "-q", "-c", "feature")
    write(repo.root, {"a.py": "feature\n"})
    git(repo.root, "commit", "-qam", "feature")
    git(repo.root, "switch", "-q", "main")
    write(repo.root, {"b.py": "main moved\n"})
    git(repo.root, "commit", "-qam", "main")
    git(repo.root, "switch", "-q", "feature")
    write(repo.root, {"dir/c.py": "wip\n", "untracked.py": "u\n"})
    assert changes.files_since(repo, "main") == ["a.py", "dir/c.py", "untracked.py"]


@pytest.mark.parametrize("ref", ["nope", "--output=x"])
def test_files_since_a_bad_ref_is_an_input_error(repo: Repo, ref: str) -> None:
    with pytest.raises(InputError):
        changes.files_since(repo, ref)


def test_head_commit_and_rev_tree(repo: Repo) -> None:
    assert changes.head_commit(repo) == git(repo.root, "rev-parse", "HEAD").strip()
    assert changes.rev_tree(repo, "HEAD") == git(repo.root, "rev-parse", "HEAD^{tree}").strip()
    with pytest.raises(InputError, match="unknown revision"):
        changes.rev_tree(repo, "nope")


def oracle_tree(root: Path, tmp: Path) -> str:
    index = tmp / "oracle-index"
    git(root, "add", "-A", index=index)
    return git(root, "write-tree", index=index).strip()


def test_work_tree_id_is_the_work_tree_and_leaves_the_index_alone(
    repo: Repo, tmp_path: Path
) -> None:
    write(repo.root, {"a.py": "staged\n"})
    git(repo.root, "add", "a.py")
    write(repo.root, {"a.py": "unstaged on top\n", "new.py": "n\n", "x.log": "ignored\n"})
    (repo.root / "b.py").unlink()
    index = repo.root / ".git" / "index"
    before = index.read_bytes()
    staged_before = git(repo.root, "diff", "--cached", "--name-only")
    tree = changes.work_tree_id(repo)
    assert tree == oracle_tree(repo.root, tmp_path)
    assert index.read_bytes() == before
    assert git(repo.root, "diff", "--cached", "--name-only") == staged_before
    listing = git(repo.root, "ls-tree", "-r", "--name-only", tree).splitlines()
    assert "new.py" in listing
    assert "x.log" not in listing
    assert "b.py" not in listing
    assert not list((repo.state_dir / "tmp").iterdir())


def test_work_tree_id_of_a_clean_tree_is_heads_tree(repo: Repo) -> None:
    assert changes.work_tree_id(repo) == changes.rev_tree(repo, "HEAD")


def test_work_tree_id_on_an_unborn_branch(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, {"a.py": "a\n"})
    repo = Repo.discover(tmp_path)
    assert changes.head_commit(repo) is None
    assert changes.work_tree_id(repo) == oracle_tree(tmp_path, tmp_path.parent)
    assert changes.changed_files(repo) == ["a.py"]
    assert changes.staged_files(repo) == []


def test_listed_files_are_tracked_plus_untracked_not_ignored(repo: Repo) -> None:
    write(repo.root, {"new.py": "n\n", "x.log": "ignored\n"})
    assert "new.py" in changes.listed_files(repo)
    assert "x.log" not in changes.listed_files(repo)
    assert "ünï.py" in changes.listed_files(repo)
