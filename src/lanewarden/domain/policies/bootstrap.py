"""The bootstrap check (runbook §16.1): may a parallel run start in this repository?

It passes when the policy file states every enabled policy, the worklog split
of §6.1 is declared and sound, and the policy file is committed with no
uncommitted change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lanewarden.adapters.files import read_text
from lanewarden.domain.policies.configured import PolicySettings, read_policy_settings
from lanewarden.domain.policies.detection import assess
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.domain.policies.model import Policy
from lanewarden.domain.policies.report import BootstrapReport, PolicyResult
from lanewarden.domain.policies.worklog import check_worklog_split
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

if TYPE_CHECKING:
    import pluggy

    from lanewarden.adapters.config import Config
    from lanewarden.adapters.git import Repo

__all__ = ["check_bootstrap", "collect_policies", "judge_policies", "policy_path"]

_INIT = "run `lanewarden init` to append it"


def check_bootstrap(
    repo: Repo, config: Config, *, plugin_manager: pluggy.PluginManager | None = None
) -> BootstrapReport:
    """Run the whole bootstrap check; bad input raises :class:`InputError`."""
    policies, settings = collect_policies(config, plugin_manager)
    path = policy_path(config)
    document = None
    if path.exists():
        document = PolicyDocument.parse(read_text(path, what="policy file"))
    results = judge_policies(policies, settings, document)
    violations = [v for r in results if (v := _violation(r, config.policy_file, document))]
    violations += check_worklog_split(config, document)
    if document is not None:
        violations += _check_committed(repo, config.policy_file)
    return BootstrapReport(
        policy_file=config.policy_file,
        policy_file_exists=document is not None,
        policies=tuple(results),
        ledger=config.ledger,
        decision_registers=config.decision_registers,
        violations=violations,
    )


def collect_policies(
    config: Config, plugin_manager: pluggy.PluginManager | None = None
) -> tuple[list[Policy], PolicySettings]:
    """Every policy from the plugins and configuration, and the configured settings.

    Raises :class:`InputError` for a policy id given twice or an unknown id
    under ``disable``.
    """
    if plugin_manager is None:
        from lanewarden.plugins import get_plugin_manager

        plugin_manager = get_plugin_manager()
    settings = read_policy_settings(config.policies, config.source)
    policies: list[Policy] = []
    # pluggy calls the last registered plugin first; report the built-ins first.
    for returned in reversed(plugin_manager.hook.lanewarden_policies(config=config)):
        if not isinstance(returned, Sequence) or not all(isinstance(p, Policy) for p in returned):
            raise InputError(
                f"a lanewarden plugin's lanewarden_policies returned {returned!r}",
                hint="the hook must return a list of lanewarden.domain.policies.Policy",
            )
        policies.extend(returned)
    seen: dict[str, Policy] = {}
    where = config.source if config.source is not None else config.root
    for policy in [*policies, *settings.extra]:
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
    return list(seen.values()), settings


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


def policy_path(config: Config) -> Path:
    """The policy file's path; refused (exit 2) when it leads outside the repository."""
    path = config.root / config.policy_file
    root = config.root.resolve()
    if not path.resolve().is_relative_to(root):
        raise InputError(
            f"policy file {config.policy_file} is outside the repository ({path.resolve()})",
            path=config.source,
            hint="set policy_file to a file inside the repository",
        )
    return path


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


def _check_committed(repo: Repo, policy_file: str) -> list[Violation]:
    literal = f":(literal){policy_file}"
    tracked = repo.git("ls-files", "-z", "--", literal)
    if not tracked:
        return [
            Violation(
                "policy-uncommitted",
                f"{policy_file} is not committed (git does not track it)",
                path=policy_file,
                fix=f"review it, then `git add {policy_file}` and commit it",
            )
        ]
    status = repo.git("status", "--porcelain=v1", "-z", "--", literal)
    if status:
        return [
            Violation(
                "policy-uncommitted",
                f"{policy_file} has changes that are not committed "
                f"(git status: {os.fsdecode(status[:2]).strip()})",
                path=policy_file,
                fix=f"have the maintainers accept the change and commit {policy_file}",
            )
        ]
    return []


def _names(policy: Policy) -> tuple[str, ...]:
    return tuple(e.name for e in policy.elements)
