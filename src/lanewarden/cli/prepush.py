"""``lanewarden hook pre-push [REMOTE] [URL]``: check every ref a push updates.

Reads git's pre-push protocol on stdin (every line: new branches, updates,
deletions), or, under the pre-commit framework, its ``PRE_COMMIT_*``
variables (the framework passes one ref and skips deletions). The rules are
:mod:`lanewarden.domain.push_check`'s. A violation that an approval covers
(exactly that action on that ref, unexpired, unused) is waived; the approvals
used are consumed and logged in the audit trail only when the whole push
passes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.adapters.commits import (
    config_at,
    is_ancestor,
    object_exists,
    resolve_commit,
    zero_id,
)
from lanewarden.adapters.notes import all_evidence
from lanewarden.cli.context import Context
from lanewarden.cli.output import report
from lanewarden.cli.push_range import Base, base_registry, check_range, push_policy
from lanewarden.domain.audit import APPROVABLE, Approval, AuditEntry, approvals, find_approval
from lanewarden.domain.push_check import (
    BRANCH_PREFIX,
    PushPolicy,
    RefUpdate,
    evidence_violation,
    parse_push_lines,
    ref_violations,
)
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.times import format_time, now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["RefResult", "framework_update", "run"]


@dataclass
class RefResult:
    """What the check found for one ref."""

    update: RefUpdate
    commits: int = 0
    before_adoption: int = 0
    violations: list[Violation] = field(default_factory=list)
    waived: list[Approval] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """One entry of the check's ``refs`` list."""
        return {
            "local_ref": self.update.local_ref,
            "remote_ref": self.update.remote_ref,
            "local_id": self.update.local_sha,
            "remote_id": self.update.remote_sha,
            "commits": self.commits,
            "before_adoption": self.before_adoption,
            "ok": not self.violations,
            "approvals_used": [a.id for a in self.waived],
        }


def framework_update(ctx: Context, env: Mapping[str, str], zero: str) -> RefUpdate | None:
    """The one ref the pre-commit framework passes in ``PRE_COMMIT_*``, if it does."""
    to_ref = env.get("PRE_COMMIT_TO_REF", "")
    remote_branch = env.get("PRE_COMMIT_REMOTE_BRANCH", "")
    if not to_ref and not remote_branch:
        return None
    local_ref = env.get("PRE_COMMIT_LOCAL_BRANCH", "") or "HEAD"
    if not remote_branch:
        branch = ctx.branch
        if branch is None:
            raise InputError(
                "PRE_COMMIT_REMOTE_BRANCH is not set and HEAD is detached: which branch is pushed?",
                hint="pass --remote-branch refs/heads/NAME to pre-commit",
            )
        remote_branch = BRANCH_PREFIX + branch
    local_sha = resolve_commit(ctx.repo, to_ref or local_ref)
    if local_sha is None:
        raise InputError(f"unknown revision {to_ref or local_ref!r} (PRE_COMMIT_TO_REF)")
    from_ref = env.get("PRE_COMMIT_FROM_REF", "")
    remote_sha = (resolve_commit(ctx.repo, from_ref) if from_ref else None) or zero
    return RefUpdate(local_ref, local_sha, remote_branch, remote_sha, zero)


def run(args: argparse.Namespace) -> int:
    """Check the push; exit 1 (refusing it) when any ref breaks a rule."""
    ctx = Context.load()
    zero = zero_id(ctx.repo)
    remote = args.remote or os.environ.get("PRE_COMMIT_REMOTE_NAME", "") or None
    update = framework_update(ctx, os.environ, zero)
    if update is not None:
        updates = [update]
    elif sys.stdin is None or sys.stdin.isatty():
        raise InputError(
            "no pre-push input: git gives the hook one line per ref on stdin",
            hint="install it with `lanewarden hooks install` and run `git push`",
        )
    else:
        updates = parse_push_lines(sys.stdin.buffer.read().decode("utf-8", "replace"), zero)
    policy = push_policy(ctx.config)
    target = _target(ctx, remote, updates)
    results = [_check(ctx, u, policy, target, remote) for u in updates]
    _apply_approvals(ctx, results)
    violations = [v for result in results for v in result.violations]
    if not violations:
        _consume(ctx, results)
    commits = sum(r.commits for r in results)
    before = sum(r.before_adoption for r in results)
    skipped = f", {before} from before adoption not judged" if before else ""
    return report(
        violations,
        as_json=args.json,
        ok_text=f"lanewarden: push checked ({len(results)} ref(s), {commits} new commit(s)"
        f"{skipped})",
        extra={"refs": [r.to_json() for r in results], "registry": target.source},
    )


def _remote_is_named(ctx: Context, remote: str | None) -> bool:
    if not remote:
        return False
    out = ctx.repo.git("remote")
    return remote in os.fsdecode(out).split()


class _Target(NamedTuple):
    """The target branch as the remote has it: the base every pushed commit is judged on."""

    source: str  # what it was read from, for the JSON report
    commit: str | None
    base: Base
    ledger: str
    autonomous: bool


def _target(ctx: Context, remote: str | None, updates: list[RefUpdate]) -> _Target:
    """The remote's target branch, its registry and the commit rules' configuration.

    The pushed commits never supply them; ``verify`` reads the same from the
    base of its range. The target's old tip in this push is the remote's own
    word, so it comes before the remote-tracking branch; without either, the
    remote's old tip of another pushed branch. With no view of the remote at
    all (a first push) there is no registry: a commit may then name no lane.
    """
    target_ref = BRANCH_PREFIX + ctx.config.target_branch
    known = [
        u
        for u in updates
        if u.branch is not None and not u.creating and object_exists(ctx.repo, u.remote_sha)
    ]
    candidates = [u.remote_sha for u in known if u.remote_ref == target_ref]
    if _remote_is_named(ctx, remote):
        candidates.append(f"refs/remotes/{remote}/{ctx.config.target_branch}")
    # Last, the remote's old tip of a pushed branch: what `verify --range OLD..NEW` reads.
    candidates += [u.remote_sha for u in known if u.remote_ref != target_ref]
    for rev in candidates:
        commit = resolve_commit(ctx.repo, rev)
        if commit is None:
            continue
        config = config_at(ctx.repo, commit)
        base = base_registry(ctx.repo, commit, config.ledger)
        from lanewarden.cli.remote_base import remote_base  # a dedicated registry ref

        base = remote_base(ctx.repo, config, base)
        return _Target(rev, commit, base, config.ledger, config.autonomous)
    config = ctx.config
    no_base = base_registry(ctx.repo, None, config.ledger)
    return _Target("(none)", None, no_base, config.ledger, config.autonomous)


def _check(
    ctx: Context, update: RefUpdate, policy: PushPolicy, target: _Target, remote: str | None
) -> RefResult:
    result = RefResult(update)
    if update.branch is None:
        return result  # tags and other refs carry no lane work
    known_remote = not update.creating and object_exists(ctx.repo, update.remote_sha)
    fast_forward = (
        update.creating
        or update.deleting
        or (known_remote and is_ancestor(ctx.repo, update.remote_sha, update.local_sha))
    )
    result.violations += ref_violations(
        update, identity=ctx.identity, policy=policy, fast_forward=fast_forward
    )
    if update.deleting:
        return result
    exclude = [f"^{update.remote_sha}"] if known_remote else []
    if target.commit is not None:
        exclude.append(f"^{target.commit}")
    if _remote_is_named(ctx, remote):
        exclude += ["--not", f"--remotes={remote}"]
    checked = check_range(
        ctx.repo,
        tip=update.local_sha,
        exclude=exclude,
        base=target.base,
        ledger=target.ledger,
        autonomous=target.autonomous,
    )
    result.commits = checked.commits.total
    result.before_adoption = len(checked.commits.before_adoption)
    result.violations += checked.violations
    gate = policy.required_gate(update.branch)
    if gate:
        tree = os.fsdecode(ctx.repo.git("rev-parse", f"{update.local_sha}^{{tree}}")).strip()
        records = all_evidence(ctx.repo, tree)  # each record's own tree is compared, not its place
        missing = evidence_violation(
            update.remote_ref, tree, gate, records, fix=_record_command(ctx, update, gate, tree)
        )
        if missing is not None:
            result.violations.append(missing)
    return result


def _record_command(ctx: Context, update: RefUpdate, gate: str, tree: str) -> str:
    here = resolve_commit(ctx.repo, "HEAD") is not None and (
        os.fsdecode(ctx.repo.git("rev-parse", "HEAD^{tree}")).strip() == tree
    )
    command = f"`lanewarden gate run {shell_quote(gate)}`"
    if here:
        return f"record it: {command} (with a clean work tree), then push again"
    name = update.local_ref.removeprefix(BRANCH_PREFIX)
    return (
        f"record it on that tree: `git switch --detach {shell_quote(name)}` and {command} "
        "(with a clean work tree), or `lanewarden evidence fetch` if it was recorded elsewhere"
    )


def _apply_approvals(ctx: Context, results: list[RefResult]) -> None:
    """Waive each approvable violation an approval covers; say why others are not covered.

    Only approvals in the anchored, verified trail count: a line added to the
    log by hand, or any approval while the anchor does not verify, is ignored
    and named in the violation it did not waive.
    """
    if not any(v.rule in APPROVABLE for r in results for v in r.violations):
        return
    trail = AuditLog(ctx.repo).trail()
    entries = trail.honoured()
    ignored = trail.ignored_approvals()
    anchor_verifies = trail.anchor_verifies()
    at = now()
    for result in results:
        kept = []
        for violation in result.violations:
            if violation.rule not in APPROVABLE:
                kept.append(violation)
                continue
            ref = result.update.remote_ref
            approval, why_not = find_approval(entries, violation.rule, ref, at)
            if approval is not None and approval not in result.waived:
                result.waived.append(approval)
                continue
            notes = [why_not] if why_not else []
            unverified = [
                e.line
                for e in ignored
                if (e.body.get("action"), e.body.get("ref")) == (violation.rule, ref)
            ]
            if not anchor_verifies:
                notes.append(
                    "the audit trail's anchor does not verify, so no approval is honoured: "
                    "run `lanewarden audit verify`"
                )
            elif unverified:
                lines = ", ".join(str(line) for line in unverified)
                one = len(unverified) == 1
                which = "approval at audit log line" if one else "approvals at audit log lines"
                notes.append(
                    f"the {which} {lines} {'is' if one else 'are'} not in the anchored chain: "
                    "ignored (`lanewarden audit verify`)"
                )
            if notes:
                kept.append(violation.with_message(f"{violation.message} ({'; '.join(notes)})"))
            else:
                kept.append(violation)
        result.violations = kept


def _consume(ctx: Context, results: list[RefResult]) -> None:
    """Log the approved actions and use their approvals up (runbook §13's audit trail).

    Each approval is used up only if it still is unused when the lock is held:
    two pushes checked at once cannot both spend it (the second stops here,
    exit 2, before git sends anything).
    """
    log = AuditLog(ctx.repo)
    for result in results:
        for approval in result.waived:

            def spent(entries: Sequence[AuditEntry], wanted: str = approval.id) -> str | None:
                for recorded in approvals(entries):
                    if recorded.id == wanted and recorded.consumed is not None:
                        return (
                            f"approval {wanted} was used by another push at {recorded.consumed} "
                            "while this one was being checked"
                        )
                return None

            log.append(
                {
                    "kind": "consumed",
                    "time": format_time(now()),
                    "approval": approval.id,
                    "action": approval.action,
                    "ref": approval.ref,
                    "old": result.update.remote_sha,
                    "new": result.update.local_sha,
                    "by": ctx.identity.role,
                },
                unless=spent,
            )
