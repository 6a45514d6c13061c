"""The staged-change check behind the pre-commit hook.

For the caller's lane, over every path the staged change touches: the lane's
lock exists and is live; every path is inside its scope; no path is inside
another lock's scope; hotspots stay serialized; and in single-branch mode only
the integrator commits to the target branch. One violation per path and rule,
each with the step that fixes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from lanewarden.domain.identity import Identity
from lanewarden.domain.lane_paths import foreign_violation, lane_path_violations
from lanewarden.domain.registry import (
    Hotspots,
    LockRegistry,
    expired_violation,
    shell_quote,
    stale_violation,
)
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["CommitPolicy", "branch_violations", "check_staged_change"]


class CommitPolicy(NamedTuple):
    """The configuration the check needs."""

    mode: str
    target_branch: str
    hotspots: Hotspots
    stale_after: timedelta


def check_staged_change(
    paths: Sequence[str],
    *,
    identity: Identity,
    branch: str | None,
    registry: LockRegistry,
    policy: CommitPolicy,
    at: datetime,
    ledger: str,
) -> list[Violation]:
    """Every violation of the staged change ``paths`` (empty: the commit may go on)."""
    if not paths:
        return []
    violations = _branch_rule(identity, branch, policy)
    lane = identity.lane
    if lane is None:
        return violations + _without_lane(paths, identity, registry)
    lock = registry.get(lane)
    if lock is None:
        raise InputError(
            f"unknown lane {lane!r} (from {identity.lane_source}): no such lock",
            path=ledger,
            hint="see the locks with `lanewarden lock list`; the orchestrator acquires "
            "the lane's lock first",
        )
    status = lock.status(at, policy.stale_after)
    if status == "expired":
        violations.append(expired_violation(lock))
    elif status == "stale":
        violations.append(stale_violation(lock, policy.stale_after))
    violations += lane_path_violations(
        paths, lane=lane, scope=lock.scope, registry=registry, staged=True
    )
    for path in paths:
        hotspots = policy.hotspots.containing(path)
        others = [o for o in registry.owners(path) if o != lane] if hotspots else []
        for glob in hotspots if others else ():
            violations.append(
                Violation(
                    rule="hotspot",
                    path=path,
                    lock=others[0],
                    message=f"hotspot {glob!r} is also locked by {', '.join(others)}; "
                    "hotspots are serialized",
                    fix=f"wait until `lanewarden lock release {shell_quote(others[0])}`",
                )
            )
    return violations


def branch_violations(
    identity: Identity, branch: str | None, policy: CommitPolicy
) -> list[Violation]:
    """``integrator-only`` for any commit on ``branch``, even one that changes no path."""
    return _branch_rule(identity, branch, policy)


def _branch_rule(identity: Identity, branch: str | None, policy: CommitPolicy) -> list[Violation]:
    if policy.mode != "single-branch" or branch != policy.target_branch:
        return []
    if identity.role == "integrator":
        return []
    return [
        Violation(
            rule="integrator-only",
            path=None,
            lock=identity.lane,
            message=f"only the integrator commits to {branch} in single-branch mode "
            f"(you are a {identity.role})",
            fix="hand the patch to the integrator (`git diff --cached > lane.patch`), who "
            "applies it with LANEWARDEN_ROLE=integrator",
        )
    ]


def _without_lane(
    paths: Sequence[str], identity: Identity, registry: LockRegistry
) -> list[Violation]:
    """No lane: a worker is refused; the integrator may commit paths no lock claims."""
    if identity.role == "worker":
        lanes = ", ".join(lock.lock_id for lock in registry.locks) or "none yet"
        return [
            Violation(
                rule="no-lane",
                message=f"no lane: every commit belongs to a lane (locks: {lanes})",
                fix="`export LANEWARDEN_LANE=<lock id>` (in worktree mode, or work on a "
                "branch named lane/<lock id>)",
            )
        ]
    violations = []
    for path in paths:
        owners = registry.owners(path)
        if owners:
            violations.append(foreign_violation(path, owners, registry, staged=True))
    return violations
