"""The fixture run (three waves, eight lanes) through `lanewarden metrics`, worked out by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import Cli
from lanewarden.domain.times import parse_time
from run_fixture import build_run
from scenario import lanewarden

MIN = 60.0


@pytest.fixture
def run(repo: Path, cli: Cli) -> tuple[Path, dict[str, datetime]]:
    return repo, build_run(repo, cli)


def test_metrics_of_the_whole_run(run: tuple[Path, dict[str, datetime]]) -> None:
    repo, _ = run
    done = lanewarden(repo, "metrics", "--json")
    assert done.returncode == 0, done.stderr
    m = json.loads(done.stdout)
    assert m["lanes"] == [f"L-00{i}" for i in range(1, 9)]
    assert m["waves"] == [1, 2, 3]
    # cycle (minutes): L-001 60, L-002 90, L-003 150, L-004 120, L-005 200, L-006 210, L-007 180
    assert m["cycle_time"]["per_lane_seconds"] == {
        "L-001": 60 * MIN,
        "L-002": 90 * MIN,
        "L-003": 150 * MIN,
        "L-004": 120 * MIN,
        "L-005": 200 * MIN,
        "L-006": 210 * MIN,
        "L-007": 180 * MIN,
    }
    # sorted 60 90 120 [150] 180 200 210: median 150; p90 = ceil(6.3) = 7th = 210
    assert m["cycle_time"]["median_seconds"] == 150 * MIN
    assert m["cycle_time"]["p90_seconds"] == 210 * MIN
    # L-003 and L-005 hit a conflict; 7 lanes integrated: 2/7
    assert m["merge_conflict_rate"]["conflicted_lanes"] == ["L-003", "L-005"]
    assert m["merge_conflict_rate"]["rate"] == 0.2857
    # gate 2: failed + passed on HEAD's tree, passed on another: 2/3 runs, 2/2 trees
    assert m["gate_pass_ratio"]["per_gate"]["2"]["by_runs"] == 0.6667
    assert m["gate_pass_ratio"]["per_gate"]["2"]["by_trees"] == 1.0
    # two requests over eight lanes, one still pending
    assert m["approval_blocks"]["per_lane"] == 0.25
    assert m["approval_blocks"]["pending"] == 1
    # reopened or reverted: L-003, L-005, L-006, L-008 of 8
    assert m["rework"]["reopened_lanes"] == ["L-003", "L-005", "L-006", "L-008"]
    assert m["rework"]["reopened_ratio"] == 0.5
    # integrated lines 30 + 120 + 40 + 250 + 10 + 20 + 60 = 530; L-006's reverted 20
    assert m["rework"]["lines_integrated"] == 530
    assert m["rework"]["lines_reverted"] == 20
    assert m["rework"]["lines_ratio"] == 0.0377
    buckets = {b["bucket"]: b for b in m["lane_size"]["buckets"]}
    # small: L-001 30, L-003 40, L-005 10, L-006 20 lines; cycles 60 150 200 210 -> (150+200)/2
    small = buckets["small (<=50 lines)"]
    assert (small["lanes"], small["median_cycle_seconds"], small["conflict_rate"]) == (
        4,
        175 * MIN,
        0.5,
    )
    # medium: L-002 120, L-007 60 lines; cycles 90, 180
    medium = buckets["medium (51-200 lines)"]
    assert (medium["lanes"], medium["median_cycle_seconds"], medium["conflict_rate"]) == (
        2,
        135 * MIN,
        0.0,
    )
    large = buckets["large (>200 lines)"]
    assert (large["lanes"], large["median_cycle_seconds"]) == (1, 120 * MIN)
    hot = m["hotspot_contention"]["docs/guide.md"]
    assert hot["holds"] == 2
    assert hot["lanes"] == ["L-001", "L-006"]
    assert hot["contended"] is True


def test_blocked_time_is_the_recorded_wait(run: tuple[Path, dict[str, datetime]]) -> None:
    repo, _ = run
    request = json.loads((repo / ".git/lanewarden/requests/1.json").read_text())
    answers = [
        json.loads(line)
        for line in (repo / ".git/lanewarden/audit.log").read_text().splitlines()
        if line.strip()
    ]
    answer = next(a for a in answers if a.get("kind") == "request-decision")
    waited = (parse_time(answer["time"]) - parse_time(request["time"])).total_seconds()
    m = json.loads(lanewarden(repo, "metrics", "--json").stdout)
    assert m["approval_blocks"]["by_lane"]["L-003"] == {"escalations": 1, "blocked_seconds": waited}
    assert m["approval_blocks"]["by_lane"]["L-008"]["escalations"] == 1


def test_trend_per_wave(run: tuple[Path, dict[str, datetime]]) -> None:
    repo, _ = run
    m = json.loads(lanewarden(repo, "metrics", "--json").stdout)
    trend = {point["wave"]: point for point in m["trend"]}
    # wave 1: cycles L-001 60, L-002 90; L-003 conflicted of 2 integrated; L-002's runs 1/2;
    # L-003's request over 3 lanes; nothing reverted of 30 + 120 lines
    assert trend[1] == {
        "wave": 1,
        "cycle_time_median_seconds": 75 * MIN,
        "merge_conflict_rate": 0.5,
        "gate_pass_ratio": 0.5,
        "escalations_per_lane": 0.3333,
        "rework_ratio": 0.0,
    }
    # wave 2: cycles L-003 150, L-004 120; L-005 conflicted of 2; L-004's run passed;
    # L-003's request over 4 lanes; 20 reverted of 40 + 250
    assert trend[2] == {
        "wave": 2,
        "cycle_time_median_seconds": 135 * MIN,
        "merge_conflict_rate": 0.5,
        "gate_pass_ratio": 1.0,
        "escalations_per_lane": 0.25,
        "rework_ratio": 0.069,
    }
    # wave 3: cycles 200, 210, 180; no conflict; no gate run of its lanes; L-008's request
    assert trend[3] == {
        "wave": 3,
        "cycle_time_median_seconds": 200 * MIN,
        "merge_conflict_rate": 0.0,
        "gate_pass_ratio": None,
        "escalations_per_lane": 0.25,
        "rework_ratio": 0.0,
    }
    wave2 = json.loads(lanewarden(repo, "metrics", "--wave", "2", "--json").stdout)
    assert wave2["lanes"] == ["L-003", "L-004", "L-005", "L-006"]
    assert wave2["headline"] == {k: v for k, v in trend[2].items() if k != "wave"}


def test_csv_and_text_carry_the_same_numbers(run: tuple[Path, dict[str, datetime]]) -> None:
    repo, _ = run
    rows = dict(csv.reader(io.StringIO(lanewarden(repo, "metrics", "--csv").stdout)))
    assert rows["metric"] == "value"
    assert float(rows["cycle_time.median_seconds"]) == 150 * MIN
    assert float(rows["merge_conflict_rate.rate"]) == 0.2857
    assert rows["rework.reopened_lanes"] == "L-003 L-005 L-006 L-008"
    text = lanewarden(repo, "metrics").stdout
    assert "median 2h30m, p90 3h30m over 7 lanes" in text
    assert "28.6% (2 of 7 integrated lanes)" in text
    assert "docs/guide.md: 2 holds by L-001, L-006" in text


def test_since_window(run: tuple[Path, dict[str, datetime]]) -> None:
    repo, _ = run
    # every lane started moments ago, and every integration was applied after it
    recent = json.loads(lanewarden(repo, "metrics", "--since", "1d", "--json").stdout)
    assert recent["cycle_time"]["median_seconds"] == 150 * MIN
    assert recent["gate_pass_ratio"]["overall"]["runs"] == 0  # the gate runs are dated 2026-01-01
    future = json.loads(
        lanewarden(repo, "metrics", "--since", "8000-01-01T00:00:00Z", "--json").stdout
    )
    assert future["lanes"] == []
    assert future["cycle_time"]["median_seconds"] is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--since", "yesterday"), "neither a duration nor a time"),
        (("--wave", "0"), "numbered from 1"),
        (("--wave", "1", "--since", "1d"), "not allowed with"),
    ],
)
def test_bad_windows_are_bad_input(repo: Path, args: tuple[str, ...], needle: str) -> None:
    assert lanewarden(repo, "init").returncode == 0
    done = lanewarden(repo, "metrics", *args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_a_malformed_integration_record_is_bad_input_naming_the_file(repo: Path) -> None:
    assert lanewarden(repo, "init").returncode == 0
    folder = repo / ".git/lanewarden/integrations"
    folder.mkdir(parents=True)
    (folder / "bad.json").write_text('{"version": 1, "lanes": [{"lane": "L-1"}], "finished": ""}')
    done = lanewarden(repo, "metrics", "--json")
    assert done.returncode == 2
    assert "bad.json" in done.stderr
    assert "malformed integration record" in done.stderr
    # an in-progress state file of another shape is not a record: it is skipped
    (folder / "bad.json").write_text('{"state": "applying"}')
    assert lanewarden(repo, "metrics", "--json").returncode == 0


def test_a_ledger_change_is_seen_through_the_kept_ledger_facts(
    run: tuple[Path, dict[str, datetime]],
) -> None:
    repo, _ = run
    assert "L-100" not in json.loads(lanewarden(repo, "metrics", "--json").stdout)["lanes"]
    # a lock taken without a lane record, then integrated: its start comes from the ledger
    done = lanewarden(
        repo,
        "lock",
        "acquire",
        "L-100",
        "--owner",
        "z",
        "--objective",
        "o",
        "--scope",
        "src/z/",
        env={"LANEWARDEN_ROLE": "orchestrator"},
    )
    assert done.returncode == 0, done.stderr
    plan = (repo / "PLAN.md").read_text()
    start = next(line for line in plan.splitlines() if line.startswith("| L-100 "))
    started = parse_time(start.split("|")[5].strip())
    record = {
        "version": 1,
        "run": "r4",
        "wave": 4,
        "started": "2026-11-28T00:00:00Z",
        "finished": "2026-11-28T00:00:00Z",
        "lanes": [
            {
                "lane": "L-100",
                "outcome": "integrated",
                "reason": "",
                "applied": (started + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "files": ["src/z/a.py"],
                "lines_added": 1,
                "lines_removed": 0,
            }
        ],
    }
    (repo / ".git/lanewarden/integrations/r4.json").write_text(json.dumps(record))
    m = json.loads(lanewarden(repo, "metrics", "--json").stdout)
    assert m["cycle_time"]["per_lane_seconds"]["L-100"] == 45 * MIN
