"""``lanewarden sync``: refresh this clone's copy of the remote registry and the lanes' state.

In remote registry mode every clone keeps a cached copy of the registry
(for the hooks, which stay offline) and of the lanes' worker state. A worker
pushes its own lane's ref; the orchestrator and the integrator fetch every
lane's ref.
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace

from lanewarden.adapters.files import exclusive_lock
from lanewarden.adapters.lane_refs import fetch_lanes, push_lane
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.adapters.remote_registry import RemoteRegistry
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json
from lanewarden.errors import InputError

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Fetch the registry; push the caller's lane (a worker) or fetch every lane's state."""
    ctx = Context.load()
    config = ctx.config
    if config.registry != "remote":
        raise InputError(
            "sync keeps a clone in step with a remote registry, and the registry here is local",
            path=config.source_name,
            hint='set `registry = "remote"` (and `registry_remote`) to share the registry '
            "through a git remote",
        )
    store = RegistryStore(ctx.repo, config)
    remote = RemoteRegistry(store)
    with exclusive_lock(store._write_lock):
        commit, _ = remote.fetch()
    lane = ctx.identity.lane
    pushed = None
    if lane and not ctx.identity.may_write_ledger:
        pushed = push_lane(ctx.repo, config.registry_remote, lane)
        lanes: list[str] = []
    else:
        lanes = fetch_lanes(ctx.repo, config.registry_remote)
    if args.json:
        emit_json(
            {
                "ok": True,
                "remote": remote.spec.remote,
                "ref": remote.spec.ref,
                "registry": commit,
                "pushed_lane": lane if pushed else None,
                "lanes": lanes,
            }
        )
        return 0
    print(f"registry fetched from {remote.spec.describe()}")
    if lane and not ctx.identity.may_write_ledger:
        print(f"lane {lane}: " + ("state pushed" if pushed else "nothing new to push"))
    else:
        print(f"lanes fetched: {len(lanes)}")
    return 0


# The commands after which a worker's new state travels to its lane's ref.
_SHARED_AFTER: dict[tuple[object, object], str] = {
    ("lock", "heartbeat"): "lock_id",
    ("lane", "checkpoint"): "lane_id",
    ("lane", "handoff"): "lane_id",
    ("escalate", None): "lane_id",
}


def share_worker_state(args: argparse.Namespace | SimpleNamespace) -> None:
    """Remote mode: push the worker's lane ref after a command that recorded its state.

    Only the lane's own worker writes its ref; the orchestrator's heartbeats
    stay local. A push that fails is bad input (exit 2): the state is
    recorded here but no other machine sees it until `lanewarden sync`.
    """
    command = getattr(args, "command", None)
    action = getattr(args, f"{command}_command", None)
    field = _SHARED_AFTER.get((command, action))
    if field is None:
        return
    ctx = Context.load()
    lane = ctx.identity.lane
    if ctx.config.registry != "remote" or ctx.identity.may_write_ledger:
        return
    if not lane or lane != getattr(args, field, None):
        return
    try:
        push_lane(ctx.repo, ctx.config.registry_remote, lane)
    except InputError as e:
        raise InputError(
            f"recorded here, not shared: {e.message}",
            hint=f"once {ctx.config.registry_remote} is reachable, run `lanewarden sync`",
        ) from None
