"""The change a commit being made brings of its own, for amends and merges.

A commit's own change is where its tree (the index) differs from what its
parents already give: the one parent's tree; for a merge of two, the tree git
itself makes of them (``git merge-tree --write-tree``, git 2.38 and later), so
conflict resolutions (every path git leaves in conflict) and anything else
edited during the merge count, and the work each side brings does not. For
an octopus merge, or a git without ``merge-tree --write-tree``, the rule falls
back to the whole difference from the first parent: stricter, never looser.
"""

from __future__ import annotations

import os

from lanewarden.adapters.git import Change, Repo, parse_name_status, split_z
from lanewarden.adapters.git_commands import STAGED_DIFF_ARGS

__all__ = ["amended_parents", "auto_merge_tree", "changes_against", "merge_parents", "own_change"]


def merge_parents(repo: Repo) -> list[str] | None:
    """HEAD and the commits being merged into it, or None when no merge is in progress."""
    try:
        text = (repo.git_dir / "MERGE_HEAD").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return ["HEAD", *text.split()]


def auto_merge_tree(repo: Repo) -> str | None:
    """The tree git's default merge strategy made (``AUTO_MERGE``), while a merge commits.

    During pre-merge-commit git has not written ``MERGE_HEAD`` yet; the ort
    strategy has written ``AUTO_MERGE``, the same tree ``merge-tree`` gives.
    Other strategies (``-s ours``, ``-s resolve``, octopus) write none: None.
    Git removes it whenever it ends or aborts a merge, so it is this merge's.
    """
    out = repo.git("rev-parse", "--verify", "--quiet", "AUTO_MERGE^{tree}", ok_codes=(0, 1))
    return os.fsdecode(out).strip() or None


def amended_parents(repo: Repo) -> list[str]:
    """The parents of HEAD: those of the commit that replaces it by ``--amend``."""
    out = repo.git("rev-list", "--parents", "-n", "1", "HEAD")
    return os.fsdecode(out).split()[1:]


def own_change(repo: Repo, parents: list[str]) -> list[Change]:
    """Every path where the index differs from what ``parents`` already give.

    For a merge of two, every path git's own merge leaves in conflict counts
    too, even when its resolution matches the version git left in the tree
    (keeping a file the other side deleted is a decision of the merge).
    """
    base, conflicted = _base(repo, parents)
    changes = changes_against(repo, base)
    seen = {path for change in changes for path in change.paths()}
    return changes + [Change("U", path) for path in conflicted if path not in seen]


def changes_against(repo: Repo, base: str) -> list[Change]:
    """Every path where the index differs from the commit or tree ``base``."""
    return parse_name_status(repo.git(*STAGED_DIFF_ARGS, base, "--"))


def _base(repo: Repo, parents: list[str]) -> tuple[str, list[str]]:
    """What the commit is compared with, and the paths git's merge left in conflict."""
    if not parents:
        out = repo.git("hash-object", "-t", "tree", "--stdin", stdin=b"")
        return os.fsdecode(out).strip(), []  # the empty tree, in the repository's hash
    if len(parents) == 2:
        out = repo.git(
            "merge-tree",
            "--write-tree",
            "--name-only",
            "-z",
            "--no-messages",
            "--allow-unrelated-histories",
            *parents,
            ok_codes=(0, 1, 128, 129),  # 1: conflicts (the tree holds their markers)
        )
        tree, *conflicted = split_z(out) or [""]
        if len(tree) in (40, 64) and all(c in "0123456789abcdef" for c in tree):
            return tree, list(dict.fromkeys(conflicted))
    return parents[0], []
