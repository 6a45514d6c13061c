"""The worklog split of runbook §6.1: one execution ledger, one or more decision registers.

The split must be *declared* (the policy file names the files, or the
configuration sets ``ledger`` / ``decision_registers`` explicitly), the files
must exist and be distinct, the ledger must hold the lock table, and the
ledger must be declared single-writer (in the policy file or in the ledger).

The rules here judge :class:`WorklogFacts`; reading the files is the entry
points' job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lanewarden.domain.policies.detection import element_in
from lanewarden.domain.policies.document import PolicyDocument, Unit
from lanewarden.domain.policies.model import Element
from lanewarden.domain.violations import Violation

__all__ = [
    "LEAD",
    "ONLY",
    "SINGLE_WRITER",
    "WRITE",
    "WorklogFacts",
    "check_worklog_split",
    "declaration_text",
]

# "Only the orchestrator or integrator writes it", in its many phrasings.
ONLY = "only|sole|solely|exclusively|nobody|no one|no other|single writer|alone"
LEAD = "orchestrator|integrator|coordinator"
WRITE = "write|edit|update|modify|change|append|record|touch"
SINGLE_WRITER = Element("the ledger is single-writer", ONLY, LEAD, WRITE)
_LEDGER_WORDS = Element("names a ledger", "ledger|worklog|work log|execution log|progress log")


@dataclass(frozen=True)
class WorklogFacts:
    """What the worklog-split rules need to know about a repository."""

    policy_file: str
    ledger: str
    decision_registers: tuple[str, ...]
    ledger_path: Path  # the file its parse errors name
    ledger_text: str | None  # None when the ledger is not a file
    existing_registers: frozenset[str] = frozenset()
    # The keys the configuration file sets (the defaults are not a declaration).
    explicit: frozenset[str] = frozenset()


def declaration_text(ledger: str, decision_registers: Sequence[str]) -> str:
    """A policy-file section that declares the split (``init`` appends it when needed)."""
    registers = ", ".join(f"`{r}`" for r in decision_registers)
    return f"""## Worklog split

- Execution ledger: `{ledger}`. Only the orchestrator or integrator writes it.
- Decision registers: {registers}.
"""


def check_worklog_split(facts: WorklogFacts, policy: PolicyDocument | None) -> list[Violation]:
    """The ``ledger-split`` violations of a repository, given its policy document."""
    units = policy.units if policy is not None else ()
    policy_file = facts.policy_file
    declaration = declaration_text(facts.ledger, facts.decision_registers)
    fix = f"add to {policy_file} (or run `lanewarden init`):\n\n{declaration}"
    found: list[Violation] = []

    def violation(message: str, path: str | None, fix_text: str = fix) -> None:
        found.append(Violation("ledger-split", message, path=path, fix=fix_text))

    if "ledger" not in facts.explicit and not _mentions(units, facts.ledger):
        violation(
            f"{policy_file} does not declare the execution ledger {facts.ledger}", policy_file
        )
    for register in facts.decision_registers:
        if "decision_registers" not in facts.explicit and not _mentions(units, register):
            violation(
                f"{policy_file} does not declare the decision register {register}", policy_file
            )
    if facts.ledger in facts.decision_registers:
        violation(
            f"{facts.ledger} is both the execution ledger and a decision register",
            facts.ledger,
            "name a different file as the decision register (default DECISIONS.md)",
        )
    if len(set(facts.decision_registers)) != len(facts.decision_registers):
        violation("a decision register is listed twice", None, "list each register once")
    init_fix = "run `lanewarden init` to create it, then commit it"
    for register in dict.fromkeys(facts.decision_registers):
        if register not in facts.existing_registers:
            violation(f"decision register {register} does not exist", register, init_fix)
    if facts.ledger_text is None:
        violation(f"execution ledger {facts.ledger} does not exist", facts.ledger, init_fix)
        return found
    found.extend(_check_ledger(facts, facts.ledger_text, units))
    return found


def _check_ledger(facts: WorklogFacts, text: str, units: Iterable[Unit]) -> list[Violation]:
    from lanewarden.domain.ledger import Ledger  # lazy: reads with markdown-it

    found = []
    if not Ledger.parse(text, facts.ledger_path).has_lock_table:
        found.append(
            Violation(
                "ledger-split",
                f"execution ledger {facts.ledger} has no lock table",
                path=facts.ledger,
                fix="run `lanewarden init` to add an empty lock table",
            )
        )
    ledger_units = PolicyDocument.parse(text).units
    in_policy = any(
        element_in(SINGLE_WRITER, u) and (facts.ledger in u.text or element_in(_LEDGER_WORDS, u))
        for u in units
    )
    if not in_policy and not any(element_in(SINGLE_WRITER, u) for u in ledger_units):
        found.append(
            Violation(
                "ledger-split",
                f"execution ledger {facts.ledger} is not declared single-writer",
                path=facts.policy_file,
                fix=f"add to {facts.policy_file} (or run `lanewarden init`):\n\n"
                + declaration_text(facts.ledger, facts.decision_registers),
            )
        )
    return found


def _mentions(units: Iterable[Unit], path: str) -> bool:
    return any(path in unit.text for unit in units)
