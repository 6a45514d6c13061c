"""The commit rules over a range, as the pre-push hook and ``verify`` both run them.

One place decides the push rules from a configuration, the registry a range
is judged by and which of its commits are judged, so the hook and CI cannot
disagree on the same range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from lanewarden.adapters.adoption import Adoption, CommitRange, new_commits
from lanewarden.adapters.commits import registry_at
from lanewarden.adapters.config import Config
from lanewarden.adapters.git import Repo
from lanewarden.domain.ledger import LOCK_COLUMNS
from lanewarden.domain.push_check import PushPolicy, commit_violations
from lanewarden.domain.registry import LockRegistry
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["Base", "RangeCheck", "base_registry", "check_range", "push_policy"]


def push_policy(config: Config) -> PushPolicy:
    """The push rules as ``config`` sets them."""
    return PushPolicy(
        mode=config.mode,
        target_branch=config.target_branch,
        protected=config.protected_branches,
        autonomous=config.autonomous,
        required_gates=config.required_gates,
    )


class Base(NamedTuple):
    """What a range is judged by: the registry committed in its base, and whether that
    base had adopted lanewarden."""

    registry: LockRegistry
    adopted: bool


def base_registry(repo: Repo, base: str | None, ledger: str) -> Base:
    """The lock registry a range is judged by: the one committed in its ``base``.

    No base, or a base from before adoption, has no locks. A base after
    adoption must have its ledger and lock table (else exit 2): a deleted or
    garbled ledger never reads as "no locks".
    """
    if base is None or not Adoption(repo, ledger).adopted(base):
        return Base(LockRegistry(), adopted=False)
    registry = registry_at(repo, base, ledger)
    if registry is None:
        raise InputError(
            "no lock table found: the ledger is missing, though lanewarden was adopted before "
            "this commit (expected a table with columns " + " | ".join(LOCK_COLUMNS) + ")",
            path=f"{base}:{ledger}",
            hint=f"restore it on the target branch (`git checkout <last good commit> -- {ledger}` "
            "and commit), or point `ledger` in the configuration at it",
        )
    return Base(registry, adopted=True)


class RangeCheck(NamedTuple):
    """The commits of a range and the rules they break."""

    commits: CommitRange
    violations: list[Violation]


def check_range(
    repo: Repo,
    *,
    tip: str,
    exclude: Sequence[str],
    base: Base,
    ledger: str,
    autonomous: bool,
) -> RangeCheck:
    """Judge the commits reachable from ``tip`` and not from ``exclude`` (:func:`new_commits`)."""
    commits = new_commits(repo, tip, exclude, ledger, base_adopted=base.adopted)
    violations: list[Violation] = []
    for commit in commits.judged:
        violations += commit_violations(commit, base.registry, autonomous=autonomous)
    return RangeCheck(commits, violations)
