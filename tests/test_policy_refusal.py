"""A policy refusal found mid-transaction ends every ledger-writing command the same way.

A lock table edited by hand (not through lanewarden) is ``ledger-tampered``:
whatever command finds it while about to write the ledger reports it and
exits 1, with the fix, never an unexpected error (exit 3).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import write
from scenario import ORCHESTRATOR, as_worker, lanewarden, make_parallel_ready, start_lane


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    return repo


def hand_edit_table(repo: Path) -> None:
    """Widen every lock's scope in PLAN.md by hand, as a worker taking a shortcut would."""
    plan = repo / "PLAN.md"
    text = plan.read_text(encoding="utf-8")
    assert "`src/app/`" in text
    plan.write_text(text.replace("`src/app/`", "`src/`"), encoding="utf-8")


def assert_tampered(done: subprocess.CompletedProcess[str], *, as_json: bool = False) -> None:
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 1, out + err
    assert "Traceback" not in err
    assert "internal error" not in err
    if as_json:
        body = json.loads(out)
        assert body["ok"] is False
        assert [v["rule"] for v in body["violations"]] == ["ledger-tampered"]
        assert "accept-edit" in body["violations"][0]["fix"]
    else:
        assert "ledger-tampered" in err
        assert "accept-edit" in err


@pytest.mark.parametrize("as_json", [False, True])
def test_lane_start_on_a_hand_edited_table_is_refused(ready: Path, as_json: bool) -> None:
    start_lane(ready, "L-001", "src/app/")
    hand_edit_table(ready)
    args = ["lane", "start", "L-002", "--objective", "lib", "--scope", "src/lib/"]
    done = lanewarden(ready, *args, *(["--json"] if as_json else []), env=ORCHESTRATOR)
    assert_tampered(done, as_json=as_json)
    assert "L-002" not in (ready / "PLAN.md").read_text(encoding="utf-8")


def test_approve_request_on_a_hand_edited_table_is_refused(ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    done = lanewarden(
        ready,
        "escalate",
        "L-001",
        "--command",
        "rm -rf build",
        "--reason",
        "clean build",
        env=as_worker("L-001"),
    )
    assert done.returncode == 0, done.stderr
    hand_edit_table(ready)
    done = lanewarden(ready, "approve", "--request", "1", env=ORCHESTRATOR)
    assert_tampered(done)
    # Refused before anything was recorded: the request still waits for its answer.
    log = ready / ".git" / "lanewarden" / "audit.log"
    assert not log.exists() or '"request"' not in log.read_text(encoding="utf-8")
    listed = lanewarden(ready, "lane", "list", "--json", env=ORCHESTRATOR)
    assert '"blocked"' in listed.stdout, listed.stdout + listed.stderr


def test_lane_finish_on_a_hand_edited_table_is_refused_before_it_removes_anything(
    ready: Path,
) -> None:
    start_lane(ready, "L-001", "src/app/")
    hand_edit_table(ready)
    assert_tampered(lanewarden(ready, "lane", "finish", "L-001", env=ORCHESTRATOR))
    listed = lanewarden(ready, "lock", "list", "--json")
    assert [row["lock_id"] for row in json.loads(listed.stdout)["locks"]] == ["L-001"]


def test_lock_commands_still_refuse_a_hand_edited_table(ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    hand_edit_table(ready)
    write(ready, "docs/new.md")
    args = ["lock", "acquire", "L-009", "--owner", "a", "--scope", "docs/", "--objective", "o"]
    assert_tampered(lanewarden(ready, *args, env=ORCHESTRATOR))
    assert_tampered(
        lanewarden(ready, "lock", "release", "L-001", "--json", env=ORCHESTRATOR), as_json=True
    )
