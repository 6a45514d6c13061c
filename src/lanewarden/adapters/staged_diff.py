"""The staged change, read by a ``git diff`` that runs while Python loads the check.

The pre-commit hook waits on two things of about the same length: git comparing
the index with HEAD, and Python importing the check. Started first, the diff
runs during the imports. This module imports nothing but :mod:`subprocess`, so
git starts as early as it can.
"""

from __future__ import annotations

import subprocess

# typing.TYPE_CHECKING would import typing before git starts.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from lanewarden.adapters.git import Change, Repo

__all__ = ["STAGED_DIFF_ARGS", "StagedDiff"]

# Every path the index changes against HEAD (or the empty tree on an unborn
# branch), both sides of renames and copies, from the top of the work tree.
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

# A pipe large enough for git to write a big diff without waiting for a reader.
_PIPE_SIZE = 1 << 20


class StagedDiff:
    """``git diff --cached`` running in the background: start it early, read it later."""

    def __init__(self, process: subprocess.Popen[bytes] | None) -> None:
        self._process = process

    @classmethod
    def start(cls) -> StagedDiff:
        """Start the diff in the current directory; honours ``GIT_INDEX_FILE``."""
        try:
            process = subprocess.Popen(
                ["git", *STAGED_DIFF_ARGS],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                pipesize=_PIPE_SIZE,
            )
        except OSError:
            process = None  # no git, or no pipe that large: changes() runs git itself
        return cls(process)

    def changes(self, repo: Repo) -> list[Change]:
        """The staged changes of ``repo``; a failed diff is run again to report git's error."""
        from lanewarden.adapters.git import parse_name_status

        if self._process is not None:
            out, _ = self._process.communicate()
            if self._process.returncode == 0:
                return parse_name_status(out)
        return repo.staged_changes()
