"""``lanewarden lock list|check|who``: the commands that read the registry and write nothing.

They run for anyone, in any role: a lock table edited by hand is a warning
here (``list``, ``who``) or a violation (``check``), never a reason to stop
reading it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.registry import Hotspots, LockRegistry
from lanewarden.domain.scopes import ScopeError
from lanewarden.domain.times import now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["check", "list_locks", "who"]


def _read_warning_tampered(store: RegistryStore) -> LockRegistry:
    """The registry, with a warning on stderr when its table was edited outside lanewarden."""
    registry, tampered = store.read_checked()
    for violation in tampered:
        print(
            f"lanewarden: warning: {violation.path}: {violation.message}\n  fix: {violation.fix}",
            file=sys.stderr,
        )
    return registry


def list_locks(args: argparse.Namespace) -> int:
    """Every lock (and with ``--all`` the lock history), one line or one JSON object."""
    ctx = Context.load()
    registry = _read_warning_tampered(RegistryStore(ctx.repo, ctx.config))
    at = now()
    rows = [lock.to_json(at, ctx.config.heartbeat_stale_after) for lock in registry.locks]
    if args.all:
        rows += [ended.to_json() for ended in registry.history]
    if args.json:
        emit_json({"locks": rows})
        return 0
    if not rows:
        print("no locks")
    for row in rows:
        scope = " ".join(row["scope"])
        print(
            f"{row['lock_id']}\t{row['status']}\t{row['owner']}\texpires {row['expires']}\t"
            f"{scope}\t{row['objective']}"
        )
    return 0


def check(args: argparse.Namespace) -> int:
    """The registry's health: 0 healthy, 1 with violations, 2 for a row it cannot read."""
    ctx = Context.load()
    store = RegistryStore(ctx.repo, ctx.config)
    try:
        registry, tampered = store.read_checked()
    except InputError as error:
        if not error.message.startswith("malformed"):
            raise
        violation = Violation(
            rule="malformed-row", path=error.where(), message=error.message, fix=error.hint
        )
        report([violation], as_json=args.json, ok_text="")
        return 2
    try:
        hotspots = Hotspots.parse(ctx.config.hotspots)
    except ScopeError as e:
        raise InputError(f"bad glob in hotspots: {e}", path=ctx.config.source_name) from None
    violations = tampered + registry.health(
        ctx.repo.tracked_paths(), hotspots, now(), ctx.config.heartbeat_stale_after
    )
    return report(
        violations,
        as_json=args.json,
        ok_text=f"lock registry healthy: {len(registry.locks)} lock(s) in {store.display_path()}",
        extra={"locks": len(registry.locks)},
    )


def who(args: argparse.Namespace) -> int:
    """Which locks claim each path given."""
    ctx = Context.load()
    registry = _read_warning_tampered(RegistryStore(ctx.repo, ctx.config))
    root = Path(os.path.realpath(ctx.repo.root))
    rows = []
    for given in args.paths:
        path = _repo_relative(given, root)
        rows.append({"path": path, "locks": registry.owners(path)})
    if args.json:
        emit_json({"paths": rows})
        return 0
    for row in rows:
        owners = ", ".join(row["locks"]) or "none"
        print(f"{row['path']}\t{owners}")
    return 0


def _repo_relative(given: str, root: Path) -> str:
    absolute = Path(os.path.realpath(os.path.abspath(given)))
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        raise InputError("path is outside the repository", path=given) from None
    text = relative.as_posix()
    if text == ".":
        raise InputError("name a path inside the repository, not its top", path=given)
    return text
