"""The commit-message check behind the commit-msg hook.

The ``Lane:`` trailer ties a commit to its lane: it must name the caller's
lane (``LANEWARDEN_LANE``, or the ``lane/<id>`` branch in worktree mode), and
the staged paths must be inside that lane's scope. The integrator applying a
lane's patch carries that lane's trailer; a commit without one may change
only paths no lock claims. In autonomous mode every commit also names its
agent (``Agent:``).
"""

from __future__ import annotations

from collections.abc import Sequence

from lanewarden.domain.identity import Identity
from lanewarden.domain.lane_paths import lane_path_violations
from lanewarden.domain.push_check import (
    attribution_violations,
    unclaimed_path_violations,
)
from lanewarden.domain.registry import LockRegistry, shell_quote
from lanewarden.domain.trailers import LANE, Trailers
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["check_message"]


def check_message(
    paths: Sequence[str],
    trailers: Trailers,
    *,
    identity: Identity,
    registry: LockRegistry,
    autonomous: bool,
    ledger: str,
) -> list[Violation]:
    """Every violation of the commit about to be made (empty: it may go on).

    A trailer naming a lane the registry does not know is an input error
    (exit 2), as an unknown ``LANEWARDEN_LANE`` is for the pre-commit hook.
    """
    violations = attribution_violations(trailers) if autonomous else []
    lanes = trailers.lanes
    mine = identity.lane
    if len(lanes) > 1:
        return [
            *violations,
            Violation(
                rule="lane-mismatch",
                message=f"the message names {len(lanes)} lanes ({', '.join(lanes)}); a commit "
                "belongs to one lane",
                fix="keep one `Lane:` trailer, and split the change per lane",
            ),
        ]
    named = lanes[0] if lanes else None
    if named is None:
        if mine is not None:
            if not autonomous:  # autonomous mode already reported the missing trailer
                violations.append(_missing(mine))
            return violations
        if identity.role == "worker":
            return [*violations, _no_lane(registry)]
        return violations + unclaimed_path_violations(paths, registry)
    if mine is not None and named != mine:
        violations.append(
            Violation(
                rule="lane-mismatch",
                lock=named,
                message=f"the message names lane {named}, but you are lane {mine} "
                f"(from {identity.lane_source})",
                fix=f"use `{LANE}: {mine}`, or commit as lane {named}",
            )
        )
        return violations
    lock = registry.get(named)
    if lock is None:
        raise InputError(
            f"the `{LANE}:` trailer names lane {named!r}, which has no lock",
            path=ledger,
            hint="correct the trailer; `lanewarden lock list` shows the lanes",
        )
    return violations + lane_path_violations(
        paths, lane=named, scope=lock.scope, registry=registry, staged=True
    )


def _missing(lane: str) -> Violation:
    return Violation(
        rule="missing-trailer",
        lock=lane,
        message=f"the commit message has no `{LANE}:` trailer (you are lane {lane})",
        fix=f"commit with `git commit --trailer {shell_quote(f'{LANE}: {lane}')}`, or end the "
        f"message with the line `{LANE}: {lane}`",
    )


def _no_lane(registry: LockRegistry) -> Violation:
    lanes = ", ".join(lock.lock_id for lock in registry.locks) or "none yet"
    return Violation(
        rule="no-lane",
        message=f"no lane: every commit belongs to a lane (locks: {lanes})",
        fix="`export LANEWARDEN_LANE=<lock id>` and add a `Lane: <lock id>` trailer",
    )
