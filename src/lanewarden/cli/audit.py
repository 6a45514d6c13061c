"""``lanewarden audit verify|push|fetch|anchor``: the trail's chain, its anchor, the remote copy.

``verify`` checks that the log's hash chain is intact and that it is exactly
what its anchor (``refs/lanewarden/audit``) carries; ``push`` and ``fetch``
carry the anchor to and from a remote, fast-forward only, so CI can verify
the trail the remote holds. ``anchor`` adopts a log written before anchors
existed: explicitly, by an approver, with a note recorded in the log.
"""

from __future__ import annotations

import argparse

from lanewarden.adapters.audit_anchor import ANCHOR_REF, LOG_NAME, anchor_commit
from lanewarden.adapters.audit_log import AuditLog
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.audit import chain_problems
from lanewarden.domain.audit_trail import TrailProblem, entries_text
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.times import format_time, now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["anchor", "fetch", "push", "trail_violation", "verify"]

# Who may adopt a log: the roles that grant approvals, since adopting one makes
# its approvals count.
ADOPTERS = ("orchestrator", "maintainer")


def trail_violation(log: AuditLog, problem: TrailProblem) -> Violation:
    """A problem of the trail as a violation, with the command that restores it."""
    path = shell_quote(str(log.path))
    restore = f"`git cat-file blob {ANCHOR_REF}:{LOG_NAME} > {path}`"
    if problem.kind == "log":
        where = f"{log.path}:{problem.line}"
        fix = (
            f"restore the log from its anchor: {restore}; treat approvals that are not in "
            "it as unverified"
        )
    elif problem.kind == "unanchored":
        where = f"{log.path}:{problem.line}"
        fix = (
            f"if {ANCHOR_REF} was deleted, fetch it back (`lanewarden audit fetch`); if this "
            "log was written before lanewarden anchored its logs, adopt it (the orchestrator: "
            "`lanewarden audit anchor --note WHY`, recorded in it), or move it aside "
            f"(`mv {path} {path}.unanchored`): its approvals are not honoured"
        )
    elif problem.kind == "rewound":
        where = ANCHOR_REF
        fix = (
            f"if that newer anchor is genuine, restore it (`git update-ref {ANCHOR_REF} "
            f"{problem.commit}`) and then the log ({restore}); otherwise compare with the "
            "remote's copy (`lanewarden audit fetch`)"
        )
    else:
        where = ANCHOR_REF
        fix = (
            f"{ANCHOR_REF} was changed outside lanewarden: compare it with the remote's copy "
            "(`lanewarden audit fetch` in a fresh clone); no approval is honoured meanwhile"
        )
    return Violation(rule="audit-tampered", path=where, message=problem.what, fix=fix)


def verify(args: argparse.Namespace) -> int:
    """Exit 0 when the chain is intact and extends every head its anchor recorded, else 1."""
    log = AuditLog(Context.load().repo)
    trail = log.trail()
    violations = [trail_violation(log, problem) for problem in trail.problems]
    anchor = trail.anchor.commit if trail.anchor else None
    entries = len(trail.local or ())
    where = f"anchored at {anchor[:12]}" if anchor else "no anchor: nothing recorded yet"
    return report(
        violations,
        as_json=args.json,
        ok_text=f"lanewarden: audit trail intact ({entries_text(entries)}, {where}; {log.path})",
        extra={"entries": entries, "path": str(log.path), "anchor": anchor, "ref": ANCHOR_REF},
    )


def push(args: argparse.Namespace) -> int:
    """Take in the remote's anchor, then push ours (fast-forward only); 1 if it does not verify."""
    log = AuditLog(Context.load().repo)
    pushed, problems = log.push(args.remote)
    if problems:
        violations = [trail_violation(log, problem) for problem in problems]
        return report(violations, as_json=args.json, ok_text="", extra={"pushed": False})
    if args.json:
        emit_json({"ok": True, "pushed": pushed, "remote": args.remote, "ref": ANCHOR_REF})
    elif pushed:
        print(f"lanewarden: {ANCHOR_REF} pushed to {args.remote}")
    else:
        print("lanewarden: no audit trail recorded yet: nothing to push")
    return 0


def fetch(args: argparse.Namespace) -> int:
    """Fast-forward the anchor (and the log with it) to the remote's."""
    log = AuditLog(Context.load().repo)
    result = log.fetch(args.remote)
    if args.json:
        emit_json(
            {
                "ok": True,
                "fetched": result.found,
                "moved": result.moved,
                "log_kept": result.log_kept,
                "log_extended": result.log_extended,
                "anchor": result.anchor,
                "remote": args.remote,
                "ref": ANCHOR_REF,
            }
        )
    elif not result.found:
        print(f"lanewarden: {args.remote} has no {ANCHOR_REF} yet")
    elif result.log_kept:
        print(
            f"lanewarden: {ANCHOR_REF} fast-forwarded from {args.remote}, but the local log "
            "does not lead to it and was left as it is: run `lanewarden audit verify`"
        )
    elif result.moved:
        print(f"lanewarden: {ANCHOR_REF} and the log fast-forwarded from {args.remote}")
    else:
        print(f"lanewarden: {ANCHOR_REF} is up to date with {args.remote}")
        if result.log_extended:
            print(f"lanewarden: the local log was behind {ANCHOR_REF}: brought up to it")
    return 0


def anchor(args: argparse.Namespace) -> int:
    """Adopt an unanchored log whose own chain verifies; 1 when refused, 2 when nothing to adopt."""
    ctx = Context.load()
    log = AuditLog(ctx.repo)
    role = ctx.identity.role
    if role not in ADOPTERS:
        violation = Violation(
            rule="wrong-role",
            message=f"only the orchestrator or the maintainer adopts an audit log (you are a "
            f"{role}): its approvals count from then on",
            fix="ask them: `LANEWARDEN_ROLE=orchestrator lanewarden audit anchor --note ...`",
        )
        return report([violation], as_json=args.json, ok_text="")
    note = " ".join(args.note.split())
    if not note:
        raise InputError("--note must say why the log is adopted")
    if anchor_commit(ctx.repo) is not None:
        raise InputError(
            f"the audit trail is already anchored ({ANCHOR_REF}): nothing to adopt",
            hint="`lanewarden audit verify` says whether it is intact and how to restore it",
        )
    trail = log.trail()
    if trail.unreadable is not None:
        return report([trail_violation(log, trail.unreadable)], as_json=args.json, ok_text="")
    entries = list(trail.local or ())
    if not entries:
        raise InputError(
            "the audit log is empty or missing: nothing to adopt",
            path=log.path,
            hint="nothing to do: the first approval anchors a new log",
        )
    violations = [
        Violation(
            rule="audit-tampered",
            path=f"{log.path}:{line}",
            message=f"the entry {what}: a log whose own chain is broken is not adopted",
            fix=f"restore the log from a backup, or move it aside (`mv {shell_quote(str(log.path))}"
            f" {shell_quote(str(log.path))}.broken`): its approvals are not honoured",
        )
        for line, what in chain_problems(entries)
    ]
    if violations:
        return report(violations, as_json=args.json, ok_text="")
    entry, adopted = log.adopt(
        {
            "kind": "audit-adopted",
            "time": format_time(now()),
            "by": role,
            "note": note,
            "entries": len(entries),
            "head": entries[-1].hash,
        }
    )
    commit = anchor_commit(ctx.repo)
    if args.json:
        emit_json(
            {
                "ok": True,
                "violations": [],
                "adopted": adopted,
                "entry": entry.line,
                "anchor": commit,
                "ref": ANCHOR_REF,
            }
        )
    else:
        print(
            f"lanewarden: adopted the audit log ({entries_text(adopted)} written before it had "
            f"an anchor), recorded at line {entry.line}; {ANCHOR_REF} at {(commit or '')[:12]}"
        )
    return 0
