"""Policy violations are data: a check returns a list of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RULES", "Violation"]

# Stable rule ids (PRODUCT.md): add more as needed, never rename.
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
        # Added by lanewarden beyond PRODUCT.md's initial list.
        "lock-overlap",
        "lock-live",
        "wrong-role",
        "hooks-path",
        "malformed-row",
        "incomplete-policy",
        # Commit messages, pushes, approvals and the audit trail.
        "lane-mismatch",
        "audit-tampered",
    }
)


@dataclass(frozen=True)
class Violation:
    """One broken rule, where, and the exact step that fixes it."""

    rule: str
    message: str
    path: str | None = None
    lock: str | None = None
    fix: str | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown rule id {self.rule!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "path": self.path,
            "lock": self.lock,
            "message": self.message,
            "fix": self.fix,
        }
