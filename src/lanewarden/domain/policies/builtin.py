"""The nine policies of runbook §16.1, registered as a plugin like any other.

The policies themselves are defined in :mod:`.runbook`; their texts name the
repository's own ledger, decision registers and target branch, so they are
built from the configuration on every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lanewarden.domain.policies import runbook
from lanewarden.domain.policies.model import Policy
from lanewarden.hookspecs import hookimpl

if TYPE_CHECKING:
    from lanewarden.adapters.config import Config

__all__ = ["BUILTIN_IDS", "builtin_policies", "lanewarden_policies"]

BUILTIN_IDS = (
    "single-writer-worklog",
    "lock-ownership",
    "integrator-only",
    "escalation-loop",
    "gate-requirements",
    "context7",
    "worker-test-policy",
    "assignment-contract",
    "handoff-evidence",
)


@hookimpl
def lanewarden_policies(config: Config) -> list[Policy]:
    """The built-in policies of runbook §16.1."""
    return builtin_policies(config)


def builtin_policies(config: Config) -> list[Policy]:
    """The nine §16.1 policies, their texts naming ``config``'s files and branch."""
    ledger = f"`{config.ledger}`"
    registers = ", ".join(f"`{r}`" for r in config.decision_registers)
    branch = f"`{config.target_branch}`"
    return [
        runbook.single_writer_worklog(ledger, registers),
        runbook.lock_ownership(),
        runbook.integrator_only(branch),
        runbook.escalation_loop(),
        runbook.gate_requirements(),
        runbook.context7(),
        runbook.worker_test_policy(),
        runbook.assignment_contract(),
        runbook.handoff_evidence(),
    ]
