"""Gather what the bootstrap check judges: the policy file, the ledger, git, the plugins.

The rules live in :mod:`lanewarden.domain.policies.bootstrap` and
:mod:`lanewarden.domain.policies.worklog`; this module reads the files, asks
git and calls the plugins, then hands them plain facts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanewarden.adapters.files import read_text
from lanewarden.domain.policies.bootstrap import CommitState, bootstrap_report, merge_policies
from lanewarden.domain.policies.configured import PolicySettings, read_policy_settings
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.domain.policies.model import Policy
from lanewarden.domain.policies.worklog import WorklogFacts
from lanewarden.errors import InputError

if TYPE_CHECKING:
    import pluggy

    from lanewarden.adapters.config import Config
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.policies.report import BootstrapReport

__all__ = ["check_bootstrap", "collect_policies", "policy_path", "worklog_facts"]


def check_bootstrap(
    repo: Repo, config: Config, *, plugin_manager: pluggy.PluginManager | None = None
) -> BootstrapReport:
    """Run the whole bootstrap check; bad input raises :class:`InputError`."""
    policies, settings = collect_policies(config, plugin_manager)
    path = policy_path(config)
    document = None
    if path.exists():
        document = PolicyDocument.parse(read_text(path, what="policy file"))
    worklog = worklog_facts(config)
    committed = _commit_state(repo, config.policy_file) if document is not None else None
    return bootstrap_report(policies, settings, document, worklog, committed)


def collect_policies(
    config: Config, plugin_manager: pluggy.PluginManager | None = None
) -> tuple[list[Policy], PolicySettings]:
    """Every policy from the plugins and configuration, and the configured settings.

    Raises :class:`InputError` for a plugin that returns something other than
    policies, a policy id given twice or an unknown id under ``disable``.
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
    where = config.source if config.source is not None else config.root
    return merge_policies(policies, settings, where=where), settings


def policy_path(config: Config) -> Path:
    """The policy file's path; refused (exit 2) when it leads outside the repository."""
    path = config.root / config.policy_file
    root = config.root.resolve()
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        resolved = path.resolve()  # a missing policy file is for the check to report
    except (OSError, RuntimeError) as e:  # a symbolic link loop: RuntimeError before 3.13
        raise InputError(
            f"cannot read the policy file: {getattr(e, 'strerror', None) or e}",
            path=config.policy_file,
            hint=f"make {config.policy_file} the policy file itself, or a link that reaches it",
        ) from None
    if not resolved.is_relative_to(root):
        raise InputError(
            f"policy file {config.policy_file} is outside the repository ({resolved})",
            path=config.source,
            hint="set policy_file to a file inside the repository",
        )
    return path


def worklog_facts(config: Config) -> WorklogFacts:
    """What the worklog-split rules judge: the configured files, which exist, the ledger."""
    ledger_path = config.root / config.ledger
    ledger_text = None
    if ledger_path.is_file():
        ledger_text = read_text(ledger_path, what="execution ledger")
    return WorklogFacts(
        policy_file=config.policy_file,
        ledger=config.ledger,
        decision_registers=config.decision_registers,
        ledger_path=ledger_path,
        ledger_text=ledger_text,
        existing_registers=frozenset(
            r for r in config.decision_registers if (config.root / r).is_file()
        ),
        explicit=_explicit_keys(config),
    )


def _commit_state(repo: Repo, policy_file: str) -> CommitState:
    literal = f":(literal){policy_file}"
    if not repo.git("ls-files", "-z", "--", literal):
        return CommitState(tracked=False)
    status = repo.git("status", "--porcelain=v1", "-z", "--", literal)
    return CommitState(tracked=True, status=os.fsdecode(status[:2]))


def _explicit_keys(config: Config) -> frozenset[str]:
    """The keys the configuration file sets (the defaults are not a declaration)."""
    if config.source is None:
        return frozenset()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    # load_config has already parsed this file successfully.
    with config.source.open("rb") as f:
        document: dict[str, Any] = tomllib.load(f)
    if config.source.name != "lanewarden.toml":
        document = document.get("tool", {}).get("lanewarden", {})
    return frozenset(document)
