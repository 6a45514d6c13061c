"""A lane as git sees it: its base, its commits, its tip, its branch and worktree.

In worktree mode a lane's commits are those of branch ``lane/<id>`` that the
target branch does not have; in single-branch mode they are the target
branch's commits since the lane's base that carry its ``Lane:`` trailer.
"""

from __future__ import annotations

import os
from pathlib import Path

from lanewarden.adapters.commits import is_ancestor, list_commits, resolve_commit
from lanewarden.adapters.git import Repo, split_z
from lanewarden.domain.lanes import LaneRecord
from lanewarden.domain.push_check import PushedCommit
from lanewarden.domain.trailers import Trailers
from lanewarden.errors import InputError

__all__ = [
    "add_worktree",
    "branch_ref",
    "contains",
    "create_branch",
    "delete_branch",
    "lane_commits",
    "lane_tip",
    "remove_worktree",
    "subject",
    "target_commit",
    "tree_of",
    "worktree_path",
]


def branch_ref(lane_id: str) -> str:
    """The lane's branch in worktree mode, ``refs/heads/lane/<id>``."""
    return f"refs/heads/lane/{lane_id}"


def target_commit(repo: Repo, target: str) -> str:
    """The commit the target branch points at; an input error when it has none."""
    sha = resolve_commit(repo, f"refs/heads/{target}")
    if sha is None:
        raise InputError(
            f"the target branch {target!r} has no commit",
            hint="commit to it first, or set `target_branch` in the configuration",
        )
    return sha


def lane_commits(repo: Repo, record: LaneRecord) -> list[PushedCommit]:
    """The lane's own commits, oldest first."""
    if record.branch is not None:
        tip = resolve_commit(repo, f"refs/heads/{record.branch}")
        if tip is None:
            return []
        exclude = [f"^{record.base}"]
        target = resolve_commit(repo, f"refs/heads/{record.target}")
        if target is not None:
            exclude.append(f"^{target}")
        return list_commits(repo, tip, exclude)
    target = resolve_commit(repo, f"refs/heads/{record.target}")
    if target is None:
        return []
    return _trailer_commits(repo, target, record.base, record.lane_id)


def _trailer_commits(repo: Repo, tip: str, base: str, lane_id: str) -> list[PushedCommit]:
    """The commits since ``base`` whose ``Lane:`` trailer names the lane, oldest first.

    One ``git log`` reads every commit's trailers; only the lane's own commits
    cost a ``git diff-tree`` for their paths, however busy the target branch is.
    """
    out = repo.git(
        "log",
        "-z",
        "--reverse",
        "--topo-order",
        "--format=%H%x1f%T%x1f%P%x1f%(trailers:only,unfold)",
        tip,
        f"^{base}",
        "--",
    )
    commits = []
    for entry in out.split(b"\0"):
        if not entry.strip():
            continue
        sha, tree, parents, text = os.fsdecode(entry).strip("\n").split("\x1f", 3)
        trailers = Trailers.parse(text)
        if lane_id not in trailers.lanes:
            continue
        merge = len(parents.split()) > 1
        paths = () if merge else tuple(_paths(repo, sha))
        commits.append(PushedCommit(sha, tree, tuple(parents.split()), paths, trailers))
    return commits


def _paths(repo: Repo, sha: str) -> list[str]:
    # Both sides of a rename; a root commit's files too.
    out = repo.git(
        "diff-tree", "-r", "-z", "--root", "--no-commit-id", "--no-renames", "--name-only", sha
    )
    return list(dict.fromkeys(split_z(out)))


def lane_tip(repo: Repo, record: LaneRecord, commits: list[PushedCommit]) -> str | None:
    """The lane's latest commit: its branch's tip, or its last trailer commit, else its base.

    None when the lane's branch is gone (deleted by ``lane finish``).
    """
    if record.branch is not None:
        return resolve_commit(repo, f"refs/heads/{record.branch}")
    return commits[-1].sha if commits else record.base


def contains(repo: Repo, branch: str, commit: str) -> bool:
    """Whether ``branch`` contains ``commit``."""
    tip = resolve_commit(repo, f"refs/heads/{branch}")
    return tip is not None and is_ancestor(repo, commit, tip)


def tree_of(repo: Repo, commit: str) -> str | None:
    """The tree id of a commit; None when the commit is gone (a deleted branch, pruned)."""
    out = repo.git("rev-parse", "--verify", "--quiet", f"{commit}^{{tree}}", ok_codes=(0, 1, 128))
    return os.fsdecode(out).strip() or None


def subject(repo: Repo, commit: str) -> str:
    """A commit's subject line."""
    return os.fsdecode(repo.git("log", "-1", "--format=%s", commit, "--")).strip()


def worktree_path(repo: Repo, template: str, lane_id: str) -> Path:
    """Where the lane's worktree goes: ``template`` relative to the main work tree."""
    main = repo.main_worktree()
    try:
        relative = template.format(repo=main.name, lane=lane_id)
    except (KeyError, IndexError, ValueError) as e:
        raise InputError(
            f"worktree_dir {template!r} cannot be filled in: {e!r}",
            hint='use only the fields {repo} and {lane}, like "../{repo}-{lane}"',
        ) from None
    return Path(os.path.normpath(main / relative))


def create_branch(repo: Repo, lane_id: str, base: str) -> None:
    """Create ``lane/<id>`` at ``base``; an existing branch is an input error."""
    if resolve_commit(repo, branch_ref(lane_id)) is not None:
        raise InputError(
            f"branch lane/{lane_id} already exists",
            hint=f"delete it (`git branch -D lane/{lane_id}`) or choose another lane id",
        )
    repo.git("branch", "--no-track", f"lane/{lane_id}", base)


def delete_branch(repo: Repo, lane_id: str) -> None:
    """Delete ``lane/<id>`` whatever it holds (callers decide whether that is allowed)."""
    repo.git("branch", "-D", f"lane/{lane_id}")


def add_worktree(repo: Repo, path: Path, lane_id: str) -> None:
    """Check ``lane/<id>`` out in a new linked worktree at ``path``."""
    repo.git("worktree", "add", "--quiet", str(path), f"lane/{lane_id}")


def remove_worktree(repo: Repo, path: Path, *, force: bool) -> None:
    """Remove the linked worktree at ``path`` (``force``: even with changes in it)."""
    args = ["worktree", "remove", *(["--force"] if force else []), str(path)]
    repo.git(*args)
    repo.git("worktree", "prune")
