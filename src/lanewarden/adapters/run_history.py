"""Read a run's recorded facts for the metrics: records, ledger, evidence, audit log.

Nothing here is computed: each fact is read from where lanewarden or its
users recorded it, and handed to :mod:`lanewarden.domain.metrics`.

- lane starts: each lane record's ``started`` (``lanes/<ID>/lane.json``); a lane
  integrated without a lane record starts at its earliest lock in the ledger;
- integration outcomes: ``integrations/<run>.json``, one record per
  ``lanewarden integrate`` run;
- gate runs: every evidence record under ``evidence/<tree>/``;
- escalations: ``requests/<N>.json``, answered by the audit log's
  ``request-decision`` entries;
- hotspot holds: the ledger's live locks and lock history whose scope reaches
  a configured hotspot;
- rewrites: for each ``integrated`` outcome, ``git blame`` of its ``files`` at its
  last recorded commit and at the end commit of its own run and of the last run
  (:mod:`lanewarden.adapters.line_survival`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lanewarden.adapters.audit_log import AuditLog
from lanewarden.adapters.config import Config
from lanewarden.adapters.evidence_store import evidence_dir, read_evidence
from lanewarden.adapters.git import Repo
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.marshal_cache import file_stamp
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.domain.lanes import decisions
from lanewarden.domain.metrics import (
    EscalationFact,
    GateRun,
    HistoryFacts,
    HotspotHold,
    IntegrationFact,
    LaneStart,
    Rewrite,
)
from lanewarden.domain.registry import Hotspots, LockRegistry
from lanewarden.domain.timeline import LaneEvent
from lanewarden.domain.times import format_time, parse_time
from lanewarden.errors import InputError

__all__ = [
    "INTEGRATION_VERSION",
    "IntegrationRun",
    "integrations_dir",
    "lock_rows",
    "read_events",
    "read_history",
    "read_runs",
]

INTEGRATION_VERSION = 1


@dataclass(frozen=True)
class IntegrationRun:
    """One integration record: its run id, wave, times and lane outcomes."""

    run: str
    wave: int
    started: str
    finished: str
    lanes: tuple[IntegrationFact, ...]
    end_commit: str = ""
    # lane -> the commits its outcome in this run recorded (applied, or reverted)
    commits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # the commits of reverted lanes and their reverts: not rewrites of anyone's lines
    reverted: tuple[str, ...] = ()
    # lane -> the files its outcome in this run recorded
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def integrations_dir(repo: Repo) -> Path:
    """Where ``lanewarden integrate`` writes one record per run."""
    return repo.state_dir / "integrations"


def _lane_fact(raw: Mapping[str, Any], run: str, wave: int) -> IntegrationFact:
    files = raw.get("files", [])
    return IntegrationFact(
        lane=str(raw["lane"]),
        wave=wave,
        run=run,
        outcome=str(raw["outcome"]),
        reason=str(raw.get("reason") or ""),
        applied=parse_time(str(raw["applied"])),
        files=len(files) if isinstance(files, list) else 0,
        lines=int(raw.get("lines_added", 0)) + int(raw.get("lines_removed", 0)),
    )


def _text_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(c) for c in value if isinstance(c, str) and c)


def _run(data: Any, path: Path) -> IntegrationRun | None:
    """A record, None for a file of another shape (the in-progress state); bad ones are errors."""
    if not isinstance(data, dict) or "lanes" not in data or "finished" not in data:
        return None
    try:
        version = int(data.get("version", 1))
        if version > INTEGRATION_VERSION:
            raise ValueError(f"version {version} is newer than this lanewarden reads")
        run, wave = str(data["run"]), int(data["wave"])
        lanes = tuple(_lane_fact(raw, run, wave) for raw in data["lanes"])
        commits = {str(raw["lane"]): _text_list(raw.get("commits")) for raw in data["lanes"]}
        paths = {str(raw["lane"]): _text_list(raw.get("files")) for raw in data["lanes"]}
        reverted: list[str] = []
        for raw in data["lanes"]:
            reverts = _text_list(raw.get("revert_commits"))
            if reverts:
                reverted += [*_text_list(raw.get("commits")), *reverts]
        return IntegrationRun(
            run,
            wave,
            str(data["started"]),
            str(data["finished"]),
            lanes,
            end_commit=str(data.get("end_commit") or ""),
            commits=commits,
            reverted=tuple(reverted),
            paths=paths,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(
            f"malformed integration record: {e}",
            path=path,
            hint="restore the file from a backup, or move it aside if the run is not needed",
        ) from None


def read_runs(repo: Repo) -> list[IntegrationRun]:
    """Every integration record, by wave."""
    folder = integrations_dir(repo)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return []
    runs = []
    for name in names:
        if name.startswith("."):
            continue  # a temporary file of an atomic write
        path = folder / name
        try:
            data = json.loads(path.read_bytes())
        except ValueError as e:
            raise InputError(f"integration record is not valid JSON: {e}", path=path) from None
        except OSError as e:
            raise InputError(
                f"cannot read an integration record: {e.strerror}", path=path
            ) from None
        found = _run(data, path)
        if found is not None:
            runs.append(found)
    return sorted(runs, key=lambda r: (r.wave, r.started))


def _gate_runs(repo: Repo) -> list[GateRun]:
    try:
        trees = sorted(os.listdir(evidence_dir(repo)))
    except FileNotFoundError:
        return []
    found = []
    for tree in trees:
        if len(tree) not in (40, 64):
            continue
        for record in read_evidence(repo, tree):
            try:
                at = parse_time(record.time)
            except ValueError:
                continue  # a record without a readable time cannot be placed in a window
            found.append(GateRun(record.gate, record.tree, record.status, at, record.lane))
    return found


def _holds(repo: Repo, config: Config, registry: LockRegistry) -> list[HotspotHold]:
    if not config.hotspots:
        return []
    from lanewarden.adapters.hotspot_members import hotspot_members

    hotspots = Hotspots.parse(config.hotspots)
    members = hotspot_members(repo, hotspots, config.hotspots)
    holds = []
    for lock in registry.locks:
        touched = hotspots.touched_by(lock.scope, members)
        if touched:
            holds.append(HotspotHold(lock.lock_id, tuple(touched), lock.start, None))
    for ended in registry.history:
        touched = hotspots.touched_by(ended.lock.scope, members)
        if touched:
            holds.append(
                HotspotHold(ended.lock.lock_id, tuple(touched), ended.lock.start, ended.ended)
            )
    return holds


def _ledger_facts(repo: Repo, config: Config) -> tuple[dict[str, datetime], list[HotspotHold]]:
    """Each lock id's earliest start, and the hotspot holds, from the ledger.

    Reading a ledger with a long lock history takes time (10,000 rows: about 0.3 s),
    so these few facts are kept under the ledger's and the index's stamps and the
    hotspot globs: a run of ``metrics`` after the first reads them in milliseconds.
    """
    from lanewarden import __version__
    from lanewarden.adapters import marshal_cache

    store = RegistryStore(repo, config)
    stamps = [file_stamp(store.ledger_path), file_stamp(repo.git_dir / "index")]
    key = [__version__, str(store.ledger_path), stamps, list(config.hotspots)]
    cache = repo.state_dir / "metrics-ledger.cache"
    cached = marshal_cache.load(cache, key) if stamps[0] is not None else marshal_cache.MISSING
    if isinstance(cached, list) and len(cached) == 2:
        known = {lane: parse_time(at) for lane, at in cached[0].items()}
        kept = [
            HotspotHold(lane, tuple(spots), parse_time(start), parse_time(end) if end else None)
            for lane, spots, start, end in cached[1]
        ]
        return known, kept
    registry = store.read()
    starts: dict[str, datetime] = {}
    locks = [*registry.locks, *(e.lock for e in registry.history)]
    for lock in locks:
        starts[lock.lock_id] = min(lock.start, starts.get(lock.lock_id, lock.start))
    holds = _holds(repo, config, registry)
    if stamps[0] is not None:
        marshal_cache.store(
            cache,
            key,
            [
                {lane: format_time(at) for lane, at in starts.items()},
                [
                    [
                        h.lane,
                        list(h.hotspots),
                        format_time(h.start),
                        format_time(h.end) if h.end else "",
                    ]
                    for h in holds
                ],
            ],
        )
    return starts, holds


def _rewrites(repo: Repo, runs: list[IntegrationRun]) -> list[Rewrite]:
    """Each integrated outcome's lines rewritten by the end of its own run and of the last.

    The metrics' window ends with the run of its last outcome: a wave's own run,
    or the last run for the whole history and for ``--since``.
    """
    facts = [(f, run) for run in runs for f in run.lanes]
    measurable = [
        (f, run) for f, run in facts if f.outcome == "integrated" and run.commits.get(f.lane)
    ]
    if not measurable:
        return []
    from lanewarden.adapters.line_survival import LineSurvival

    last = max(facts, key=lambda pair: (pair[0].wave, pair[0].applied, pair[0].run))[1]
    survival = LineSurvival(repo, ignored=[c for run in runs for c in run.reverted])
    # end run -> the outcomes measured at its end: its own, and every one at the last run's
    by_end: dict[str, tuple[IntegrationRun, dict[tuple[str, str], tuple[str, ...]]]] = {}
    for fact, run in measurable:
        for end in (run, last):
            if end.end_commit:
                outcomes = by_end.setdefault(end.run, (end, {}))[1]
                outcomes[(fact.lane, fact.run)] = run.commits[fact.lane]
    paths = {(f.lane, run.run): run.paths.get(f.lane, ()) for f, run in measurable}
    found = []
    for end, outcomes in by_end.values():
        keys = list(outcomes)
        lanes = [(outcomes[key], paths[key]) for key in keys]
        counts = survival.rewritten_many(lanes, end.end_commit)
        for (lane, run_id), lines in zip(keys, counts, strict=True):
            if lines is not None:
                found.append(Rewrite(lane, run_id, end.run, lines))
    survival.save()
    return found


def read_history(repo: Repo, config: Config) -> tuple[HistoryFacts, list[IntegrationRun]]:
    """Every fact the metrics read, and the integration runs they came from."""
    store = LaneStore(repo)
    starts = {}
    handoffs = {}
    for lane_id in store.lane_ids():
        record = store.read_lane(lane_id)
        if record is not None:
            starts[lane_id] = LaneStart(lane_id, record.started)
        handoffs[lane_id] = [h.time for h in store.handoffs(lane_id)]
    lock_starts, holds = _ledger_facts(repo, config)
    runs = read_runs(repo)
    for run in runs:
        for fact in run.lanes:
            if fact.lane not in starts and fact.lane in lock_starts:
                starts[fact.lane] = LaneStart(fact.lane, lock_starts[fact.lane])
    answered = decisions([entry.body for entry in AuditLog(repo).read()])
    escalations = []
    for request in store.requests():
        decision = answered.get(request.number)
        escalations.append(
            EscalationFact(
                request.lane_id, request.number, request.time, decision.time if decision else None
            )
        )
    facts = HistoryFacts(
        rewrites=_rewrites(repo, runs),
        starts=sorted(starts.values(), key=lambda s: s.lane),
        integrations=[fact for run in runs for fact in run.lanes],
        gate_runs=_gate_runs(repo),
        escalations=escalations,
        holds=holds,
        handoffs=handoffs,
    )
    return facts, runs


def read_events(repo: Repo, config: Config, runs: list[IntegrationRun]) -> list[LaneEvent]:
    """Every dated record of every lane, for the run's timeline."""
    store = LaneStore(repo)
    events: list[LaneEvent] = []
    lanes = set(store.lane_ids())
    for lane_id in sorted(lanes):
        record = store.read_lane(lane_id)
        if record is not None:
            events.append(LaneEvent(lane_id, record.started, "start"))
        events += [LaneEvent(lane_id, c.time, "checkpoint") for c in store.checkpoints(lane_id)]
        events += [LaneEvent(lane_id, h.time, "handoff") for h in store.handoffs(lane_id)]
    answered = decisions([entry.body for entry in AuditLog(repo).read()])
    for request in store.requests():
        events.append(LaneEvent(request.lane_id, request.time, "request"))
        decision = answered.get(request.number)
        if decision is not None:
            events.append(LaneEvent(request.lane_id, decision.time, "answer"))
    for run in runs:
        for fact in run.lanes:
            kind = "integrated" if fact.outcome == "integrated" else "reopened"
            events.append(LaneEvent(fact.lane, fact.applied, kind))
    registry = RegistryStore(repo, config).read()
    for ended in registry.history:
        if ended.lock.lock_id in lanes:
            events.append(LaneEvent(ended.lock.lock_id, ended.ended, "released"))
    return events


def lock_rows(repo: Repo, config: Config) -> list[dict[str, str]]:
    """The ledger's lock history then its live locks, oldest first, for the report."""
    registry = RegistryStore(repo, config).read()
    rows = [
        {
            "lock_id": e.lock.lock_id,
            "owner": e.lock.owner,
            "scope": " ".join(e.lock.scope.texts()),
            "start": format_time(e.lock.start),
            "ended": format_time(e.ended),
            "outcome": e.outcome,
        }
        for e in registry.history
    ]
    rows += [
        {
            "lock_id": lock.lock_id,
            "owner": lock.owner,
            "scope": " ".join(lock.scope.texts()),
            "start": format_time(lock.start),
            "ended": "",
            "outcome": "held",
        }
        for lock in registry.locks
    ]
    return sorted(rows, key=lambda r: (r["start"], r["lock_id"]))
