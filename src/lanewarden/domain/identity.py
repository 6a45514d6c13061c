"""Who is calling: the lane and the role, from the environment and the branch.

Order of precedence for the lane:

1. ``LANEWARDEN_LANE``, when set and not empty;
2. in worktree mode, the branch name ``lane/<id>``;
3. otherwise no lane.

The role comes from ``LANEWARDEN_ROLE`` (``worker``, ``integrator``,
``orchestrator`` or ``maintainer``, the human who grants approvals); unset
means ``worker``, the role with the fewest rights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

from lanewarden.errors import InputError

__all__ = ["ROLES", "Identity", "resolve_identity", "resolve_lane"]

Role = Literal["worker", "integrator", "orchestrator", "maintainer"]
ROLES: tuple[Role, ...] = ("worker", "integrator", "orchestrator", "maintainer")
LANE_BRANCH_PREFIX = "lane/"


class Identity(NamedTuple):
    """The caller's lane (if any), where it came from, and role."""

    lane: str | None
    lane_source: str | None
    role: Role

    @property
    def may_write_ledger(self) -> bool:
        """Only the orchestrator and the integrator write the ledger (runbook §6.1)."""
        return self.role in ("orchestrator", "integrator")


def resolve_identity(env: Mapping[str, str], *, branch: str | None, mode: str) -> Identity:
    """Resolve the caller's identity; an unknown role is an input error."""
    raw_role = env.get("LANEWARDEN_ROLE", "").strip() or "worker"
    role = next((r for r in ROLES if r == raw_role), None)
    if role is None:
        raise InputError(
            f"LANEWARDEN_ROLE={raw_role!r} is not a role",
            hint=f"set LANEWARDEN_ROLE to one of: {', '.join(ROLES)}",
        )
    lane, source = resolve_lane(env, branch=branch, mode=mode)
    return Identity(lane=lane, lane_source=source, role=role)


def resolve_lane(
    env: Mapping[str, str], *, branch: str | None, mode: str
) -> tuple[str | None, str | None]:
    """The caller's lane and where it came from, by the order of precedence above."""
    lane = env.get("LANEWARDEN_LANE", "").strip()
    if lane:
        return lane, "LANEWARDEN_LANE"
    if mode == "worktrees" and branch and branch.startswith(LANE_BRANCH_PREFIX):
        name = branch[len(LANE_BRANCH_PREFIX) :]
        if name:
            return name, f"branch {branch}"
    return None, None
