"""The scope rules for paths changed as one lane, shared by every check that has them.

A staged change (the pre-commit and commit-msg hooks) and commits already made
(the push check, ``verify``) break the same two rules, ``out-of-scope`` and
``foreign-lock``; only the fix differs: a staged path can be unstaged.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanewarden.domain.registry import LockRegistry, shell_quote
from lanewarden.domain.scopes import Scope
from lanewarden.domain.violations import Violation

__all__ = ["foreign_violation", "lane_path_violations"]


def lane_path_violations(
    paths: Sequence[str],
    *,
    lane: str,
    scope: Scope,
    registry: LockRegistry,
    staged: bool,
    where: str = "",
) -> list[Violation]:
    """``out-of-scope`` and ``foreign-lock`` for ``paths`` changed as ``lane``.

    ``scope`` is the lane's (from its lock, or its last entry in the history for
    a lane already released); ``where`` prefixes messages (a commit id).
    """
    lock = registry.get(lane)
    # The registry's index already holds the lane's own scope: one lookup a path.
    indexed = lock is not None and lock.scope == scope
    violations = []
    for path in paths:
        owners = registry.owners(path)
        if not (lane in owners if indexed else scope.matches(path)):
            fix = (
                f"unstage it (`git restore --staged -- {shell_quote(path)}`) or ask"
                if staged
                else "leave the path out of the lane's commits, or ask"
            )
            violations.append(
                Violation(
                    rule="out-of-scope",
                    path=path,
                    lock=lane,
                    message=f"{where}outside lock {lane}'s scope ({', '.join(scope.texts())})",
                    fix=f"{fix} the orchestrator for a lane that covers it",
                )
            )
        others = [owner for owner in owners if owner != lane]
        if others:
            violations.append(foreign_violation(path, others, registry, staged=staged, where=where))
    return violations


def foreign_violation(
    path: str, owners: Sequence[str], registry: LockRegistry, *, staged: bool, where: str = ""
) -> Violation:
    """``path`` lies inside other lanes' scopes (``owners``)."""
    holders = ", ".join(
        f"{owner} ({lock.owner})" if (lock := registry.get(owner)) else owner for owner in owners
    )
    if staged:
        fix = (
            f"leave it to that lane (`git restore --staged -- {shell_quote(path)}`), or commit "
            f"it as that lane: LANEWARDEN_LANE={shell_quote(owners[0])}"
        )
    else:
        fix = f"leave it to that lane, or commit it with a `Lane: {owners[0]}` trailer"
    return Violation(
        rule="foreign-lock",
        path=path,
        lock=owners[0],
        message=f"{where}inside the scope of {holders}",
        fix=fix,
    )
