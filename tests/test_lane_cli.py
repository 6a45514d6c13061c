"""The lane commands in single-branch mode, on real repositories: each rule and each refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, git, write
from scenario import (
    ORCHESTRATOR,
    as_worker,
    configure,
    lane_base,
    lane_gate_2,
    make_parallel_ready,
    start_lane,
)

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
GATES = '\n[gates]\n"2" = ["test ! -e src/app/BROKEN"]\n'


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    configure(repo, GATES)
    return repo


def lane_commit(repo: Path, lane: str, path: str, text: str = "change\n") -> str:
    """The integrator commits ``path`` as lane ``lane`` (single-branch mode)."""
    write(repo, path, text)
    git(repo, "add", "--", path)
    env = {**INTEGRATOR, "LANEWARDEN_LANE": lane}
    git(repo, "commit", "-qm", f"{lane}: {path}", "--trailer", f"Lane: {lane}", env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def commit_ledger(repo: Path) -> None:
    """The integrator commits the orchestrator's ledger, so gates run on a clean tree."""
    git(repo, "add", "PLAN.md")
    git(repo, "commit", "-qm", "ledger", env=INTEGRATOR)


def state(cli: Cli, repo: Path, lane: str) -> str:
    done = cli(repo, "lane", "list", "--json")
    assert done.code == 0, done.err
    return next(row["state"] for row in done.json["lanes"] if row["lane_id"] == lane)  # type: ignore[no-any-return]


def test_start_records_criteria_and_base_and_takes_the_lock(cli: Cli, ready: Path) -> None:
    base = git(ready, "rev-parse", "main").strip()
    done = cli(
        ready,
        "lane",
        "start",
        "L-001",
        "--objective",
        "app work",
        "--scope",
        "src/app/",
        "--out-of-scope",
        "src/app/skip.py",
        "--accept",
        "focus works",
        "--json",
        **ORCHESTRATOR,
    )
    assert done.code == 0, done.err
    assert done.json["lane"]["base"] == base
    assert done.json["lane"]["criteria"] == ["focus works"]
    assert done.json["lock"]["scope"] == ["src/app/", "!src/app/skip.py"]
    assert (
        "| L-001 | L-001 | `src/app/`, `!src/app/skip.py` | app work |"
        in (ready / "PLAN.md").read_text()
    )
    assert state(cli, ready, "L-001") == "assigned"


def test_start_is_the_orchestrators_and_refuses_an_overlap(cli: Cli, ready: Path) -> None:
    args = ("lane", "start", "L-001", "--objective", "o", "--scope", "src/app/")
    done = cli(ready, *args, LANEWARDEN_ROLE="worker")
    assert done.code == 1
    assert "wrong-role" in done.err
    assert cli(ready, *args, **ORCHESTRATOR).code == 0
    done = cli(
        ready, "lane", "start", "L-002", "--objective", "o", "--scope", "src/", **ORCHESTRATOR
    )
    assert done.code == 1
    assert "lock-overlap" in done.err
    assert [row["lane_id"] for row in cli(ready, "lane", "list", "--json").json["lanes"]] == [
        "L-001"
    ]
    # An id is used once: its records are kept for the wave's history.
    done = cli(ready, *args, **ORCHESTRATOR)
    assert done.code == 2
    assert "started before" in done.err


def test_bad_input_is_exit_2_with_the_fix(cli: Cli, ready: Path) -> None:
    for args in (
        ("lane", "checkpoint", "L-404", "--done", "x", "--next", "y"),
        ("lane", "resume", "L-404"),
        ("lane", "handoff", "L-404"),
        ("escalate", "L-404", "--command", "rm x", "--reason", "r"),
    ):
        done = cli(ready, *args, **as_worker("L-404"))
        assert done.code == 2, args
        assert "unknown lane" in done.err
        assert "lanewarden lane list" in done.err
    start_lane(ready, "L-001", "src/app/")
    done = cli(ready, "lane", "checkpoint", "L-001", "--done", "x", **as_worker("L-001"))
    assert done.code == 2
    assert "--next" in done.err
    done = cli(ready, "lane", "checkpoint", "L-001", "--next", "  ", **as_worker("L-001"))
    assert done.code == 2
    done = cli(ready, "lane", "resume", "../x", "--json")
    assert done.code == 2
    assert done.json["ok"] is False


def test_a_worker_acts_only_for_its_own_lane(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    start_lane(ready, "L-002", "src/lib/")
    for args in (
        ("lane", "checkpoint", "L-001", "--next", "y"),
        ("escalate", "L-001", "--command", "rm x", "--reason", "r"),
        ("lane", "handoff", "L-001"),
    ):
        done = cli(ready, *args, "--json", **as_worker("L-002"))
        assert done.code == 1, args
        assert done.json["violations"][0]["rule"] == "foreign-lock"
        assert "L-002" in done.json["violations"][0]["fix"]
    assert cli(ready, "lane", "resume", "L-001", "--json").json["last_checkpoint"] is None


def test_checkpoints_count_as_heartbeats_and_resume_shows_the_latest(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    worker = as_worker("L-001")
    first = cli(ready, "lane", "checkpoint", "L-001", "--done", "read", "--next", "a", **worker)
    assert first.code == 0, first.err
    assert "CP-01" in first.out
    assert (ready / ".git" / "lanewarden" / "heartbeats" / "L-001.json").is_file()
    assert state(cli, ready, "L-001") == "working"
    done = cli(
        ready,
        "lane",
        "checkpoint",
        "L-001",
        "--done",
        "models",
        "--pending",
        "views",
        "--blocker",
        "flaky test",
        "--failure",
        "ImportError: no module app.views",
        "--remediation",
        "create the module first",
        "--next",
        "pytest tests/app -q",
        "--json",
        **worker,
    )
    assert done.code == 0, done.err
    assert done.json["checkpoint"]["checkpoint_id"] == "CP-02"
    resumed = cli(ready, "lane", "resume", "L-001", "--json", **worker).json
    last = resumed["last_checkpoint"]
    assert (last["checkpoint_id"], last["pending"], last["blockers"], last["next"]) == (
        "CP-02",
        ["views"],
        ["flaky test"],
        "pytest tests/app -q",
    )
    assert resumed["failures"] == [
        {
            "checkpoint": "CP-02",
            "failure": "ImportError: no module app.views",
            "remediation": "create the module first",
        }
    ]
    text = cli(ready, "lane", "resume", "L-001", **worker).out
    assert "next: pytest tests/app -q" in text
    assert "ImportError: no module app.views -> create the module first" in text


def test_a_released_lane_takes_no_checkpoint(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    assert cli(ready, "lane", "finish", "L-001", **ORCHESTRATOR).code == 0
    done = cli(ready, "lane", "checkpoint", "L-001", "--next", "x", "--json", **as_worker("L-001"))
    assert done.code == 1
    assert done.json["violations"][0]["rule"] == "lane-released"
    assert state(cli, ready, "L-001") == "abandoned"


def test_escalation_blocks_until_answered_and_the_answer_is_audited(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    worker = as_worker("L-001")
    cli(ready, "lane", "checkpoint", "L-001", "--done", "x", "--next", "npm i", **worker)
    done = cli(
        ready,
        "escalate",
        "L-001",
        "--command",
        "npm install left-pad",
        "--prefix",
        "npm install",
        "--reason",
        "the lane needs the package",
        "--json",
        **worker,
    )
    assert done.code == 0, done.err
    assert done.json["request"]["request"] == 1
    assert done.json["failure"][:3] == [
        "Failure: permission denied for npm install",
        "Impact: lane L-001 blocked at checkpoint CP-01",
        "Requested approval: npm install",
    ]
    assert state(cli, ready, "L-001") == "blocked"
    listing = cli(ready, "lane", "list").out
    assert "request 1 pending" in listing
    # Only an approver answers, and only a request that exists, once.
    assert cli(ready, "approve", "--request", "1", **worker).code == 1
    assert cli(ready, "approve", "--request", "7", **ORCHESTRATOR).code == 2
    done = cli(ready, "approve", "--request", "1", "--ttl", "10m", "--json", **ORCHESTRATOR)
    assert done.code == 0, done.err
    assert done.json["decision"]["decision"] == "granted"
    assert cli(ready, "approve", "--request", "1", "--deny", **ORCHESTRATOR).code == 2
    assert state(cli, ready, "L-001") == "working"
    request = cli(ready, "lane", "resume", "L-001", "--json", **worker).json["requests"][0]
    assert request["status"] == "granted"
    assert request["decision"]["expires"] == done.json["decision"]["expires"]
    log = (ready / ".git" / "lanewarden" / "audit.log").read_text().splitlines()
    entry = json.loads(log[-1])
    assert (entry["kind"], entry["request"], entry["scope"]) == (
        "request-decision",
        1,
        "npm install",
    )
    assert cli(ready, "audit", "verify").code == 0
    # A denial is recorded as well.
    cli(ready, "escalate", "L-001", "--command", "sudo rm", "--reason", "r", **worker)
    done = cli(ready, "approve", "--request", "2", "--deny", "--reason", "no sudo", **ORCHESTRATOR)
    assert done.code == 0, done.err
    denied = cli(ready, "lane", "resume", "L-001", "--json").json["requests"][1]
    assert denied["status"] == "denied"
    assert (
        denied["failure"][-1]
        == f"Remediation: approval denied by {denied['decision']['by']}: no sudo"
    )


def test_the_old_approve_still_needs_its_options(cli: Cli, ready: Path) -> None:
    done = cli(ready, "approve", "--ref", "main", **ORCHESTRATOR)
    assert done.code == 2
    assert "--action" in done.err
    done = cli(
        ready, "escalate", "L-001", "--command", "git push", "--prefix", "rm", "--reason", "r"
    )
    assert done.code == 2


def test_handoff_refuses_naming_each_missing_item(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/", accept=("focus works", "docs updated"))
    worker = as_worker("L-001")
    lane_commit(ready, "L-001", "src/app/models.py")
    cli(ready, "escalate", "L-001", "--command", "rm -rf build", "--reason", "r", **worker)
    done = cli(ready, "lane", "handoff", "L-001", "--met", "1", "--json", **worker)
    assert done.code == 1
    messages = [v["message"] for v in done.json["violations"]]
    assert {v["rule"] for v in done.json["violations"]} == {"handoff-incomplete"}
    assert messages[0].startswith("no gate 2 evidence for the tree handed off")
    assert "acceptance criterion not marked met: docs updated" in messages
    assert "escalation 1 (rm -rf build) is not answered" in messages
    assert len(messages) == 3
    fixes = " ".join(v["fix"] for v in done.json["violations"])
    assert f"python -m pytest --lw-since {lane_base(ready, 'L-001')} --lw-gate 2" in fixes
    assert "--met 'docs updated'" in fixes
    assert "approve --request 1" in fixes
    # An unknown criterion is bad input.
    assert cli(ready, "lane", "handoff", "L-001", "--met", "3", **worker).code == 2


def test_handoff_refuses_failing_evidence_and_an_out_of_scope_commit(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    commit_ledger(ready)
    worker = as_worker("L-001")
    lane_commit(ready, "L-001", "src/app/BROKEN")
    assert cli(ready, "gate", "run", "2", **worker).code == 1
    done = cli(ready, "lane", "handoff", "L-001", "--json", **worker)
    assert done.code == 1
    assert [v["message"].split(" (")[0] for v in done.json["violations"]] == [
        "gate 2 failed on the tree handed off"
    ]
    git(ready, "rm", "-q", "src/app/BROKEN")
    git(ready, "commit", "-qm", "fix", "--trailer", "Lane: L-001", env={**INTEGRATOR, **worker})
    # The lane's commit of a path outside its scope (made without the hooks).
    write(ready, "docs/guide.md", "outside\n")
    git(ready, "add", "docs/guide.md")
    git(ready, "commit", "-qm", "docs", "--trailer", "Lane: L-001", env=INTEGRATOR)
    assert lane_gate_2(ready, lane_base(ready, "L-001"), worker).returncode == 0
    done = cli(ready, "lane", "handoff", "L-001", "--json", **worker)
    assert done.code == 1
    [violation] = done.json["violations"]
    assert violation["path"] == "docs/guide.md"
    assert "outside lock L-001's scope" in violation["message"]


def test_handoff_prints_the_record_stores_it_and_notes_the_tip(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/", accept=("focus works",))
    commit_ledger(ready)
    worker = as_worker("L-001")
    lane_commit(ready, "L-001", "src/app/models.py")
    tip = lane_commit(ready, "L-001", "src/app/views.py")
    cli(ready, "lane", "checkpoint", "L-001", "--done", "all", "--next", "handoff", **worker)
    base = lane_base(ready, "L-001")
    assert lane_gate_2(ready, base, worker).returncode == 0
    done = cli(
        ready, "lane", "handoff", "L-001", "--met", "focus works", "--risk", "none known", **worker
    )
    assert done.code == 0, done.err
    tree = git(ready, "rev-parse", f"{tip}^{{tree}}").strip()
    assert done.out == (
        "Lane: L-001\n"
        "Checkpoint: CP-01\n"
        "Objective: objective of L-001\n"
        "Files: src/app/models.py, src/app/views.py\n"
        "Acceptance:\n"
        "- [x] focus works\n"
        "Architecture Compliance: no cross-layer boundary violations\n"
        "Doc/Comment Compliance: updated for touched declarations/non-obvious logic\n"
        f"Commands: pytest -p no:cacheprovider -p no:hypothesispytest --lw-since {base} "
        "--lw-gate 2\n"
        "Result: pass\n"
        "Risks: none known\n"
        "Next: integrator apply + full wave gate\n"
        f"Commit: {tip}\n"
        f"Tree: {tree}\n"
    )
    note = git(ready, "notes", "--ref=refs/notes/lanewarden-handoff", "show", tip)
    assert note == done.out
    stored = ready / ".git" / "lanewarden" / "lanes" / "L-001" / "handoffs" / "H-01.json"
    assert json.loads(stored.read_text())["commit"] == tip
    assert state(cli, ready, "L-001") == "handed-off"
    # More work after the handoff reopens the lane; finishing after a handoff integrates it.
    lane_commit(ready, "L-001", "src/app/models.py", "again\n")
    assert state(cli, ready, "L-001") == "reopened"
    assert lane_gate_2(ready, base, worker).returncode == 0
    assert cli(ready, "lane", "handoff", "L-001", "--met", "1", **worker).code == 0
    assert cli(ready, "lane", "finish", "L-001", **ORCHESTRATOR).code == 0
    assert state(cli, ready, "L-001") == "integrated"


def test_evidence_for_an_earlier_tree_does_not_hand_off_a_later_one(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    commit_ledger(ready)
    worker = as_worker("L-001")
    lane_commit(ready, "L-001", "src/app/models.py")
    assert lane_gate_2(ready, lane_base(ready, "L-001"), worker).returncode == 0
    assert cli(ready, "lane", "handoff", "L-001", "--json", **worker).code == 0
    lane_commit(ready, "L-001", "src/app/views.py")  # gate 2 never ran on this tip
    done = cli(ready, "lane", "handoff", "L-001", "--json", **worker)
    assert done.code == 1
    [violation] = done.json["violations"]
    assert violation["message"].startswith("no gate 2 evidence for the tree handed off")
    assert state(cli, ready, "L-001") == "reopened"


def test_paths_with_spaces_and_non_ascii_names_are_handed_off(cli: Cli, ready: Path) -> None:
    start_lane(ready, "L-001", "src/app/")
    commit_ledger(ready)
    worker = as_worker("L-001")
    lane_commit(ready, "L-001", "src/app/naïve file.py")
    assert lane_gate_2(ready, lane_base(ready, "L-001"), worker).returncode == 0
    done = cli(ready, "lane", "handoff", "L-001", "--json", **worker)
    assert done.code == 0, done.err
    assert done.json["handoff"]["files"] == ["src/app/naïve file.py"]
    assert "Files: src/app/naïve file.py\n" in done.json["markdown"]
