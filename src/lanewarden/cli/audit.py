"""``lanewarden audit verify|push|fetch``: the audit trail's chain, its anchor, and the remote copy.

``verify`` checks that the log's hash chain is intact and that it is exactly
what its anchor (``refs/lanewarden/audit``) carries; ``push`` and ``fetch``
carry the anchor to and from a remote, fast-forward only, so CI can verify
the trail the remote holds.
"""

from __future__ import annotations

import argparse

from lanewarden.adapters.audit_anchor import ANCHOR_REF, LOG_NAME
from lanewarden.adapters.audit_log import AuditLog
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.audit_trail import TrailProblem, entries_text
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation

__all__ = ["fetch", "push", "verify"]


def _violation(log: AuditLog, problem: TrailProblem) -> Violation:
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
            f"log predates its anchor, move it aside (`mv {path} {path}.unanchored`): its "
            "approvals are not honoured"
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
    violations = [_violation(log, problem) for problem in trail.problems]
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
        violations = [_violation(log, problem) for problem in problems]
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
