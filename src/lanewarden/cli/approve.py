"""``lanewarden approve``: record a narrow, short-lived approval in the audit trail.

Only the orchestrator or the maintainer approves (runbook §9). An approval
names one action and one ref, expires after ``--ttl`` (default 15 minutes),
and is consumed by the first push that uses it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from datetime import timedelta

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.audit import Approval
from lanewarden.domain.times import format_time, now, parse_duration
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["APPROVERS", "DEFAULT_TTL", "full_ref", "run"]

APPROVERS = ("orchestrator", "maintainer")
DEFAULT_TTL = timedelta(minutes=15)


def full_ref(ref: str) -> str:
    """``main`` names ``refs/heads/main``; a full ref stays as it is."""
    return ref if ref.startswith("refs/") else f"refs/heads/{ref}"


def run(args: argparse.Namespace) -> int:
    """Record the approval; exit 1 for a caller who may not approve."""
    if getattr(args, "request", None) is not None:
        from lanewarden.cli.escalate import decide

        return decide(args)  # a lane's escalation: its own command and scope
    if args.action is None or args.ref is None or args.reason is None or args.deny:
        raise InputError(
            "approve needs --action, --ref and --reason; --deny goes with --request N",
            hint="see `lanewarden approve --help`",
        )
    ctx = Context.load()
    role = ctx.identity.role
    if role not in APPROVERS:
        violation = Violation(
            rule="wrong-role",
            message=f"only the orchestrator or the maintainer approves (you are a {role})",
            fix="ask them to run it (LANEWARDEN_ROLE=maintainer lanewarden approve ...)",
        )
        return report([violation], as_json=args.json, ok_text="")
    ref = full_ref(args.ref)
    if not _valid_ref(ref):
        raise InputError(f"{args.ref!r} is not a valid ref name", hint="name a branch, like main")
    if not args.reason.strip():
        raise InputError("--reason must say why the approval is needed")
    try:
        ttl = parse_duration(args.ttl) if args.ttl else DEFAULT_TTL
    except ValueError as e:
        raise InputError(f"--ttl: {e}") from None
    at = now()
    entry = AuditLog(ctx.repo).append(
        {
            "kind": "approval",
            "time": format_time(at),
            "action": args.action,
            "ref": ref,
            "reason": args.reason.strip(),
            "by": _who(ctx, role),
            "expires": format_time(at + ttl),
        }
    )
    approval = Approval.from_entry(entry)
    if args.json:
        emit_json({"ok": True, "approval": approval.to_json()})
    else:
        print(
            f"approved {approval.action} on {approval.ref} until {format_time(approval.expires)} "
            f"(approval {approval.id}; used once)"
        )
    return 0


def _valid_ref(ref: str) -> bool:
    done = subprocess.run(["git", "check-ref-format", ref], capture_output=True, check=False)
    return done.returncode == 0 and not ref.startswith("-")


def _who(ctx: Context, role: str) -> str:
    email = os.fsdecode(ctx.repo.git("config", "user.email", ok_codes=(0, 1))).strip()
    user = email or os.environ.get("USER", "") or "unknown"
    return f"{role} {user}"
