"""The worklog split of runbook §6.1: one execution ledger, one or more decision registers.

The split must be *declared* (the policy file names the files, or the
configuration sets ``ledger`` / ``decision_registers`` explicitly), the files
must exist and be distinct, the ledger must hold the lock table, and the
ledger must be declared single-writer (in the policy file or in the ledger).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanewarden.adapters.files import read_text
from lanewarden.domain.policies.detection import element_in
from lanewarden.domain.policies.document import PolicyDocument, Unit
from lanewarden.domain.policies.model import Element
from lanewarden.domain.violations import Violation

if TYPE_CHECKING:
    from lanewarden.adapters.config import Config

__all__ = ["LEAD", "ONLY", "SINGLE_WRITER", "WRITE", "check_worklog_split", "declaration_text"]

# "Only the orchestrator or integrator writes it", in its many phrasings.
ONLY = "only|sole|solely|exclusively|nobody|no one|no other|single writer|alone"
LEAD = "orchestrator|integrator|coordinator"
WRITE = "write|edit|update|modify|change|append|record|touch"
SINGLE_WRITER = Element("the ledger is single-writer", ONLY, LEAD, WRITE)
_LEDGER_WORDS = Element("names a ledger", "ledger|worklog|work log|execution log|progress log")


def declaration_text(config: Config) -> str:
    """A policy-file section that declares the split (``init`` appends it when needed)."""
    registers = ", ".join(f"`{r}`" for r in config.decision_registers)
    return f"""## Worklog split

- Execution ledger: `{config.ledger}`. Only the orchestrator or integrator writes it.
- Decision registers: {registers}.
"""


def check_worklog_split(config: Config, policy: PolicyDocument | None) -> list[Violation]:
    """The ``ledger-split`` violations of the repository at ``config.root``."""
    units = policy.units if policy is not None else ()
    explicit = _explicit_keys(config)
    policy_file = config.policy_file
    fix = f"add to {policy_file} (or run `lanewarden init`):\n\n{declaration_text(config)}"
    found: list[Violation] = []

    def violation(message: str, path: str | None, fix_text: str = fix) -> None:
        found.append(Violation("ledger-split", message, path=path, fix=fix_text))

    if "ledger" not in explicit and not _mentions(units, config.ledger):
        violation(
            f"{policy_file} does not declare the execution ledger {config.ledger}", policy_file
        )
    for register in config.decision_registers:
        if "decision_registers" not in explicit and not _mentions(units, register):
            violation(
                f"{policy_file} does not declare the decision register {register}", policy_file
            )
    if config.ledger in config.decision_registers:
        violation(
            f"{config.ledger} is both the execution ledger and a decision register",
            config.ledger,
            "name a different file as the decision register (default DECISIONS.md)",
        )
    if len(set(config.decision_registers)) != len(config.decision_registers):
        violation("a decision register is listed twice", None, "list each register once")
    init_fix = "run `lanewarden init` to create it, then commit it"
    for register in dict.fromkeys(config.decision_registers):
        if not (config.root / register).is_file():
            violation(f"decision register {register} does not exist", register, init_fix)
    ledger_path = config.root / config.ledger
    if not ledger_path.is_file():
        violation(f"execution ledger {config.ledger} does not exist", config.ledger, init_fix)
        return found
    found.extend(_check_ledger(config, ledger_path, units))
    return found


def _check_ledger(config: Config, path: Path, units: Iterable[Unit]) -> list[Violation]:
    from lanewarden.domain.ledger import Ledger  # lazy: reads with markdown-it

    text = read_text(path, what="execution ledger")
    found = []
    if not Ledger.parse(text, path).has_lock_table:
        found.append(
            Violation(
                "ledger-split",
                f"execution ledger {config.ledger} has no lock table",
                path=config.ledger,
                fix="run `lanewarden init` to add an empty lock table",
            )
        )
    ledger_units = PolicyDocument.parse(text).units
    in_policy = any(
        element_in(SINGLE_WRITER, u) and (config.ledger in u.text or element_in(_LEDGER_WORDS, u))
        for u in units
    )
    if not in_policy and not any(element_in(SINGLE_WRITER, u) for u in ledger_units):
        found.append(
            Violation(
                "ledger-split",
                f"execution ledger {config.ledger} is not declared single-writer",
                path=config.policy_file,
                fix=f"add to {config.policy_file} (or run `lanewarden init`):\n\n"
                + declaration_text(config),
            )
        )
    return found


def _mentions(units: Iterable[Unit], path: str) -> bool:
    return any(path in unit.text for unit in units)


def _explicit_keys(config: Config) -> set[str]:
    """The keys the configuration file sets (the defaults are not a declaration)."""
    if config.source is None:
        return set()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    # load_config has already parsed this file successfully.
    with config.source.open("rb") as f:
        document: dict[str, Any] = tomllib.load(f)
    if config.source.name != "lanewarden.toml":
        document = document.get("tool", {}).get("lanewarden", {})
    return set(document)
