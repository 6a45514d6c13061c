"""The commit-msg hook end to end: the Lane trailer against the staged change."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.domain.trailers import Trailers
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
WORKER_L1 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
INTEGRATOR_L1 = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"}


@pytest.fixture
def ready(repo: Path) -> Path:
    """Hooks installed; L-001 holds ``src/app/``, L-002 ``src/lib/``; on branch lane/L-001."""
    make_parallel_ready(repo)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    acquire_two_lanes(repo)
    git(repo, "switch", "-q", "-c", "lane/L-001")
    return repo


def commit(
    repo: Path, message: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", "-m", message, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )


def stage(repo: Path, path: str) -> None:
    write(repo, path, "changed\n")
    git(repo, "add", "--", path)


def test_the_lanes_own_trailer_passes(ready: Path) -> None:
    stage(ready, "src/app/models.py")
    done = commit(ready, "work", "--trailer", "Lane: L-001", env=WORKER_L1)
    assert done.returncode == 0, done.stderr
    assert "Lane: L-001" in git(ready, "log", "-1", "--format=%B")


def test_a_missing_trailer_is_refused_with_the_fix(ready: Path) -> None:
    stage(ready, "src/app/models.py")
    done = commit(ready, "work", env=WORKER_L1)
    assert done.returncode != 0
    assert "missing-trailer" in done.stderr
    assert "git commit --trailer 'Lane: L-001'" in done.stderr


def test_another_lanes_trailer_is_refused(ready: Path) -> None:
    stage(ready, "src/app/models.py")
    done = commit(ready, "work", "--trailer", "Lane: L-002", env=WORKER_L1)
    assert done.returncode != 0
    assert "lane-mismatch" in done.stderr


def test_the_integrator_applying_a_lane_patch_carries_its_trailer(ready: Path) -> None:
    git(ready, "switch", "-q", "main")
    stage(ready, "src/app/views.py")
    refused = commit(ready, "apply L-001", env=INTEGRATOR_L1)
    assert "missing-trailer" in refused.stderr
    done = commit(ready, "apply L-001", "--trailer", "Lane: L-001", env=INTEGRATOR_L1)
    assert done.returncode == 0, done.stderr


def test_a_trailer_in_the_body_is_not_a_trailer(ready: Path, tmp_path: Path) -> None:
    stage(ready, "src/app/models.py")
    message = tmp_path / "msg"
    message.write_text("work\n\nLane: L-001 is mentioned here\nbut this is prose.\n")
    done = subprocess.run(
        ["git", "commit", "-q", "-F", str(message)],
        cwd=ready,
        capture_output=True,
        text=True,
        env={**os.environ, **WORKER_L1},
        check=False,
    )
    assert "missing-trailer" in done.stderr


def test_paths_outside_the_trailers_lane_are_refused(ready: Path, tmp_path: Path) -> None:
    stage(ready, "src/lib/core.py")
    message = tmp_path / "COMMIT_EDITMSG"
    message.write_text("work\n\nLane: L-001\n# a comment git strips\n")
    done = lanewarden(ready, "hook", "commit-msg", str(message), "--json", env=WORKER_L1)
    assert done.returncode == 1
    rules = {(v["rule"], v["path"]) for v in json.loads(done.stdout)["violations"]}
    assert rules == {("out-of-scope", "src/lib/core.py"), ("foreign-lock", "src/lib/core.py")}


def test_an_unknown_lane_in_the_trailer_is_exit_2(ready: Path, tmp_path: Path) -> None:
    stage(ready, "notes.txt")
    message = tmp_path / "msg"
    message.write_text("work\n\nLane: L-999\n")
    done = lanewarden(ready, "hook", "commit-msg", str(message), env=INTEGRATOR)
    assert done.returncode == 2
    assert "L-999" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_commit_without_a_lane_may_change_only_unlocked_paths(
    ready: Path, tmp_path: Path
) -> None:
    git(ready, "switch", "-q", "main")
    message = tmp_path / "msg"
    message.write_text("housekeeping\n")
    stage(ready, "notes.txt")
    ok = lanewarden(ready, "hook", "commit-msg", str(message), env=INTEGRATOR)
    assert ok.returncode == 0, ok.stderr
    stage(ready, "src/lib/core.py")
    refused = lanewarden(ready, "hook", "commit-msg", str(message), env=INTEGRATOR)
    assert refused.returncode == 1
    assert "Lane: L-002" in refused.stderr


def test_autonomous_mode_warns_and_requires_attribution(ready: Path) -> None:
    config = ready / "lanewarden.toml"
    config.write_text(config.read_text() + "autonomous = true\n")
    stage(ready, "src/app/models.py")
    refused = commit(ready, "work", "--trailer", "Lane: L-001", env=WORKER_L1)
    assert refused.returncode != 0
    assert "WARNING: autonomous mode is on" in refused.stderr
    assert "`Agent:` trailer" in refused.stderr
    done = commit(
        ready, "work", "--trailer", "Lane: L-001", "--trailer", "Agent: claude", env=WORKER_L1
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING: autonomous mode is on" in done.stderr
    for command in (("lock", "list"), ("gate", "status"), ("audit", "verify")):
        listed = lanewarden(ready, *command)
        assert listed.returncode == 0, listed.stderr
        assert listed.stderr.count("WARNING: autonomous mode is on") == 1, command


def test_trailers_compare_keys_without_case() -> None:
    trailers = Trailers.parse("lane: L-1\nAGENT: a\nSigned-off-by: x <x@y>\nLane: L-1\n")
    assert trailers.lanes == ["L-1"]
    assert trailers.agents == ["a"]
