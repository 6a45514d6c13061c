"""One ref carried to and from a remote: fetched into a scratch ref, pushed without force.

Refs that are not branches (the audit anchor, and any other ref lanewarden
keeps outside ``refs/heads``) travel the same way: fetch the remote's value
into a scratch ref to compare it with ours, push ours under the same name as
a fast-forward only, and tell a rejected push (the remote moved on) from a
failure.
"""

from __future__ import annotations

import os
import subprocess

from lanewarden.adapters.git import Repo
from lanewarden.errors import InputError

__all__ = ["fetch_ref", "push_ref"]


def _git(repo: Repo, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=repo.root, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed or not on PATH") from None


def _failed(done: subprocess.CompletedProcess[bytes], what: str, hint: str) -> InputError:
    message = os.fsdecode(done.stderr).strip() or f"exit status {done.returncode}"
    return InputError(f"{what} failed: {message}", hint=hint)


def fetch_ref(repo: Repo, remote: str, ref: str, into: str) -> bool:
    """Fetch ``remote``'s ``ref`` into the local scratch ref ``into``; False if it has none.

    ``into`` is overwritten whatever it held: it is scratch space, never a
    ref anyone keeps.
    """
    done = _git(repo, "fetch", "--quiet", "--no-tags", remote, f"+{ref}:{into}")
    if done.returncode == 0:
        return True
    if "couldn't find remote ref" in os.fsdecode(done.stderr):
        return False
    raise _failed(done, "git fetch", f"check that {remote!r} is a remote: `git remote -v`")


def push_ref(repo: Repo, remote: str, ref: str) -> bool:
    """Push ``ref`` to the same name on ``remote``, fast-forward only.

    Returns False when the remote refused because it moved on (fetch and try
    again); any other failure is an input error with git's words.
    """
    done = _git(repo, "push", "--quiet", remote, f"{ref}:{ref}")
    if done.returncode == 0:
        return True
    message = os.fsdecode(done.stderr)
    if "(fetch first)" in message or "(non-fast-forward)" in message:
        return False
    raise _failed(done, "git push", f"check that {remote!r} is a remote: `git remote -v`")
