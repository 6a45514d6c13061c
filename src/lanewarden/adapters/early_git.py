"""The pre-commit hook's git commands, started before Python imports the check.

The hook waits on three things of similar length: Python importing the check,
git finding the repository, and git comparing the index with HEAD. Started
first, both git commands run during the imports. They are spawned with
:func:`os.posix_spawnp`, because importing :mod:`subprocess` alone takes about
as long as finding the repository. Whenever an early command cannot start or
fails, the caller gets the result from :mod:`lanewarden.adapters.git` instead,
which runs the same command again and reports git's own error. The command
lines are shared through :mod:`lanewarden.adapters.git_commands`, so the git
boundary never imports this module: the dependency goes one way.
"""

from __future__ import annotations

import os

from lanewarden.adapters.git_commands import DISCOVER_ARGS, STAGED_DIFF_ARGS

# typing.TYPE_CHECKING would import typing before git starts.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from lanewarden.adapters.git import Change, Repo

__all__ = ["EarlyGit"]

# Large enough for git to write a big diff while nobody reads yet (Linux only).
_PIPE_SIZE = 1 << 20


class _Spawned:
    """One git command writing into a pipe that is read when its output is needed."""

    def __init__(self, args: tuple[str, ...]) -> None:
        self._pid: int | None = None
        self._stdout = -1
        if not hasattr(os, "posix_spawnp"):
            return
        read_end, write_end = os.pipe()  # both close on exec; dup2 makes a copy that does not
        _grow(write_end)
        try:
            self._pid = os.posix_spawnp(
                "git",
                ["git", *args],
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, write_end, 1),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ],
            )
        except OSError:
            os.close(read_end)
            return
        finally:
            os.close(write_end)
        self._stdout = read_end

    def output(self) -> bytes | None:
        """What git wrote, once it exited 0; None when it did not start or failed."""
        if self._pid is None:
            return None
        chunks = []
        while chunk := os.read(self._stdout, 1 << 16):
            chunks.append(chunk)
        os.close(self._stdout)
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        return b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else None


def _grow(fd: int) -> None:
    import fcntl

    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    try:
        fcntl.fcntl(fd, setsize, _PIPE_SIZE)
    except OSError:
        return  # a lower system limit: git waits for the reader, which only costs time


class EarlyGit:
    """``git rev-parse`` and ``git diff --cached``, started in the current directory."""

    def __init__(self) -> None:
        self._discover = _Spawned(DISCOVER_ARGS)
        self._staged = _Spawned(STAGED_DIFF_ARGS)

    def repo(self) -> Repo:
        """The repository of the current directory (as :meth:`Repo.discover` finds it)."""
        from lanewarden.adapters.git import Repo

        out = self._discover.output()
        return Repo.discover() if out is None else Repo.from_rev_parse(out)

    def staged_changes(self, repo: Repo) -> list[Change]:
        """The staged changes of ``repo`` (as :meth:`Repo.staged_changes` lists them)."""
        from lanewarden.adapters.git import parse_name_status

        out = self._staged.output()
        return repo.staged_changes() if out is None else parse_name_status(out)
