"""Gate 3's culprit isolation end to end: real git, real lanes, real pytest gates.

Semantic drift between two lanes (runbook § 12): L-2 makes delta's ``LIMIT``
read gamma's data file (still ``1``: its gate 2, which runs eps's tests that
import delta, passes); L-4 then changes that data file (its gate 2 runs
gamma's tests: they pass). Together they break eps's test of delta's limit,
which only gate 3 runs. The import graph maps that test to L-2 alone (test
scope), or, when eps's test also imports zeta (changed by L-3), to two lanes,
and the wave is bisected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import git, write
from scenario import configure, lanewarden, start_lane
from test_integrate import GATES, INTEGRATOR, commit_ledger, integrate, lane_commit, states

FAILING = "tests/test_eps.py::test_delta_limit"
DRIFT = {
    "L-1": {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 1\nMORE = 2\n'},
    "L-2": {
        "src/delta/core.py": "from pathlib import Path\n\n"
        'NAME = "delta"\n'
        'LIMIT = int((Path(__file__).parent.parent / "gamma" / "config.txt").read_text())\n'
    },
    "L-3": {"src/zeta/core.py": 'NAME = "zeta"\nLIMIT = 1\nMORE = 3\n'},
    "L-4": {"src/gamma/config.txt": "2\n"},
}
SCOPES = {"L-1": "src/alpha/", "L-2": "src/delta/", "L-3": "src/zeta/", "L-4": "src/gamma/"}


def drift_project(repo: Path, *, eps_imports_zeta: bool, mode: str = "worktrees") -> None:
    """Five packages; eps's test checks delta's limit (and, when asked, imports zeta)."""
    done = lanewarden(repo, "init")
    assert done.returncode == 0, done.stdout + done.stderr
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text().replace("single-branch", mode))
    write(repo, ".gitignore", "__pycache__/\n*.pyc\n")
    write(repo, "pytest.ini", "[pytest]\npythonpath = src\ntestpaths = tests\n")
    for name in ("alpha", "gamma", "delta", "eps", "zeta"):
        write(repo, f"src/{name}/__init__.py", "")
        write(repo, f"src/{name}/core.py", f'NAME = "{name}"\nLIMIT = 1\n')
        write(
            repo,
            f"tests/test_{name}.py",
            f"from {name}.core import NAME\n\n\ndef test_name():\n    assert NAME == {name!r}\n",
        )
    write(repo, "src/gamma/config.txt", "1\n")
    zeta = "from zeta.core import NAME as ZETA\n" if eps_imports_zeta else ""
    write(
        repo,
        "tests/test_eps.py",
        f"from delta.core import LIMIT\nfrom eps.core import NAME\n{zeta}\n\n"
        "def test_name():\n    assert NAME == 'eps'\n\n\n"
        "def test_delta_limit():\n    assert LIMIT == 1, 'eps needs a delta limit of 1'\n",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project", env=INTEGRATOR)
    configure(repo, GATES)
    for lane, scope in SCOPES.items():
        start_lane(repo, lane, scope)
    if mode == "single-branch":
        from test_integrate_single_branch import integrator_applies

        commit_ledger(repo)
        for lane, files in DRIFT.items():
            integrator_applies(repo, lane, files)
        return
    for lane, files in DRIFT.items():  # handed off in this order: L-2 before L-4
        lane_commit(repo, lane, files)
    commit_ledger(repo)


def evidence(repo: Path) -> set[tuple[str, str, str]]:
    """Every gate record kept: (tree, gate, status)."""
    folder = repo / ".git" / "lanewarden" / "evidence"
    found = set()
    for path in folder.glob("*/gate-*.json"):
        data = json.loads(path.read_text())
        found.add((data["tree"], data["gate"], data["status"]))
    return found


def gate_3_steps(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in body["steps"] if s["step"] == "gate3"]


def check_culprit_sent_back(repo: Path, body: dict[str, Any], culprit: str, start: str) -> None:
    """Reverted with ``git revert`` (recorded), reopened with the test, the end green."""
    by_lane = {o["lane"]: o for o in body["lanes"]}
    outcome = by_lane[culprit]
    assert outcome["outcome"] == "reverted"
    assert outcome["reason"] == "gate-3"
    assert outcome["failing_tests"] == [FAILING]
    assert len(outcome["commits"]) == len(outcome["revert_commits"]) == 1
    revert = git(repo, "log", "-1", "--format=%B", outcome["revert_commits"][0])
    assert f"This reverts commit {outcome['commits'][0]}." in revert
    assert f"Lane: {culprit}" in revert
    assert git(repo, "merge-base", "--is-ancestor", outcome["revert_commits"][0], "HEAD") == ""
    assert states(repo)[culprit] == "reopened"
    resume = json.loads(lanewarden(repo, "lane", "resume", culprit, "--json").stdout)
    signature = resume["integration_failures"][0]["signature"]
    assert signature.startswith("gate-3: ")
    assert f"{FAILING}: AssertionError: eps needs a delta limit of 1" in signature
    # Every gate-3 run, isolation's included, is evidence for the tree it ran on.
    kept = evidence(repo)
    for step in gate_3_steps(body):
        assert (step["tree"], "3", step["status"]) in kept
    assert gate_3_steps(body)[0]["status"] == "failed"
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    final = lanewarden(repo, "gate", "run", "3", env=INTEGRATOR)
    assert final.returncode == 0, final.stdout + final.stderr
    assert git(repo, "rev-list", "--count", f"{start}..HEAD").strip() != "0"


def test_the_test_scope_names_the_one_culprit_and_one_run_confirms_it(repo: Path) -> None:
    drift_project(repo, eps_imports_zeta=False)
    start = git(repo, "rev-parse", "HEAD").strip()

    body = integrate(repo)
    assert body["integrated"] == ["L-1", "L-3", "L-4"]
    assert body["reverted"] == ["L-2"]
    assert body["reopened"] == []
    # The scope named L-2 alone: one confirmation run without it, no bisection.
    assert body["isolation"] == {"culprits": ["L-2"], "by_scope": ["L-2"], "runs": 1}
    runs = gate_3_steps(body)
    assert [s.get("lanes") for s in runs] == [None, ["L-1", "L-3", "L-4"]]
    assert [s["status"] for s in runs] == ["failed", "passed"]
    record = json.loads(Path(body["record"]).read_text())
    assert record["gate3_runs"] == 2
    assert record["isolation"] == body["isolation"]
    check_culprit_sent_back(repo, body, "L-2", start)
    assert (repo / "src/gamma/config.txt").read_text() == "2\n"  # L-4 stays
    assert (repo / "src/delta/core.py").read_text() == 'NAME = "delta"\nLIMIT = 1\n'
    # The tree isolation confirmed is the tree the wave ended on (before the ledger commit).
    assert runs[1]["tree"] == git(repo, "rev-parse", "HEAD~1^{tree}").strip()


def test_a_test_reaching_two_lanes_is_bisected_over_prefixes(repo: Path) -> None:
    drift_project(repo, eps_imports_zeta=True)
    start = git(repo, "rev-parse", "HEAD").strip()

    body = integrate(repo)
    # eps's test reaches L-2 (delta) and L-3 (zeta): no single lane named, so bisection:
    # prefixes [L-1, L-2] and [L-1, L-2, L-3] pass, so L-4 is the culprit, and the
    # wave without it is that last prefix, not run again.
    assert body["isolation"] == {"culprits": ["L-4"], "by_scope": [], "runs": 2}
    runs = gate_3_steps(body)
    assert [s.get("lanes") for s in runs] == [None, ["L-1", "L-2"], ["L-1", "L-2", "L-3"]]
    assert [s["status"] for s in runs] == ["failed", "passed", "passed"]
    record = json.loads(Path(body["record"]).read_text())
    assert record["gate3_runs"] == 3
    assert record["isolation"] == {"culprits": ["L-4"], "by_scope": [], "runs": 2}
    assert body["integrated"] == ["L-1", "L-2", "L-3"]
    assert body["reverted"] == ["L-4"]
    check_culprit_sent_back(repo, body, "L-4", start)
    assert (repo / "src/gamma/config.txt").read_text() == "1\n"


def test_the_plan_predicts_no_overlap_for_the_drift(repo: Path) -> None:
    """The drift is semantic: no two lanes change the same path, so no conflict warns of it."""
    drift_project(repo, eps_imports_zeta=False)
    plan = integrate(repo, "--dry-run")
    assert [q["lane"] for q in plan["plan"]] == ["L-1", "L-2", "L-3", "L-4"]
    assert plan["overlaps"] == []
    # L-2's gate 2 runs eps's test (it imports delta); L-4's does not (a data file of gamma).
    gate_2 = {q["lane"]: q["gate2"]["test_files"] for q in plan["plan"]}
    assert "tests/test_eps.py" in gate_2["L-2"]
    assert "tests/test_eps.py" not in gate_2["L-4"]


def test_in_single_branch_mode_the_drift_fails_the_lanes_own_gate_2_in_place(
    repo: Path,
) -> None:
    """Every lane is on the target before the run: L-2 is gated with L-4's change in its tree."""
    drift_project(repo, eps_imports_zeta=False, mode="single-branch")
    body = integrate(repo)
    assert body["integrated"] == ["L-1", "L-3", "L-4"]
    assert body["reopened"] == ["L-2"]
    assert body["isolation"] is None  # gate 3 passed at once
    l2 = {o["lane"]: o for o in body["lanes"]}["L-2"]
    assert (l2["reason"], l2["failing_tests"]) == ("gate-2", [FAILING])
    assert len(l2["revert_commits"]) == 1
    assert [s["status"] for s in gate_3_steps(body)] == ["passed"]
    assert (repo / "src/delta/core.py").read_text() == 'NAME = "delta"\nLIMIT = 1\n'
