"""Reading commits, ranges and another revision's registry out of git.

The push check and ``verify`` never trust the commits they check to tell
them the rules: the lock registry and the configuration are read from a
*base* revision (the target branch as the remote has it, or the range's
base) with ``git show``, so a commit cannot widen its own lane's scope.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from lanewarden.adapters.config import CONFIG_FILES, Config, load_config
from lanewarden.adapters.git import Repo, env_for_other_repository, run_git, split_z
from lanewarden.domain.locks import Lock, ReleasedLock
from lanewarden.domain.push_check import PushedCommit
from lanewarden.domain.registry import LockRegistry
from lanewarden.domain.trailers import Trailers
from lanewarden.errors import InputError

__all__ = [
    "MERGE_CONFIG",
    "PINNED_CONFIG",
    "TREE_DIFF_ARGS",
    "CommitHeader",
    "changed_paths",
    "config_at",
    "file_at",
    "is_ancestor",
    "is_shallow",
    "list_commits",
    "log_headers",
    "merge_own_paths",
    "merge_paths_without_merge_tree",
    "object_exists",
    "registry_at",
    "resolve_commit",
    "with_paths",
    "zero_id",
]

# A repository's configuration must never narrow which paths lanewarden sees:
# submodule bumps count (whatever `ignore` .gitmodules or .git/config set),
# renames list both sides, and no external diff or text conversion runs.
TREE_DIFF_ARGS = (
    "-r",
    "-z",
    "--name-only",
    "--no-renames",
    "--ignore-submodules=none",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
)
# Trailers parse with git's default separator whatever `trailer.separators` says.
PINNED_CONFIG = ("-c", "trailer.separators=:", "-c", "diff.ignoreSubmodules=none")
# The merge git makes by default, whatever the repository's merge.* settings.
MERGE_CONFIG = (
    "-c",
    "merge.renames=true",
    "-c",
    "merge.directoryRenames=conflict",
    "-c",
    "merge.renormalize=false",
    "-c",
    "core.attributesFile=/dev/null",
)


def zero_id(repo: Repo) -> str:
    """The all-zero object id of the repository's hash algorithm (SHA-1 or SHA-256)."""
    out = repo.git("rev-parse", "--show-object-format", ok_codes=(0, 128))
    return "0" * (64 if os.fsdecode(out).strip() == "sha256" else 40)


def resolve_commit(repo: Repo, rev: str) -> str | None:
    """The commit ``rev`` names, or None when it does not resolve here."""
    if not rev or rev.startswith("-"):
        return None
    out = repo.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok_codes=(0, 1, 128))
    return os.fsdecode(out).strip() or None


def object_exists(repo: Repo, sha: str) -> bool:
    """Whether the object is in this repository (a remote may have ones we never fetched)."""
    out = repo.git("cat-file", "-t", sha, ok_codes=(0, 1, 128))
    return bool(out.strip())


def is_ancestor(repo: Repo, ancestor: str, descendant: str) -> bool:
    """Whether ``descendant`` contains ``ancestor`` (a fast-forward from it)."""
    return _status(repo, "merge-base", "--is-ancestor", ancestor, descendant) == 0


def _status(repo: Repo, *args: str) -> int:
    done = subprocess.run(["git", *args], cwd=repo.root, capture_output=True, check=False)
    return done.returncode


def is_shallow(repo: Repo) -> bool:
    """Whether this is a shallow clone (history may stop before the base)."""
    out = repo.git("rev-parse", "--is-shallow-repository")
    return os.fsdecode(out).strip() == "true"


class CommitHeader(NamedTuple):
    """A commit as ``git log`` lists it, before its paths are read."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    trailers: Trailers


def log_headers(repo: Repo, tip: str, exclude: Sequence[str]) -> list[CommitHeader]:
    """Commits reachable from ``tip`` and not from ``exclude`` (rev-list arguments), oldest first.

    Parents come before their children (topological order).
    """
    out = repo.git(
        *PINNED_CONFIG,
        "log",
        "-z",
        "--reverse",
        "--topo-order",
        "--no-show-signature",
        "--format=%H%x1f%T%x1f%P%x1f%(trailers:only,unfold)",
        tip,
        *exclude,
        "--",
    )
    headers = []
    for record in out.split(b"\0"):
        if not record.strip():
            continue
        sha, tree, parents, trailers = os.fsdecode(record).strip("\n").split("\x1f", 3)
        headers.append(CommitHeader(sha, tree, tuple(parents.split()), Trailers.parse(trailers)))
    return headers


def with_paths(repo: Repo, headers: Sequence[CommitHeader]) -> list[PushedCommit]:
    """The commits with the paths each changes itself.

    A merge commit's paths are its own change: where its tree differs from the
    merge git itself makes of its parents (:func:`merge_own_paths`). The
    commits it brings in are listed and checked one by one.
    """
    commits = []
    with _MergeScratch(repo) as scratch:
        for header in headers:
            paths = (
                merge_own_paths(repo, header.sha, header.parents, scratch)
                if len(header.parents) > 1
                else changed_paths(repo, header.sha)
            )
            commits.append(
                PushedCommit(
                    sha=header.sha,
                    tree=header.tree,
                    parents=header.parents,
                    paths=tuple(paths),
                    trailers=header.trailers,
                )
            )
    return commits


def list_commits(repo: Repo, tip: str, exclude: Sequence[str]) -> list[PushedCommit]:
    """Commits reachable from ``tip`` and not from ``exclude``, oldest first, with their paths."""
    return with_paths(repo, log_headers(repo, tip, exclude))


def changed_paths(repo: Repo, sha: str) -> list[str]:
    """Every path a (non-merge) commit changes against its parent, or every file of a root."""
    # --no-renames lists both sides of a rename; --root gives a root commit's files.
    out = repo.git(*PINNED_CONFIG, "diff-tree", "--root", "--no-commit-id", *TREE_DIFF_ARGS, sha)
    return list(dict.fromkeys(split_z(out)))


def _tree_diff(repo: Repo, old: str, new: str) -> list[str]:
    out = repo.git(*PINNED_CONFIG, "diff-tree", *TREE_DIFF_ARGS, old, new)
    return list(dict.fromkeys(split_z(out)))


class _MergeScratch:
    """An empty work tree and index for ``git merge-tree``, so nothing local steers it.

    Run from the user's work tree, a merge would apply the merge drivers its
    ``.gitattributes`` names; run here it is the same plain merge for the
    pre-push hook and for ``verify`` in a clean clone.
    """

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> _MergeScratch:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._folder is not None:
            self._folder.cleanup()

    def git(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> bytes:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="lanewarden-merge.")
        folder = Path(self._folder.name)
        env = env_for_other_repository()
        env.update(
            GIT_DIR=str(self._repo.git_dir),
            GIT_WORK_TREE=str(folder),
            GIT_INDEX_FILE=str(folder / "index"),
            GIT_ATTR_NOSYSTEM="1",
            GIT_AUTHOR_NAME="lanewarden",
            GIT_AUTHOR_EMAIL="lanewarden@invalid",
            GIT_AUTHOR_DATE="@0 +0000",
            GIT_COMMITTER_NAME="lanewarden",
            GIT_COMMITTER_EMAIL="lanewarden@invalid",
            GIT_COMMITTER_DATE="@0 +0000",
        )
        return run_git([*MERGE_CONFIG, *args], cwd=folder, env=env, ok_codes=ok_codes)


def merge_own_paths(
    repo: Repo, sha: str, parents: Sequence[str], scratch: _MergeScratch | None = None
) -> list[str]:
    """The paths a merge commit changes itself (git 2.38 or later merges in memory).

    They are the paths where the merge's tree differs from the tree ``git
    merge-tree --write-tree`` makes of its parents, plus every path that merge
    leaves in conflict: a conflict's resolution is the merge's own change. An
    octopus merge folds the parents in one at a time. Where git cannot merge in
    memory, :func:`merge_paths_without_merge_tree` decides.
    """
    if scratch is None:
        with _MergeScratch(repo) as own:
            return merge_own_paths(repo, sha, parents, own)
    merged = parents[0]
    conflicts: list[str] = []
    tree = ""
    for index, parent in enumerate(parents[1:], start=2):
        out = scratch.git(
            "merge-tree",
            "--write-tree",
            "--allow-unrelated-histories",
            "--no-messages",
            "--name-only",
            "-z",
            merged,
            parent,
            ok_codes=(0, 1, 128, 129),
        )
        fields = split_z(out)
        if not fields or len(fields[0]) not in (40, 64):
            return merge_paths_without_merge_tree(repo, sha, parents)
        tree, conflicts = fields[0], conflicts + fields[1:]
        if index < len(parents):  # the next parent merges into a commit of what we have
            made = scratch.git("commit-tree", tree, *_parent_args(parents[:index]), "-m", "fold")
            merged = os.fsdecode(made).strip()
    return list(dict.fromkeys([*conflicts, *_tree_diff(repo, tree, sha)]))


def _parent_args(parents: Sequence[str]) -> list[str]:
    return [arg for parent in parents for arg in ("-p", parent)]


def merge_paths_without_merge_tree(repo: Repo, sha: str, parents: Sequence[str]) -> list[str]:
    """A merge's own change where git has no ``merge-tree --write-tree`` (before 2.38).

    Without an in-memory merge the own change cannot be separated from what the
    parents bring, so every path in which the merge differs from any parent
    counts: a superset that never lets a change pass unseen (merges that bring
    another lane's work are refused until git is upgraded).
    """
    paths: list[str] = []
    for parent in parents:
        paths += _tree_diff(repo, parent, sha)
    return list(dict.fromkeys(paths))


def file_at(repo: Repo, rev: str, path: str) -> str | None:
    """The text of ``path`` as committed in ``rev``, or None when it has no such file."""
    done = subprocess.run(
        ["git", "cat-file", "blob", f"{rev}:{path}"],
        cwd=repo.root,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace")


def registry_at(repo: Repo, rev: str, ledger: str) -> LockRegistry | None:
    """The lock registry in ``rev``'s ledger, or None when ``rev`` has no ledger.

    A ledger without a recognisable lock table is an input error: reading it as
    "no locks" would wave every change through. A byte-order mark is ignored.
    """
    text = file_at(repo, rev, ledger)
    if text is None:
        return None
    from lanewarden.domain.ledger import LOCK_COLUMNS, Ledger

    where = Path(f"{rev}:{ledger}")
    parsed = Ledger.parse(text.removeprefix("\ufeff"), where)
    if not parsed.has_lock_table:
        raise InputError(
            "no lock table found: expected a table with columns " + " | ".join(LOCK_COLUMNS),
            path=where,
            hint="restore the ledger's lock table on that branch (`lanewarden init` writes an "
            "empty one), or point `ledger` in the configuration at the real ledger",
        )
    return LockRegistry(
        locks=tuple(Lock.from_record(record, where) for record in parsed.locks),
        history=tuple(ReleasedLock.from_record(record, where) for record in parsed.history),
    )


def config_at(repo: Repo, rev: str) -> Config:
    """The configuration as committed in ``rev`` (defaults when it has none).

    ``config.source`` names the file it came from, or is None for the defaults.
    """
    with tempfile.TemporaryDirectory(prefix="lanewarden-config.") as folder:
        for name in CONFIG_FILES:
            text = file_at(repo, rev, name)
            if text is not None:
                (Path(folder) / name).write_text(text, encoding="utf-8")
        try:
            config = load_config(Path(folder))
        except InputError as e:
            raise InputError(
                e.message, path=f"{rev}:{Path(e.path or '').name}", hint=e.hint
            ) from None
    source = None if config.source is None else Path(f"{rev}:{config.source.name}")
    return config._replace(root=repo.root, source=source)
