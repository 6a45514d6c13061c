"""When a repository adopted lanewarden, and which commits predate it.

The adoption commit is the first commit whose tree holds the configuration
(a ``lanewarden.toml``, or a ``[tool.lanewarden]`` table in
``pyproject.toml``) or a ledger with a lock table. A commit is *before
adoption* when neither it nor any of its ancestors holds either: such commits
were made without lanewarden's rules and are not judged. A commit that
deletes the configuration or the ledger later still descends from the
adoption commit, so it and everything after it are judged.

That matters only while the target branch has not adopted lanewarden: once
it has, every new commit is judged (:func:`new_commits`). The pre-push hook
and ``verify`` both call it, so they judge the same commits of the same range.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from lanewarden.adapters.commits import (
    PINNED_CONFIG,
    CommitHeader,
    config_at,
    file_at,
    log_headers,
    with_paths,
)
from lanewarden.adapters.config import CONFIG_FILES
from lanewarden.adapters.git import Repo
from lanewarden.domain.push_check import PushedCommit
from lanewarden.errors import InputError

__all__ = ["Adoption", "CommitRange", "new_commits"]

# Every commit that can add the configuration or a lock table changes one of
# the marker files in a way these words appear in (a lanewarden.toml counts
# even empty, so it is listed without this filter).
_MARKER_WORDS = "lanewarden|lock_id"
# One path must not turn into --follow, whatever log.follow says.
_PINNED_LOG = (*PINNED_CONFIG, "-c", "log.follow=false")


class Adoption:
    """Whether commits hold, or descend from, the adoption of lanewarden."""

    def __init__(self, repo: Repo, ledger: str) -> None:
        self._repo = repo
        self._ledger = ledger
        self._holds: dict[str, bool] = {}
        self._adopted: dict[str, bool] = {}

    def holds(self, rev: str) -> bool:
        """Whether ``rev``'s own tree holds the configuration or a lock table."""
        if rev not in self._holds:
            self._holds[rev] = self._marker_in(rev)
        return self._holds[rev]

    def _marker_in(self, rev: str) -> bool:
        try:
            if config_at(self._repo, rev).source is not None:
                return True
        except InputError:
            return True  # a configuration, if a broken one
        text = file_at(self._repo, rev, self._ledger)
        if text is None:
            return False
        from lanewarden.domain.ledger import Ledger

        try:
            where = Path(f"{rev}:{self._ledger}")
            return Ledger.parse(text.removeprefix("\ufeff"), where).has_lock_table
        except InputError:
            return True  # a lock table with bad rows is a lock table

    def adopted(self, rev: str) -> bool:
        """Whether ``rev`` or any of its ancestors holds the configuration or a lock table."""
        if rev not in self._adopted:
            self._adopted[rev] = self.holds(rev) or any(
                self.holds(candidate) for candidate in self.candidates([rev])
            )
        return self._adopted[rev]

    def candidates(self, revs: Sequence[str]) -> list[str]:
        """Commits in ``revs`` (rev-list arguments) that may add the configuration or ledger.

        Newest first. Merges are compared with each parent, so a merge that
        brings the configuration in, or adds it itself, is among them.
        """
        # --text: a `-diff` or `binary` attribute must not hide a file from -G.
        common = (
            *_PINNED_LOG,
            "log",
            "-m",
            "--full-history",
            "--text",
            "--no-ext-diff",
            "--no-textconv",
            "--format=%H",
        )
        named = self._repo.git(*common, *revs, "--", CONFIG_FILES[0])
        worded = self._repo.git(
            *common,
            "-G",
            _MARKER_WORDS,
            *revs,
            "--",
            *CONFIG_FILES[1:],
            self._ledger,
        )
        found = os.fsdecode(named + b"\n" + worded).split()
        return list(dict.fromkeys(found))

    def split(
        self, headers: Sequence[CommitHeader], revs: Sequence[str]
    ) -> tuple[list[CommitHeader], list[CommitHeader]]:
        """``headers`` (oldest first, as :func:`log_headers` lists ``revs``): (after, before)."""
        maybe = set(self.candidates(revs)) if headers else set()
        after: list[CommitHeader] = []
        before: list[CommitHeader] = []
        for header in headers:
            adopted = any(
                self._adopted[parent] if parent in self._adopted else self.adopted(parent)
                for parent in header.parents
            ) or (header.sha in maybe and self.holds(header.sha))
            self._adopted[header.sha] = adopted
            (after if adopted else before).append(header)
        return after, before


class CommitRange(NamedTuple):
    """The new commits of a push or a range: those judged, and those before adoption."""

    judged: list[PushedCommit]
    before_adoption: list[str]

    @property
    def total(self) -> int:
        """Every new commit, judged or not."""
        return len(self.judged) + len(self.before_adoption)


def new_commits(
    repo: Repo, tip: str, exclude: Sequence[str], ledger: str, *, base_adopted: bool
) -> CommitRange:
    """Commits reachable from ``tip`` and not from ``exclude``, oldest first, split at adoption.

    Once the base (the target branch as the remote has it) has adopted
    lanewarden, every new commit is judged: a branch forked before adoption,
    or a history with no common root, arrives under the rules like any other
    (otherwise forking from an old commit would walk around them). Before
    that, commits whose ancestry never held the configuration or a lock table
    are not judged. Only judged commits have their paths read.
    """
    headers = log_headers(repo, tip, exclude)
    if base_adopted:
        return CommitRange(judged=with_paths(repo, headers), before_adoption=[])
    after, before = Adoption(repo, ledger).split(headers, [tip, *exclude])
    return CommitRange(judged=with_paths(repo, after), before_adoption=[h.sha for h in before])
