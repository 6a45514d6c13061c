"""Worker state and the hooks' copy of the registry in remote registry mode.

A bare server and clones as machines: workers push their lane refs, the
orchestrator fetches them, and the pre-commit hook stays offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from conftest import git, write
from lanewarden.domain.times import format_time, now
from scenario import (
    LEDGER_HEADER,
    ORCHESTRATOR,
    add_bare_remote,
    as_worker,
    clone_machine,
    configure,
    lanewarden,
    make_parallel_ready,
    record_evidence,
    remote_registry_server,
)


def acquire(machine: Path, lock_id: str, scope: str, owner: str = "w") -> None:
    """As the orchestrator on ``machine``: ``lock acquire`` through the remote registry."""
    args = ["--owner", owner, "--objective", "o", "--scope", scope]
    done = lanewarden(machine, "lock", "acquire", lock_id, *args, env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr


def copy_of(machine: Path) -> Path:
    return machine / ".git" / "lanewarden" / "registry" / "PLAN.md"


def age(path: Path, minutes: int) -> None:
    """Make ``path`` look fetched ``minutes`` ago (its change time is what the hook reads)."""
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def test_the_hook_warns_on_a_stale_copy_and_never_touches_the_network(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo)
    machine = clone_machine(server, tmp_path / "laptop")
    assert lanewarden(machine, "hooks", "install").returncode == 0
    acquire(machine, "L-001", "src/app/")
    git(machine, "switch", "-q", "-c", "lane/L-001")
    write(machine, "src/app/models.py", "fresh\n")
    git(machine, "add", "src/app/models.py")
    fresh = subprocess.run(
        ["git", "commit", "-qm", "fresh copy\n\nLane: L-001"],
        cwd=machine,
        capture_output=True,
        text=True,
        env={**os.environ, **as_worker("L-001")},
        check=False,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert "registry copy" not in fresh.stderr
    # Offline, with a copy fetched 20 minutes ago: the hook still judges, and warns.
    git(machine, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    age(copy_of(machine), 20)
    write(machine, "src/app/models.py", "stale\n")
    git(machine, "add", "src/app/models.py")
    stale = subprocess.run(
        ["git", "commit", "-qm", "stale copy\n\nLane: L-001"],
        cwd=machine,
        capture_output=True,
        text=True,
        env={**os.environ, **as_worker("L-001")},
        check=False,
    )
    assert stale.returncode == 0, stale.stderr
    assert "registry copy was fetched from origin 20 min ago" in stale.stderr
    assert "`lanewarden sync`" in stale.stderr
    # Still judged on the copy: a path outside the lane's scope is refused offline.
    write(machine, "src/lib/core.py", "out of scope\n")
    git(machine, "add", "src/lib/core.py")
    refused = subprocess.run(
        ["git", "commit", "-qm", "outside\n\nLane: L-001"],
        cwd=machine,
        capture_output=True,
        text=True,
        env={**os.environ, **as_worker("L-001")},
        check=False,
    )
    assert refused.returncode != 0
    assert "out-of-scope" in refused.stderr


def test_sync_refreshes_the_copy_so_the_warning_goes(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo)
    machine = clone_machine(server, tmp_path / "laptop")
    synced = lanewarden(machine, "sync", "--json", env=ORCHESTRATOR)
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["ref"] == "refs/heads/main"
    age(copy_of(machine), 30)
    assert lanewarden(machine, "sync", env=ORCHESTRATOR).returncode == 0
    assert time.time() - copy_of(machine).stat().st_mtime < 60


def test_sync_of_an_offline_clone_is_exit_2(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo)
    machine = clone_machine(server, tmp_path / "laptop")
    git(machine, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    done = lanewarden(machine, "sync", env=ORCHESTRATOR)
    assert done.returncode == 2
    assert "unreachable.git" in done.stderr
    assert "Traceback" not in done.stderr


def test_sync_in_local_registry_mode_is_bad_input(repo: Path):
    make_parallel_ready(repo)
    done = lanewarden(repo, "sync")
    assert done.returncode == 2
    assert 'registry = "remote"' in done.stderr


def server_with_locks(repo: Path, count: int, beat_minutes_ago: int = 5) -> Path:
    """A server whose registry holds ``count`` locks L-000.. on disjoint scopes."""
    make_parallel_ready(repo)
    at = now()
    start = format_time(at - timedelta(minutes=beat_minutes_ago))
    expires = format_time(at + timedelta(hours=1))
    rows = "".join(
        f"| L-{n:03} | w{n} | `src/part{n}/` | o | {start} | {start} | {expires} |\n"
        for n in range(count)
    )
    plan = repo / "PLAN.md"
    text = plan.read_text()
    plan.write_text(text.replace(LEDGER_HEADER, LEDGER_HEADER + rows))
    git(repo, "add", "PLAN.md")
    git(repo, "commit", "-qm", "locks", env={"LANEWARDEN_ROLE": "integrator"})
    configure(repo, '\nregistry = "remote"\n')
    return add_bare_remote(repo)


def test_thirty_two_workers_pushing_at_once_lose_nothing(repo: Path, tmp_path: Path):
    server = server_with_locks(repo, 32)
    workers = [clone_machine(server, tmp_path / f"worker-{n}") for n in range(32)]
    for n, machine in enumerate(workers):
        # A checkpoint record as `lane checkpoint` leaves it, to travel with the heartbeat.
        write(
            machine,
            f".git/lanewarden/lanes/L-{n:03}/checkpoints/CP-01.json",
            json.dumps({"lane_id": f"L-{n:03}", "checkpoint": 1}) + "\n",
        )
    script = 'lanewarden sync && lanewarden lock heartbeat "$LANEWARDEN_LANE" && lanewarden sync'
    lanewarden_bin = Path(sys.executable).parent
    started = [
        subprocess.Popen(
            ["sh", "-c", script],
            cwd=machine,
            env={
                **os.environ,
                **as_worker(f"L-{n:03}"),
                "PATH": f"{lanewarden_bin}{os.pathsep}{os.environ['PATH']}",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, machine in enumerate(workers)
    ]
    for process in started:
        _out, err = process.communicate()
        assert process.returncode == 0, err
    refs = git(server, "for-each-ref", "--format=%(refname)", "refs/lanewarden/lanes/").split()
    assert len(refs) == 32
    orchestrator = clone_machine(server, tmp_path / "orchestrator")
    synced = lanewarden(orchestrator, "sync", "--json", env=ORCHESTRATOR)
    assert synced.returncode == 0, synced.stderr
    assert sorted(json.loads(synced.stdout)["lanes"]) == [f"L-{n:03}" for n in range(32)]
    state = orchestrator / ".git" / "lanewarden"
    for n in range(32):
        assert (state / "lanes" / f"L-{n:03}" / "checkpoints" / "CP-01.json").is_file()
    listed = json.loads(lanewarden(orchestrator, "lock", "list", "--json").stdout)["locks"]
    table_heartbeat = format_time(now() - timedelta(minutes=4))
    # Every worker's heartbeat reached the orchestrator: none is the table's old one.
    assert len(listed) == 32
    assert all(row["heartbeat"] > table_heartbeat for row in listed), listed


def test_a_worker_resync_keeps_records_pushed_from_another_clone(repo: Path, tmp_path: Path):
    server = server_with_locks(repo, 1)
    first, second = (clone_machine(server, tmp_path / name) for name in ("first", "second"))
    write(first, ".git/lanewarden/lanes/L-000/checkpoints/CP-01.json", '{"n": 1}\n')
    write(second, ".git/lanewarden/lanes/L-000/checkpoints/CP-02.json", '{"n": 2}\n')
    for machine in (first, second):
        done = lanewarden(machine, "sync", env=as_worker("L-000"))
        assert done.returncode == 0, done.stderr
    tree = git(server, "ls-tree", "-r", "--name-only", "refs/lanewarden/lanes/L-000").split()
    assert tree == ["lane/checkpoints/CP-01.json", "lane/checkpoints/CP-02.json"]


def test_a_workers_heartbeat_travels_by_itself_and_keeps_its_lock_from_reclaim(
    repo: Path, tmp_path: Path
):
    # The table's heartbeat is 40 minutes old: stale, unless the worker's own says otherwise.
    server = server_with_locks(repo, 1, beat_minutes_ago=40)
    worker, orchestrator = (clone_machine(server, tmp_path / n) for n in ("worker", "orch"))
    assert lanewarden(worker, "sync", env=as_worker("L-000")).returncode == 0
    beat = lanewarden(worker, "lock", "heartbeat", "L-000", env=as_worker("L-000"))
    assert beat.returncode == 0, beat.stderr
    tree = git(server, "ls-tree", "--name-only", "refs/lanewarden/lanes/L-000").split()
    assert tree == ["heartbeat.json"]
    reclaim = lanewarden(
        orchestrator,
        "lock",
        "reclaim",
        "L-000",
        "--owner",
        "new",
        "--note",
        "looks stale",
        env=ORCHESTRATOR,
    )
    assert reclaim.returncode == 1, reclaim.stderr
    assert "lock-live" in reclaim.stderr


def test_a_heartbeat_that_cannot_be_shared_is_exit_2(repo: Path, tmp_path: Path):
    server = server_with_locks(repo, 1)
    worker = clone_machine(server, tmp_path / "worker")
    assert lanewarden(worker, "sync", env=as_worker("L-000")).returncode == 0
    git(worker, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    beat = lanewarden(worker, "lock", "heartbeat", "L-000", env=as_worker("L-000"))
    assert beat.returncode == 2
    assert "recorded here, not shared" in beat.stderr
    assert "`lanewarden sync`" in beat.stderr


def push_lane_branch(worker: Path) -> subprocess.CompletedProcess[str]:
    """L-001's worker pushes ``lane/L-001`` through the installed pre-push hook."""
    return subprocess.run(
        ["git", "push", "-q", "origin", "lane/L-001"],
        cwd=worker,
        capture_output=True,
        text=True,
        env={**os.environ, **as_worker("L-001")},
        check=False,
    )


def test_a_worker_push_is_judged_by_the_registry_the_remote_has(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo)
    orchestrator = clone_machine(server, tmp_path / "orch")
    acquire(orchestrator, "L-000", "src/lib/", owner="v")
    worker = clone_machine(server, tmp_path / "worker")  # it sees L-000, not yet L-001
    assert lanewarden(worker, "hooks", "install").returncode == 0
    acquire(orchestrator, "L-001", "src/app/")
    # The worker's clone predates the lock; sync brings the registry, tracking ref included.
    assert lanewarden(worker, "sync", env=as_worker("L-001")).returncode == 0
    git(worker, "switch", "-q", "-c", "lane/L-001")
    write(worker, "src/app/models.py", "work\n")
    git(worker, "add", "src/app/models.py")
    git(worker, "commit", "-qm", "work\n\nLane: L-001", env=as_worker("L-001"))
    record_evidence(worker, "HEAD", "2")
    pushed = push_lane_branch(worker)
    assert pushed.returncode == 0, pushed.stderr


def test_with_the_dedicated_ref_a_push_is_judged_by_that_ref(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo, registry_ref="refs/lanewarden/registry")
    orchestrator, worker = (clone_machine(server, tmp_path / n) for n in ("orch", "worker"))
    assert lanewarden(worker, "hooks", "install").returncode == 0
    acquire(orchestrator, "L-001", "src/app/")
    assert "L-001" not in git(server, "show", "main:PLAN.md")  # the target branch has no lock
    assert lanewarden(worker, "sync", env=as_worker("L-001")).returncode == 0
    git(worker, "switch", "-q", "-c", "lane/L-001")
    write(worker, "src/app/models.py", "work\n")
    git(worker, "add", "src/app/models.py")
    git(worker, "commit", "-qm", "work\n\nLane: L-001", env=as_worker("L-001"))
    record_evidence(worker, "HEAD", "2")
    pushed = push_lane_branch(worker)
    assert pushed.returncode == 0, pushed.stderr
    # Out of the lane's scope (by the dedicated ref's table) is still refused.
    write(worker, "src/lib/core.py", "not mine\n")
    git(worker, "add", "src/lib/core.py")
    git(worker, "-c", "core.hooksPath=/dev/null", "commit", "-qm", "sneak\n\nLane: L-001")
    record_evidence(worker, "HEAD", "2")
    refused = push_lane_branch(worker)
    assert refused.returncode != 0
    assert "out-of-scope" in refused.stderr
    verified = lanewarden(worker, "verify", "--range", "origin/main..HEAD")
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert "out-of-scope" in verified.stdout + verified.stderr


def test_the_warm_hook_in_remote_mode_imports_nothing_heavy(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo)
    machine = clone_machine(server, tmp_path / "laptop")
    acquire(machine, "L-001", "src/app/")
    write(machine, "src/app/models.py", "changed\n")
    git(machine, "add", "src/app/models.py")
    age(copy_of(machine), 20)  # the stale path too: one stat and a warning
    hook = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"}
    runs = []
    for _ in range(2):
        runs.append(
            subprocess.run(
                [sys.executable, "-X", "importtime", "-m", "lanewarden", "hook", "pre-commit"],
                cwd=machine,
                env={**os.environ, **hook},
                capture_output=True,
                text=True,
                check=False,
            )
        )
    warm = runs[1]
    assert warm.returncode == 0, warm.stderr
    assert "registry copy was fetched" in warm.stderr
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in warm.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    heavy = {"markdown_it", "pathspec", "tomllib", "subprocess", "json", "dataclasses"}
    assert heavy & modules == set()
    assert "lanewarden.adapters.remote_registry" not in modules
