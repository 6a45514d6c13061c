"""The handcrafted history: three waves and eight lanes with durations chosen by hand.

Its integration records and evidence are *written*, not made by ``integrate``
and the gates, so that every duration is a whole number of minutes and every
metric can be worked out exactly by hand. The same kind of run made entirely
with the real commands is tests/real_run.py (checked in test_real_run.py).

The lanes are started, escalated, approved and finished with the real
commands; ``lanewarden integrate`` records are written in their documented
format (one JSON file per run under ``<git common dir>/lanewarden/integrations/``),
each lane ``applied`` a whole number of minutes after its own lane record's
``started``, so the test can work the numbers out by hand.

- wave 1: L-001 integrated (+60 min), L-002 integrated (+90), L-003 reopened (conflict, +95)
- wave 2: L-003 integrated (+150), L-004 integrated (+120), L-005 reopened (conflict, +130),
  L-006 reverted (gate 3, +140)
- wave 3: L-005 integrated (+200), L-006 integrated (+210), L-007 integrated (+180),
  L-008 reopened (gate 2, +190)

L-003 escalates (request 1, approved); L-008 escalates (request 2, left pending).
``docs/guide.md`` is a hotspot: L-001 holds it, finishes, then L-006 takes it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import Cli, git
from lanewarden.adapters.evidence_store import write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.domain.evidence import Evidence
from lanewarden.domain.times import format_time, parse_time
from scenario import ORCHESTRATOR, as_worker, configure, make_parallel_ready

SCOPES = {
    "L-001": "docs/guide.md",
    "L-002": "src/app/models.py",
    "L-003": "src/app/views.py",
    "L-004": "src/app/skip.py",
    "L-005": "src/lib/",
    "L-006": "docs/guide.md",
    "L-007": "docs/with space.md",
    "L-008": "src/new/",
}

# wave -> (lane, outcome, reason, minutes after its start, files, lines added, lines removed)
WAVES: dict[int, list[tuple[str, str, str, int, int, int, int]]] = {
    1: [
        ("L-001", "integrated", "", 60, 2, 25, 5),
        ("L-002", "integrated", "", 90, 3, 100, 20),
        ("L-003", "reopened", "conflict", 95, 2, 50, 0),
    ],
    2: [
        ("L-003", "integrated", "", 150, 1, 30, 10),
        ("L-004", "integrated", "", 120, 4, 200, 50),
        ("L-005", "reopened", "conflict", 130, 1, 10, 0),
        ("L-006", "reverted", "gate-3", 140, 1, 15, 5),
    ],
    3: [
        ("L-005", "integrated", "", 200, 1, 8, 2),
        ("L-006", "integrated", "", 210, 1, 15, 5),
        ("L-007", "integrated", "", 180, 2, 40, 20),
        ("L-008", "reopened", "gate-2", 190, 1, 5, 0),
    ],
}


def _ok(result: Any) -> Any:
    assert result.code == 0, result.out + result.err
    return result


def _start(repo: Path, cli: Cli, lane: str) -> None:
    _ok(
        cli(
            repo,
            "lane",
            "start",
            lane,
            "--objective",
            f"objective of {lane}",
            "--scope",
            SCOPES[lane],
            "--owner",
            f"agent-{lane[-1]}",
            **ORCHESTRATOR,
        )
    )


def started(repo: Path) -> dict[str, datetime]:
    """Each lane's recorded start, read back from its lane record."""
    lanes = repo / ".git" / "lanewarden" / "lanes"
    return {
        lane: parse_time(json.loads((lanes / lane / "lane.json").read_text())["started"])
        for lane in SCOPES
    }


def write_integrations(repo: Path, starts: dict[str, datetime]) -> None:
    """One integration record per wave, in the format ``lanewarden integrate`` writes."""
    folder = repo / ".git" / "lanewarden" / "integrations"
    folder.mkdir(parents=True, exist_ok=True)
    head = git(repo, "rev-parse", "HEAD").strip()
    for wave, lanes in WAVES.items():
        applied = {lane: starts[lane] + timedelta(minutes=m) for lane, _, _, m, *_ in lanes}
        first, last = min(applied.values()), max(applied.values())
        run = first.strftime("%Y%m%dT%H%M%SZ") + f"-{wave}"
        record = {
            "version": 1,
            "run": run,
            "wave": wave,
            "mode": "single-branch",
            "target": "main",
            "started": format_time(first - timedelta(minutes=1)),
            "finished": format_time(last + timedelta(minutes=1)),
            "start_commit": head,
            "end_commit": head,
            "gate3_runs": 1,
            "lanes": [
                {
                    "lane": lane,
                    "outcome": outcome,
                    "reason": reason,
                    "applied": format_time(applied[lane]),
                    "commits": [head] if outcome == "integrated" else [],
                    "files": [f"{SCOPES[lane].rstrip('/')}/f{i}" for i in range(files)],
                    "lines_added": added,
                    "lines_removed": removed,
                    "conflict_paths": [SCOPES[lane]] if reason == "conflict" else [],
                    "failing_tests": ["tests/test_x.py::test_y"]
                    if reason.startswith("gate")
                    else [],
                    "revert_commits": [head] if outcome == "reverted" else [],
                }
                for lane, outcome, reason, _, files, added, removed in lanes
            ],
        }
        (folder / f"{run}.json").write_text(json.dumps(record, indent=2))


def write_gate_runs(repo: Path) -> None:
    """Gate 2 on two trees: failed then passed on HEAD's, passed on the first commit's."""
    real = Repo.discover(repo)
    head_tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    first_tree = git(repo, "rev-parse", "HEAD~1^{tree}").strip()
    for tree, status, time, lane in (
        (head_tree, "failed", "2026-01-01T10:00:00.000000Z", "L-002"),
        (head_tree, "passed", "2026-01-01T10:05:00.000000Z", "L-002"),
        (first_tree, "passed", "2026-01-01T10:10:00.000000Z", "L-004"),
    ):
        write_evidence(real, Evidence(gate="2", status=status, tree=tree, time=time, lane=lane))


def build_run(repo: Path, cli: Cli) -> dict[str, datetime]:
    """Make ``repo`` the fixture run; returns each lane's recorded start."""
    make_parallel_ready(repo)
    configure(repo, 'hotspots = ["docs/guide.md"]\n')
    for lane in ("L-001", "L-002", "L-003", "L-004", "L-005", "L-007", "L-008"):
        _start(repo, cli, lane)
    _ok(
        cli(
            repo,
            "escalate",
            "L-003",
            "--command",
            "pip install x",
            "--reason",
            "needs x",
            **as_worker("L-003"),
        )
    )
    _ok(cli(repo, "approve", "--request", "1", **ORCHESTRATOR))
    _ok(
        cli(
            repo,
            "escalate",
            "L-008",
            "--command",
            "apt-get install y",
            "--reason",
            "needs y",
            **as_worker("L-008"),
        )
    )
    _ok(cli(repo, "lane", "finish", "L-001", "--force", **ORCHESTRATOR))
    _start(repo, cli, "L-006")  # the hotspot is free again
    starts = started(repo)
    write_integrations(repo, starts)
    write_gate_runs(repo)
    return starts
