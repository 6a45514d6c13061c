"""``lanewarden lock``: acquire, heartbeat, release, reclaim, accept-edit: the ledger's writes.

The read-only commands (list, check, who) live in :mod:`lanewarden.cli.lock_view`;
they are named here too, where the parser finds every ``lock`` command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

from lanewarden.adapters.config import Config
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_sharing import share_worker_state
from lanewarden.cli.lock_view import check, list_locks, who
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.locks import Lock, check_lock_id, lifetime_violation
from lanewarden.domain.registry import Hotspots, LockRegistry, shell_quote
from lanewarden.domain.scopes import Scope, ScopeError
from lanewarden.domain.times import format_time, now, parse_duration
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = [
    "accept_edit",
    "acquire",
    "check",
    "heartbeat",
    "list_locks",
    "reclaim",
    "release",
    "take_lock",
    "who",
]


def _ttl(text: str | None, config: Config) -> timedelta | Violation:
    """The lifetime asked for (``lock_ttl`` by default), or why it is refused."""
    if text is None:
        ttl, source = config.lock_ttl, f"lock_ttl in {config.source_name}"
    else:
        try:
            ttl, source = parse_duration(text), "--ttl"
        except (ValueError, OverflowError) as e:
            raise InputError(f"--ttl: {e}") from None
    return lifetime_violation(ttl, config.max_lock_ttl, source) or ttl


def _lock_id(text: str) -> str:
    try:
        return check_lock_id(text)
    except ValueError as e:
        raise InputError(str(e)) from None


def _known(store: RegistryStore, lock_id: str, registry: LockRegistry) -> Lock:
    lock = registry.get(lock_id)
    if lock is not None:
        return lock
    ended = next((e for e in reversed(registry.history) if e.lock.lock_id == lock_id), None)
    if ended is not None:
        raise InputError(
            f"lock {lock_id!r} is already {ended.outcome} (at {format_time(ended.ended)}): it is "
            "in the lock history, no longer in the lock table",
            path=store.display_path(),
            hint="nothing to do; `lanewarden lock list --all` shows the history, and "
            f"`lanewarden lock acquire {shell_quote(lock_id)} ...` starts a new lock",
        )
    raise InputError(
        f"unknown lane: no lock {lock_id!r} in the lock table",
        path=store.display_path(),
        hint="see the locks with `lanewarden lock list`",
    )


def _refuse_role(ctx: Context, action: str, as_json: bool, what: str = "") -> int | None:
    """Only the orchestrator (or integrator) writes the single-writer ledger."""
    return ctx.refuse_unless_ledger_writer(
        what or f"{action} locks", f"lock {action}", as_json=as_json
    )


def _done(as_json: bool, text: str, body: dict[str, object]) -> int:
    if as_json:
        emit_json({"ok": True, **body})
    else:
        print(text)
    return 0


def acquire(args: argparse.Namespace) -> int:
    ctx = Context.load()
    lock = take_lock(
        ctx,
        args.lock_id,
        owner=args.owner,
        objective=args.objective,
        patterns=args.scope,
        ttl=args.ttl,
        as_json=args.json,
    )
    if isinstance(lock, int):
        return lock
    return _done(
        args.json,
        f"acquired {lock.lock_id} for {lock.owner} until {format_time(lock.expires)}",
        {"lock": lock.to_json(lock.start, ctx.config.heartbeat_stale_after)},
    )


def take_lock(
    ctx: Context,
    lock_id_text: str,
    *,
    owner: str,
    objective: str,
    patterns: Sequence[str],
    ttl: str | None,
    as_json: bool,
) -> Lock | int:
    """Acquire a lock as ``lock acquire`` does; the lock, or the exit code of a refusal.

    A refusal (wrong role, bootstrap check, overlapping scope) is already
    reported when this returns; ``lane start`` acquires its lock through here.
    """
    lock_id = _lock_id(lock_id_text)
    refused = _refuse_role(ctx, "acquire", as_json)
    if refused is not None:
        return refused
    try:
        scope = Scope.parse(patterns)
        hotspots = Hotspots.parse(ctx.config.hotspots)
    except ScopeError as e:
        raise InputError(f"bad glob: {e}", hint="fix the pattern (gitignore syntax)") from None
    lifetime = _ttl(ttl, ctx.config)
    if isinstance(lifetime, Violation):
        return report([lifetime], as_json=as_json, ok_text="")
    objective = " ".join(objective.split())
    owner = owner.strip()
    if not owner or not objective:
        raise InputError("--owner and --objective must not be empty")
    store = RegistryStore(ctx.repo, ctx.config)
    if store.ledger_path.exists():
        store.read()  # a ledger without a lock table is bad input before it is a policy gap
    refusal = _bootstrap_refusal(ctx, as_json)
    if refusal is not None:
        return refusal
    with store.transaction() as tx:
        taken = tx.registry.get(lock_id)
        if taken is not None and store.remote:
            # Shared by machines, the registry may have just gained this id from another
            # orchestrator: whether it won a push race or landed a moment earlier, this
            # caller lost to it, a refusal naming the holder as for an overlap.
            from lanewarden.domain.registry_change import taken_violation

            return report([taken_violation(lock_id, taken)], as_json=as_json, ok_text="")
        if taken is not None:
            raise InputError(
                f"lock {lock_id!r} already exists",
                path=store.display_path(),
                hint="choose another lock id, or release that lock first",
            )
        tracked: list[str] | None = None

        def tracked_paths() -> list[str]:
            nonlocal tracked
            if tracked is None:
                tracked = ctx.repo.tracked_paths()
            return tracked

        conflicts = tx.registry.acquisition_conflicts(lock_id, scope, hotspots, tracked_paths)
        if conflicts:
            return report(conflicts, as_json=as_json, ok_text="")
        at = now()
        expires = at + lifetime  # durations are bounded: no overflow
        lock = Lock(lock_id, owner, scope, objective, start=at, heartbeat=at, expires=expires)
        tx.registry = tx.registry.with_lock(lock)
    return lock


def _bootstrap_refusal(ctx: Context, as_json: bool) -> int | None:
    """A parallel run does not start while the agent policy is incomplete (§16.1)."""
    from lanewarden.cli.bootstrap_check import check_bootstrap

    result = check_bootstrap(ctx.repo, ctx.config)
    if result.ok:
        return None
    if as_json:
        emit_json({**result.to_json(), "ok": False, "refused": "lock acquire"})
    else:
        print(result.render_text(), end="", file=sys.stderr)
        print(
            "lanewarden: lock acquire refused: the bootstrap check fails (runbook §16.1)\n"
            "  fix: complete the policy (`lanewarden init`), commit it, and run "
            "`lanewarden bootstrap`",
            file=sys.stderr,
        )
    return 1


def heartbeat(args: argparse.Namespace) -> int:
    """A worker refreshes its own lock; it writes its heartbeat file, never the ledger."""
    ctx = Context.load()
    lock_id = _lock_id(args.lock_id)
    store = RegistryStore(ctx.repo, ctx.config)
    lock = _known(store, lock_id, store.read())
    lane = ctx.identity.lane
    if lane != lock_id and not ctx.identity.may_write_ledger:
        whose = f"lane {lane}" if lane else "a worker with no lane"
        violation = Violation(
            rule="foreign-lock",
            lock=lock_id,
            message=f"{whose} cannot heartbeat lock {lock_id}: a worker refreshes only its "
            "own lane's lock",
            fix=f"`lanewarden lock heartbeat {shell_quote(lane)}`"
            if lane
            else f"run it in lane {lock_id}'s own session (LANEWARDEN_LANE={lock_id})",
        )
        return report([violation], as_json=args.json, ok_text="")
    ttl = _ttl(args.ttl, ctx.config)
    if isinstance(ttl, Violation):
        return report([ttl], as_json=args.json, ok_text="")
    at = now()
    if lock.status(at, ctx.config.heartbeat_stale_after) == "expired":
        from lanewarden.domain.registry import expired_violation

        return report([expired_violation(lock)], as_json=args.json, ok_text="")
    expires = at + ttl
    store.heartbeats.write(lock, at, max(expires, lock.expires))
    share_worker_state(ctx, lock_id)
    lock = lock.refreshed(at, expires)
    return _done(
        args.json,
        f"heartbeat {lock_id} at {format_time(at)}; expires {format_time(lock.expires)}",
        {"lock": lock.to_json(at, ctx.config.heartbeat_stale_after)},
    )


def release(args: argparse.Namespace) -> int:
    ctx = Context.load()
    lock_id = _lock_id(args.lock_id)
    refused = _refuse_role(ctx, "release", args.json)
    if refused is not None:
        return refused
    store = RegistryStore(ctx.repo, ctx.config)
    at = now()
    with store.transaction() as tx:
        _known(store, lock_id, tx.registry)
        tx.registry = tx.registry.released(lock_id, at)
    return _done(
        args.json,
        f"released {lock_id}; it stays in the ledger's lock history",
        {"lock": tx.registry.history[-1].to_json()},
    )


def reclaim(args: argparse.Namespace) -> int:
    ctx = Context.load()
    lock_id = _lock_id(args.lock_id)
    refused = _refuse_role(ctx, "reclaim", args.json)
    if refused is not None:
        return refused
    note = " ".join(args.note.split())
    owner = args.owner.strip()
    if not note or not owner:
        raise InputError("--note and --owner must not be empty: a reclaim records why")
    ttl = _ttl(args.ttl, ctx.config)
    if isinstance(ttl, Violation):
        return report([ttl], as_json=args.json, ok_text="")
    store = RegistryStore(ctx.repo, ctx.config)
    at = now()
    stale_after = ctx.config.heartbeat_stale_after
    with store.transaction() as tx:
        lock = _known(store, lock_id, tx.registry)
        status = lock.status(at, stale_after)
        if status == "active":
            violation = Violation(
                rule="lock-live",
                lock=lock_id,
                message=f"lock {lock_id} (owner {lock.owner}) is live: heartbeat "
                f"{format_time(lock.heartbeat)}, expires {format_time(lock.expires)}",
                fix="only an expired or stale lock can be reclaimed; ask its owner to "
                f"release it (`lanewarden lock release {shell_quote(lock_id)}`)",
            )
            return report([violation], as_json=args.json, ok_text="")
        tx.registry = tx.registry.reclaimed(lock_id, owner=owner, note=note, at=at, ttl=ttl)
    new = tx.registry.get(lock_id)
    assert new is not None
    return _done(
        args.json,
        f"reclaimed {status} lock {lock_id} for {owner} (from {lock.owner}); note recorded",
        {"lock": new.to_json(at, stale_after), "previous": tx.registry.history[-1].to_json()},
    )


def accept_edit(args: argparse.Namespace) -> int:
    """The orchestrator takes a hand edit of the lock table as the registry; audit-logged."""
    ctx = Context.load()
    refused = _refuse_role(ctx, "accept-edit", args.json, "accept an edit of the lock table")
    if refused is not None:
        return refused
    note = " ".join(args.note.split())
    if not note:
        raise InputError("--note must say why the edit is accepted")
    store = RegistryStore(ctx.repo, ctx.config)
    if store.remote:
        # The copy is a cache of the remote's ledger: accepting an edit of it would make
        # this clone judge by a table no other machine has.
        raise InputError(
            "with a remote registry the lock table of record is the remote's ledger; this "
            "clone's copy is a cache of it, and an edit of the copy changes no lock",
            path=store.display_path(),
            hint="restore the copy from the remote with `lanewarden sync`; change locks with "
            "`lanewarden lock acquire|release|reclaim` (they go through the remote)",
        )
    accepted = store.accept_edit()
    if accepted is None:
        return _done(
            args.json,
            "nothing to accept: the lock table is the one lanewarden last wrote",
            {"accepted": False, "changes": []},
        )
    changes, digest = accepted
    from lanewarden.adapters.audit_log import AuditLog

    AuditLog(ctx.repo).append(
        {
            "kind": "ledger-edit-accepted",
            "time": format_time(now()),
            "by": ctx.identity.role,
            "ledger": store.display_path(),
            "note": note,
            "changes": changes,
            "sha256": digest,
        }
    )
    lines = "".join(f"\n  {change}" for change in changes)
    return _done(
        args.json,
        f"accepted the hand edit of the lock table in {store.display_path()} "
        f"(recorded in the audit log):{lines}",
        {"accepted": True, "changes": changes, "sha256": digest},
    )
