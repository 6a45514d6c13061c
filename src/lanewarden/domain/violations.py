"""Policy violations are data: a check returns a list of them."""

from __future__ import annotations

from typing import Any

__all__ = ["RULES", "Violation"]

# Stable rule ids: add more as needed, never rename (agents match on them).
RULES = frozenset(
    {
        "no-lane",
        "unknown-lane",
        "lock-expired",
        "lock-stale",
        "out-of-scope",
        "foreign-lock",
        "hotspot",
        "integrator-only",
        "missing-evidence",
        "gate-failed",
        "force-push",
        "branch-delete",
        "missing-trailer",
        "missing-policy",
        "policy-uncommitted",
        "ledger-split",
        # Added later, by lanewarden's own rules.
        "lock-overlap",
        "lock-live",
        "wrong-role",
        "hooks-path",
        "malformed-row",
        "incomplete-policy",
        # Commit messages, pushes, approvals and the audit trail.
        "lane-mismatch",
        "audit-tampered",
        # Gate evidence: a narrowed run, a record of another tree.
        "narrowed-run",
        "evidence-tree-mismatch",
        # Lanes from assignment to handoff.
        "handoff-incomplete",
        "lane-released",
        "wrong-worktree",
        # The lock table edited by hand; a lock's lifetime beyond the configured maximum.
        "ledger-tampered",
        "ttl-too-long",
        # A merge's own change (beyond the merge git makes of its parents).
        "merge-out-of-scope",
        # The remote registry moved on and another orchestrator's change won.
        "registry-race",
        # Integrating a wave: a run in progress, a dirty or moved target, a lane not handed off.
        "integrate-in-progress",
        "integrate-wrong-branch",
        "integrate-dirty",
        "integrate-moved",
        "integrate-no-handoff",
        # integrate --push: the push (its pre-push check, or git) refused the target's tip.
        "integrate-push-refused",
        # integrate: a lane's commits cannot be reverted, later commits change the same lines.
        "integrate-undo-conflict",
    }
)


class Violation:
    """One broken rule, where, and the exact step that fixes it."""

    # A plain class: the pre-commit hook's speed target has no room for importing
    # dataclasses (~9 ms), and a NamedTuple could not check the rule id.
    __slots__ = ("fix", "lock", "message", "path", "rule")

    def __init__(
        self,
        rule: str,
        message: str,
        path: str | None = None,
        lock: str | None = None,
        fix: str | None = None,
    ) -> None:
        if rule not in RULES:
            raise ValueError(f"unknown rule id {rule!r}")
        self.rule = rule
        self.message = message
        self.path = path
        self.lock = lock
        self.fix = fix

    def _key(self) -> tuple[str, str, str | None, str | None, str | None]:
        return (self.rule, self.message, self.path, self.lock, self.fix)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Violation):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Violation(rule={self.rule!r}, message={self.message!r}, path={self.path!r}, "
            f"lock={self.lock!r}, fix={self.fix!r})"
        )

    def with_message(self, message: str) -> Violation:
        """This violation explained differently."""
        return Violation(self.rule, message, path=self.path, lock=self.lock, fix=self.fix)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "path": self.path,
            "lock": self.lock,
            "message": self.message,
            "fix": self.fix,
        }
