"""A worker's assignment: the lane contract an orchestrator pastes into a worker's prompt.

The brief carries what the runbook's assignment contract asks for (§7): the
lane id and its one objective, the in-scope globs and the explicit
out-of-scope ones, the acceptance criteria, the exact package-scoped test
command, who owns the full gate, the handoff format, the forbidden actions
and the project's documentation-source policy. Its wording is a template
(``string.Template``: ``$name`` fields, ``$$`` for a dollar sign); a team can
keep its own in a file of the repository (``brief_template``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lanewarden.domain.handoff import gate_command
from lanewarden.domain.registry import shell_quote
from lanewarden.errors import InputError

__all__ = ["DEFAULT_TEMPLATE", "FIELDS", "Brief", "policy_section"]

DEFAULT_TEMPLATE = """\
# Lane $lane_id: $objective

You work lane $lane_id ($owner). One objective: $objective
Where: $workspace

## Lock scope

In scope (gitignore-style globs, the last match wins):
$in_scope

Out of scope (other lanes, hotspots, carved out):
$out_of_scope

## Acceptance criteria

$acceptance

## Tests

Run the tests of the packages your scope covers, and only those:
$test_command

Before handing off, record gate 2 over your lane's whole change, on your committed tip:
`$gate_command`
$full_gate

## Checkpoints and handoff

After each step: `$checkpoint_command`
When done: `$handoff_command`
The handoff is refused until gate 2 passed on the tree you hand off, every
commit stays in scope, every criterion is marked with --met, and no
escalation waits. It prints the runbook's handoff record:

$handoff_format

## Forbidden

$forbidden

## Documentation sources

$doc_policy
"""

FIELDS = (
    "lane_id",
    "objective",
    "owner",
    "workspace",
    "in_scope",
    "out_of_scope",
    "acceptance",
    "test_command",
    "gate_command",
    "full_gate",
    "checkpoint_command",
    "handoff_command",
    "handoff_format",
    "forbidden",
    "doc_policy",
)

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DOC_SOURCE = re.compile(r"context ?7|doc(umentation)?[- ]source|documentation", re.IGNORECASE)


def policy_section(text: str) -> str | None:
    """The policy file's documentation-source section (heading and body), if it has one."""
    lines = text.splitlines()
    fence: str | None = None
    start: int | None = None
    level = 0
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened[1][0] == fence[0]:
                fence = None
            continue
        if opened:
            fence = opened[1]
            continue
        heading = _HEADING.match(line)
        if heading is None:
            continue
        if start is not None and len(heading[1]) <= level:
            return "\n".join(lines[start:index]).strip()
        if start is None and _DOC_SOURCE.search(heading[2]):
            start, level = index, len(heading[1])
    return None if start is None else "\n".join(lines[start:]).strip()


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _bullets(items: Sequence[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else f"- {empty}"


@dataclass(frozen=True)
class Brief:
    """Everything a worker's assignment says, as data."""

    lane_id: str
    objective: str
    owner: str
    workspace: str
    in_scope: tuple[str, ...]
    out_of_scope: tuple[str, ...]
    acceptance: tuple[str, ...]
    packages: tuple[str, ...]
    test_commands: tuple[str, ...]
    doc_policy: str | None
    policy_file: str
    base: str = ""  # the commit the lane started from: gate 2 covers the change since it

    @property
    def forbidden(self) -> tuple[str, ...]:
        lane = shell_quote(self.lane_id)
        return (
            "edits outside the lock scope (the hooks refuse them)",
            "unapproved destructive or permission-gated actions: ask with "
            f"`lanewarden escalate {lane} --command '...' --reason '...'` and wait",
            "undocumented deviations from the architecture or the test policy",
            "writing the execution ledger: it has one writer, the orchestrator",
        )

    def commands(self) -> dict[str, str]:
        lane = shell_quote(self.lane_id)
        met = " ".join(f"--met {n}" for n in range(1, len(self.acceptance) + 1))
        return {
            "gate_command": gate_command(self.base) if self.base else "lanewarden gate run 2",
            "checkpoint_command": f"lanewarden lane checkpoint {lane} --done '...' "
            "--pending '...' --next 'the next command'",
            "handoff_command": f"lanewarden lane handoff {lane} {met}".rstrip(),
        }

    def handoff_format(self) -> str:
        return "\n".join(
            [
                f"Lane: {self.lane_id}",
                "Checkpoint: CP-NN",
                f"Objective: {self.objective}",
                "Files: (from the lane's commits)",
                "Acceptance:",
                *(f"- [x] {criterion}" for criterion in self.acceptance),
                "Commands: (from the gate evidence)",
                "Result: pass",
                "Risks: ...",
                "Next: integrator apply + full wave gate",
            ]
        )

    def values(self) -> dict[str, str]:
        """The template's fields, filled in."""
        doc = self.doc_policy or (
            f"{self.policy_file} has no documentation-source section: record the sources you "
            "used in the handoff notes"
        )
        return {
            "lane_id": self.lane_id,
            "objective": self.objective,
            "owner": self.owner,
            "workspace": self.workspace,
            "in_scope": _bullets([f"`{p}`" for p in self.in_scope], "nothing"),
            "out_of_scope": _bullets(self.out_of_scope, "nothing else is claimed"),
            "acceptance": _bullets(self.acceptance, "none recorded: ask the orchestrator"),
            "test_command": _indented("\n".join(self.test_commands)),
            "full_gate": "The full gate (`lanewarden gate run 3`, `just ci`, the whole suite) "
            "is the integrator's and the orchestrator's, not yours, unless delegated.",
            "handoff_format": _indented(self.handoff_format()),
            "forbidden": _bullets(self.forbidden, ""),
            "doc_policy": doc,
            **self.commands(),
        }

    def render(self, template: str, source: str) -> str:
        """The brief as text; an unknown ``$field`` is an input error naming ``source``."""
        try:
            return string.Template(template).substitute(self.values())
        except KeyError as e:
            raise InputError(
                f"the brief template names an unknown field ${e.args[0]}",
                path=source,
                hint="the fields are " + ", ".join(f"${f}" for f in FIELDS) + " ($$ is a $)",
            ) from None
        except ValueError as e:
            raise InputError(
                f"the brief template is malformed: {e}", path=source, hint="write $$ for a $"
            ) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "lane_id": self.lane_id,
            "objective": self.objective,
            "owner": self.owner,
            "workspace": self.workspace,
            "in_scope": list(self.in_scope),
            "out_of_scope": list(self.out_of_scope),
            "acceptance": list(self.acceptance),
            "packages": list(self.packages),
            "test_commands": list(self.test_commands),
            "full_gate_owner": "integrator",
            "forbidden": list(self.forbidden),
            "doc_policy": self.doc_policy,
            "handoff_format": self.handoff_format(),
            **self.commands(),
        }
