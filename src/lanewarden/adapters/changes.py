"""What changed in a work tree, and the tree id of exactly what is there.

The pytest plugin asks three questions of git, always with ``-z`` and
without rename detection (so both sides of a rename come back as a deletion
and an addition): what changed against HEAD (staged, unstaged and untracked
files that are not ignored), what is staged, and what changed since the merge
base with a ref. The evidence it records names the tree of the content that
was tested, computed in a temporary index so the user's index is never
touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from lanewarden.adapters.git import Repo, env_for_other_repository, run_git, split_z
from lanewarden.errors import InputError

__all__ = [
    "changed_files",
    "files_since",
    "head_commit",
    "listed_files",
    "rev_tree",
    "staged_files",
    "work_tree_id",
]

_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

# Changed paths as git lists them whatever the repository's configuration says:
# submodule bumps included (`ignore = all` in .gitmodules or .git/config hides
# them otherwise), both sides of renames, no external diff or text conversion,
# paths from the top of the work tree.
_NAMES_ARGS = (
    "--name-only",
    "-z",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--ignore-submodules=none",
    "--no-relative",
)


def head_commit(repo: Repo) -> str | None:
    """The commit HEAD points at, or None on an unborn branch."""
    out = repo.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", ok_codes=(0, 1))
    return os.fsdecode(out).strip() or None


def listed_files(repo: Repo) -> list[str]:
    """Every tracked file plus every untracked file that is not ignored."""
    out = repo.git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name")
    return sorted(set(split_z(out)))


def changed_files(repo: Repo) -> list[str]:
    """Files that differ from HEAD: staged, unstaged and untracked (not ignored)."""
    out = repo.git(
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--ignore-submodules=none",
    )
    # Each entry is "XY path"; without rename detection there is no second path.
    return sorted({os.fsdecode(entry[3:]) for entry in out.split(b"\0") if len(entry) > 3})


def staged_files(repo: Repo) -> list[str]:
    """Files the index changes against HEAD (both sides of renames)."""
    base = head_commit(repo) or _EMPTY_TREE
    out = repo.git("diff", "--cached", *_NAMES_ARGS, base)
    return sorted(set(split_z(out)))


def files_since(repo: Repo, ref: str) -> list[str]:
    """Files changed from the merge base of HEAD and ``ref`` to the work tree.

    Commits since the merge base, staged and unstaged changes and untracked
    files all count: the work tree is what the tests will run on.
    """
    if ref.startswith("-"):
        raise InputError(f"{ref!r} is not a revision")
    resolved = repo.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", ok_codes=(0, 1))
    if not resolved.strip():
        raise InputError(f"unknown revision {ref!r}", hint="name a branch, tag or commit")
    if head_commit(repo) is None:
        raise InputError("HEAD has no commits yet, so it has no merge base with " + repr(ref))
    out = repo.git("merge-base", "HEAD", os.fsdecode(resolved).strip(), ok_codes=(0, 1))
    base = os.fsdecode(out).strip()
    if not base:
        raise InputError(f"HEAD and {ref!r} have no common ancestor")
    diff = repo.git("diff", *_NAMES_ARGS, base)
    untracked = repo.git("ls-files", "-z", "--others", "--exclude-standard", "--full-name")
    return sorted(set(split_z(diff)) | set(split_z(untracked)))


def rev_tree(repo: Repo, rev: str) -> str:
    """The tree id of a revision."""
    if rev.startswith("-"):
        raise InputError(f"{rev!r} is not a revision")
    out = repo.git("rev-parse", "--verify", "--quiet", f"{rev}^{{tree}}", ok_codes=(0, 1))
    tree = os.fsdecode(out).strip()
    if not tree:
        raise InputError(f"unknown revision {rev!r}", hint="name a branch, tag or commit")
    return tree


def work_tree_id(repo: Repo) -> str:
    """The tree id of the work tree as tests see it: HEAD plus every change.

    A copy of the index takes ``git add -A`` (staged, unstaged and untracked
    files that are not ignored, deletions too) and ``git write-tree`` names
    the result. Starting from a copy keeps git's stat cache, so only changed
    files are hashed; the user's index is never written.
    """
    index = Path(os.fsdecode(repo.git("rev-parse", "--git-path", "index")).strip())
    if not index.is_absolute():
        index = repo.root / index
    scratch = repo.state_dir / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="index.", dir=scratch)
    os.close(fd)
    temporary = Path(name)
    try:
        if index.is_file():
            shutil.copyfile(index, temporary)
        else:
            temporary.unlink()  # git starts from an empty index when the file is missing
        env = env_for_other_repository()
        env["GIT_INDEX_FILE"] = str(temporary)
        env["GIT_DIR"] = str(repo.git_dir)
        env["GIT_WORK_TREE"] = str(repo.root)
        run_git(["add", "-A", "--", ":/"], cwd=repo.root, env=env)
        out = run_git(["write-tree"], cwd=repo.root, env=env)
        return os.fsdecode(out).strip()
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".lock")):
            leftover.unlink(missing_ok=True)
