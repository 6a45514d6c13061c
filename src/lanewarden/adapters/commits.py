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

from lanewarden.adapters.config import CONFIG_FILES, Config, load_config
from lanewarden.adapters.git import Repo, split_z
from lanewarden.domain.locks import Lock, ReleasedLock
from lanewarden.domain.push_check import PushedCommit
from lanewarden.domain.registry import LockRegistry
from lanewarden.domain.trailers import Trailers
from lanewarden.errors import InputError

__all__ = [
    "config_at",
    "is_ancestor",
    "is_shallow",
    "list_commits",
    "object_exists",
    "registry_at",
    "resolve_commit",
    "zero_id",
]


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


def list_commits(repo: Repo, tip: str, exclude: Sequence[str]) -> list[PushedCommit]:
    """Commits reachable from ``tip`` and not from ``exclude`` (rev-list arguments), oldest first.

    A merge commit carries no paths of its own here: the commits it brings in
    are listed and checked one by one.
    """
    out = repo.git(
        "log",
        "-z",
        "--reverse",
        "--topo-order",
        "--format=%H%x1f%T%x1f%P%x1f%(trailers:only,unfold)",
        tip,
        *exclude,
        "--",
    )
    commits = []
    for record in out.split(b"\0"):
        if not record.strip():
            continue
        sha, tree, parents, trailers = os.fsdecode(record).strip("\n").split("\x1f", 3)
        commits.append(
            PushedCommit(
                sha=sha,
                tree=tree,
                parents=tuple(parents.split()),
                paths=tuple(_changed_paths(repo, sha)) if len(parents.split()) < 2 else (),
                trailers=Trailers.parse(trailers),
            )
        )
    return commits


def _changed_paths(repo: Repo, sha: str) -> list[str]:
    # --no-renames lists both sides of a rename; --root gives a root commit's files.
    out = repo.git(
        "diff-tree", "-r", "-z", "--root", "--no-commit-id", "--no-renames", "--name-only", sha
    )
    return list(dict.fromkeys(split_z(out)))


def _show(repo: Repo, rev: str, path: str) -> str | None:
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
    """The lock registry in ``rev``'s ledger, or None when ``rev`` has no ledger."""
    text = _show(repo, rev, ledger)
    if text is None:
        return None
    from lanewarden.domain.ledger import Ledger

    where = Path(f"{rev}:{ledger}")
    parsed = Ledger.parse(text, where)
    return LockRegistry(
        locks=tuple(Lock.from_record(record, where) for record in parsed.locks),
        history=tuple(ReleasedLock.from_record(record, where) for record in parsed.history),
    )


def config_at(repo: Repo, rev: str) -> Config:
    """The configuration as committed in ``rev`` (defaults when it has none)."""
    with tempfile.TemporaryDirectory(prefix="lanewarden-config.") as folder:
        for name in CONFIG_FILES:
            text = _show(repo, rev, name)
            if text is not None:
                (Path(folder) / name).write_text(text, encoding="utf-8")
        try:
            config = load_config(Path(folder))
        except InputError as e:
            raise InputError(
                e.message, path=f"{rev}:{Path(e.path or '').name}", hint=e.hint
            ) from None
    return config._replace(root=repo.root, source=None)
