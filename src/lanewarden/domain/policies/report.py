"""The bootstrap report: one verdict per policy, the violations, and how to fix them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lanewarden.domain.policies.model import Policy
from lanewarden.domain.violations import Violation

__all__ = ["BootstrapReport", "PolicyResult"]


@dataclass(frozen=True)
class PolicyResult:
    """The verdict on one policy: ``present``, ``incomplete``, ``missing`` or ``disabled``."""

    policy: Policy
    status: str
    line: int | None = None  # where the policy was found (its section's heading)
    heading: str | None = None
    lacks: tuple[str, ...] = ()  # names of the elements the section does not state
    reason: str | None = None  # why configuration switched it off

    @property
    def failed(self) -> bool:
        """Whether this policy stops a parallel run."""
        return self.status in ("incomplete", "missing")

    def to_json(self) -> dict[str, Any]:
        """The policy's entry in ``lanewarden bootstrap --json``."""
        return {
            "id": self.policy.id,
            "title": self.policy.title,
            "origin": self.policy.origin,
            "status": self.status,
            "line": self.line,
            "heading": self.heading,
            "lacks": list(self.lacks),
            "reason": self.reason,
            "text": self.policy.text if self.failed else None,
        }


@dataclass(frozen=True)
class BootstrapReport:
    """Everything the bootstrap check found; ``ok`` when a parallel run may start."""

    policy_file: str
    policy_file_exists: bool
    policies: tuple[PolicyResult, ...]
    ledger: str
    decision_registers: tuple[str, ...]
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no violation was found."""
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        """The check's JSON object: ``ok``, ``violations`` and the details."""
        return {
            "ok": self.ok,
            "violations": [v.to_json() for v in self.violations],
            "policy_file": self.policy_file,
            "policy_file_exists": self.policy_file_exists,
            "policies": [r.to_json() for r in self.policies],
            "worklog": {"ledger": self.ledger, "decision_registers": list(self.decision_registers)},
        }

    def render_text(self) -> str:
        """The report for people: a line per policy, then each problem with its fix."""
        lines = [f"bootstrap check of {self.policy_file}: {'ok' if self.ok else 'FAILED'}", ""]
        width = max((len(r.policy.id) for r in self.policies), default=0)
        for result in self.policies:
            where = f"{self.policy_file}:{result.line}" if result.line else "-"
            lines.append(
                f"  {result.status:<10}  {result.policy.id:<{width}}  {where:<16} "
                f"{result.policy.title}"
            )
            if result.status == "incomplete":
                lines.extend(f"{'':<14}lacks: {name}" for name in result.lacks)
            if result.reason:
                lines.append(f"{'':<14}switched off in configuration: {result.reason}")
        registers = ", ".join(self.decision_registers)
        lines += ["", f"  worklog split: ledger {self.ledger}; decision registers {registers}"]
        if self.violations:
            lines += ["", f"{len(self.violations)} problem(s) to fix before a parallel run:"]
        for violation in self.violations:
            lines.append(f"- [{violation.rule}] {violation.message}")
            if violation.fix:
                fix_lines = violation.fix.rstrip("\n").split("\n")
                lines.append(f"  fix: {fix_lines[0]}")
                lines.extend(f"    {line}" if line else "" for line in fix_lines[1:])
        return "\n".join(lines) + "\n"
