"""``lanewarden status``: where the whole run stands, on one screen.

Like ``git status`` for a parallel run: who you are, the hooks, each active
lane (state as ``lane list`` derives it), pending requests and live grants,
the hotspots and their holders, and what needs attention. It only reads.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.marshal_cache import file_stamp
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.hooks import HOOKS, MARKER
from lanewarden.cli.lane_facts import LaneView, known_lane, read_decisions, view
from lanewarden.cli.metrics import duration_words
from lanewarden.cli.output import emit_json
from lanewarden.domain.lanes import Decision
from lanewarden.domain.registry import Hotspots, LockRegistry
from lanewarden.domain.times import format_time, now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["run", "status_body", "use_colour"]

_SCOPE_SHOWN = 3  # patterns shown per lane before "+N more"


def use_colour(stream: Any, env: dict[str, str] | os._Environ[str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (to anything)."""
    if "NO_COLOR" in env:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


def _hooks(ctx: Context) -> list[dict[str, Any]]:
    folder = Path(os.fsdecode(ctx.repo.git("rev-parse", "--git-path", "hooks")).strip())
    if not folder.is_absolute():
        folder = ctx.repo.root / folder
    rows = []
    for name in HOOKS:
        path = folder / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            rows.append({"hook": name, "installed": False, "lanewarden": False})
            continue
        rows.append({"hook": name, "installed": True, "lanewarden": MARKER in text})
    return rows


def _scope_summary(lane: LaneView) -> str:
    texts = list(lane.scope.texts()) if lane.scope else []
    shown = ", ".join(texts[:_SCOPE_SHOWN])
    more = len(texts) - _SCOPE_SHOWN
    return f"{shown} +{more} more" if more > 0 else shown


def _lane_row(lane: LaneView, registry: LockRegistry, at: Any) -> dict[str, Any]:
    lock = lane.lock
    assert lock is not None
    last = lane.last_checkpoint
    beat = lane.facts.heartbeat
    seen = max((t for t in (last.time if last else None, beat, lock.heartbeat) if t), default=None)
    return {
        "lane_id": lane.record.lane_id,
        "state": lane.state,
        "owner": lane.owner,
        "objective": lane.objective,
        "scope": _scope_summary(lane),
        "expires": format_time(lock.expires),
        "seconds_left": int((lock.expires - at).total_seconds()),
        "last_seen": format_time(seen) if seen else None,
        "last_checkpoint": last.id if last else None,
        "evidence": lane.evidence_json(),
        "evidence_text": lane.evidence_text(),
        "pending_requests": [r.number for r in lane.facts.pending],
    }


def _hotspots(ctx: Context, registry: LockRegistry) -> list[dict[str, Any]]:
    """Each hotspot and the live locks holding it (a tracked path of it, or its own name)."""
    if not ctx.config.hotspots:
        return []
    from lanewarden.adapters.hotspot_members import hotspot_members

    hotspots = Hotspots.parse(ctx.config.hotspots)
    members = hotspot_members(ctx.repo, hotspots, ctx.config.hotspots)
    rows = []
    for glob in hotspots.globs:
        # The registry's index matches a path against every lock at once, with no regex
        # compiled per pattern: asking each lock's scope costs a tenth of a second here.
        holders: set[str] = set()
        literal = glob.lstrip("/")
        for path in [*members[glob], *([literal] if not any(c in literal for c in "*?[") else [])]:
            holders.update(registry.index.owners(path))
        rows.append({"hotspot": glob, "held_by": sorted(holders)})
    return rows


def _evidence_warning(ctx: Context) -> Violation | None:
    from lanewarden.adapters.evidence_store import read_evidence
    from lanewarden.adapters.lane_git import tree_of
    from lanewarden.domain.evidence import latest_by_gate

    head = ctx.repo.git("rev-parse", "--verify", "-q", "HEAD", ok_codes=(0, 1)).strip()
    tree = tree_of(ctx.repo, os.fsdecode(head)) if head else None
    if tree is None:
        return None
    latest = latest_by_gate(read_evidence(ctx.repo, tree))
    if any(record.passed for record in latest.values()):
        return None
    return Violation(
        rule="missing-evidence",
        path=ctx.branch or "HEAD",
        message=f"no passing gate evidence for the branch tip's tree {tree[:12]}",
        fix="run the lane's gate on the committed tip: `lanewarden gate run 2`",
    )


def _bootstrap_warnings(ctx: Context) -> list[Violation]:
    """The bootstrap check's violations, kept while none of what it reads has changed.

    The check parses the policy file and the whole ledger (a tenth of a second on a big
    ledger); its answer depends only on the files below, git's index (is the policy
    file committed?) and lanewarden's version, so it is kept under their stamps.
    """
    from lanewarden import __version__
    from lanewarden.adapters import marshal_cache
    from lanewarden.cli.bootstrap_check import check_bootstrap

    config = ctx.config
    files = [
        config.root / config.policy_file,
        config.root / config.ledger,
        ctx.repo.git_dir / "index",
        *(config.root / r for r in config.decision_registers),
        *([config.source] if config.source else []),
    ]
    key = [__version__, [str(f) for f in files], [file_stamp(f) for f in files]]
    cache = ctx.repo.state_dir / "status-bootstrap.cache"
    stored = marshal_cache.load(cache, key)
    if isinstance(stored, list):
        return [Violation(rule=r, message=m, path=p, lock=k, fix=f) for r, m, p, k, f in stored]
    try:
        found = list(check_bootstrap(ctx.repo, config).violations)
    except InputError as e:
        return [Violation(rule="incomplete-policy", message=str(e), fix="lanewarden bootstrap")]
    marshal_cache.store(cache, key, [[v.rule, v.message, v.path, v.lock, v.fix] for v in found])
    return found


def _requests(store: LaneStore, answered: dict[int, Decision], at: Any) -> dict[str, Any]:
    pending, grants = [], []
    for request in store.requests():
        decision = answered.get(request.number)
        if decision is None:
            pending.append(
                {**request.to_json(), "waiting_seconds": int((at - request.time).total_seconds())}
            )
        elif decision.usable(at):
            grants.append({**request.to_json(), "decision": decision.to_json(at)})
    return {"pending": pending, "grants": grants}


def status_body(ctx: Context) -> dict[str, Any]:
    """Everything ``status`` shows, as the ``--json`` object."""
    at = now()
    store_ = RegistryStore(ctx.repo, ctx.config)
    # The lock table as the hooks read it: compiled and cached, with the tampering check;
    # status shows live lanes only, so the lock history is not needed.
    registry, tampered = store_.read_for_commit(None)
    registry = registry.with_heartbeats(store_.heartbeats.read_all(registry.locks))
    store = LaneStore(ctx.repo)
    answered = read_decisions(ctx)
    active = []
    for lane_id in store.lane_ids():
        record = known_lane(store, lane_id)
        lock = registry.get(lane_id)
        if lock is not None and lock.start >= record.started:
            active.append(view(ctx, store, record, registry, answered))
    lane_ids = {lane.record.lane_id for lane in active}
    warnings: list[Violation] = list(tampered)
    for lock in registry.locks:
        status = lock.status(at, ctx.config.heartbeat_stale_after)
        if status != "active":
            from lanewarden.domain.registry import expired_violation, stale_violation

            warnings.append(
                expired_violation(lock)
                if status == "expired"
                else stale_violation(lock, ctx.config.heartbeat_stale_after)
            )
    warnings += _bootstrap_warnings(ctx)
    missing = _evidence_warning(ctx)
    if missing is not None:
        warnings.append(missing)
    identity = ctx.identity
    return {
        "ok": not warnings,
        "time": format_time(at),
        "identity": {
            "role": identity.role,
            "lane": identity.lane,
            "lane_source": identity.lane_source,
            "mode": ctx.config.mode,
            "branch": ctx.branch,
        },
        "hooks": _hooks(ctx),
        "lanes": [_lane_row(lane, registry, at) for lane in active],
        "locks_without_lane": sorted(
            lock.lock_id for lock in registry.locks if lock.lock_id not in lane_ids
        ),
        "requests": _requests(store, answered, at),
        "hotspots": _hotspots(ctx, registry),
        "warnings": [v.to_json() for v in warnings],
    }


_COLOURS = {
    "blocked": "31",
    "reopened": "33",
    "handed-off": "36",
    "working": "32",
    "assigned": "37",
    "integrated": "34",
    "abandoned": "90",
}


def _print(body: dict[str, Any], colour: bool) -> None:
    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if colour else text

    who = body["identity"]
    print(
        f"You are {who['role']}"
        + (f" of lane {who['lane']}" if who["lane"] else "")
        + f", mode {who['mode']}, on branch {who['branch'] or '(detached)'}"
    )
    ours = [h["hook"] for h in body["hooks"] if h["lanewarden"]]
    foreign = [h["hook"] for h in body["hooks"] if h["installed"] and not h["lanewarden"]]
    missing = [h["hook"] for h in body["hooks"] if not h["installed"]]
    print(f"Hooks: lanewarden's: {', '.join(ours) or 'none'}", end="")
    print(f"; other: {', '.join(foreign)}" if foreign else "", end="")
    print(f"; missing: {', '.join(missing)} (lanewarden hooks install)" if missing else "")
    print(f"\nActive lanes ({len(body['lanes'])}):")
    if not body["lanes"]:
        print("  none")
    else:
        head = f"  {'lane':<8} {'state':<10} {'owner':<10} {'scope':<28} {'time left':<10} "
        print(paint(head + "last seen  evidence", "1"))
    for row in body["lanes"]:
        left = row["seconds_left"]
        time_left = duration_words(left) + " left" if left > 0 else paint("expired", "31")
        pending = (
            f"  request {', '.join(map(str, row['pending_requests']))} pending"
            if row["pending_requests"]
            else ""
        )
        state = paint(f"{row['state']:<10}", _COLOURS.get(row["state"], "0"))
        print(
            f"  {row['lane_id']:<8} {state} "
            f"{row['owner']:<10} {row['scope']:<28} {time_left:<10} "
            f"seen {row['last_seen'] or 'never'}  {row['evidence_text']}{pending}"
        )
    requests = body["requests"]
    print(f"\nPending requests ({len(requests['pending'])}):")
    for r in requests["pending"]:
        print(
            f"  {r['request']}  lane {r['lane_id']}: {r['scope']}  "
            f"(lanewarden approve --request {r['request']})"
        )
    if requests["grants"]:
        print("Live grants:")
        for r in requests["grants"]:
            print(
                f"  {r['request']}  lane {r['lane_id']}: {r['scope']} "
                f"until {r['decision']['expires']}"
            )
    if body["hotspots"]:
        print("\nHotspots:")
        for h in body["hotspots"]:
            print(f"  {h['hotspot']:<30} {', '.join(h['held_by']) or 'free'}")
    warnings = body["warnings"]
    print(f"\nWarnings ({len(warnings)}):" if warnings else "\nNo warnings.")
    for w in warnings:
        print(f"  {paint(w['rule'], '33')}: {w['message']}")
        if w.get("fix"):
            print(f"    fix: {w['fix']}")


def run(args: argparse.Namespace) -> int:
    """Print the run's status; 0 whatever it shows (status informs, it does not refuse)."""
    ctx = Context.load()
    body = status_body(ctx)
    if args.json:
        emit_json(body)
    else:
        _print(body, use_colour(sys.stdout, os.environ))
    return 0
