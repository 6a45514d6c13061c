"""status, metrics and report on a run made with the real commands (tests/real_run.py).

The run is built once for this module (about 30 s: 8 lanes, 3 integration runs,
some 30 real pytest gate runs). Counts are checked against the story of the
run, worked out by hand; durations against the times the commands recorded
(no command takes a clock), read back from their records here.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import git, isolated_git
from lanewarden.domain.times import parse_time
from real_run import LINES, REOPENED, REWRITTEN, SCOPES, WAVES, build_real_run
from scenario import lanewarden
from test_report import _chromium, console_messages, needs_browser, read_page

INTEGRATED = sorted(lane for lanes in WAVES.values() for lane in lanes)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[int, Any]]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolated_git(tmp_path_factory.mktemp("home"), monkeypatch)
        repo = tmp_path_factory.mktemp("real-run") / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "README.md").write_text("# test\n")
        git(repo, "add", "README.md")
        git(repo, "commit", "-qm", "initial")
        waves = build_real_run(repo)
        yield repo, waves


def metrics(repo: Path, *args: str) -> dict[str, Any]:
    done = lanewarden(repo, "metrics", "--json", *args)
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout)
    return body


def records(repo: Path) -> list[dict[str, Any]]:
    """The integration records ``integrate`` wrote, by wave."""
    folder = repo / ".git" / "lanewarden" / "integrations"
    found = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    return sorted(found, key=lambda r: r["wave"])


def started(repo: Path, lane: str) -> datetime:
    record = repo / ".git" / "lanewarden" / "lanes" / lane / "lane.json"
    return parse_time(json.loads(record.read_text())["started"])


def test_the_commands_ran_the_story(run: tuple[Path, dict[int, Any]]) -> None:
    repo, waves = run
    for wave, lanes in WAVES.items():
        assert waves[wave]["integrated"] == lanes
        assert waves[wave]["reopened"] == [k for k, w in REOPENED.items() if w == wave]
        assert waves[wave]["reverted"] == []
    outcomes = {
        o["lane"]: o for r in records(repo) for o in r["lanes"] if o["outcome"] == "integrated"
    }
    # each lane's size as integrate measured it equals the hand count of its change
    assert {lane: o["lines_added"] + o["lines_removed"] for lane, o in outcomes.items()} == LINES
    states = json.loads(lanewarden(repo, "lane", "list", "--json").stdout)
    assert {row["lane_id"]: row["state"] for row in states["lanes"]} == {
        **dict.fromkeys(INTEGRATED, "integrated"),
        "L-008": "blocked",
    }


def test_metrics_of_the_real_run(run: tuple[Path, dict[int, Any]]) -> None:
    repo, _ = run
    m = metrics(repo)
    assert m["lanes"] == sorted(SCOPES)
    assert m["waves"] == [1, 2, 3]
    # cycle time: the integration record's `applied` minus the lane record's `started`
    applied = {
        o["lane"]: parse_time(o["applied"])
        for r in records(repo)
        for o in r["lanes"]
        if o["outcome"] == "integrated"
    }
    cycles = {lane: (applied[lane] - started(repo, lane)).total_seconds() for lane in INTEGRATED}
    assert m["cycle_time"]["per_lane_seconds"] == cycles
    values = sorted(cycles.values())
    assert m["cycle_time"]["median_seconds"] == statistics.median(values)
    assert m["cycle_time"]["p90_seconds"] == values[math.ceil(0.9 * len(values)) - 1]
    # a reopened lane's cycle runs to its second integration, past its first attempt
    first_try = {
        o["lane"]: parse_time(o["applied"])
        for r in records(repo)
        for o in r["lanes"]
        if o["outcome"] == "reopened"
    }
    assert set(first_try) == set(REOPENED)
    for lane, tried in first_try.items():
        assert cycles[lane] > (tried - started(repo, lane)).total_seconds()
    # L-002 and L-005 conflicted; seven lanes integrated
    assert m["merge_conflict_rate"]["conflicted_lanes"] == ["L-002", "L-005"]
    assert m["merge_conflict_rate"]["rate"] == round(2 / 7, 4)
    # every gate run of this run passed; each evidence file is one run
    evidence = list((repo / ".git" / "lanewarden" / "evidence").glob("*/gate-*.json"))
    gates = m["gate_pass_ratio"]
    assert set(gates["per_gate"]) == {"2", "3"}
    assert gates["overall"]["runs"] == len(evidence) > 0
    assert gates["overall"]["by_runs"] == gates["overall"]["by_trees"] == 1.0
    # two requests over eight lanes; L-008's is still waiting
    blocks = m["approval_blocks"]
    assert (blocks["escalations"], blocks["pending"], blocks["per_lane"]) == (2, 1, 0.25)
    status = json.loads(lanewarden(repo, "status", "--json").stdout)
    grant = status["requests"]["grants"][0]
    waited = parse_time(grant["decision"]["time"]) - parse_time(grant["time"])
    assert blocks["by_lane"]["L-004"]["blocked_seconds"] == waited.total_seconds()
    rework = m["rework"]
    assert rework["reopened_lanes"] == sorted(REOPENED)
    assert rework["reopened_ratio"] == 0.25
    # 4 + 2 + 3 + 2 + 2 + 5 + 5 = 23 lines integrated; L-006 rewrote 3 of L-001's
    assert rework["lines_integrated"] == sum(LINES.values()) == 23
    assert rework["lines_reverted"] == 0
    assert rework["rewritten_by_lane"] == REWRITTEN
    assert rework["rewrites_unmeasured_lanes"] == []
    assert rework["lines_ratio"] == round(3 / 23, 4)
    text = lanewarden(repo, "metrics").stdout
    assert "13.0% of lines reverted or rewritten (0 reverted + 3 rewritten of 23)" in text


def test_each_wave_alone(run: tuple[Path, dict[int, Any]]) -> None:
    repo, _ = run
    trend = {point["wave"]: point for point in metrics(repo)["trend"]}
    # conflicts: wave 1 L-002 of 3 integrated, wave 2 L-005 of 2, wave 3 none of 2
    assert [trend[w]["merge_conflict_rate"] for w in (1, 2, 3)] == [0.3333, 0.5, 0.0]
    # L-001's lines were rewritten in wave 2, but L-001 is no lane of wave 2
    assert [trend[w]["rework_ratio"] for w in (1, 2, 3)] == [0.0, 0.0, 0.0]
    # the workers' gate runs carry their lane; all passed
    assert [trend[w]["gate_pass_ratio"] for w in (1, 2, 3)] == [1.0, 1.0, 1.0]
    first = metrics(repo, "--wave", "1")
    assert first["lanes"] == ["L-001", "L-002", "L-003", "L-004"]
    assert first["approval_blocks"]["escalations"] == 1  # L-004's


def test_status_of_the_real_run(run: tuple[Path, dict[int, Any]]) -> None:
    repo, _ = run
    done = lanewarden(repo, "status", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    # every lane but L-008 was integrated and finished: its lock is the only live one
    assert [(row["lane_id"], row["state"]) for row in status["lanes"]] == [("L-008", "blocked")]
    assert status["lanes"][0]["pending_requests"] == [2]
    assert [r["request"] for r in status["requests"]["pending"]] == [2]
    text = lanewarden(repo, "status").stdout
    assert "L-008" in text
    assert "lanewarden approve --request 2" in text


@needs_browser
def test_the_report_of_the_real_run_in_a_browser(
    run: tuple[Path, dict[int, Any]], tmp_path: Path
) -> None:
    repo, _ = run
    target = tmp_path / "real run.html"
    done = lanewarden(repo, "report", "--html", str(target))
    assert done.returncode == 0, done.stderr
    headline = metrics(repo)["headline"]
    shown = _chromium(tmp_path, "--dump-dom", target.as_uri())
    assert shown.returncode == 0, shown.stderr
    assert console_messages(shown.stderr) == []
    page = read_page(shown.stdout)
    assert sorted(page.lanes) == sorted(SCOPES)  # one timeline row per lane
    assert page.metrics == headline
    shot = tmp_path / "real-run.png"
    drawn = _chromium(tmp_path, "--window-size=1100,1700", f"--screenshot={shot}", target.as_uri())
    assert drawn.returncode == 0, drawn.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
