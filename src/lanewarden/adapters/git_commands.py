"""The git command lines that the pre-commit hook starts early and the git boundary reruns.

Both :mod:`lanewarden.adapters.early_git` (which spawns them before the hook's
imports) and :mod:`lanewarden.adapters.git` (which runs them again when the
early attempt failed, and parses their output) use these, so they live apart
from both: neither module imports the other at load time. This module imports
nothing, so the hook pays nothing for it before git starts.
"""

__all__ = ["DISCOVER_ARGS", "STAGED_DIFF_ARGS"]

# Whether there is a work tree, the git dirs, and the top of the work tree.
DISCOVER_ARGS = (
    "rev-parse",
    "--is-bare-repository",
    "--absolute-git-dir",
    "--git-common-dir",
    "--show-toplevel",
)

# Every path the index changes against HEAD (or the empty tree on an unborn
# branch), both sides of renames and copies, from the top of the work tree.
# Honours GIT_INDEX_FILE, so `git commit -a` is checked on what it commits.
STAGED_DIFF_ARGS = (
    "diff",
    "--cached",
    "--name-status",
    "-z",
    "-M",
    "-C",
    "--no-ext-diff",
    "--ignore-submodules=none",
    "--no-relative",
)
