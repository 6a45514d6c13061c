"""``lanewarden hook commit-msg FILE``: the ``Lane:`` trailer against the staged change."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.output import report
from lanewarden.domain.message_check import check_message
from lanewarden.domain.trailers import Trailers
from lanewarden.errors import InputError

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Check the message in ``args.file``; exit 1 when it breaks a rule."""
    ctx = Context.load()
    path = Path(args.file)
    if not path.is_file():
        raise InputError("commit message file not found", path=path)
    # git decides what the trailer block is (comments, scissors, continuation lines).
    out = ctx.repo.git("interpret-trailers", "--parse", "--", str(path.resolve()))
    trailers = Trailers.parse(os.fsdecode(out))
    changes = ctx.repo.staged_changes()
    paths = list(dict.fromkeys(p for change in changes for p in change.paths()))
    store = RegistryStore(ctx.repo, ctx.config)
    lane = trailers.lanes[0] if len(trailers.lanes) == 1 else ctx.identity.lane
    registry, tampered = store.read_for_commit(lane)
    if tampered:  # an untrusted table judges nothing
        return report(tampered, as_json=args.json, ok_text="")
    violations = check_message(
        paths,
        trailers,
        identity=ctx.identity,
        registry=registry,
        autonomous=ctx.config.autonomous,
        ledger=store.display_path(),
    )
    named = ", ".join(trailers.lanes) or "no lane"
    return report(
        violations,
        as_json=args.json,
        ok_text=f"lanewarden: commit message names {named}; {len(paths)} staged path(s) fit",
        extra={"lanes": trailers.lanes, "agents": trailers.agents, "paths": len(paths)},
    )
