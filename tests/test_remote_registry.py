"""The registry on a git remote: one bare server, several clones as machines.

Every change is a commit pushed as a compare-and-swap; these tests race real
``lanewarden`` processes against a real server and read what it holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, write
from scenario import ORCHESTRATOR, clone_machine, lanewarden, remote_registry_server

ACQUIRE = ("lock", "acquire")


def acquire_args(lock_id: str, owner: str, *scopes: str) -> list[str]:
    args = [*ACQUIRE, lock_id, "--owner", owner, "--objective", f"work of {owner}"]
    for scope in scopes:
        args += ["--scope", scope]
    return args


def server_locks(server: Path, ref: str = "main") -> list[str]:
    """The lock ids in the lock table the server holds on ``ref``."""
    text = git(server, "show", f"{ref}:PLAN.md")
    start = text.index("| lock_id |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1].strip())
    return rows


def race(machines: list[Path], commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command on its machine at once; wait for all."""
    env = {**os.environ, **ORCHESTRATOR}
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "lanewarden", *command],
            cwd=machine,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for machine, command in zip(machines, commands, strict=True)
    ]
    done = []
    for process, command in zip(started, commands, strict=True):
        out, err = process.communicate()
        done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return done


@pytest.fixture
def server(repo: Path) -> Path:
    return remote_registry_server(repo)


def machines(server: Path | str, tmp_path: Path, count: int) -> list[Path]:
    return [clone_machine(server, tmp_path / f"machine-{n}") for n in range(count)]


def test_an_acquire_lands_on_the_server_and_in_the_local_copy(server: Path, tmp_path: Path):
    [one] = machines(server, tmp_path, 1)
    done = lanewarden(one, *acquire_args("L-001", "a", "src/app/"), env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert server_locks(server) == ["L-001"]
    # A ledger-only commit on top of main: the work tree and index are untouched.
    changed = git(server, "show", "--name-only", "--format=", "main").split()
    assert changed == ["PLAN.md"]
    assert git(one, "status", "--porcelain") == ""
    listed = lanewarden(one, "lock", "list", "--json")
    assert '"L-001"' in listed.stdout
    released = lanewarden(one, "lock", "release", "L-001", env=ORCHESTRATOR)
    assert released.returncode == 0, released.stderr
    assert server_locks(server) == []


def test_ten_machines_acquiring_disjoint_scopes_all_land(server: Path, tmp_path: Path):
    clones = machines(server, tmp_path, 10)
    commands = [acquire_args(f"L-{n:03}", f"m{n}", f"src/part{n}/") for n in range(10)]
    results = race(clones, commands)
    assert [r.returncode for r in results] == [0] * 10, [r.stderr for r in results]
    assert sorted(server_locks(server)) == [f"L-{n:03}" for n in range(10)]


def assert_exactly_one_winner(results: list[subprocess.CompletedProcess[str]], locks: list[str]):
    winners = [r for r in results if r.returncode == 0]
    assert len(winners) == 1, [(r.returncode, r.stderr) for r in results]
    assert len(locks) == 1
    winner = locks[0]
    for lost in results:
        if lost.returncode != 0:
            assert lost.returncode == 1, lost.stderr
            assert winner in lost.stderr, lost.stderr  # the refusal names the winning lock


def test_eight_machines_acquiring_one_scope_leave_exactly_one_lock(server: Path, tmp_path: Path):
    clones = machines(server, tmp_path, 8)
    commands = [acquire_args(f"L-{n:03}", f"m{n}", "src/app/") for n in range(8)]
    results = race(clones, commands)
    assert_exactly_one_winner(results, server_locks(server))


def test_eight_machines_acquiring_one_lock_id_leave_exactly_one_lock(server: Path, tmp_path: Path):
    clones = machines(server, tmp_path, 8)
    commands = [acquire_args("L-001", f"m{n}", f"src/part{n}/") for n in range(8)]
    results = race(clones, commands)
    winners = [r for r in results if r.returncode == 0]
    assert len(winners) == 1, [(r.returncode, r.stderr) for r in results]
    assert server_locks(server) == ["L-001"]
    owner = winners[0].args[winners[0].args.index("--owner") + 1]
    # Every loser is refused by policy (exit 1) naming the lock and who holds it, whether
    # it lost the push or its fetch already showed the id taken: never a second lock.
    for lost in results:
        if lost is not winners[0]:
            assert lost.returncode == 1, lost.stderr
            assert "registry-race" in lost.stderr, lost.stderr
            assert "L-001" in lost.stderr, lost.stderr
            assert f"by {owner} " in lost.stderr, lost.stderr


def move_main_during_next_push(server: Path, to: str) -> None:
    """Make the server move ``main`` to ``to`` while it receives the next push.

    The pushing machine fetched the old ``main``: this is another orchestrator's
    push landing between its fetch and its push, every time, not by chance.
    """
    hook = server / "hooks" / "pre-receive"
    marker = server / "moved-once"
    hook.write_text(
        "#!/bin/sh\n"
        "cat >/dev/null\n"
        f"if [ ! -e '{marker}' ]; then\n"
        f"  touch '{marker}'\n"
        f"  env -u GIT_QUARANTINE_PATH git update-ref refs/heads/main {to}\n"
        "fi\n"
    )
    hook.chmod(0o755)


def wins_the_next_race(server: Path, first: Path, *args: str) -> str:
    """Run ``args`` on ``first`` as the orchestrator so that it lands during the next push.

    The server is set back to before the change, and its hook puts the change
    back while the next push from another clone is under way: that push loses
    the race every time, and must replay on the winner. Returns the winner.
    """
    before = git(server, "rev-parse", "main").strip()
    done = lanewarden(first, *args, env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    winner = git(server, "rev-parse", "main").strip()
    git(server, "update-ref", "refs/heads/main", before)
    move_main_during_next_push(server, winner)
    return winner


def test_a_push_that_loses_the_race_is_checked_again_and_refused_naming_the_winner(
    server: Path, tmp_path: Path
):
    first, second = machines(server, tmp_path, 2)
    wins_the_next_race(server, first, *acquire_args("L-001", "first", "src/app/"))
    lost = lanewarden(
        second, *acquire_args("L-002", "second", "src/app/models.py"), env=ORCHESTRATOR
    )
    assert lost.returncode == 1, lost.stderr
    assert "lock-overlap" in lost.stderr
    assert "L-001" in lost.stderr
    assert server_locks(server) == ["L-001"]
    listed = lanewarden(second, "lock", "list", "--json")
    assert '"L-002"' not in listed.stdout


def test_a_push_that_loses_the_race_to_a_disjoint_lock_lands_on_top(server: Path, tmp_path: Path):
    first, second = machines(server, tmp_path, 2)
    winner = wins_the_next_race(server, first, *acquire_args("L-001", "first", "src/app/"))
    done = lanewarden(second, *acquire_args("L-002", "second", "src/lib/"), env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert server_locks(server) == ["L-001", "L-002"]
    assert git(server, "rev-parse", "main^").strip() == winner
    attempts = (second / ".git" / "lanewarden" / "registry" / "last-push.json").read_text()
    assert '"attempts": 2' in attempts


def test_a_release_raced_by_a_reclaim_is_refused(server: Path, tmp_path: Path):
    first, second = machines(server, tmp_path, 2)
    done = lanewarden(first, *acquire_args("L-001", "first", "src/app/"), env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    winner = wins_the_next_race(server, first, "lock", "release", "L-001")
    again = lanewarden(second, "lock", "release", "L-001", env=ORCHESTRATOR)
    assert again.returncode == 1, again.stderr
    assert "registry-race" in again.stderr
    assert "L-001" in again.stderr
    assert git(server, "rev-parse", "main").strip() == winner


def test_an_offline_machine_gets_exit_2_with_gits_error_and_nothing_changes(
    server: Path, tmp_path: Path
):
    [one] = machines(server, tmp_path, 1)
    assert lanewarden(one, "lock", "list").returncode in (0, 2)
    git(one, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    done = lanewarden(one, *acquire_args("L-001", "a", "src/app/"), env=ORCHESTRATOR)
    assert done.returncode == 2, done.stderr
    assert "git fetch failed" in done.stderr
    assert "gone.git" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (one / ".git" / "lanewarden" / "registry" / "PLAN.md").exists()
    assert server_locks(server) == []


def test_a_push_the_server_refuses_leaves_no_lock_locally(server: Path, tmp_path: Path):
    [one] = machines(server, tmp_path, 1)
    hook = server / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    done = lanewarden(one, *acquire_args("L-001", "a", "src/app/"), env=ORCHESTRATOR)
    assert done.returncode == 2, done.stderr
    assert "main is protected" in done.stderr
    assert "refs/lanewarden/registry" in done.stderr  # the way out for a protected branch
    listed = lanewarden(one, "lock", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"L-001"' not in listed.stdout
    assert server_locks(server) == []


def test_the_dedicated_ref_leaves_the_target_branch_alone(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo, registry_ref="refs/lanewarden/registry")
    main_before = git(server, "rev-parse", "main").strip()
    clones = machines(server, tmp_path, 8)
    commands = [acquire_args(f"L-{n:03}", f"m{n}", "src/app/") for n in range(8)]
    results = race(clones, commands)
    assert_exactly_one_winner(results, server_locks(server, "refs/lanewarden/registry"))
    assert git(server, "rev-parse", "main").strip() == main_before
    tree = git(server, "ls-tree", "--name-only", "refs/lanewarden/registry").split()
    assert tree == ["PLAN.md"]


def test_a_protected_target_branch_defaults_to_the_dedicated_ref(repo: Path, tmp_path: Path):
    server = remote_registry_server(repo)
    write(
        repo,
        "lanewarden.toml",
        (repo / "lanewarden.toml").read_text() + 'protected_branches = ["main"]\n',
    )
    git(repo, "commit", "-qam", "protect main", env={"LANEWARDEN_ROLE": "integrator"})
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    main_before = git(server, "rev-parse", "main").strip()
    [one] = machines(server, tmp_path, 1)
    done = lanewarden(one, *acquire_args("L-001", "a", "src/app/"), env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert server_locks(server, "refs/lanewarden/registry") == ["L-001"]
    assert git(server, "rev-parse", "main").strip() == main_before


def test_lane_start_and_finish_go_through_the_remote(server: Path, tmp_path: Path):
    [one] = machines(server, tmp_path, 1)
    started = lanewarden(
        one,
        "lane",
        "start",
        "L-001",
        "--objective",
        "o",
        "--scope",
        "src/app/",
        env=ORCHESTRATOR,
    )
    assert started.returncode == 0, started.stderr
    assert server_locks(server) == ["L-001"]
    finished = lanewarden(one, "lane", "finish", "L-001", env=ORCHESTRATOR)
    assert finished.returncode == 0, finished.stderr
    assert server_locks(server) == []
    assert "L-001" in git(server, "show", "main:PLAN.md")  # in the lock history now


def test_a_lane_start_that_loses_the_race_is_refused_naming_the_winner(
    server: Path, tmp_path: Path
):
    first, second = machines(server, tmp_path, 2)
    wins_the_next_race(server, first, *acquire_args("L-001", "first", "src/app/"))
    lost = lanewarden(
        second,
        "lane",
        "start",
        "L-002",
        "--objective",
        "o",
        "--scope",
        "src/app/",
        env=ORCHESTRATOR,
    )
    assert lost.returncode == 1, lost.stderr
    assert "lock-overlap" in lost.stderr
    assert "L-001" in lost.stderr
    assert server_locks(server) == ["L-001"]


def test_the_registry_commit_never_takes_the_users_staged_work(server: Path, tmp_path: Path):
    [one] = machines(server, tmp_path, 1)
    write(one, "src/app/models.py", "half done\n")
    git(one, "add", "src/app/models.py")
    write(one, "docs/guide.md", "unstaged edit\n")
    done = lanewarden(one, *acquire_args("L-001", "a", "src/app/"), env=ORCHESTRATOR)
    assert done.returncode == 0, done.stderr
    assert git(server, "show", "--name-only", "--format=", "main").split() == ["PLAN.md"]
    assert git(one, "diff", "--cached", "--name-only").split() == ["src/app/models.py"]
    assert git(one, "diff", "--name-only").split() == ["docs/guide.md"]
    assert git(one, "rev-parse", "HEAD") != git(server, "rev-parse", "main")


def test_an_unknown_registry_mode_is_bad_input(repo: Path):
    server = remote_registry_server(repo)
    del server
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text().replace('registry = "remote"', 'registry = "cloud"'))
    done = lanewarden(repo, "lock", "list")
    assert done.returncode == 2
    assert "registry" in done.stderr
    assert "local, remote" in done.stderr


def test_a_remote_ledger_that_is_not_utf8_is_bad_input_and_never_rewritten(
    server: Path, tmp_path: Path
):
    """A replaced byte would be pushed back: a user's text lost on the remote."""
    [one, other] = machines(server, tmp_path, 2)
    ledger = other / "PLAN.md"
    ledger.write_bytes(ledger.read_bytes() + b"\nNotes by Jos\xe9.\n")
    git(other, "commit", "-qam", "a Latin-1 note", "--no-verify")
    git(other, "push", "-q", "--no-verify", "origin", "main")
    before = git(server, "rev-parse", "main")
    done = lanewarden(one, *acquire_args("L-001", "a", "src/app/"), env=ORCHESTRATOR)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not UTF-8" in done.stderr
    assert "PLAN.md" in done.stderr
    assert "Traceback" not in done.stderr
    assert git(server, "rev-parse", "main") == before  # nothing pushed over it
