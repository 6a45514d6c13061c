"""``lanewarden escalate`` and ``approve --request N``: the parent-loop approval (runbook §9).

A worker that hits a permission-gated command records a *request*: the
command, why it is needed, and the exact command prefix an approval would
cover. The lane is ``blocked`` until the orchestrator (or the maintainer)
answers it with ``lanewarden approve --request N`` (or ``--deny``). The
answer is an entry of the audit log, short-lived when granted; the request's
file is never rewritten, so the answer is recorded in one place only.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_facts import (
    caller,
    known_lane,
    lane_id_argument,
    read_decisions,
    refuse_foreign,
    refuse_released,
    view,
)
from lanewarden.cli.lane_ledger import fold_ledger, refuse_tampered_ledger
from lanewarden.cli.lane_sharing import share_worker_state
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.lanes import DECISION_KIND, Request
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.times import format_time, now, parse_duration
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["DEFAULT_TTL", "decide", "run"]

DEFAULT_TTL = timedelta(minutes=15)
APPROVERS = ("orchestrator", "maintainer")


def run(args: argparse.Namespace) -> int:
    """Record the lane's request for approval of one command prefix."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    command = args.command.strip()
    reason = " ".join(args.reason.split())
    if not command or not reason:
        raise InputError("--command and --reason must not be empty: the request says both")
    scope = (args.prefix or command).strip()
    if not command.startswith(scope):
        raise InputError(
            f"--prefix {scope!r} is not a prefix of the command {command!r}",
            hint="the approval covers commands starting with the prefix: give a prefix of it",
        )
    refused = refuse_foreign(ctx, lane_id, "escalate", args.json)
    if refused is not None:
        return refused
    store = LaneStore(ctx.repo)
    from lanewarden.adapters.registry_store import RegistryStore

    registry = RegistryStore(ctx.repo, ctx.config).read()
    lane = view(ctx, store, known_lane(store, lane_id), registry, read_decisions(ctx))
    refused = refuse_released(lane, "escalation", args.json)
    if refused is not None:
        return refused
    at = now()
    last = lane.last_checkpoint
    claim = None
    if ctx.config.registry == "remote":
        from lanewarden.adapters.request_numbers import RequestClaims

        # Workers on other machines number requests too: claim each number on the remote.
        claim = RequestClaims(ctx.repo, ctx.config.registry_remote, lane_id)
    request = store.add_request(
        lambda number: Request(
            number=number,
            lane_id=lane_id,
            time=at,
            command=command,
            scope=scope,
            reason=reason,
            checkpoint=last.id if last else None,
        ),
        claim,
    )
    share_worker_state(ctx, lane_id)
    if args.json:
        emit_json(
            {"ok": True, "request": request.to_json(), "failure": request.failure_lines(None)}
        )
    else:
        print(f"request {request.number} recorded for lane {lane_id}: {scope}")
        for line in request.failure_lines(None):
            print(f"  {line}")
        print(f"  the orchestrator answers: lanewarden approve --request {request.number}")
        print(f"  then go on with: lanewarden lane resume {shell_quote(lane_id)}")
    return 0


def decide(args: argparse.Namespace) -> int:
    """Grant (or with ``--deny``, refuse) request ``--request N``; recorded in the audit log."""
    ctx = Context.load()
    role = ctx.identity.role
    if role not in APPROVERS:
        violation = Violation(
            rule="wrong-role",
            message=f"only the orchestrator or the maintainer answers a request (you are a {role})",
            fix=f"ask them: `LANEWARDEN_ROLE=orchestrator lanewarden approve --request "
            f"{args.request}`",
        )
        return report([violation], as_json=args.json, ok_text="")
    store = LaneStore(ctx.repo)
    request = store.request(args.request)
    if request is None:
        raise InputError(
            f"no request {args.request}",
            hint="see the pending requests with `lanewarden lane list`",
        )
    answered = read_decisions(ctx)
    if request.number in answered:
        earlier = answered[request.number]
        raise InputError(
            f"request {request.number} was already "
            f"{'granted' if earlier.granted else 'denied'} at {format_time(earlier.time)}",
            hint="ask the worker for a new request (`lanewarden escalate ...`) if it still "
            "needs one",
        )
    try:
        ttl = parse_duration(args.ttl) if args.ttl else DEFAULT_TTL
    except ValueError as e:
        raise InputError(f"--ttl: {e}") from None
    refuse_tampered_ledger(ctx)  # the answer is folded into the ledger: check before recording
    at = now()
    granted = not args.deny
    entry = AuditLog(ctx.repo).append(
        {
            "kind": DECISION_KIND,
            "time": format_time(at),
            "request": request.number,
            "decision": "granted" if granted else "denied",
            "lane": request.lane_id,
            "command": request.command,
            "scope": request.scope,
            "reason": " ".join((args.reason or "").split()),
            "by": caller(ctx),
            "expires": format_time(at + ttl) if granted else None,
        }
    )
    decision = read_decisions(ctx)[request.number]
    fold_ledger(ctx, store)
    lines = request.failure_lines(decision)
    if args.json:
        emit_json(
            {
                "ok": True,
                "request": request.to_json(),
                "decision": decision.to_json(at),
                "audit_entry": entry.line,
                "failure": lines,
            }
        )
    else:
        verdict = f"granted until {format_time(at + ttl)}" if granted else "denied"
        print(f"request {request.number} of lane {request.lane_id} {verdict}: {request.scope}")
        for line in lines:
            print(f"  {line}")
    return 0
