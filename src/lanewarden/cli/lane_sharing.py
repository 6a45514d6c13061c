"""Remote registry mode: a lane's records travel on its own ref, ``refs/lanewarden/lanes/<ID>``.

The commands that record a lane's state call these once the record is
written: ``lane start`` shares the lane record (its brief, scope and
criteria) for the worker's machine; the lane's worker shares its heartbeat,
checkpoints, handoffs and escalations for the orchestrator's. In local
registry mode both do nothing: every worktree shares one git dir already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lanewarden.errors import InputError

if TYPE_CHECKING:
    from lanewarden.cli.context import Context

__all__ = ["share_lane_record", "share_worker_state"]


def share_worker_state(ctx: Context, lane_id: str) -> None:
    """Push lane ``lane_id``'s ref after its worker recorded its state there.

    Only the lane's own worker writes its ref; the orchestrator's heartbeats
    stay local. A push that fails is bad input (exit 2): the state is
    recorded here but no other machine sees it until `lanewarden sync`.
    """
    if ctx.config.registry != "remote" or ctx.identity.may_write_ledger:
        return
    if ctx.identity.lane != lane_id:
        return
    _push(ctx, lane_id, record_only=False)


def share_lane_record(ctx: Context, lane_id: str) -> None:
    """Push the lane record ``lane start`` just wrote, so the worker's clone can read it."""
    if ctx.config.registry != "remote":
        return
    _push(ctx, lane_id, record_only=True)


def _push(ctx: Context, lane_id: str, *, record_only: bool) -> None:
    from lanewarden.adapters.lane_refs import push_lane

    remote = ctx.config.registry_remote
    try:
        push_lane(ctx.repo, remote, lane_id, record_only=record_only)
    except InputError as e:
        raise InputError(
            f"recorded here, not shared: {e.message}",
            hint=f"once {remote} is reachable, run `lanewarden sync`",
        ) from None
