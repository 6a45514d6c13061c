"""``lanewarden verify --range A..B``: the push check's commit rules, for CI.

The backstop that ``git push --no-verify`` cannot skip: run from a clean
clone over the pushed range. Scopes and configuration come from the base
``A`` (a commit in the range cannot widen its own lane's scope).
``--require-evidence`` also demands passing evidence for the tip's tree,
which CI sees once it fetched the notes (``lanewarden evidence fetch``).
Who pushed (the integrator-only rule) and approvals are the pre-push hook's
business: CI knows neither.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from lanewarden.adapters.adoption import CommitRange
from lanewarden.adapters.commits import config_at, is_shallow
from lanewarden.adapters.commits import resolve_commit as resolve
from lanewarden.adapters.git import Repo
from lanewarden.adapters.notes import all_evidence
from lanewarden.cli.autonomy import warn_if_autonomous
from lanewarden.cli.output import emit_json, print_violations
from lanewarden.cli.push_range import base_registry, check_range, push_policy
from lanewarden.cli.remote_base import remote_base
from lanewarden.domain.evidence import check_gate_name, gate_names
from lanewarden.domain.push_check import BRANCH_PREFIX, PushPolicy, evidence_violation
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["github_annotation", "run", "split_range"]


def split_range(text: str) -> tuple[str, str]:
    """``A..B`` into its two ends; anything else is an input error."""
    if "..." in text or text.count("..") != 1:
        raise InputError(
            f"--range {text!r} is not A..B", hint="give the pushed range, like origin/main..HEAD"
        )
    base, tip = text.split("..")
    if not base or not tip:
        raise InputError(f"--range {text!r} needs both ends", hint="like origin/main..HEAD")
    return base, tip


def _resolve(repo: Repo, rev: str, which: str) -> str:
    if set(rev) == {"0"}:
        raise InputError(
            f"the range's {which} is the zero id (a new branch has no 'before')",
            hint="verify against the target branch instead: --range origin/main..HEAD",
        )
    commit = resolve(repo, rev)
    if commit is not None:
        return commit
    if is_shallow(repo):
        raise InputError(
            f"{rev!r} is not in this shallow clone (the history stops before it)",
            hint="fetch the whole history (actions/checkout with fetch-depth: 0, or "
            "`git fetch --unshallow`)",
        )
    raise InputError(f"unknown revision {rev!r} in --range", hint="fetch it, or name a commit")


def run(args: argparse.Namespace) -> int:
    """Check every commit in the range; exit 1 with the violations, 2 for a bad range."""
    repo = Repo.discover()
    base_rev, tip_rev = split_range(args.range)
    base, tip = _resolve(repo, base_rev, "base"), _resolve(repo, tip_rev, "tip")
    config = config_at(repo, base)
    warn_if_autonomous(config)
    policy = push_policy(config)
    checked = check_range(
        repo,
        tip=tip,
        exclude=[f"^{base}"],
        base=remote_base(repo, config, base_registry(repo, base, config.ledger)),
        ledger=config.ledger,
        autonomous=policy.autonomous,
    )
    violations = list(checked.violations)
    commits = checked.commits
    if args.require_evidence:
        violations += _evidence(repo, policy, tip, tip_rev, args.gate)
    body = {
        "ok": not violations,
        "violations": [v.to_json() for v in violations],
        "range": {"base": base, "tip": tip},
        "commits": commits.total,
        "judged": len(commits.judged),
        "before_adoption": len(commits.before_adoption),
    }
    output = "json" if args.json else args.format
    if output == "json":
        emit_json(body)
    elif output == "github":
        for violation in violations:
            print(github_annotation(violation))
        _text(violations, commits, args.range, stream=sys.stderr)
    else:
        _text(violations, commits, args.range, stream=sys.stdout)
    return 0 if not violations else 1


def _evidence(
    repo: Repo, policy: PushPolicy, tip: str, tip_rev: str, gate: str | None
) -> list[Violation]:
    if gate is not None:  # given on the command line: a typo must not look like a refusal
        check_gate_name(gate, gate_names(config_at(repo, tip).gates), where="--gate")
    gate = gate or policy.required_gate(policy.target_branch) or "3"
    tree = os.fsdecode(repo.git("rev-parse", f"{tip}^{{tree}}")).strip()
    fix = (
        f"the integrator records it (`lanewarden gate run {shell_quote(gate)}` on {tip[:12]}) "
        "and shares it (`lanewarden evidence push`); CI fetches it with "
        "`lanewarden evidence fetch` before `verify`"
    )
    records = all_evidence(repo, tree)
    found = evidence_violation(tip_rev.removeprefix(BRANCH_PREFIX), tree, gate, records, fix=fix)
    return [found] if found else []


def _text(
    violations: Sequence[Violation], commits: CommitRange, span: str, *, stream: TextIO
) -> None:
    if violations:
        print_violations(violations, stream=stream)
        return
    before = len(commits.before_adoption)
    skipped = f" ({before} from before adoption, not judged)" if before else ""
    print(f"lanewarden: {span}: {len(commits.judged)} commit(s) verified{skipped}", file=stream)


def _escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_annotation(violation: Violation) -> str:
    """One GitHub Actions workflow command (``::error file=...,title=...::message``)."""
    props = []
    if violation.path:
        props.append(f"file={_escape(violation.path, property_value=True)}")
    props.append(f"title={_escape('lanewarden ' + violation.rule, property_value=True)}")
    message = violation.message + (f" (fix: {violation.fix})" if violation.fix else "")
    return f"::error {','.join(props)}::{_escape(message)}"
