"""Lanes across machines: what the orchestrator and the workers see of each other.

A bare server and clones as machines. The orchestrator starts lanes and
answers requests on one machine; each worker runs in a clone of its own.
The lane records, the requests, the audit trail, the evidence notes and the
ledger's sections must reach whoever needs them, through the remote only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, write
from scenario import (
    ORCHESTRATOR,
    as_worker,
    clone_machine,
    lanewarden,
    record_evidence,
    remote_registry_server,
)


@pytest.fixture
def server(repo: Path) -> Path:
    return remote_registry_server(repo)


def start_lane_on(machine: Path, lane: str, scope: str) -> None:
    """``lane start`` as the orchestrator on ``machine``, with one acceptance criterion."""
    args = ["--objective", f"objective of {lane}", "--scope", scope, "--accept", "tests pass"]
    done = lanewarden(machine, "lane", "start", lane, *args, env=ORCHESTRATOR)
    assert done.returncode == 0, done.stdout + done.stderr


def worker_machine(server: Path, where: Path, lane: str) -> Path:
    """A clone for lane ``lane``'s worker, synced once as that worker."""
    machine = clone_machine(server, where)
    synced = lanewarden(machine, "sync", env=as_worker(lane))
    assert synced.returncode == 0, synced.stderr
    return machine


def escalate(machine: Path, lane: str) -> int:
    """File a request as lane ``lane``'s worker; its number."""
    done = lanewarden(
        machine,
        "escalate",
        lane,
        "--command",
        "git push --force origin main",
        "--reason",
        f"{lane} needs it",
        "--json",
        env=as_worker(lane),
    )
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout)["request"]["request"])


def test_a_worker_on_another_machine_resumes_its_lane_after_sync(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    unsynced = clone_machine(server, tmp_path / "unsynced")
    unknown = lanewarden(unsynced, "lane", "resume", "L-001", env=as_worker("L-001"))
    assert unknown.returncode == 2
    assert "`lanewarden sync`" in unknown.stderr  # the way to the lanes of other machines
    worker = worker_machine(server, tmp_path / "worker", "L-001")
    resumed = lanewarden(worker, "lane", "resume", "L-001", "--json", env=as_worker("L-001"))
    assert resumed.returncode == 0, resumed.stderr
    body = json.loads(resumed.stdout)
    assert body["objective"] == "objective of L-001"
    assert body["state"] == "assigned"
    brief = lanewarden(worker, "lane", "brief", "L-001", env=as_worker("L-001"))
    assert brief.returncode == 0, brief.stderr
    assert "src/app/" in brief.stdout
    assert "tests pass" in brief.stdout


def test_a_lane_record_the_orchestrator_could_not_share_goes_with_its_next_sync(
    server: Path, tmp_path: Path
):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    # As if the push after `lane start` had failed: the lane's ref is gone from the server.
    git(server, "update-ref", "-d", "refs/lanewarden/lanes/L-001")
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    names = git(server, "ls-tree", "-r", "--name-only", "refs/lanewarden/lanes/L-001").split()
    assert names == ["lane/lane.json"]


def test_requests_filed_on_two_machines_get_numbers_of_their_own(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    start_lane_on(orchestrator, "L-002", "src/lib/")
    one = worker_machine(server, tmp_path / "one", "L-001")
    two = worker_machine(server, tmp_path / "two", "L-002")
    numbers = [escalate(one, "L-001"), escalate(two, "L-002"), escalate(one, "L-001")]
    assert len(set(numbers)) == 3, numbers
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    listed = lanewarden(orchestrator, "lane", "list", "--json", env=ORCHESTRATOR)
    pending = {
        row["lane_id"]: row["pending_requests"] for row in json.loads(listed.stdout)["lanes"]
    }
    assert sorted(pending["L-001"]) == sorted([numbers[0], numbers[2]])
    assert pending["L-002"] == [numbers[1]]


def test_six_machines_escalating_at_once_get_six_numbers(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    lanes = [f"L-{n:03}" for n in range(6)]
    for n, lane in enumerate(lanes):
        start_lane_on(orchestrator, lane, f"src/part{n}/")
    workers = [worker_machine(server, tmp_path / lane, lane) for lane in lanes]
    command = [sys.executable, "-m", "lanewarden", "escalate"]
    started = [
        subprocess.Popen(
            [*command, lane, "--command", "make deploy", "--reason", "r", "--json"],
            cwd=machine,
            env={**os.environ, **as_worker(lane)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for lane, machine in zip(lanes, workers, strict=True)
    ]
    numbers = []
    for process in started:
        out, err = process.communicate()
        assert process.returncode == 0, err
        numbers.append(json.loads(out)["request"]["request"])
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    claimed = git(server, "for-each-ref", "--format=%(refname)", "refs/lanewarden/requests/")
    assert len(claimed.split()) == 6


def test_an_escalation_that_cannot_claim_its_number_records_nothing(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    worker = worker_machine(server, tmp_path / "worker", "L-001")
    git(worker, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    done = lanewarden(
        worker,
        "escalate",
        "L-001",
        "--command",
        "rm -rf build",
        "--reason",
        "r",
        env=as_worker("L-001"),
    )
    assert done.returncode == 2, done.stderr
    assert "unreachable.git" in done.stderr
    assert not list((worker / ".git" / "lanewarden" / "requests").glob("*.json"))


def test_an_answer_and_the_evidence_travel_with_sync(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    worker = worker_machine(server, tmp_path / "worker", "L-001")
    number = escalate(worker, "L-001")
    record_evidence(worker, "HEAD", "2")
    assert lanewarden(worker, "sync", env=as_worker("L-001")).returncode == 0
    # The orchestrator sees the worker's evidence note, and answers the request.
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    tree = git(worker, "rev-parse", "HEAD^{tree}").strip()
    note = git(orchestrator, "notes", "--ref=refs/notes/lanewarden", "show", tree)
    assert '"gate":"2"' in note
    approve = ["approve", "--request", str(number), "--reason", "fine"]
    approved = lanewarden(orchestrator, *approve, env=ORCHESTRATOR)
    assert approved.returncode == 0, approved.stderr
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    # The worker's sync brings the answer (the audit trail's anchor).
    assert lanewarden(worker, "sync", env=as_worker("L-001")).returncode == 0
    resumed = lanewarden(worker, "lane", "resume", "L-001", "--json", env=as_worker("L-001"))
    assert resumed.returncode == 0, resumed.stderr
    [request] = json.loads(resumed.stdout)["requests"]
    assert request["status"] == "granted"


def test_the_ledger_fold_lands_on_the_remote_registry(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    worker = worker_machine(server, tmp_path / "worker", "L-001")
    checkpoint = ["lane", "checkpoint", "L-001", "--done", "models", "--next", "pytest -q"]
    done = lanewarden(worker, *checkpoint, env=as_worker("L-001"))
    assert done.returncode == 0, done.stderr
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    # The orchestrator's next ledger write folds the checkpoint in: on the server.
    start_lane_on(orchestrator, "L-002", "src/lib/")
    on_server = git(server, "show", "main:PLAN.md")
    assert "### L-001 CP-01" in on_server
    assert "- next command: `pytest -q`" in on_server
    assert git(server, "show", "--name-only", "--format=", "main").split() == ["PLAN.md"]
    copy = orchestrator / ".git" / "lanewarden" / "registry" / "PLAN.md"
    assert copy.read_text(encoding="utf-8") == on_server


def test_accept_edit_of_the_local_copy_is_refused_in_remote_mode(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    copy = orchestrator / ".git" / "lanewarden" / "registry" / "PLAN.md"
    write(
        orchestrator, ".git/lanewarden/registry/PLAN.md", copy.read_text().replace("L-001", "L-009")
    )
    # The refusal of the edited copy names the fix that works in remote mode.
    checked = lanewarden(orchestrator, "lock", "check", "--json")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    (tampered,) = json.loads(checked.stdout)["violations"]
    assert tampered["rule"] == "ledger-tampered"
    assert "`lanewarden sync`" in tampered["fix"]
    assert "accept-edit" not in tampered["fix"]
    before = git(server, "rev-parse", "main")
    done = lanewarden(orchestrator, "lock", "accept-edit", "--note", "renamed", env=ORCHESTRATOR)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "`lanewarden sync`" in done.stderr
    assert git(server, "rev-parse", "main") == before
    # The fix restores the copy from the remote: the registry is what the server has.
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    assert "L-009" not in copy.read_text(encoding="utf-8")
    listed = lanewarden(orchestrator, "lock", "list", "--json")
    assert [row["lock_id"] for row in json.loads(listed.stdout)["locks"]] == ["L-001"]


def test_sync_never_pushes_an_audit_trail_that_does_not_verify(server: Path, tmp_path: Path):
    orchestrator = clone_machine(server, tmp_path / "orch")
    start_lane_on(orchestrator, "L-001", "src/app/")
    worker = worker_machine(server, tmp_path / "worker", "L-001")
    number = escalate(worker, "L-001")
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    approve = ["approve", "--request", str(number), "--reason", "fine"]
    assert lanewarden(orchestrator, *approve, env=ORCHESTRATOR).returncode == 0
    # A line added by hand: not in the anchored chain.
    log = orchestrator / ".git" / "lanewarden" / "audit.log"
    with log.open("a", encoding="utf-8") as appended:
        appended.write('{"kind": "approval", "request": 99}\n')
    synced = lanewarden(orchestrator, "sync", "--json", env=ORCHESTRATOR)
    assert synced.returncode == 1, synced.stdout + synced.stderr
    body = json.loads(synced.stdout)
    assert {v["rule"] for v in body["violations"]} == {"audit-tampered"}
    assert body["audit"]["action"] == "not pushed"
    on_server = git(server, "for-each-ref", "--format=%(refname)", "refs/lanewarden/audit")
    assert on_server.strip() == ""


def test_a_fold_that_loses_the_race_is_folded_again_on_the_winner(server: Path, tmp_path: Path):
    from test_remote_registry import acquire_args, server_locks, wins_the_next_race

    orchestrator, other = (clone_machine(server, tmp_path / n) for n in ("orch", "other"))
    start_lane_on(orchestrator, "L-001", "src/app/")
    worker = worker_machine(server, tmp_path / "worker", "L-001")
    number = escalate(worker, "L-001")
    assert lanewarden(orchestrator, "sync", env=ORCHESTRATOR).returncode == 0
    # Another orchestrator's lock lands while this one pushes its fold of the answer.
    winner = wins_the_next_race(server, other, *acquire_args("L-009", "other", "src/lib/"))
    approve = ["approve", "--request", str(number), "--reason", "fine"]
    approved = lanewarden(orchestrator, *approve, env=ORCHESTRATOR)
    assert approved.returncode == 0, approved.stderr
    assert git(server, "rev-parse", "main^").strip() == winner
    assert server_locks(server) == ["L-001", "L-009"]
    assert f"### L-001 request {number}" in git(server, "show", "main:PLAN.md")
