"""``lanewarden init``: scaffold what the bootstrap check asks for, losing nothing.

Creates a ``lanewarden.toml`` when the repository has no configuration (a
user's ``pyproject.toml`` is never edited), the execution ledger with an empty
lock table, the decision registers, and appends to the policy file the
sections of the policies it lacks, after the user's own text, which is kept
byte for byte. Everything happens under the policy lock and every write is
atomic; a second run changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lanewarden.adapters.config import Config, load_config
from lanewarden.adapters.files import atomic_write, exclusive_lock, read_text
from lanewarden.adapters.git import Repo
from lanewarden.cli.bootstrap_check import collect_policies, policy_path, worklog_facts
from lanewarden.cli.context import Context
from lanewarden.domain.policies.completion import (
    POLICY_HEADER,
    append_markdown,
    complete_policy_text,
    swallowing_block,
)
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.domain.policies.worklog import check_worklog_split, declaration_text
from lanewarden.domain.registry import shell_quote
from lanewarden.errors import InputError

if TYPE_CHECKING:
    import pluggy

__all__ = ["ScaffoldResult", "run", "scaffold"]

_REGISTER_TEXT = """# Decisions

The decision register of this repository (runbook §6.1): decisions, their rationale, the
alternatives considered, unresolved questions and policy locks. It is not the live
checkpoint log: progress goes to the execution ledger `{ledger}`.

Add each decision as a section `## D-###: <title>` with these lines: Status (proposed,
accepted, superseded by D-###), Decision, Rationale, Alternatives, Open questions.
"""


@dataclass
class ScaffoldResult:
    """What ``init`` did."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)  # policy ids appended to the policy file

    def to_json(self) -> dict[str, object]:
        """``lanewarden init --json``."""
        return {
            "ok": True,
            "created": self.created,
            "changed": self.changed,
            "appended_policies": self.appended,
        }


def run(args: argparse.Namespace) -> int:
    """Scaffold the repository; always 0 unless the input is bad (exit 2)."""
    repo = Context.load().repo
    result = scaffold(repo)
    config = load_config(repo.root)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        return 0
    for path in result.created:
        print(f"created {path}")
    for path in result.changed:
        print(f"changed {path}")
    if result.appended:
        print(f"appended to {config.policy_file}: {', '.join(result.appended)}")
    if result.created or result.changed:
        print(
            f"next: review {config.policy_file}, have the maintainers accept it, commit the "
            "files, then run `lanewarden bootstrap`"
        )
    else:
        print("nothing to do: configuration, ledger, decision registers and policy are in place")
    return 0


def scaffold(repo: Repo, *, plugin_manager: pluggy.PluginManager | None = None) -> ScaffoldResult:
    """Create or complete every file the bootstrap check reads."""
    result = ScaffoldResult()
    with exclusive_lock(repo.state_dir / "policy.lock"):
        config = load_config(repo.root)
        # Read and judge the policy file first: bad input must leave every file alone.
        policy_update = _policy_update(config, result, plugin_manager)
        missing = [r for r in dict.fromkeys(config.decision_registers) if _to_create(config, r)]
        if config.source is None:
            _write_config(config, result)
        with exclusive_lock(repo.state_dir / "ledger.lock"):
            _scaffold_ledger(config, result)
        for register in missing:
            atomic_write(config.root / register, _REGISTER_TEXT.format(ledger=config.ledger))
            result.created.append(register)
        if policy_update is not None:
            exists, text = policy_update
            atomic_write(policy_path(config), text)
            (result.changed if exists else result.created).append(config.policy_file)
    return result


def _to_create(config: Config, register: str) -> bool:
    """Whether decision register ``register`` is missing; one that is no file is bad input."""
    import stat

    path = config.root / register
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return True
    except OSError as e:  # a link loop, no permission
        raise InputError(
            f"cannot read the decision register: {e.strerror}",
            path=register,
            hint=f"make {register} a file (or a link to one), or name another file in "
            "`decision_registers`",
        ) from None
    if not stat.S_ISREG(mode):
        raise InputError(
            "the decision register is a folder (or another non-file), not a file",
            path=register,
            hint=f"move it away (`mv {shell_quote(register)} {shell_quote(register + '.old')}`) "
            "and run `lanewarden init` again, or name another file in `decision_registers`",
        )
    return False


def _write_config(config: Config, result: ScaffoldResult) -> None:
    import tomli_w

    table = {
        "mode": config.mode,
        "target_branch": config.target_branch,
        "policy_file": config.policy_file,
        "ledger": config.ledger,
        "decision_registers": list(config.decision_registers),
    }
    header = "# lanewarden configuration; every key is described in lanewarden's README.\n"
    atomic_write(config.root / "lanewarden.toml", header + tomli_w.dumps(table))
    result.created.append("lanewarden.toml")


def _scaffold_ledger(config: Config, result: ScaffoldResult) -> None:
    from lanewarden.domain.ledger import LOCK_COLUMNS, Ledger, new_ledger_text

    path = config.root / config.ledger
    if not path.exists():
        atomic_write(path, new_ledger_text())
        result.created.append(config.ledger)
        return
    text = read_text(path, what="execution ledger")
    if Ledger.parse(text, path).has_lock_table:
        return
    table = [
        "## Locks",
        "",
        "| " + " | ".join(LOCK_COLUMNS) + " |",
        "|" + "---|" * len(LOCK_COLUMNS),
    ]
    new_text = append_markdown(text, "\n".join(table) + "\n")
    if not Ledger.parse(new_text, path).has_lock_table:
        raise InputError(
            "a lock table appended here would not be read as a table",
            path=path,
            line=swallowing_block(text, new_text),
            hint="close the code block or HTML comment that runs to the end of the file, "
            "then run `lanewarden init` again",
        )
    atomic_write(path, new_text)
    result.changed.append(config.ledger)


def _policy_update(
    config: Config, result: ScaffoldResult, plugin_manager: pluggy.PluginManager | None
) -> tuple[bool, str] | None:
    """Whether the policy file exists and its completed text; None when it is complete."""
    path = policy_path(config)
    exists = path.exists()
    text = read_text(path, what="policy file") if exists else ""
    policies, settings = collect_policies(config, plugin_manager)
    new_text, appended = complete_policy_text(text, policies, settings, path=path)
    result.appended.extend(appended)
    if _undeclared(config, new_text):
        with_declaration = append_markdown(
            new_text or POLICY_HEADER, declaration_text(config.ledger, config.decision_registers)
        )
        if _undeclared(config, with_declaration):
            raise InputError(
                "a worklog split declaration appended here would not be read",
                path=path,
                line=swallowing_block(new_text, with_declaration),
                hint="close the code block or HTML comment that runs to the end of the file, "
                "then run `lanewarden init` again",
            )
        new_text = with_declaration
        result.appended.append("worklog-split")
    if new_text == text and exists:
        return None
    return exists, new_text


def _undeclared(config: Config, policy_text: str) -> bool:
    """Whether the policy file still has to declare the worklog split."""
    violations = check_worklog_split(worklog_facts(config), PolicyDocument.parse(policy_text))
    return any(v.path == config.policy_file for v in violations)
