"""The texts and requirements of the nine policies of runbook §16.1.

Each function returns one policy: the heading concepts that find its section,
the elements its body must state, and the section ``lanewarden init`` appends
(which must satisfy the policy itself; the tests check it). The vocabulary is
explained, with examples, in ``docs/policies.md``.
"""

from __future__ import annotations

from lanewarden.domain.policies.model import Element, Policy
from lanewarden.domain.policies.worklog import LEAD, ONLY, WRITE

__all__ = [
    "assignment_contract",
    "context7",
    "escalation_loop",
    "gate_requirements",
    "handoff_evidence",
    "integrator_only",
    "lock_ownership",
    "single_writer_worklog",
    "worker_test_policy",
]

# Concepts several policies share.
_WORKER = "worker|lane|agent|subagent|sub agent"
_NOT = "not|never|no|don t|must not|forbid|forbidden|unless|except|instead"
_FULL = "full|repo wide|repository wide|whole|entire|all|just ci|just test|ci|canonical"


def _policy(
    policy_id: str, title: str, headings: list[str], elements: list[Element], text: str
) -> Policy:
    return Policy.of(
        policy_id, title, headings=headings, elements=elements, text=text, origin="builtin"
    )


def single_writer_worklog(ledger: str, registers: str) -> Policy:
    """Single-writer worklog (§6.1): one ledger, written by the orchestrator or integrator."""
    return _policy(
        "single-writer-worklog",
        "Single-writer worklog",
        ["worklog|work log|ledger|plan|execution log|progress log|source of truth|single writer"],
        [
            Element(
                "names the execution ledger",
                "execution ledger|ledger|worklog|work log|execution log|progress log|plan md",
            ),
            Element("only the orchestrator or integrator writes the ledger", ONLY, LEAD, WRITE),
            Element(
                "what the ledger records (locks, checkpoints, evidence, failures)",
                "lock|checkpoint|evidence|failure|remediation|progress|completion",
            ),
            Element(
                "decisions and rationale live in a separate decision register",
                "decision|adr|rationale",
            ),
        ],
        f"""## Single-writer worklog

- The execution ledger is {ledger}. Only the orchestrator or the integrator writes it;
  workers never edit it, they report to the orchestrator instead.
- The ledger records lane locks, checkpoint ids, command and test evidence, failure and
  remediation notes, and completion markers, checkpoint by checkpoint.
- Decisions, their rationale, the alternatives considered and open questions go to the
  decision register ({registers}), never to the ledger; the decision register is not a
  live checkpoint log.
""",
    )


def lock_ownership() -> Policy:
    """Lock ownership rules (§6): scopes, hotspots, expiry, reclaim."""
    return _policy(
        "lock-ownership",
        "Lock ownership rules",
        ["lock|locks|locking|ownership|scope"],
        [
            Element(
                "no edits outside the lane's lock scope",
                "edit|change|touch|modify|modification|write|commit",
                "outside|beyond|only|inside|within",
                "scope|lock|glob|claim",
            ),
            Element(
                "hotspots never have two owners at once",
                "hotspot|hot spot|same file|shared file|concurrent|two lock|two owner|overlap",
            ),
            Element(
                "locks expire and are kept alive by heartbeats",
                "expire|expiry|expires|ttl|heartbeat|stale|lifetime",
            ),
            Element(
                "stale or expired locks are reclaimed explicitly, with a note",
                "reclaim|take over|takeover|steal|break",
            ),
        ],
        """## Lock ownership rules

- Every lane works under a lock in the ledger's lock table: lock id, owner, scope (file
  globs), objective, start, heartbeat, expiry. No edits outside the lane's lock scope.
- Hotspot files are serialized: no two active locks may share a hotspot, and no path has
  concurrent owners.
- A lock expires at its expiry time; its owner keeps it alive with heartbeats, and a lock
  whose heartbeat is old is stale.
- A stale or expired lock is taken over only with `lanewarden lock reclaim`, which records a
  reclaim note saying why.
""",
    )


def integrator_only(branch: str) -> Policy:
    """Integrator-only patch application in single-branch mode (§8)."""
    return _policy(
        "integrator-only",
        "Integrator-only patch application",
        ["integrator|integration|patch|patches|merge|merging|single branch|mode a"],
        [
            Element(
                "only the integrator applies patches to the target branch",
                ONLY,
                "integrator",
                "apply|commit|merge|push|land|mutate",
            ),
            Element(
                "workers hand over patches instead of committing",
                _WORKER,
                "patch|diff|hand|handoff|hand off|submit|deliver|propose|proposal",
            ),
            Element(
                "patches are applied one at a time, with checks after each",
                "one at a time|one by one|each|sequential|serial|in turn",
                "check|test|gate|verify|verification",
            ),
            Element(
                "the rule holds in single-branch mode (on the target branch)",
                "single branch|mode a|one branch|same branch|shared branch|target branch",
            ),
        ],
        f"""## Integrator-only patch application

- In single-branch mode (runbook Mode A) only the integrator applies patches to the target
  branch {branch}: nobody else commits, merges or pushes to it.
- Workers hand over a patch (a diff) with their handoff notes instead of committing.
- The integrator applies one lane patch at a time and runs the checks of the touched areas
  after each patch, before applying the next.
""",
    )


def escalation_loop() -> Policy:
    """The permission-failure escalation loop (§9)."""
    return _policy(
        "escalation-loop",
        "Permission-failure escalation loop",
        ["permission|permissions|approval|approvals|escalation|escalate|blocked"],
        [
            Element(
                "a blocked worker reports to the orchestrator",
                "report|escalate|escalation|tell|notify|inform|return|surface|raise|pass|hand",
                "orchestrator|parent|lead|coordinator",
            ),
            Element(
                "the orchestrator asks a human for the exact approval",
                "human|maintainer|person|user|operator|owner",
                "approve|approval|permission|consent|sign off|grant|allow",
            ),
            Element(
                "after approval the blocked command is rerun or the worker resumed",
                "rerun|re run|resume|retry|run again|restart|continue|run",
                "checkpoint|command|worker|lane|last",
            ),
            Element(
                "approvals and why they were needed are recorded",
                "log|record|note|document|audit|write down",
                "approve|approval|permission|grant|why",
            ),
        ],
        """## Permission-failure escalation loop

- A worker whose action fails on a permission or approval gate stops and reports the
  failure to the orchestrator, with the exact command; it never guesses a workaround.
- The orchestrator asks a human maintainer for that exact, narrow approval.
- Once approved, the orchestrator runs the blocked command itself, or resumes the worker
  from its last checkpoint.
- Every approval is logged in the ledger: why it was needed and what was run.
""",
    )


def gate_requirements() -> Policy:
    """Gate requirements (§11): lane checks plus the final integration gate."""
    return _policy(
        "gate-requirements",
        "Gate requirements",
        ["gate|gates|quality|checks|ci|testing|tests|verification|validation"],
        [
            Element(
                "lane checks: format and static checks on touched files",
                "format|formatting|formatter|lint|linter|static|type check|mypy|ruff",
            ),
            Element(
                "lane checks: tests of the touched packages",
                "test",
                "touch|changed|package|lane|targeted|scoped",
            ),
            Element(
                "a final, repository-wide integration gate",
                "final|full|repo wide|repository wide|whole|entire|canonical|ci|wave",
                "gate|suite|ci|build|validation",
                "integrator|integration|wave|merge|end|before|after|each",
            ),
            Element(
                "a failing gate blocks the patch until it is fixed",
                "fail|failing|failure|red|broken|break",
                "block|stop|revert|fix|reject|not|reopen|until|never",
            ),
        ],
        """## Gate requirements

- Lane checks: every lane runs the format and static checks (lint, type check) on its
  touched files, and the tests of its touched packages, before handing over.
- Final integration gate: the integrator runs the full, repository-wide CI-equivalent gate
  after each wave of patches and before the work counts as done.
- A failing gate blocks the patch: it is fixed or reverted, never applied over red checks.
""",
    )


def context7() -> Policy:
    """The Context7 policy for worker prompts (§7)."""
    return _policy(
        "context7",
        "Context7 policy for worker prompts",
        ["context7|context 7|documentation|docs|doc source|library reference"],
        [
            Element(
                "consult Context7 before the first code edit",
                "consult|check|query|look|read|ask|search|fetch|use",
                "before|prior|first|ahead",
                "edit|change|code|modify|modification|write|touch|implement",
            ),
            Element(
                "re-consult after any failing test or runtime error, before the next edit",
                "fail|failing|failure|error|exception|crash|traceback",
                "consult|query|look|read|ask|search|fetch|check|use",
                "after|again|re|next|whenever|each time|every time|any",
            ),
            Element(
                "record the fallback source when Context7 is unavailable",
                "unavailable|not available|down|unreachable|offline|cannot|can t|without|"
                "no access|fallback|fall back",
                "record|note|log|write|state|cite|name|document|report|list",
                "source|fallback|fall back|alternative|instead|url|doc",
            ),
        ],
        """## Context7 policy for worker prompts

Every worker prompt includes this documentation policy:

- Consult Context7 for the libraries involved before the first code edit.
- After any failing test or runtime error, consult Context7 again before the next edit.
- When Context7 is unavailable, use another source and record that fallback source (its
  URL or name) in the handoff notes.
""",
    )


def worker_test_policy() -> Policy:
    """The worker test policy: `just test-pkg` for lanes, full suites for the integrator."""
    return _policy(
        "worker-test-policy",
        "Worker test policy",
        ["test|tests|testing"],
        [
            Element(
                "workers run `just test-pkg <pkg>` for the packages they touched",
                "test pkg",
                "touch|change|modify|edit|their|own|lane|affected|package",
            ),
            Element(
                "repo-wide suites (`just test`, `just ci`) are the integrator's",
                LEAD,
                _FULL,
            ),
            Element(
                "workers do not run the repo-wide suites unless delegated", _WORKER, _NOT, _FULL
            ),
        ],
        """## Worker test policy

- Workers run package-level checks only: `just test-pkg <pkg>` for each package they
  touched.
- Repo-wide suites (`just test`, `just ci`) belong to the integrator or orchestrator;
  workers do not run them unless that is explicitly delegated to the lane.
""",
    )


def assignment_contract() -> Policy:
    """The orchestrator assignment contract (§7)."""
    return _policy(
        "assignment-contract",
        "Orchestrator assignment contract",
        ["assignment|dispatch|assign|brief|prompt|contract|orchestrator"],
        [
            Element(
                "lane id and one bounded objective", "lane|id|identifier", "objective|goal|aim"
            ),
            Element(
                "lock scope, in and out",
                "scope|glob|path",
                "out|outside|exclude|not|off limits",
            ),
            Element(
                "acceptance criteria",
                "acceptance|definition of done|success criteria|exit criteria|done when",
            ),
            Element(
                "architecture constraints",
                "architecture|layer|dependency direction|dependencies|boundary|boundaries",
            ),
            Element("test plan and command constraints", "test|check", "plan|command|run|which"),
            Element("the required evidence or handoff format", "evidence|handoff|hand off"),
            Element(
                "forbidden actions",
                "forbid|forbidden|prohibit|prohibited|must not|never|not allowed|disallow|ban",
            ),
        ],
        """## Orchestrator assignment contract

Before dispatching a lane, the orchestrator's prompt states:

- the lane id and its one bounded objective;
- the lock scope: in-scope globs and what is explicitly out of scope;
- concrete acceptance criteria;
- architecture constraints and allowed dependency directions;
- the test plan and command constraints (`just test-pkg <pkg>` for touched packages);
- documentation and comment expectations for touched code;
- the required handoff evidence format;
- forbidden actions: edits outside the lock scope, unapproved destructive actions, and
  undocumented deviations from the architecture or test policy.
""",
    )


def handoff_evidence() -> Policy:
    """The worker handoff evidence (§7 lane contract)."""
    return _policy(
        "handoff-evidence",
        "Worker handoff evidence",
        ["handoff|hand off|hand over|evidence|deliverable|deliverables|lane contract"],
        [
            Element("the patch or diff", "patch|diff|changeset|change set"),
            Element(
                "the touched file list",
                "file|path",
                "list|touch|change|modify|edit",
            ),
            Element("the commands executed", "command|commands|cmd"),
            Element(
                "test evidence",
                "test|check|gate",
                "evidence|result|output|log|pass|proof",
            ),
            Element(
                "unresolved risks",
                "risk|caveat|known issue|unresolved|limitation|open question|concern",
            ),
            Element(
                "follow-up notes for integration",
                "follow up|followup|next step|todo|to do|integration note|note",
            ),
        ],
        """## Worker handoff evidence

Every lane hands over:

- the patch (or an exact diff summary);
- the list of touched files;
- the commands it ran;
- test evidence: the commands' results;
- unresolved risks;
- follow-up notes for integration.
""",
    )
