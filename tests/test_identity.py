from __future__ import annotations

import pytest

from lanewarden.domain.identity import resolve_identity
from lanewarden.errors import InputError


def test_environment_lane_wins_over_branch() -> None:
    env = {"LANEWARDEN_LANE": "L-001", "LANEWARDEN_ROLE": "integrator"}
    who = resolve_identity(env, branch="lane/L-002", mode="worktrees")
    assert (who.lane, who.lane_source, who.role) == ("L-001", "LANEWARDEN_LANE", "integrator")


def test_lane_branch_only_in_worktree_mode() -> None:
    assert resolve_identity({}, branch="lane/L-002", mode="worktrees").lane == "L-002"
    assert resolve_identity({}, branch="lane/L-002", mode="single-branch").lane is None


def test_role_defaults_to_worker_and_is_checked() -> None:
    assert resolve_identity({}, branch=None, mode="single-branch").role == "worker"
    with pytest.raises(InputError, match="not a role"):
        resolve_identity({"LANEWARDEN_ROLE": "boss"}, branch=None, mode="single-branch")
