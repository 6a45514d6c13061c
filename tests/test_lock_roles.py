"""Who may refresh which lock, for how long; and lock commands that end in plain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready

ORCH = {"LANEWARDEN_ROLE": "orchestrator"}
HEARTBEATS = Path(".git", "lanewarden", "heartbeats")


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    return repo


def expires(repo: Path, lock_id: str) -> str:
    listed = lanewarden(repo, "lock", "list", "--json")
    return next(
        lock["expires"] for lock in json.loads(listed.stdout)["locks"] if lock["lock_id"] == lock_id
    )


def test_a_worker_without_a_lane_cannot_heartbeat_another_lock(ready: Path) -> None:
    before = expires(ready, "L-001")
    for env in ({}, {"LANEWARDEN_LANE": "L-002"}, {"LANEWARDEN_ROLE": "worker"}):
        done = lanewarden(ready, "lock", "heartbeat", "L-001", "--json", env=env)
        assert done.returncode == 1, (env, done.stderr)
        (violation,) = json.loads(done.stdout)["violations"]
        assert violation["rule"] == "foreign-lock"
        assert violation["lock"] == "L-001"
    assert not (ready / HEARTBEATS / "L-001.json").exists()
    assert expires(ready, "L-001") == before
    own = lanewarden(ready, "lock", "heartbeat", "L-001", env={"LANEWARDEN_LANE": "L-001"})
    assert own.returncode == 0, own.stderr
    # The orchestrator keeps the right to refresh any lock.
    assert lanewarden(ready, "lock", "heartbeat", "L-002", env=ORCH).returncode == 0


@pytest.mark.parametrize("ttl", ["3650d", "25h", "1d1s"])
def test_a_lifetime_beyond_max_lock_ttl_is_refused(ready: Path, ttl: str) -> None:
    before = (ready / "PLAN.md").read_text()
    for args, env in (
        (["lock", "heartbeat", "L-001"], {"LANEWARDEN_LANE": "L-001"}),
        (["lock", "acquire", "L-3", "--owner", "a", "--objective", "o", "--scope", "/x/"], ORCH),
        (["lock", "reclaim", "L-001", "--owner", "b", "--note", "n"], ORCH),
    ):
        done = lanewarden(ready, *args, "--ttl", ttl, "--json", env=env)
        assert done.returncode == 1, (args, done.stderr)
        (violation,) = json.loads(done.stdout)["violations"]
        assert violation["rule"] == "ttl-too-long"
        assert "max_lock_ttl (1 day, 0:00:00)" in violation["message"]
        assert "--ttl 1d" in violation["fix"]
    assert (ready / "PLAN.md").read_text() == before
    assert not (ready / HEARTBEATS / "L-001.json").exists()


def test_max_lock_ttl_is_configured_and_bounds_lock_ttl_too(ready: Path) -> None:
    config = ready / "lanewarden.toml"
    config.write_text(config.read_text() + 'max_lock_ttl = "2d"\n')
    done = lanewarden(
        ready, "lock", "heartbeat", "L-001", "--ttl", "36h", env={"LANEWARDEN_LANE": "L-001"}
    )
    assert done.returncode == 0, done.stderr
    config.write_text(config.read_text() + 'lock_ttl = "3d"\n')
    done = lanewarden(
        ready, "lock", "acquire", "L-3", "--owner", "a", "--objective", "o", "--scope", "/x/",
        env=ORCH,
    )  # fmt: skip
    assert done.returncode == 1
    assert "ttl-too-long" in done.stderr
    assert "lock_ttl in lanewarden.toml" in done.stderr


def test_a_huge_ttl_is_bad_input_not_a_traceback(ready: Path) -> None:
    lane = {"LANEWARDEN_LANE": "L-001"}
    done = lanewarden(ready, "lock", "heartbeat", "L-001", "--ttl", "99999999999d", env=lane)
    assert done.returncode == 2, done.stderr
    assert "--ttl" in done.stderr
    assert "Traceback" not in done.stderr
    # Every duration is bounded, so a maximum cannot push an expiry past the year 9999.
    config = ready / "lanewarden.toml"
    config.write_text(config.read_text() + 'max_lock_ttl = "3000000d"\n')
    done = lanewarden(ready, "lock", "heartbeat", "L-001", "--ttl", "2999999d", env=lane)
    assert done.returncode == 2, done.stderr
    assert "max_lock_ttl" in done.stderr
    assert "at most 10 years" in done.stderr
    assert "Traceback" not in done.stderr


def test_releasing_twice_says_already_released(ready: Path) -> None:
    assert lanewarden(ready, "lock", "release", "L-001", env=ORCH).returncode == 0
    again = lanewarden(ready, "lock", "release", "L-001", "--json", env=ORCH)
    assert again.returncode == 2
    error = json.loads(again.stdout)["error"]
    assert "lock 'L-001' is already released" in error["message"]
    assert "unknown lane" not in error["message"]
    assert "lanewarden lock list --all" in error["fix"]
    beat = lanewarden(ready, "lock", "heartbeat", "L-001", env={"LANEWARDEN_LANE": "L-001"})
    assert "already released" in beat.stderr
    unknown = lanewarden(ready, "lock", "release", "L-404", env=ORCH)
    assert unknown.returncode == 2
    assert "unknown lane" in unknown.stderr


@pytest.mark.parametrize(
    "content",
    [
        '{"start": 5}',
        '{"owner": "a", "start": 5}',
        "[1]",
        "\xff not json",
        '{"owner": "a", "start": "START", "heartbeat": "0001-01-01T00:00:00+01:00", '
        '"expires": "x"}',
        '{"owner": "a", "start": "START", "heartbeat": "START", '
        '"expires": "9999-12-31T23:59:59-01:00"}',
    ],
)
def test_a_malformed_heartbeat_is_no_heartbeat(ready: Path, content: str) -> None:
    start = json.loads(lanewarden(ready, "lock", "list", "--json").stdout)["locks"][0]["start"]
    beat = ready / HEARTBEATS / "L-001.json"
    beat.parent.mkdir(parents=True, exist_ok=True)
    beat.write_bytes(content.replace("START", start).encode("latin-1"))
    for args, env in (
        (["lock", "list"], {}),
        (["lock", "check"], {}),
        (["lock", "acquire", "L-3", "--owner", "a", "--objective", "o", "--scope", "/x/"], ORCH),
        (["hook", "pre-commit"], {"LANEWARDEN_LANE": "L-001", "LANEWARDEN_ROLE": "integrator"}),
    ):
        write(ready, "src/app/models.py", args[-1] + "\n")
        git(ready, "add", "src/app/models.py")
        done = lanewarden(ready, *args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert f"warning: {beat}: not a heartbeat" in done.stderr, args
    # The lock's own worker writes a good one over it.
    done = lanewarden(ready, "lock", "heartbeat", "L-001", env={"LANEWARDEN_LANE": "L-001"})
    assert done.returncode == 0, done.stderr
    assert "warning" not in lanewarden(ready, "lock", "list").stderr


def test_the_hook_ignores_a_cache_it_cannot_write(ready: Path, cli: Cli) -> None:
    config = ready / "lanewarden.toml"
    config.write_text(config.read_text() + 'hotspots = ["/pyproject.toml"]\n')
    state = ready / ".git" / "lanewarden"
    for name in ("registry.cache", "config.cache", "hotspots.cache"):
        (state / name).unlink(missing_ok=True)
        (state / name).mkdir()  # a rename onto a folder fails, even for root
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    env = {"LANEWARDEN_LANE": "L-001", "LANEWARDEN_ROLE": "integrator"}
    for _ in range(2):
        done = lanewarden(ready, "hook", "pre-commit", env=env)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
