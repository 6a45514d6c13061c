"""When a lane may hand off: the "done" criteria, each missing item a violation.

A lane is done (runbook §7) when gate 2 passed on exactly the tree handed
off and its selection started from the lane's change, every commit of the
lane stays inside its scope, every acceptance criterion is marked met, and
no escalation waits for an answer. Each item that does not hold is one
``handoff-incomplete`` violation naming it and the command that fixes it.

Gate 2 run on a clean work tree at the lane's tip (``pytest --lw-changed``)
sees no change: it selects nothing and passes as an ``empty selection``.
Such a record proves nothing about the lane, so a passing record counts only
when its ``touched_files`` hold every file the lane changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lanewarden.domain.evidence import Evidence
from lanewarden.domain.lanes import Request
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["HANDOFF_GATE", "covering_evidence", "gate_command", "marked_criteria", "missing_items"]

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


def gate_command(base: str) -> str:
    """The gate-2 run that sees the whole of a lane's change since ``base``."""
    return f"python -m pytest --lw-since {base} --lw-gate {HANDOFF_GATE}"


def covering_evidence(records: Iterable[Evidence], changed: Sequence[str]) -> Evidence | None:
    """The record that decides the handoff's gate: the newest, unless it passed.

    A failed or narrowed newest record decides. When the newest passed, the
    newest passing record whose touched files hold all of ``changed`` (the
    lane's files) is the one; the newest itself when none does (then it is
    reported as not covering the lane).
    """
    ordered = sorted((r for r in records if r.gate == HANDOFF_GATE), key=lambda r: r.time)
    if not ordered or not ordered[-1].passed:
        return ordered[-1] if ordered else None
    for record in reversed(ordered):
        if record.passed and not uncovered_files(record, changed):
            return record
    return ordered[-1]


def uncovered_files(evidence: Evidence, changed: Sequence[str]) -> list[str]:
    """The lane's files that ``evidence``'s selection did not start from."""
    touched = set(evidence.touched_files)
    return [path for path in changed if path not in touched]


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
    changed: Sequence[str] = (),
    base: str = "",
) -> list[Violation]:
    """Every "done" criterion that does not hold, as ``handoff-incomplete`` violations.

    ``changed`` is every file the lane changed since ``base``: the gate-2
    record must have started its selection from all of them.
    """
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
    gate_fix = f"run gate {HANDOFF_GATE} on the lane's tip, with its change visible: " + (
        f"`{gate_command(base)}`" if base else f"`lanewarden gate run {HANDOFF_GATE}`"
    )
    if evidence is None:
        item(f"no gate {HANDOFF_GATE} evidence for the tree handed off ({tree[:12]})", gate_fix)
    elif not evidence.passed:
        item(
            f"gate {HANDOFF_GATE} failed on the tree handed off ({tree[:12]}, at {evidence.time})",
            f"fix the failures, commit, and {gate_fix}",
        )
    elif uncovered_files(evidence, changed):
        missing_files = uncovered_files(evidence, changed)
        shown = ", ".join(missing_files[:5]) + (" ..." if len(missing_files) > 5 else "")
        item(
            f"gate {HANDOFF_GATE} evidence for the tree handed off ({tree[:12]}, at "
            f"{evidence.time}) does not cover the lane's change: its selection did not start "
            f"from {shown}",
            f"run gate {HANDOFF_GATE} with the lane's change visible: `{gate_command(base)}`",
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
