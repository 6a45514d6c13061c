"""A whole parallel run made with the real commands: three waves, eight lanes.

Every record comes from a ``lanewarden`` command in a real repository (worktree
mode, real pytest gates): ``lane start``, the workers' commits, ``lane
checkpoint``, gate 2 through the pytest plugin, ``lane handoff``, ``escalate``
and ``approve``, and ``integrate`` once per wave. No clock can be given to the
commands, so times are what they recorded; the tests work every duration out
from those records and every count from the story below.

- wave 1: L-001 (adds 4 lines to alpha), L-003 (a new 3-line file in gamma) and
  L-004 (2 lines in delta; it escalates and is approved first) integrate; L-002
  conflicts with the integrator's own change to beta and is reopened.
- wave 2: L-002, rebased onto the target, integrates; L-006 rewrites 3 of
  L-001's 4 lines (2 changed, 1 deleted) and integrates; L-005 conflicts with
  the integrator's change to eps and is reopened.
- wave 3: L-005, rebased, and L-007 (a new 5-line file in docs) integrate;
  L-008 escalates and is left waiting for an answer, never handed off.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import git, write
from scenario import ORCHESTRATOR, QUIET, configure, lane_gate_2, lanewarden, start_lane

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}


def worker(lane: str) -> dict[str, str]:
    """A lane's worker. The lane is named as well as implied by the worktree's branch: the
    pytest plugin writes the lane into its evidence only from ``LANEWARDEN_LANE``."""
    return {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": lane}


_PYTEST = " ".join(QUIET)
GATES = (
    "\n[gates]\n"
    '"1" = []\n'
    f'"2" = ["{{python}} -m pytest {_PYTEST} --lw-changed --lw-gate 2"]\n'
    f'"3" = ["{{python}} -m pytest {_PYTEST} --lw-gate 3"]\n'
)
PACKAGES = ("alpha", "beta", "gamma", "delta", "eps", "zeta")
SCOPES = {
    "L-001": "src/alpha/",
    "L-002": "src/beta/",
    "L-003": "src/gamma/",
    "L-004": "src/delta/",
    "L-005": "src/eps/",
    "L-006": "src/alpha/",
    "L-007": "/docs/",
    "L-008": "src/zeta/",
}
WAVES = {1: ["L-001", "L-003", "L-004"], 2: ["L-002", "L-006"], 3: ["L-005", "L-007"]}
REOPENED = {"L-002": 1, "L-005": 2}  # lane -> the wave whose integration sent it back
# lines added + removed of each lane's change as it landed (git diff --numstat), by hand
LINES = {"L-001": 4, "L-002": 2, "L-003": 3, "L-004": 2, "L-005": 2, "L-006": 5, "L-007": 5}
REWRITTEN = {"L-001": 3}  # L-006 changed two of L-001's four lines and deleted one

ALPHA = 'NAME = "alpha"\nLIMIT = 1\n'


def _ok(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout) if done.stdout.startswith("{") else done.stdout


def worktree(repo: Path, lane: str) -> Path:
    return repo.parent / f"repo-{lane}"


def project(repo: Path) -> None:
    """Six small packages with a test each, in worktree mode, the gates run by real pytest."""
    _ok(lanewarden(repo, "init"))
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text().replace("single-branch", "worktrees"))
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
    write(repo, "docs/index.md", "# docs\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project", env=INTEGRATOR)
    configure(repo, GATES)


def main_commit(repo: Path, path: str, text: str) -> None:
    """The integrator's own change on the target branch."""
    write(repo, path, text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"target: {path}", env=INTEGRATOR)


def commit_ledger(repo: Path) -> None:
    if git(repo, "status", "--porcelain", "--", "PLAN.md").strip():
        git(repo, "add", "PLAN.md")
        git(repo, "commit", "-qm", "ledger", env=INTEGRATOR)


def finish_work(repo: Path, lane: str, step: str) -> None:
    """The worker's checkpoint, gate 2 on the lane's whole change, and the handoff."""
    where = worktree(repo, lane)
    env = worker(lane)
    _ok(lanewarden(where, "lane", "checkpoint", lane, "--done", step, "--next", "handoff", env=env))
    gate = lane_gate_2(where, "main", env)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    _ok(lanewarden(where, "lane", "handoff", lane, "--json", env=env))


def work(repo: Path, lane: str, files: dict[str, str]) -> None:
    """The worker commits its change in the lane's worktree, then finishes it."""
    where = worktree(repo, lane)
    for path, text in files.items():
        write(where, path, text)
        git(where, "add", "--", path)
    git(where, "commit", "-qm", f"{lane}: work", "--trailer", f"Lane: {lane}", env=worker(lane))
    finish_work(repo, lane, "change")


def rebase(repo: Path, lane: str, path: str, text: str) -> None:
    """A reopened lane's worker rebases onto the target, resolves the conflict, hands off."""
    where = worktree(repo, lane)
    done = subprocess.run(
        ["git", "rebase", "main"], cwd=where, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0, "the rebase meets the conflict the integration met"
    write(where, path, text)
    git(where, "add", "--", path)
    git(where, "-c", "core.editor=true", "rebase", "--continue", env=worker(lane))
    finish_work(repo, lane, "rebased onto the target")


def integrate(repo: Path) -> dict[str, Any]:
    commit_ledger(repo)
    body: dict[str, Any] = _ok(lanewarden(repo, "integrate", "--json", env=INTEGRATOR))
    return body


def escalate(repo: Path, lane: str, command: str) -> int:
    body = _ok(
        lanewarden(
            worktree(repo, lane),
            "escalate", lane, "--command", command, "--reason", f"{lane} needs it", "--json",
            env=worker(lane),
        )
    )  # fmt: skip
    return int(body["request"]["request"])


def build_real_run(repo: Path) -> dict[int, dict[str, Any]]:
    """Make ``repo`` the run; returns each wave's ``integrate --json`` answer."""
    project(repo)
    for lane in ("L-001", "L-002", "L-003", "L-004"):
        start_lane(repo, lane, SCOPES[lane])
    main_commit(repo, "src/beta/core.py", 'NAME = "beta"\nLIMIT = 10\n')
    work(repo, "L-001", {"src/alpha/core.py": ALPHA + "A1 = 1\nA2 = 2\nA3 = 3\nA4 = 4\n"})
    work(repo, "L-002", {"src/beta/core.py": 'NAME = "beta"\nLIMIT = 20\n'})
    work(repo, "L-003", {"src/gamma/extra.py": "X = 1\nY = 2\nZ = 3\n"})
    request = escalate(repo, "L-004", "pip install delta-tools")
    _ok(lanewarden(repo, "approve", "--request", str(request), env=ORCHESTRATOR))
    work(repo, "L-004", {"src/delta/core.py": 'NAME = "delta"\nLIMIT = 1\nD1 = 1\nD2 = 2\n'})
    waves = {1: integrate(repo)}

    for lane in ("L-005", "L-006"):
        start_lane(repo, lane, SCOPES[lane])
    main_commit(repo, "src/eps/core.py", 'NAME = "eps"\nLIMIT = 10\n')
    rebase(repo, "L-002", "src/beta/core.py", 'NAME = "beta"\nLIMIT = 20\n')
    work(repo, "L-005", {"src/eps/core.py": 'NAME = "eps"\nLIMIT = 2\n'})
    work(repo, "L-006", {"src/alpha/core.py": ALPHA + "A1 = 1\nA2 = 20\nA3 = 30\n"})
    waves[2] = integrate(repo)

    for lane in ("L-007", "L-008"):
        start_lane(repo, lane, SCOPES[lane])
    rebase(repo, "L-005", "src/eps/core.py", 'NAME = "eps"\nLIMIT = 2\n')
    work(repo, "L-007", {"docs/guide.md": "# Guide\n\none\ntwo\nthree\n"})
    escalate(repo, "L-008", "apt-get install zeta-dev")
    waves[3] = integrate(repo)
    return waves
