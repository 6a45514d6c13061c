"""``lanewarden integrate`` end to end: real git, real lanes, real pytest gates.

A wave of five lanes in worktree mode: L-1 and L-5 are clean; L-2 conflicts
textually with a commit the target branch got meanwhile; L-3 fails its own
gate 2 once applied (a test added on the target meanwhile); L-4 passes its
gate 2 but breaks another package's test (semantic drift) so gate 3 fails.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import git, write
from scenario import add_bare_remote, configure, lane_gate_2, lanewarden, start_lane

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
QUIET = "-p no:cacheprovider -p no:hypothesispytest"
GATES = (
    "\n[gates]\n"
    f'"1" = []\n'
    f'"2" = ["{{python}} -m pytest {QUIET} --lw-changed --lw-gate 2"]\n'
    f'"3" = ["{{python}} -m pytest {QUIET} --lw-gate 3"]\n'
)
PACKAGES = ("alpha", "beta", "gamma", "delta", "eps", "zeta")


def project(repo: Path, mode: str = "worktrees") -> None:
    """Six small packages, one test file each; delta's test reads gamma's data file."""
    done = lanewarden(repo, "init")
    assert done.returncode == 0, done.stdout + done.stderr
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text().replace("single-branch", mode))
    write(repo, ".gitignore", "__pycache__/\n*.pyc\n")
    write(repo, "pytest.ini", "[pytest]\npythonpath = src\ntestpaths = tests\n")
    for name in PACKAGES:
        write(repo, f"src/{name}/__init__.py", "")
        write(repo, f"src/{name}/core.py", f'NAME = "{name}"\nLIMIT = 1\n')
        write(
            repo,
            f"tests/test_{name}.py",
            f"from {name}.core import NAME\n\n\ndef test_name():\n    assert NAME == {name!r}\n",
        )
    write(repo, "src/gamma/config.txt", "1\n")
    write(
        repo,
        "tests/test_delta.py",
        "from pathlib import Path\n\nfrom delta.core import NAME\n\n\n"
        "def test_name():\n    assert NAME == 'delta'\n\n\n"
        "def test_gamma_config():\n"
        "    text = (Path(__file__).parent.parent / 'src/gamma/config.txt').read_text()\n"
        "    assert text.strip() == '1', 'gamma config changed'\n",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project", env=INTEGRATOR)
    configure(repo, GATES)


def worktree(repo: Path, lane: str) -> Path:
    return repo.parent / f"repo-{lane}"


def lane_commit(repo: Path, lane: str, files: dict[str, str]) -> None:
    """The worker's commit in the lane's worktree, then its gate 2 and its handoff."""
    where = worktree(repo, lane)
    for path, text in files.items():
        write(where, path, text)
        git(where, "add", "--", path)
    env = {"LANEWARDEN_ROLE": "worker"}
    git(where, "commit", "-qm", f"{lane}: work", "--trailer", f"Lane: {lane}", env=env)
    gate = lane_gate_2(where, "main", env)  # the lane's whole change, since it left main
    assert gate.returncode == 0, gate.stdout + gate.stderr
    handoff = lanewarden(where, "lane", "handoff", lane, "--json", env=env)
    assert handoff.returncode == 0, handoff.stdout + handoff.stderr


def main_commit(repo: Path, files: dict[str, str], message: str) -> None:
    for path, text in files.items():
        write(repo, path, text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, env=INTEGRATOR)


def build_wave(repo: Path) -> None:
    """Five lanes handed off in order L-1..L-5; the target moved meanwhile."""
    project(repo)
    scopes = {"L-1": "src/alpha/", "L-2": "src/beta/", "L-3": "src/eps/", "L-4": "src/gamma/"}
    scopes["L-5"] = "src/zeta/"
    for lane, scope in scopes.items():
        start_lane(repo, lane, scope)
    # The integrator's own changes on the target since the lanes started.
    main_commit(
        repo,
        {
            "src/beta/core.py": 'NAME = "beta"\nLIMIT = 10\n',
            "tests/test_eps.py": "from eps.core import LIMIT, NAME\n\n\n"
            "def test_name():\n    assert NAME == 'eps'\n\n\n"
            "def test_limit():\n    assert LIMIT == 1, 'eps limit must stay 1'\n",
        },
        "target: beta limit, eps limit test",
    )
    git(repo, "add", "-A")
    lane_commit(repo, "L-1", {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 1\nMORE = 2\n'})
    lane_commit(repo, "L-2", {"src/beta/core.py": 'NAME = "beta"\nLIMIT = 20\n'})
    lane_commit(repo, "L-3", {"src/eps/core.py": 'NAME = "eps"\nLIMIT = 2\n'})
    lane_commit(repo, "L-4", {"src/gamma/config.txt": "2\n"})
    lane_commit(repo, "L-5", {"src/zeta/core.py": 'NAME = "zeta"\nLIMIT = 5\n'})
    commit_ledger(repo)


def commit_ledger(repo: Path) -> None:
    if git(repo, "status", "--porcelain", "--", "PLAN.md").strip():
        git(repo, "add", "PLAN.md")
        git(repo, "commit", "-qm", "ledger", env=INTEGRATOR)


def integrate(repo: Path, *args: str, code: int = 0) -> dict[str, Any]:
    done = lanewarden(repo, "integrate", *args, "--json", env=INTEGRATOR)
    assert done.returncode == code, done.stdout + done.stderr
    body: dict[str, Any] = json.loads(done.stdout)
    return body


def states(repo: Path) -> dict[str, str]:
    done = lanewarden(repo, "lane", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["lane_id"]: row["state"] for row in json.loads(done.stdout)["lanes"]}


@pytest.mark.parametrize("strategy", ["cherry-pick", "merge"])
def test_a_wave_lands_the_clean_lanes_and_sends_back_the_rest(repo: Path, strategy: str) -> None:
    build_wave(repo)
    config = repo / "lanewarden.toml"
    text = config.read_text().replace("\n[gates]", f'\nintegrate_strategy = "{strategy}"\n[gates]')
    main_commit(repo, {"lanewarden.toml": text}, f"integrate by {strategy}")
    start = git(repo, "rev-parse", "HEAD").strip()
    plan = integrate(repo, "--dry-run")
    assert [q["lane"] for q in plan["plan"]] == ["L-1", "L-2", "L-3", "L-4", "L-5"]
    assert plan["plan"][1]["packages"] == ["beta"]
    # The tests gate 2 would run for each lane, selected as the plugin selects them.
    gate_2 = {q["lane"]: q["gate2"] for q in plan["plan"]}
    assert gate_2["L-3"]["test_files"] == ["tests/test_eps.py"]
    assert gate_2["L-3"]["full_suite"] is None
    assert "tests/test_eps.py" not in gate_2["L-1"]["test_files"]
    assert git(repo, "rev-parse", "HEAD").strip() == start  # a dry run changes nothing

    body = integrate(repo)
    assert body["integrated"] == ["L-1", "L-5"]
    assert body["reopened"] == ["L-2", "L-3"]
    assert body["reverted"] == ["L-4"]
    by_lane = {o["lane"]: o for o in body["lanes"]}
    assert by_lane["L-2"]["conflict_paths"] == ["src/beta/core.py"]
    assert by_lane["L-3"]["failing_tests"] == ["tests/test_eps.py::test_limit"]
    assert by_lane["L-4"]["failing_tests"] == ["tests/test_delta.py::test_gamma_config"]
    assert len(by_lane["L-4"]["revert_commits"]) == 1

    # The target carries the clean lanes (with trailers), not the others; gate 3 is green.
    log = git(repo, "log", "--format=%B", f"{start}..HEAD")
    assert "Lane: L-1" in log
    assert "Lane: L-5" in log
    assert "Integrated-by: integrator" in log
    assert ("Merge lane L-1" in log) == (strategy == "merge")
    assert (repo / "src/alpha/core.py").read_text().endswith("MORE = 2\n")
    assert (repo / "src/beta/core.py").read_text() == 'NAME = "beta"\nLIMIT = 10\n'
    assert (repo / "src/eps/core.py").read_text() == 'NAME = "eps"\nLIMIT = 1\n'
    assert (repo / "src/gamma/config.txt").read_text() == "1\n"
    gate = lanewarden(repo, "gate", "status", "--json")
    assert {g["gate"]: g["status"] for g in json.loads(gate.stdout)["gates"]}.get("3") in (
        None,
        "passed",
    )
    assert lanewarden(repo, "gate", "run", "3", env=INTEGRATOR).returncode == 0

    # The record, the lanes' states, their failure records, the ledger.
    record = json.loads(Path(body["record"]).read_text())
    assert record["wave"] == 1
    assert record["mode"] == "worktrees"
    assert record["gate3_runs"] == body["isolation"]["runs"] + 1
    assert states(repo) == {
        "L-1": "integrated",
        "L-2": "reopened",
        "L-3": "reopened",
        "L-4": "reopened",
        "L-5": "integrated",
    }
    resume = lanewarden(repo, "lane", "resume", "L-2", "--json")
    failure = json.loads(resume.stdout)["integration_failures"][0]
    assert "src/beta/core.py" in failure["signature"]
    assert "not integrated" in failure["impact"]
    assert "rebase" in failure["remediation"]
    eps = json.loads(lanewarden(repo, "lane", "resume", "L-3", "--json").stdout)
    assert "eps limit must stay 1" in eps["integration_failures"][0]["signature"]
    plan_text = (repo / "PLAN.md").read_text()
    assert "### L-1 integrated" in plan_text
    assert "### L-3 F-01" in plan_text
    assert plan_text.count("| integrated |") == 2  # L-1 and L-5's locks, in the history
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert git(repo, "branch", "--list", "lane/L-1") == ""  # finished
    assert git(repo, "branch", "--list", "lane/L-2").strip()  # kept, to be fixed


def test_refusals(repo: Path) -> None:
    project(repo)
    start_lane(repo, "L-1", "src/alpha/")
    commit_ledger(repo)
    worker = lanewarden(repo, "integrate", "--json", env={"LANEWARDEN_ROLE": "worker"})
    assert worker.returncode == 1
    assert "wrong-role" in worker.stdout
    unready = integrate(repo, "L-1", code=1)
    assert [v["rule"] for v in unready["violations"]] == ["integrate-no-handoff"]
    write(repo, "README.md", "changed\n")
    dirty = integrate(repo, code=1)
    assert [v["rule"] for v in dirty["violations"]] == ["integrate-dirty"]
    assert dirty["violations"][0]["fix"]
    nothing = lanewarden(repo, "integrate", "--continue", env=INTEGRATOR)
    assert nothing.returncode == 2
    assert "Traceback" not in nothing.stderr


def _integrate_killed_at(repo: Path, step: str) -> None:
    """Run integrate and SIGKILL it as soon as the state file records ``step``."""
    state = repo / ".git" / "lanewarden" / "integrate-state.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "lanewarden", "integrate", "--json"],
        cwd=repo,
        env={**os.environ, **INTEGRATOR},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while process.poll() is None:
            try:
                steps = json.loads(state.read_text())["steps"]
            except (OSError, ValueError, KeyError):
                continue
            if step == "gate3-running":  # killed in the middle of the wave's gate 3
                if json.loads(state.read_text()).get("phase") == "gate3":
                    os.kill(process.pid, signal.SIGKILL)
                    break
            elif any(s["step"] == step for s in steps):
                os.kill(process.pid, signal.SIGKILL)
                break
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL, f"the run ended before step {step}"


@pytest.mark.parametrize("step", ["start", "apply", "gate2", "gate3-running"])
def test_killed_run_aborts_to_the_exact_start_and_continues_without_loss(
    repo: Path, step: str
) -> None:
    project(repo)
    for lane, scope in {"L-1": "src/alpha/", "L-5": "src/zeta/"}.items():
        start_lane(repo, lane, scope)
    lane_commit(repo, "L-1", {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 3\n'})
    lane_commit(repo, "L-5", {"src/zeta/core.py": 'NAME = "zeta"\nLIMIT = 5\n'})
    commit_ledger(repo)
    start = git(repo, "rev-parse", "HEAD").strip()
    start_tree = git(repo, "rev-parse", "HEAD^{tree}").strip()

    _integrate_killed_at(repo, step)
    refused = integrate(repo, code=1)
    assert [v["rule"] for v in refused["violations"]] == ["integrate-in-progress"]
    aborted = integrate(repo, "--abort")
    assert aborted["head"] == start
    assert git(repo, "rev-parse", "HEAD^{tree}").strip() == start_tree
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""

    _integrate_killed_at(repo, step)
    body = integrate(repo, "--continue")
    assert body["integrated"] == ["L-1", "L-5"]
    log = git(repo, "log", "--format=%B", f"{start}..HEAD")
    assert log.count("Lane: L-1") == 1  # applied once, however often it was interrupted
    assert log.count("Lane: L-5") == 1
    assert (repo / "src/alpha/core.py").read_text() == 'NAME = "alpha"\nLIMIT = 3\n'


def test_a_single_branch_wave_gates_lanes_in_place_and_reverts_the_failing_ones(
    repo: Path,
) -> None:
    """Single-branch mode: the lanes' commits are on the target already; none is applied twice.

    A textual conflict cannot arise for commits already on the target; the
    lane failing its gate 2 and the culprit of gate 3 are reverted instead.
    """
    project(repo, "single-branch")
    scopes = {"L-1": "src/alpha/", "L-3": "src/eps/", "L-4": "src/gamma/", "L-5": "src/zeta/"}
    for lane, scope in scopes.items():
        start_lane(repo, lane, scope)
    commit_ledger(repo)
    changes = {
        "L-1": {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 1\nMORE = 2\n'},
        "L-3": {"src/eps/core.py": 'NAME = "eps"\nLIMIT = 2\n'},
        "L-4": {"src/gamma/config.txt": "2\n"},
        "L-5": {"src/zeta/core.py": 'NAME = "zeta"\nLIMIT = 5\n'},
    }
    for lane, files in changes.items():
        as_lane = {**INTEGRATOR, "LANEWARDEN_LANE": lane}
        for path, text in files.items():
            write(repo, path, text)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"{lane}: work", "--trailer", f"Lane: {lane}", env=as_lane)
        worker = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": lane}
        # Gate 2 on the lane's own commit (the one before it is another lane's).
        assert lane_gate_2(repo, "HEAD~1", worker).returncode == 0
        done = lanewarden(repo, "lane", "handoff", lane, env=worker)
        assert done.returncode == 0, done.stdout + done.stderr
    main_commit(
        repo,
        {
            "tests/test_eps.py": "from eps.core import LIMIT, NAME\n\n\n"
            "def test_name():\n    assert NAME == 'eps'\n\n\n"
            "def test_limit():\n    assert LIMIT == 1, 'eps limit must stay 1'\n"
        },
        "target: eps limit test",
    )
    start = git(repo, "rev-parse", "HEAD").strip()

    body = integrate(repo)
    assert body["integrated"] == ["L-1", "L-5"]
    assert body["reopened"] == ["L-3"]
    assert body["reverted"] == ["L-4"]
    by_lane = {o["lane"]: o for o in body["lanes"]}
    assert by_lane["L-3"]["failing_tests"] == ["tests/test_eps.py::test_limit"]
    assert len(by_lane["L-3"]["revert_commits"]) == 1
    assert by_lane["L-4"]["failing_tests"] == ["tests/test_delta.py::test_gamma_config"]
    log = git(repo, "log", "--format=%B", f"{start}..HEAD")
    assert log.count("Lane: L-1") == 0  # already on the target: not applied again
    assert log.count("Revert ") == 2
    assert (repo / "src/alpha/core.py").read_text().endswith("MORE = 2\n")
    assert (repo / "src/eps/core.py").read_text() == 'NAME = "eps"\nLIMIT = 1\n'
    assert (repo / "src/gamma/config.txt").read_text() == "1\n"
    assert lanewarden(repo, "gate", "run", "3", env=INTEGRATOR).returncode == 0
    listed = states(repo)
    assert listed["L-1"] == "integrated"
    assert listed["L-3"] == "reopened"
    assert listed["L-4"] == "reopened"


def two_clean_lanes(repo: Path) -> str:
    project(repo)
    for lane, scope in {"L-1": "src/alpha/", "L-5": "src/zeta/"}.items():
        start_lane(repo, lane, scope)
    lane_commit(repo, "L-1", {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 3\n'})
    lane_commit(repo, "L-5", {"src/zeta/core.py": 'NAME = "zeta"\nLIMIT = 5\n'})
    commit_ledger(repo)
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_target_moved_under_a_killed_run_is_never_reset_away(repo: Path) -> None:
    two_clean_lanes(repo)
    _integrate_killed_at(repo, "start")
    main_commit(repo, {"NOTES.md": "someone else's work\n"}, "someone else")
    foreign = git(repo, "rev-parse", "HEAD").strip()
    for option in ("--continue", "--abort"):
        refused = integrate(repo, option, code=1)
        assert [v["rule"] for v in refused["violations"]] == ["integrate-moved"]
        assert git(repo, "rev-parse", "HEAD").strip() == foreign
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # as the fix says: the foreign commit moved away
    body = integrate(repo, "--continue")
    assert body["integrated"] == ["L-1", "L-5"]


def test_push_only_when_asked_and_never_forced(repo: Path) -> None:
    start = two_clean_lanes(repo)
    remote = add_bare_remote(repo)
    shown = lanewarden(repo, "integrate", "--dry-run", env=INTEGRATOR)
    assert shown.returncode == 0, shown.stderr
    assert "  1. L-1 at " in shown.stdout
    assert "     packages: alpha\n" in shown.stdout
    assert "     gate 2 (--lw-since the commit before the lane): " in shown.stdout
    assert "  2. L-5 at " in shown.stdout
    text = lanewarden(repo, "integrate", "L-1", "--keep", env=INTEGRATOR)
    assert text.returncode == 0, text.stderr
    assert "  L-1: integrated\n" in text.stdout
    assert git(repo, "branch", "--list", "lane/L-1").strip()  # --keep: not finished
    assert git(remote, "rev-parse", "main").strip() == start
    body = integrate(repo, "L-5", "--push")
    assert body["pushed"] is True
    assert git(remote, "rev-parse", "main").strip() == git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "branch", "--list", "lane/L-5") == ""  # finished
    # A lane integrated by an earlier run stays integrated after the next one.
    assert states(repo) == {"L-1": "integrated", "L-5": "integrated"}
