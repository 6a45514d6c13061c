"""The gate-2 evidence a lane handoff accepts: for the lane's change, wherever it was recorded.

``pytest --lw-changed --lw-gate 2`` on a clean work tree at the lane's tip
sees no change, selects nothing and records ``passed`` (an empty selection):
it tested nothing of the lane, so the handoff does not take it. Evidence that
arrived as git notes counts like local records, and ``evidence push|fetch``
carry the handoff notes too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, write
from scenario import (
    QUIET,
    add_bare_remote,
    as_worker,
    lane_base,
    lane_gate_2,
    lanewarden,
    make_parallel_ready,
    start_lane,
)

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
WORKER = as_worker("L-001")
HANDOFF_REF = "refs/notes/lanewarden-handoff"


@pytest.fixture
def lane(repo: Path) -> Path:
    """Lane L-001 on ``src/app/`` (single-branch mode) with one committed change."""
    make_parallel_ready(repo)
    start_lane(repo, "L-001", "src/app/")
    git(repo, "add", "PLAN.md")
    git(repo, "commit", "-qm", "ledger", env=INTEGRATOR)
    write(repo, "src/app/search.py", "focus = 1\n")
    git(repo, "add", "src/app/search.py")
    env = {**INTEGRATOR, "LANEWARDEN_LANE": "L-001"}
    git(repo, "commit", "-qm", "search", "--trailer", "Lane: L-001", env=env)
    return repo


def handoff(repo: Path) -> subprocess.CompletedProcess[str]:
    return lanewarden(repo, "lane", "handoff", "L-001", "--json", env=WORKER)


def test_gate_2_that_saw_no_change_does_not_hand_off_the_lane(lane: Path) -> None:
    changed = subprocess.run(
        [sys.executable, "-m", "pytest", *QUIET, "--lw-changed", "--lw-gate", "2"],
        cwd=lane,
        capture_output=True,
        text=True,
        env={**os.environ, **WORKER},
        check=False,
    )
    assert changed.returncode == 0, changed.stdout + changed.stderr
    status = json.loads(lanewarden(lane, "gate", "status", "--json").stdout)
    assert [g["status"] for g in status["gates"] if g["gate"] == "2"] == ["passed"]
    done = handoff(lane)
    assert done.returncode == 1, done.stdout + done.stderr
    [violation] = json.loads(done.stdout)["violations"]
    assert violation["rule"] == "handoff-incomplete"
    assert "does not cover the lane's change" in violation["message"]
    assert "src/app/search.py" in violation["message"]
    base = lane_base(lane, "L-001")
    assert f"`python -m pytest --lw-since {base} --lw-gate 2`" in violation["fix"]
    # The fix it names works.
    assert lane_gate_2(lane, base, WORKER).returncode == 0
    done = handoff(lane)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["handoff"]["files"] == ["src/app/search.py"]


def test_gate_2_since_the_base_covers_a_change_made_and_undone(lane: Path) -> None:
    write(lane, "src/app/scratch.py", "tmp\n")
    env = {**INTEGRATOR, "LANEWARDEN_LANE": "L-001"}
    git(lane, "add", "src/app/scratch.py")
    git(lane, "commit", "-qm", "scratch", "--trailer", "Lane: L-001", env=env)
    git(lane, "rm", "-q", "src/app/scratch.py")
    git(lane, "commit", "-qm", "no scratch", "--trailer", "Lane: L-001", env=env)
    assert lane_gate_2(lane, lane_base(lane, "L-001"), WORKER).returncode == 0
    done = handoff(lane)
    assert done.returncode == 0, done.stdout + done.stderr


def test_evidence_that_arrived_as_notes_hands_off(lane: Path) -> None:
    add_bare_remote(lane)
    assert lane_gate_2(lane, lane_base(lane, "L-001"), WORKER).returncode == 0
    pushed = lanewarden(lane, "evidence", "push", "origin")
    assert pushed.returncode == 0, pushed.stderr
    # Only the notes are left: as in a clone that fetched them.
    shutil.rmtree(lane / ".git" / "lanewarden" / "evidence")
    done = handoff(lane)
    assert done.returncode == 0, done.stdout + done.stderr


def test_evidence_push_and_fetch_carry_the_handoff_notes(lane: Path, tmp_path: Path) -> None:
    remote = add_bare_remote(lane)
    assert lane_gate_2(lane, lane_base(lane, "L-001"), WORKER).returncode == 0
    done = handoff(lane)
    assert done.returncode == 0, done.stdout + done.stderr
    markdown = json.loads(done.stdout)["markdown"]
    tip = git(lane, "rev-parse", "HEAD").strip()
    pushed = lanewarden(lane, "evidence", "push", "origin", "--json")
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout)["handoffs_pushed"] is True
    assert git(lane, "ls-remote", str(remote), HANDOFF_REF).strip()
    git(lane, "push", "-q", "--no-verify", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    fetched = lanewarden(clone, "evidence", "fetch", "origin", "--json")
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["handoffs_fetched"] is True
    assert git(clone, "notes", f"--ref={HANDOFF_REF}", "show", tip) == markdown
    # A second handoff of the same tip elsewhere keeps both records, in order.
    again = lanewarden(lane, "lane", "handoff", "L-001", "--risk", "second", env=WORKER)
    assert again.returncode == 0, again.stderr
    git(clone, "notes", f"--ref={HANDOFF_REF}", "append", "-m", "Reviewed: yes", tip)
    assert lanewarden(lane, "evidence", "push", "origin").returncode == 0
    assert lanewarden(clone, "evidence", "fetch", "origin").returncode == 0
    merged = git(clone, "notes", f"--ref={HANDOFF_REF}", "show", tip)
    assert "Risks: second" in merged
    assert "Reviewed: yes" in merged
    assert merged.index("Lane: L-001") < merged.index("Commit:")


def test_the_workers_brief_names_the_gate_run_a_handoff_takes(lane: Path) -> None:
    base = lane_base(lane, "L-001")
    brief = lanewarden(lane, "lane", "brief", "L-001")
    assert brief.returncode == 0, brief.stderr
    assert f"`python -m pytest --lw-since {base} --lw-gate 2`" in brief.stdout
    data = json.loads(lanewarden(lane, "lane", "brief", "L-001", "--json").stdout)
    assert f"--lw-since {base}" in json.dumps(data)
