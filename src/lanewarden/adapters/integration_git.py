"""The git side of ``lanewarden integrate``: applying, undoing and reverting lanes.

Every command runs in the main work tree, on the target branch. Commits the
integrator makes carry ``Lane:`` and ``Integrated-by:`` trailers; the
lanes' commits were checked by the hooks when they were made and at handoff,
so the integrator's own commits skip them (``--no-verify``); gate 2 follows.
"""

from __future__ import annotations

import os
from typing import Any

from lanewarden.adapters.git import Repo

__all__ = [
    "LANE_FORMAT",
    "IntegrationGit",
    "UndoConflict",
    "apply_lane",
    "checkout_target",
    "commits_since_base",
    "commits_to_apply",
    "conflict_paths",
    "is_ancestor",
    "line_counts",
    "new_commits",
    "revert_lane",
    "staged_nothing",
]

LANE_FORMAT = "--format=%H%x1f%(trailers:key=Lane,valueonly,separator=%x1e)"


class IntegrationGit:
    """The integrator's git commands in the main work tree (hooks run where they apply)."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def out(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        return os.fsdecode(self.repo.git(*args, ok_codes=ok)).strip()

    def head(self) -> str:
        return self.out("rev-parse", "HEAD")

    def tree(self, rev: str = "HEAD") -> str:
        return self.out("rev-parse", f"{rev}^{{tree}}")

    def branch_commit(self, branch: str) -> str:
        return self.out("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")

    def dirty(self) -> list[str]:
        out = self.repo.git("status", "--porcelain=v1", "-z", "--untracked-files=no")
        return [os.fsdecode(entry[3:]) for entry in out.split(b"\0") if len(entry) > 3]

    def reset_to(self, commit: str, tree: str) -> None:
        """Put the branch back on ``commit``, its tree checked: the exact tree before."""
        for command in (("cherry-pick", "--abort"), ("merge", "--abort"), ("revert", "--abort")):
            self.repo.git(*command, ok_codes=(0, 1, 128))
        self.repo.git("reset", "-q", "--hard", commit)
        if self.tree() != tree or self.dirty():
            raise RuntimeError(f"the branch did not return to tree {tree}")


def is_ancestor(git: IntegrationGit, commit: str, of: str) -> bool:
    return not git.out("rev-list", "-n", "1", commit, f"^{of}")


def checkout_target(git: IntegrationGit, target: str) -> None:
    for command in (("cherry-pick", "--abort"), ("merge", "--abort"), ("revert", "--abort")):
        git.repo.git(*command, ok_codes=(0, 1, 128))
    if git.repo.current_branch() != target:
        git.repo.git("checkout", "-q", "-f", target)


def commits_since_base(git: IntegrationGit, item: dict[str, Any]) -> list[str]:
    out = git.out(
        "log", "--reverse", "--no-merges", LANE_FORMAT, item["commit"], f"^{item['base']}"
    )
    commits = []
    for line in out.splitlines():
        sha, _, lanes = line.partition("\x1f")
        if item["lane"] in lanes.split("\x1e"):
            commits.append(sha)
    return commits


def apply_lane(git: IntegrationGit, state: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """Apply the lane's commits; the conflicting paths, or [] when it applied."""
    lane_id = item["lane"]
    trailers = ["--trailer", f"Lane: {lane_id}", "--trailer", f"Integrated-by: {state['by']}"]
    if state["strategy"] == "merge" and state["mode"] == "worktrees":
        message = f"Merge lane {lane_id}\n\nLane: {lane_id}\nIntegrated-by: {state['by']}\n"
        git.repo.git(
            "merge", "-q", "--no-ff", "--no-verify", "-m", message, item["commit"], ok_codes=(0, 1)
        )
        return conflict_paths(git)
    for commit in commits_to_apply(git, item, state["mode"]):
        git.repo.git("cherry-pick", "--no-commit", commit, ok_codes=(0, 1))
        conflicts = conflict_paths(git)
        if conflicts or git.out("rev-parse", "-q", "--verify", "CHERRY_PICK_HEAD", ok=(0, 1)):
            return conflicts or ["(cherry-pick stopped)"]
        if staged_nothing(git):
            continue  # already on the target branch: nothing to commit
        git.repo.git(
            "-c", "trailer.ifexists=addIfDifferent", "commit", "-q", "--no-verify",
            "--reuse-message", commit, *trailers,
        )  # fmt: skip
    return []


def staged_nothing(git: IntegrationGit) -> bool:
    return not git.out("diff", "--cached", "--name-only")


def commits_to_apply(git: IntegrationGit, item: dict[str, Any], mode: str) -> list[str]:
    """The handed-off commits the target branch does not have, oldest first."""
    out = git.out(
        "log", "--reverse", "--no-merges", LANE_FORMAT,
        item["commit"], "^HEAD", f"^{item['base']}",
    )  # fmt: skip
    commits = []
    for line in out.splitlines():
        sha, _, lanes = line.partition("\x1f")
        if mode == "worktrees" or item["lane"] in lanes.split("\x1e"):
            commits.append(sha)
    return commits


def conflict_paths(git: IntegrationGit) -> list[str]:
    out = git.repo.git("diff", "--name-only", "-z", "--diff-filter=U")
    return [os.fsdecode(p) for p in out.split(b"\0") if p]


def new_commits(git: IntegrationGit, before: str, after: str) -> list[str]:
    # First parents only: a merged lane's new commit is the merge, not the lane's own.
    out = git.out("rev-list", "--reverse", "--first-parent", after, f"^{before}")
    return out.split() if out else []


def line_counts(git: IntegrationGit, before: str, after: str) -> tuple[int, int]:
    added = removed = 0
    for line in git.out("diff", "--numstat", before, after).splitlines():
        plus, minus, _ = line.split("\t", 2)
        added += int(plus) if plus.isdigit() else 0
        removed += int(minus) if minus.isdigit() else 0
    return added, removed


class UndoConflict(Exception):
    """A lane's commits cannot be reverted: commits after them change the same lines."""

    def __init__(self, lane: str, paths: list[str], blockers: list[str]) -> None:
        super().__init__(f"lane {lane}: reverting it conflicts in {', '.join(paths)}")
        self.lane = lane
        self.paths = paths
        self.blockers = blockers  # "<short sha> <subject>" of each later commit on those paths

    def describe(self) -> str:
        later = "; ".join(self.blockers) or "later commits"
        return f"its revert conflicts in {', '.join(self.paths)} with {later}"


def revert_lane(git: IntegrationGit, state: dict[str, Any], outcome: dict[str, Any]) -> list[str]:
    """``git revert`` the lane's commits (newest first); the revert commits.

    All or nothing: when one revert conflicts, the branch goes back to the tree
    before the first (checked by tree id) and :class:`UndoConflict` names the
    conflicting paths and the later commits that changed them.
    """
    start, start_tree = git.head(), git.tree()
    made = []
    for commit in reversed(outcome["commits"]):
        merge = len(git.out("rev-list", "--parents", "-n", "1", commit).split()) > 2
        mainline = ("-m", "1") if merge else ()
        git.repo.git("revert", "--no-commit", *mainline, commit, ok_codes=(0, 1))
        conflicts = conflict_paths(git)
        if conflicts:
            git.reset_to(start, start_tree)
            last = outcome["commits"][-1]
            later = git.out(
                "--literal-pathspecs", "log", "--format=%h %s", start, f"^{last}", "--", *conflicts
            )
            raise UndoConflict(outcome["lane"], conflicts, later.splitlines())
        if staged_nothing(git):
            continue
        subject = git.out("log", "-1", "--format=%s", commit)
        message = f'Revert "{subject}"\n\nThis reverts commit {commit}.\n'
        git.repo.git(
            "commit", "-q", "--no-verify", "-m", message,
            "--trailer", f"Lane: {outcome['lane']}", "--trailer", f"Integrated-by: {state['by']}",
        )  # fmt: skip
        made.append(git.head())
    return made
