"""The bootstrap check's rules (runbook §16.1): may a parallel run start in this repository?

It passes when the policy file states every enabled policy, the worklog split
of §6.1 is declared and sound, and the policy file is committed with no
uncommitted change. The rules here judge facts the caller gathered: reading
the files and asking git is the entry points' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lanewarden.domain.policies.configured import PolicySettings
from lanewarden.domain.policies.detection import assess
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.domain.policies.model import Policy
from lanewarden.domain.policies.report import BootstrapReport, PolicyResult
from lanewarden.domain.policies.worklog import WorklogFacts, check_worklog_split
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["CommitState", "bootstrap_report", "judge_policies", "merge_policies"]

_INIT = "run `lanewarden init` to append it"


@dataclass(frozen=True)
class CommitState:
    """What git says about the policy file: tracked or not, and its status code."""

    tracked: bool
    status: str = ""  # the ``git status --porcelain`` code, like " M"; "" when clean


def bootstrap_report(
    policies: Sequence[Policy],
    settings: PolicySettings,
    document: PolicyDocument | None,
    worklog: WorklogFacts,
    committed: CommitState | None,
) -> BootstrapReport:
    """Judge the policy file (``None``: it does not exist), the worklog split and git's word.

    ``committed`` is ``None`` when there is no policy file to ask git about.
    """
    policy_file = worklog.policy_file
    results = judge_policies(policies, settings, document)
    violations = [v for r in results if (v := _violation(r, policy_file, document))]
    violations += check_worklog_split(worklog, document)
    if committed is not None:
        violations += _uncommitted(committed, policy_file)
    return BootstrapReport(
        policy_file=policy_file,
        policy_file_exists=document is not None,
        policies=tuple(results),
        ledger=worklog.ledger,
        decision_registers=worklog.decision_registers,
        violations=violations,
    )


def merge_policies(
    plugin_policies: Sequence[Policy], settings: PolicySettings, *, where: Path
) -> list[Policy]:
    """The plugins' policies and the configured extra ones, each id once.

    Raises :class:`InputError` (naming ``where``, the configuration) for a
    policy id given twice or an unknown id under ``disable``.
    """
    seen: dict[str, Policy] = {}
    for policy in [*plugin_policies, *settings.extra]:
        if policy.id in seen:
            raise InputError(
                f"policy id {policy.id!r} is defined twice ({seen[policy.id].origin} and "
                f"{policy.origin})",
                path=where if policy.origin != "plugin" else None,
                hint="give the extra policy another id",
            )
        seen[policy.id] = policy
    for policy_id in settings.disabled:
        if policy_id not in seen:
            raise InputError(
                f"policies.disable names an unknown policy {policy_id!r} "
                f"(known: {', '.join(seen)})",
                path=where,
            )
    return list(seen.values())


def judge_policies(
    policies: Sequence[Policy], settings: PolicySettings, document: PolicyDocument | None
) -> list[PolicyResult]:
    """A verdict per policy; a missing file (``document is None``) misses every policy."""
    results = []
    for policy in policies:
        reason = settings.disabled.get(policy.id)
        if reason is not None:
            results.append(PolicyResult(policy, "disabled", reason=reason))
        elif document is None:
            results.append(PolicyResult(policy, "missing", lacks=_names(policy)))
        else:
            found = assess(policy, document)
            lacks = tuple(e.name for e in found.lacks)
            results.append(PolicyResult(policy, found.status, found.line, found.title, lacks))
    return results


def _violation(
    result: PolicyResult, policy_file: str, document: PolicyDocument | None
) -> Violation | None:
    policy = result.policy
    fix = f"add this section to {policy_file} ({_INIT}):\n\n{policy.text}"
    if result.status == "missing":
        where = "does not exist, so it has" if document is None else "has"
        message = f"{policy_file} {where} no section about {policy.title} ({policy.id})"
        return Violation("missing-policy", message, path=policy_file, fix=fix)
    if result.status == "incomplete":
        fix = (
            f"say what is missing in the section at {policy_file}:{result.line}, or add this "
            f"section ({_INIT}):\n\n{policy.text}"
        )
        lacks = "; ".join(result.lacks)
        message = (
            f"{policy_file}:{result.line}: the section about {policy.title} ({policy.id}) "
            f"does not state: {lacks}"
        )
        return Violation("incomplete-policy", message, path=policy_file, fix=fix)
    return None


def _uncommitted(committed: CommitState, policy_file: str) -> list[Violation]:
    if not committed.tracked:
        return [
            Violation(
                "policy-uncommitted",
                f"{policy_file} is not committed (git does not track it)",
                path=policy_file,
                fix=f"review it, then `git add {policy_file}` and commit it",
            )
        ]
    if committed.status:
        return [
            Violation(
                "policy-uncommitted",
                f"{policy_file} has changes that are not committed "
                f"(git status: {committed.status.strip()})",
                path=policy_file,
                fix=f"have the maintainers accept the change and commit {policy_file}",
            )
        ]
    return []


def _names(policy: Policy) -> tuple[str, ...]:
    return tuple(e.name for e in policy.elements)
