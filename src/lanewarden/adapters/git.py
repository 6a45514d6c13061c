"""The git boundary: every call to git goes through here, always with ``-z``.

Git runs as a subprocess (GitPython costs the hook path ~0.1 s to import).
The pre-commit hook starts its two commands earlier still, before its imports
(:mod:`lanewarden.adapters.early_git`, which falls back on this module; this
one never imports it); this module parses their output too.
Failures become :class:`~lanewarden.errors.InputError` with git's own words.
Paths are decoded with :func:`os.fsdecode`, so any byte sequence git allows
in a name survives the round trip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from lanewarden.adapters.git_commands import DISCOVER_ARGS, STAGED_DIFF_ARGS
from lanewarden.errors import InputError

__all__ = [
    "LANEWARDEN_IDENTITY",
    "Change",
    "Repo",
    "run_git",
    "scratch_index_env",
    "split_z",
]

# Variables git sets for a hook that would point another repository's git at
# ours; GIT_INDEX_FILE is kept for the hook's own repository (commit -a).
_REPO_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")


# Who lanewarden's own commits (registry, notes, lane refs, audit anchor) are by: never the
# user's identity, which may be unset on a fresh machine.
LANEWARDEN_IDENTITY = {
    "GIT_AUTHOR_NAME": "lanewarden",
    "GIT_AUTHOR_EMAIL": "lanewarden@localhost",
    "GIT_COMMITTER_NAME": "lanewarden",
    "GIT_COMMITTER_EMAIL": "lanewarden@localhost",
}


def scratch_index_env(scratch: str) -> dict[str, str]:
    """The environment of a lanewarden commit built in an index of its own under ``scratch``.

    The user's index (and whatever they staged) is never touched.
    """
    return {
        **os.environ,
        **LANEWARDEN_IDENTITY,
        "GIT_INDEX_FILE": os.path.join(scratch, "index"),
    }


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok_codes: tuple[int, ...] = (0,),
) -> bytes:
    """Run ``git ARGS`` in ``cwd`` and return its stdout; fail with git's message."""
    import subprocess  # ~5 ms: the pre-commit hook's usual path never needs it

    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=None if env is None else dict(env),
            check=False,
        )
    except FileNotFoundError as e:
        if e.filename not in (None, "git"):  # the folder to run in is gone
            raise InputError("cannot run git here: no such folder", path=cwd) from None
        raise InputError("git is not installed or not on PATH") from None
    if done.returncode not in ok_codes:
        message = os.fsdecode(done.stderr).strip() or f"exit status {done.returncode}"
        raise InputError(f"git {args[0]} failed: {message}")
    return done.stdout


def split_z(output: bytes) -> list[str]:
    """Split git's NUL-separated output into path strings."""
    return [os.fsdecode(part) for part in output.split(b"\0") if part]


def env_for_other_repository() -> dict[str, str]:
    """The environment minus the variables that pin git to the hook's repository."""
    return {k: v for k, v in os.environ.items() if k not in _REPO_VARIABLES}


class Change(NamedTuple):
    """One entry of ``git diff --name-status``: a status letter and its path(s)."""

    status: str
    path: str
    source: str | None = None  # the other side of a rename or copy

    def paths(self) -> Iterator[str]:
        if self.source is not None:
            yield self.source
        yield self.path


class Repo(NamedTuple):
    """A non-bare git repository, seen from one of its work trees."""

    root: Path
    git_dir: Path
    common_dir: Path

    @classmethod
    def discover(cls, cwd: Path | None = None) -> Repo:
        """Find the repository containing ``cwd``; refuse bare repositories."""
        cwd = Path.cwd() if cwd is None else cwd
        try:
            out = run_git(DISCOVER_ARGS, cwd=cwd)
        except InputError as e:
            if "not a git repository" in e.message:
                raise InputError(
                    "not a git repository", path=cwd, hint="run lanewarden inside a git work tree"
                ) from None
            if "must be run in a work tree" in e.message:
                raise _no_work_tree(cwd) from None
            raise
        return cls.from_rev_parse(out, cwd)

    @classmethod
    def from_rev_parse(cls, out: bytes, cwd: Path | None = None) -> Repo:
        """The repository as ``git rev-parse DISCOVER_ARGS`` run in ``cwd`` describes it."""
        cwd = Path.cwd() if cwd is None else cwd
        lines = os.fsdecode(out).split("\n")
        if lines[0] == "true" or len(lines) < 4 or not lines[3]:
            raise _no_work_tree(cwd)
        git_dir = Path(lines[1])
        common = Path(lines[2])
        if not common.is_absolute():
            common = (cwd / common).resolve()
        return cls(root=Path(lines[3]), git_dir=git_dir, common_dir=common)

    def git(
        self, *args: str, stdin: bytes | None = None, ok_codes: tuple[int, ...] = (0,)
    ) -> bytes:
        """Run git in this work tree."""
        return run_git(args, cwd=self.root, stdin=stdin, ok_codes=ok_codes)

    @property
    def state_dir(self) -> Path:
        """lanewarden's private folder in the common git dir, shared by all worktrees."""
        return self.common_dir / "lanewarden"

    @property
    def is_linked_worktree(self) -> bool:
        return self.git_dir.resolve() != self.common_dir.resolve()

    def main_worktree(self) -> Path:
        """The main work tree: where the orchestrator holds the registry."""
        if not self.is_linked_worktree:
            return self.root
        if self.common_dir.name == ".git":
            return self.common_dir.parent
        out = self.git("worktree", "list", "--porcelain", "-z")
        first = split_z(out)[0]
        return Path(first.removeprefix("worktree "))

    def current_branch(self) -> str | None:
        """The checked-out branch's short name, or None on a detached HEAD."""
        # Reading HEAD saves the hook a git process; reftable repositories keep a
        # placeholder there, so they ask git.
        try:  # a branch name is bytes to git: decoded like every path here
            head = os.fsdecode((self.git_dir / "HEAD").read_bytes()).strip()
        except OSError:
            head = ""
        if head.startswith("ref: refs/heads/") and not head.endswith("/.invalid"):
            return head[len("ref: refs/heads/") :]
        if head and not head.startswith("ref: "):
            return None
        out = self.git("symbolic-ref", "--quiet", "--short", "HEAD", ok_codes=(0, 1))
        return os.fsdecode(out).strip() or None

    def staged_changes(self) -> list[Change]:
        """Every path the index changes against HEAD, renames and copies both sides.

        Honours ``GIT_INDEX_FILE``, so ``git commit -a`` and ``git commit PATH``
        are checked on what is actually committed.
        """
        out = self.git(*STAGED_DIFF_ARGS)
        return parse_name_status(out)

    def tracked_paths(self) -> list[str]:
        """All paths in the index."""
        return split_z(self.git("ls-files", "-z", "--cached", "--full-name"))


def _no_work_tree(cwd: Path) -> InputError:
    return InputError(
        "a bare repository has no work tree to check",
        path=cwd,
        hint="run lanewarden in a clone or a worktree of it",
    )


def parse_name_status(output: bytes) -> list[Change]:
    """Parse ``git diff --name-status -z``; an unmerged entry is an input error."""
    # One decode of the whole output: status letters are ASCII, and a NUL byte
    # is never part of a multi-byte character, so each field decodes the same.
    fields = os.fsdecode(output).split("\0")
    changes: list[Change] = []
    i = 0
    while i < len(fields) and fields[i]:
        letter = fields[i][0]
        if letter == "U":
            raise InputError(
                "a merge is in progress (the index has unmerged paths)",
                path=fields[i + 1],
                hint="resolve the conflicts and `git add` them, or `git merge --abort`",
            )
        if letter in "RC":
            changes.append(Change(letter, fields[i + 2], fields[i + 1]))
            i += 3
        else:
            changes.append(Change(letter, fields[i + 1]))
            i += 2
    return changes
