"""When a lane may hand off: the "done" criteria, each missing item a violation.

A lane is done (runbook §7) when gate 2 passed on exactly the tree handed
off, every commit of the lane stays inside its scope, every acceptance
criterion is marked met, and no escalation waits for an answer. Each item
that does not hold is one ``handoff-incomplete`` violation naming it and the
command that fixes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanewarden.domain.evidence import Evidence
from lanewarden.domain.lanes import Request
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["HANDOFF_GATE", "marked_criteria", "missing_items"]

HANDOFF_GATE = "2"


def marked_criteria(criteria: Sequence[str], met: Sequence[str]) -> list[str]:
    """The criteria ``met`` marks, by exact text or 1-based number (else an input error)."""
    marked: list[str] = []
    for given in met:
        text = given.strip()
        if text in criteria:
            chosen = text
        elif text.isdigit() and 1 <= int(text) <= len(criteria):
            chosen = criteria[int(text) - 1]
        else:
            listed = "; ".join(f"{n}. {c}" for n, c in enumerate(criteria, start=1)) or "none"
            raise InputError(
                f"--met {given!r} is not one of the lane's acceptance criteria ({listed})",
                hint="give a criterion's exact text or its number",
            )
        if chosen not in marked:
            marked.append(chosen)
    return marked


def missing_items(
    *,
    lane_id: str,
    tree: str,
    evidence: Evidence | None,
    scope_violations: Sequence[Violation],
    criteria: Sequence[str],
    marked: Sequence[str],
    pending: Sequence[Request],
    uncommitted: Sequence[str] = (),
) -> list[Violation]:
    """Every "done" criterion that does not hold, as ``handoff-incomplete`` violations."""
    lane = shell_quote(lane_id)
    missing: list[Violation] = []

    def item(message: str, fix: str, path: str | None = None) -> None:
        missing.append(
            Violation(rule="handoff-incomplete", message=message, path=path, lock=lane_id, fix=fix)
        )

    if uncommitted:
        shown = ", ".join(uncommitted[:5]) + (" ..." if len(uncommitted) > 5 else "")
        item(
            f"uncommitted changes are not part of the handoff: {shown}",
            "commit them (or stash them) and run the gate again: `git add -A && git commit`",
        )
    gate_fix = f"run gate {HANDOFF_GATE} on the lane's tip: `lanewarden gate run {HANDOFF_GATE}`"
    if evidence is None:
        item(f"no gate {HANDOFF_GATE} evidence for the tree handed off ({tree[:12]})", gate_fix)
    elif not evidence.passed:
        item(
            f"gate {HANDOFF_GATE} failed on the tree handed off ({tree[:12]}, at {evidence.time})",
            f"fix the failures, commit, and {gate_fix}",
        )
    for violation in scope_violations:
        item(
            f"a lane commit leaves the lane's scope: {violation.rule}: {violation.message}",
            f"move that change out of the lane's commits ({violation.fix})",
            path=violation.path,
        )
    for criterion in criteria:
        if criterion not in marked:
            item(
                f"acceptance criterion not marked met: {criterion}",
                f"check it, then mark it: `lanewarden lane handoff {lane} --met "
                f"{shell_quote(criterion)}`",
            )
    for request in pending:
        item(
            f"escalation {request.number} ({request.scope}) is not answered",
            f"ask the orchestrator: `lanewarden approve --request {request.number}` (or `--deny`)",
        )
    return missing
