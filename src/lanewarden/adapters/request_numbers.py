"""Request numbers that are unique across machines: each is claimed on the remote first.

On one machine every worktree shares one ``requests/`` folder, and a number
is taken by creating its file (a hard link that fails if the name exists).
Clones on several machines each have a folder of their own, so in remote
registry mode a number is first claimed on the registry's remote: by
creating the ref ``refs/lanewarden/requests/<N>`` with
``git push --force-with-lease=<ref>:`` (an empty expected value: the ref must
not exist yet). git creates a ref atomically, so of two machines claiming one
number exactly one push lands; the other claims the next number. Numbers stay
plain integers (``approve --request N`` reads the same on one machine or many).
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from lanewarden.adapters.git import Repo, run_git, scratch_index_env
from lanewarden.errors import InputError

__all__ = ["REQUESTS_REF", "RequestClaims"]

REQUESTS_REF = "refs/lanewarden/requests/"
_ATTEMPTS = 64
# What git says when the claimed ref exists already: another machine took the number.
_TAKEN = ("stale info", "[rejected]", "already exists", "cannot lock ref", "failed to update ref")


class RequestClaims:
    """Claims request numbers for lane ``lane_id`` on ``remote``; call it with the first to try."""

    def __init__(self, repo: Repo, remote: str, lane_id: str) -> None:
        self.repo = repo
        self.remote = remote
        self.lane_id = lane_id
        self._taken: set[int] | None = None

    def __call__(self, number: int) -> int:
        """The first number from ``number`` on (and past every claimed one) claimed here."""
        if self._taken is None:
            self._taken = self._listed()
        candidate = max(number, max(self._taken, default=0) + 1)
        for _ in range(_ATTEMPTS):
            if self._claim(candidate):
                self._taken.add(candidate)
                return candidate
            self._taken = self._listed()  # another machine claimed it, maybe more since
            candidate = max(candidate + 1, max(self._taken, default=0) + 1)
        raise InputError(
            f"request numbers on {self.remote} kept being claimed by others: too many at once",
            hint="nothing was recorded; run the command again",
        )

    def _listed(self) -> set[int]:
        """The numbers claimed on the remote."""
        done = subprocess.run(
            ["git", "ls-remote", "--refs", self.remote, f"{REQUESTS_REF}*"],
            cwd=self.repo.root,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise self._failed("git ls-remote", done)
        numbers = set()
        for line in os.fsdecode(done.stdout).splitlines():
            name = line.partition("\t")[2].removeprefix(REQUESTS_REF)
            if name.isdigit():
                numbers.add(int(name))
        return numbers

    def _claim(self, number: int) -> bool:
        """Create the number's ref on the remote; False if it exists there already."""
        ref = f"{REQUESTS_REF}{number}"
        commit = self._commit(f"lanewarden request {number}: lane {self.lane_id}")
        done = subprocess.run(
            [
                "git",
                "push",
                "--quiet",
                "--no-verify",
                f"--force-with-lease={ref}:",
                self.remote,
                f"{commit}:{ref}",
            ],
            cwd=self.repo.root,
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            return True
        if any(sign in os.fsdecode(done.stderr) for sign in _TAKEN):
            return False
        raise self._failed("git push", done)

    def _commit(self, message: str) -> str:
        """A commit of the empty tree: the claim holds nothing but its name and message."""
        root = self.repo.root
        with tempfile.TemporaryDirectory(prefix="lanewarden-request-") as scratch:
            env = scratch_index_env(scratch)
            tree = os.fsdecode(run_git(["write-tree"], cwd=root, env=env)).strip()
            out = run_git(["commit-tree", tree, "-m", message], cwd=root, env=env)
        return os.fsdecode(out).strip()

    def _failed(self, what: str, done: subprocess.CompletedProcess[bytes]) -> InputError:
        message = os.fsdecode(done.stderr).strip() or f"exit status {done.returncode}"
        return InputError(
            f"{what} to claim a request number on {self.remote} failed: {message}",
            hint="nothing was recorded; check the remote (`git remote -v`), then run the "
            "command again",
        )
