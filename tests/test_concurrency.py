"""Several agents writing at once lose no update and never leave a half-written file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git
from scenario import lanewarden, make_parallel_ready

ORCH = {"LANEWARDEN_ROLE": "orchestrator"}


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    return repo


def start(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lanewarden", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[int]:
    codes = []
    for process in processes:
        process.communicate(timeout=60)
        codes.append(process.returncode)
    return codes


def locks(repo: Path) -> list[dict[str, object]]:
    import json

    done = subprocess.run(
        [sys.executable, "-m", "lanewarden", "lock", "list", "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["locks"]  # type: ignore[no-any-return]


def no_temporary_files(repo: Path) -> bool:
    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    beats = repo / ".git" / "lanewarden" / "heartbeats"
    stray = [p.name for p in beats.iterdir() if not p.name.endswith(".json")]
    return not stray and not [line for line in status if line.startswith("??")]


def test_ten_disjoint_acquires_all_land(ready: Path) -> None:
    processes = [
        start(
            ready,
            "lock",
            "acquire",
            f"L-{i:03}",
            "--owner",
            f"agent-{i}",
            "--objective",
            "o",
            "--scope",
            f"/area{i}/",
            env=ORCH,
        )
        for i in range(10)
    ]
    assert finish(processes) == [0] * 10
    assert sorted(lock["lock_id"] for lock in locks(ready)) == [f"L-{i:03}" for i in range(10)]
    # The record of the table lanewarden wrote is the last write's: no false ledger-tampered.
    checked = lanewarden(ready, "lock", "check")
    assert checked.returncode == 0, checked.stderr
    assert not [line for line in git(ready, "status", "--porcelain").splitlines() if "??" in line]


def test_eight_acquires_of_one_scope_exactly_one_wins(ready: Path) -> None:
    processes = [
        start(
            ready,
            "lock",
            "acquire",
            f"L-{i:03}",
            "--owner",
            f"agent-{i}",
            "--objective",
            "o",
            "--scope",
            "src/app/",
            env=ORCH,
        )
        for i in range(8)
    ]
    codes = finish(processes)
    assert sorted(codes) == [0] + [1] * 7
    assert len(locks(ready)) == 1


def test_eight_workers_heartbeating_four_times_lose_nothing(ready: Path) -> None:
    for i in range(8):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "lanewarden",
                "lock",
                "acquire",
                f"L-{i}",
                "--owner",
                f"w{i}",
                "--objective",
                "o",
                "--scope",
                f"/area{i}/",
                "--ttl",
                "5m",
            ],
            cwd=ready,
            env={**os.environ, **ORCH},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    script = (
        "import subprocess, sys\n"
        "for k in range(1, 5):\n"
        "    subprocess.run([sys.executable, '-m', 'lanewarden', 'lock', 'heartbeat', sys.argv[1],"
        " '--ttl', f'{k}h'], check=True, capture_output=True)\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, f"L-{i}"],
            cwd=ready,
            env={**os.environ, "LANEWARDEN_LANE": f"L-{i}"},
        )
        for i in range(8)
    ]
    # The orchestrator keeps writing the ledger meanwhile, folding heartbeats in.
    orchestrator = [
        start(
            ready,
            "lock",
            "acquire",
            f"X-{j}",
            "--owner",
            "o",
            "--objective",
            "o",
            "--scope",
            f"/extra{j}/",
            env=ORCH,
        )
        for j in range(3)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0] * 8
    assert finish(orchestrator) == [0, 0, 0]
    by_id = {lock["lock_id"]: lock for lock in locks(ready)}
    for i in range(8):
        lock = by_id[f"L-{i}"]
        # The fourth heartbeat (--ttl 4h) is the one that counts: nothing was lost.
        hours = _hours_between(str(lock["start"]), str(lock["expires"]))
        assert hours > 3.9, lock
    assert no_temporary_files(ready)
    checked = lanewarden(ready, "lock", "check")
    assert checked.returncode == 0, checked.stderr


def _hours_between(start: str, end: str) -> float:
    from datetime import datetime

    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds() / 3600
