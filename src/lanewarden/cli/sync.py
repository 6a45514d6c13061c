"""``lanewarden sync``: bring this clone in step with the remote registry and the lanes' state.

In remote registry mode every clone keeps a cached copy of the registry (for
the hooks, which stay offline) and of the lanes' records. A sync fetches the
registry, then:

- a worker pushes its own lane's ref (taking the lane record from it first),
  its evidence notes, and fetches the audit trail (the answers to its
  requests);
- the orchestrator and the integrator fetch every lane's ref, share any lane
  record whose push after ``lane start`` did not happen, merge the evidence
  notes, and push the audit trail (their approvals) after taking in the
  remote's.
"""

from __future__ import annotations

import argparse
from typing import Any

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.adapters.files import exclusive_lock
from lanewarden.adapters.git import Repo
from lanewarden.adapters.lane_refs import fetch_lanes, has_record, push_lane
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.notes import HANDOFF_NOTES_REF, NOTES_REF, export_evidence, push_notes
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.adapters.remote_registry import RemoteRegistry
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json, report
from lanewarden.errors import InputError

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Fetch the registry; exchange the lanes' records, the evidence notes and the audit trail."""
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
    notes = _exchange_notes(repo, name)
    audit = _carry_trail(repo, name, push=worker is None)
    body: dict[str, Any] = {
        "remote": remote.spec.remote,
        "ref": remote.spec.ref,
        "registry": commit,
        "pushed_lane": worker if pushed else None,
        "lanes": lanes,
        "shared_lane_records": shared,
        "notes": notes,
        "audit": {key: value for key, value in audit.items() if key != "violations"},
    }
    if audit["violations"]:
        return report(audit["violations"], as_json=args.json, ok_text="", extra=body)
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
    if notes:
        print(f"evidence notes exchanged: {', '.join(notes)}")
    print(
        f"audit trail {audit['action']}" + (f": {audit['anchor'][:12]}" if audit["anchor"] else "")
    )
    return 0


def _exchange_notes(repo: Repo, remote: str) -> list[str]:
    """Merge the remote's evidence and handoff notes with ours and push them; the refs pushed.

    Notes merge (each tree's records are a set), so every role pushes: a
    worker's evidence reaches the orchestrator, and the merged notes come back.
    """
    export_evidence(repo)
    return [ref for ref in (NOTES_REF, HANDOFF_NOTES_REF) if push_notes(repo, remote, ref=ref)]


def _carry_trail(repo: Repo, remote: str, *, push: bool) -> dict[str, Any]:
    """Fetch the audit trail's anchor (a worker), or take it in and push ours (the ledger's writer).

    The answers to requests are audit entries written where the orchestrator
    runs; a worker reads them from the fetched trail. A trail that does not
    verify is not pushed: its problems are returned as violations.
    """
    log = AuditLog(repo)
    if not push:
        result = log.fetch(remote)
        return {"action": "fetched", "anchor": result.anchor, "violations": []}
    pushed, problems = log.push(remote)
    if problems:
        from lanewarden.cli.audit import trail_violation

        violations = [trail_violation(log, problem) for problem in problems]
        return {"action": "not pushed", "anchor": None, "violations": violations}
    from lanewarden.adapters.audit_anchor import anchor_commit

    action = "pushed" if pushed else "empty: nothing to push"
    return {"action": action, "anchor": anchor_commit(repo), "violations": []}
