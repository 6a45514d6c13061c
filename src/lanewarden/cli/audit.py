"""``lanewarden audit verify``: check that the audit trail's hash chain is intact."""

from __future__ import annotations

import argparse

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.cli.context import Context
from lanewarden.cli.output import report
from lanewarden.domain.audit import chain_problems
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["verify"]


def verify(args: argparse.Namespace) -> int:
    """Exit 0 when every entry follows the one before it and matches its hash, else 1."""
    log = AuditLog(Context.load().repo)
    try:
        entries = log.read()
    except InputError as e:
        # A line that is not even JSON is a broken chain too: report it as one.
        violation = Violation(
            rule="audit-tampered",
            path=f"{e.path}:{e.line}",
            message=e.message,
            fix=e.hint,
        )
        return report([violation], as_json=args.json, ok_text="")
    violations = [
        Violation(
            rule="audit-tampered",
            path=f"{log.path}:{line}",
            message=f"audit entry {line} {problem}",
            fix="the trail was changed after it was written: restore it from a backup, and "
            "treat the approvals after this line as unverified",
        )
        for line, problem in chain_problems(entries)
    ]
    return report(
        violations,
        as_json=args.json,
        ok_text=f"lanewarden: audit trail intact ({len(entries)} entries, {log.path})",
        extra={"entries": len(entries), "path": str(log.path)},
    )
