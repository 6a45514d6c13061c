"""`lanewarden status` on the fixture run: lanes, requests, hotspots, hooks, warnings, colour."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import Cli, git, write
from run_fixture import build_run
from scenario import lanewarden, set_lock_rows


def status(repo: Path, **env: str) -> dict:
    done = lanewarden(repo, "status", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_status_of_the_fixture_run(repo: Path, cli: Cli) -> None:
    build_run(repo, cli)
    body = status(repo, LANEWARDEN_ROLE="orchestrator")
    assert body["identity"] == {
        "role": "orchestrator",
        "lane": None,
        "lane_source": None,
        "mode": "single-branch",
        "branch": "main",
    }
    lanes = {row["lane_id"]: row for row in body["lanes"]}
    # L-001 was finished: only the seven live lanes are active
    assert sorted(lanes) == ["L-002", "L-003", "L-004", "L-005", "L-006", "L-007", "L-008"]
    # the states are lane list's own
    listed = json.loads(lanewarden(repo, "lane", "list", "--json").stdout)["lanes"]
    assert {r["lane_id"]: r["state"] for r in listed if r["lane_id"] in lanes} == {
        lane: row["state"] for lane, row in lanes.items()
    }
    assert lanes["L-008"]["state"] == "blocked"
    assert lanes["L-008"]["pending_requests"] == [2]
    assert lanes["L-007"]["scope"] == "docs/with space.md"
    assert lanes["L-002"]["owner"] == "agent-2"
    assert lanes["L-002"]["seconds_left"] > 0
    assert [r["request"] for r in body["requests"]["pending"]] == [2]
    assert [r["request"] for r in body["requests"]["grants"]] == [1]
    assert body["hotspots"] == [{"hotspot": "docs/guide.md", "held_by": ["L-006"]}]
    assert all(not h["installed"] for h in body["hooks"])
    # HEAD's tree has passing gate 2 evidence, the bootstrap check passes, locks are fresh
    assert body["warnings"] == []
    text = lanewarden(repo, "status").stdout
    assert "L-008" in text
    assert "blocked" in text
    assert "lanewarden approve --request 2" in text
    assert "docs/guide.md" in text
    assert "L-006" in text


def test_status_sees_hooks_and_whose_they_are(repo: Path, cli: Cli) -> None:
    build_run(repo, cli)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    hooks = {h["hook"]: h for h in status(repo)["hooks"]}
    assert all(h["installed"] and h["lanewarden"] for h in hooks.values())
    other = repo / ".git" / "hooks" / "pre-push"
    other.write_text("#!/bin/sh\nexit 0\n")
    hooks = {h["hook"]: h for h in status(repo)["hooks"]}
    assert hooks["pre-push"] == {"hook": "pre-push", "installed": True, "lanewarden": False}


def test_status_warns_about_what_needs_attention(repo: Path, cli: Cli) -> None:
    build_run(repo, cli)
    # a new commit: its tree has no evidence
    write(repo, "src/app/models.py", "changed\n")
    git(repo, "commit", "-qam", "change", env={"LANEWARDEN_ROLE": "integrator"})
    # and a lock row added by hand, long expired
    old = "2026-01-01T00:00:00Z"
    set_lock_rows(
        repo, [f"| L-009 | bob | src/x/ | o | {old} | {old} | 2026-01-01T01:00:00Z |"], accept=False
    )
    rules = [w["rule"] for w in status(repo)["warnings"]]
    assert "ledger-tampered" in rules
    assert "lock-expired" in rules
    assert "missing-evidence" in rules
    body = status(repo)
    assert body["ok"] is False
    assert body["locks_without_lane"] == ["L-009"]
    assert "fix:" in lanewarden(repo, "status").stdout


def _on_a_terminal(repo: Path, **env: str) -> str:
    """`lanewarden status` with a pseudo-terminal as its stdout."""
    leader, follower = pty.openpty()
    full = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full.update(env)
    full.setdefault("TERM", "xterm")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lanewarden", "status"],
        cwd=repo,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=full,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait()
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_without_no_color(repo: Path, cli: Cli) -> None:
    build_run(repo, cli)
    assert "\033[" in _on_a_terminal(repo)
    assert "\033[" not in _on_a_terminal(repo, NO_COLOR="1")
    assert "\033[" not in _on_a_terminal(repo, NO_COLOR="")  # set to anything, even empty
    piped = lanewarden(repo, "status")
    assert "L-008" in piped.stdout
    assert "\033[" not in piped.stdout


def test_a_policy_file_change_is_seen_through_the_kept_bootstrap_answer(
    repo: Path, cli: Cli
) -> None:
    build_run(repo, cli)
    assert status(repo)["warnings"] == []  # the bootstrap answer is now kept
    policy = repo / "AGENTS.md"
    policy.write_text(policy.read_text() + "\nAn uncommitted line.\n")
    assert "policy-uncommitted" in [w["rule"] for w in status(repo)["warnings"]]
