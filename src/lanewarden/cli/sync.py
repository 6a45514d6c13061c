"""``lanewarden sync``: bring this clone in step with the remote registry and the lanes' state.

In remote registry mode every clone keeps a cached copy of the registry (for
the hooks, which stay offline) and of the lanes' records. A sync fetches the
registry, then:

- a worker pushes its own lane's ref (taking the lane record from it first);
- the orchestrator and the integrator fetch every lane's ref and share any
  lane record whose push after ``lane start`` did not happen.
"""

from __future__ import annotations

import argparse
from typing import Any

from lanewarden.adapters.files import exclusive_lock
from lanewarden.adapters.lane_refs import fetch_lanes, has_record, push_lane
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.adapters.remote_registry import RemoteRegistry
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json
from lanewarden.errors import InputError

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Fetch the registry; exchange the lanes' records."""
    ctx = Context.load()
    config = ctx.config
    if config.registry != "remote":
        raise InputError(
            "sync keeps a clone in step with a remote registry, and the registry here is local",
            path=config.source_name,
            hint='set `registry = "remote"` (and `registry_remote`) to share the registry '
            "through a git remote",
        )
    repo, name = ctx.repo, config.registry_remote
    store = RegistryStore(repo, config)
    remote = RemoteRegistry(store)
    with exclusive_lock(store._write_lock):
        commit, _ = remote.fetch()
    lane = ctx.identity.lane
    worker = lane if lane and not ctx.identity.may_write_ledger else None
    pushed = None
    lanes: list[str] = []
    shared: list[str] = []
    if worker is not None:
        pushed = push_lane(repo, name, worker)
    else:
        lanes = fetch_lanes(repo, name)
        shared = [i for i in LaneStore(repo).lane_ids() if not has_record(repo, i)]
        for lane_id in shared:
            push_lane(repo, name, lane_id, record_only=True)
    body: dict[str, Any] = {
        "remote": remote.spec.remote,
        "ref": remote.spec.ref,
        "registry": commit,
        "pushed_lane": worker if pushed else None,
        "lanes": lanes,
        "shared_lane_records": shared,
    }
    if args.json:
        emit_json({"ok": True, **body})
        return 0
    print(f"registry fetched from {remote.spec.describe()}")
    if worker is not None:
        print(f"lane {worker}: " + ("state pushed" if pushed else "nothing new to push"))
    else:
        print(f"lanes fetched: {len(lanes)}")
        for lane_id in shared:
            print(f"lane {lane_id}: record shared")
    return 0
