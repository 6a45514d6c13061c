"""Textual conflicts in single-branch mode, where the integrator commits each lane's patch.

There a lane's handoff is of commits already on the target: applying it is
the integrator's commit of the patch, made before ``integrate`` runs, so
``integrate`` applies nothing and has no apply conflict. Locks are
exclusive, so no other lane can hand off a change of its paths: undoing a lane
in place (``git revert``) cannot conflict with another lane's patch. It can
conflict with a commit that skipped the hooks; then the undo is all or
nothing (tree id checked), the lane is reopened with the conflicting paths,
and the run pauses for the integrator, who resolves the revert and continues.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import git, write
from scenario import lane_gate_2, lanewarden, start_lane
from test_integrate import INTEGRATOR, commit_ledger, integrate, main_commit, project, states

EPS_TEST = (
    "from eps.core import LIMIT, NAME\n\n\n"
    "def test_name():\n    assert NAME == 'eps'\n\n\n"
    "def test_limit():\n    assert LIMIT == 1, 'eps limit must stay 1'\n"
)


def integrator_applies(repo: Path, lane: str, files: dict[str, str]) -> None:
    """The integrator commits the lane's patch on the target; the worker hands it off."""
    for path, text in files.items():
        write(repo, path, text)
    git(repo, "add", "-A")
    as_lane = {**INTEGRATOR, "LANEWARDEN_LANE": lane}
    git(repo, "commit", "-qm", f"{lane}: work", "--trailer", f"Lane: {lane}", env=as_lane)
    worker = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": lane}
    assert lane_gate_2(repo, "HEAD~1", worker).returncode == 0
    done = lanewarden(repo, "lane", "handoff", lane, env=worker)
    assert done.returncode == 0, done.stdout + done.stderr


def three_lanes(repo: Path) -> None:
    project(repo, "single-branch")
    for lane, scope in {"L-1": "src/alpha/", "L-3": "src/eps/", "L-5": "src/zeta/"}.items():
        start_lane(repo, lane, scope)
    commit_ledger(repo)
    integrator_applies(repo, "L-1", {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 1\nMORE = 2\n'})
    integrator_applies(repo, "L-3", {"src/eps/core.py": 'NAME = "eps"\nLIMIT = 2\n'})


def test_no_second_lane_can_hand_off_a_change_of_a_locked_path(repo: Path) -> None:
    """The proof that two lanes' patches never overlap: the handoff refuses the foreign path."""
    three_lanes(repo)
    # L-5's patch also changes L-3's line, committed with L-5's trailer (hooks not installed).
    write(repo, "src/zeta/core.py", 'NAME = "zeta"\nLIMIT = 5\n')
    write(repo, "src/eps/core.py", 'NAME = "eps"\nLIMIT = 3\n')
    git(repo, "add", "-A")
    as_lane = {**INTEGRATOR, "LANEWARDEN_LANE": "L-5"}
    git(repo, "commit", "-qm", "L-5: work", "--trailer", "Lane: L-5", env=as_lane)
    worker = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-5"}
    assert lane_gate_2(repo, "HEAD~1", worker).returncode == 0
    refused = lanewarden(repo, "lane", "handoff", "L-5", "--json", env=worker)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    violations = json.loads(refused.stdout)["violations"]
    assert {v["rule"] for v in violations} == {"handoff-incomplete"}
    assert {v["path"] for v in violations} == {"src/eps/core.py"}
    assert any("foreign-lock" in v["message"] and "L-3" in v["message"] for v in violations)
    body = integrate(repo, "L-5", code=1)
    assert [v["rule"] for v in body["violations"]] == ["integrate-no-handoff"]
    # The lanes handed off are on the target already: nothing is applied, nothing conflicts.
    body = integrate(repo, "L-1", "L-3")
    assert [s["status"] for s in body["steps"] if s["step"] == "apply"] == ["on-target"] * 2
    assert all(not o["conflict_paths"] for o in body["lanes"])


def test_an_undo_conflicting_with_a_commit_that_skipped_the_hooks_pauses_the_run(
    repo: Path,
) -> None:
    three_lanes(repo)
    integrator_applies(repo, "L-5", {"src/zeta/core.py": 'NAME = "zeta"\nLIMIT = 5\n'})
    # A commit outside every lane changes L-3's line (the hooks would have refused it),
    # and the target gets a test L-3's change fails.
    main_commit(repo, {"src/eps/core.py": 'NAME = "eps"\nLIMIT = 3\n'}, "no lane: eps limit")
    main_commit(repo, {"tests/test_eps.py": EPS_TEST}, "target: eps limit test")
    before = git(repo, "rev-parse", "HEAD").strip()
    before_tree = git(repo, "rev-parse", "HEAD^{tree}").strip()

    paused = integrate(repo, code=1)
    [violation] = paused["violations"]
    assert violation["rule"] == "integrate-undo-conflict"
    assert violation["lock"] == "L-3"
    assert violation["path"] == "src/eps/core.py"
    assert "no lane: eps limit" in violation["message"]
    assert "lanewarden integrate --continue" in violation["fix"]
    # All or nothing: the branch is exactly where it was, the work tree clean.
    assert git(repo, "rev-parse", "HEAD").strip() == before
    assert git(repo, "rev-parse", "HEAD^{tree}").strip() == before_tree
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert states(repo)["L-3"] == "reopened"
    resume = json.loads(lanewarden(repo, "lane", "resume", "L-3", "--json").stdout)
    signature = resume["integration_failures"][0]["signature"]
    assert "tests/test_eps.py::test_limit" in signature
    assert "its revert conflicts in src/eps/core.py" in signature
    refused = integrate(repo, code=1)  # the run is paused, not over
    assert [v["rule"] for v in refused["violations"]] == ["integrate-in-progress"]
    unresolved = integrate(repo, "--continue", code=1)  # nothing reverted yet: still paused
    assert unresolved["violations"] == paused["violations"]

    # The integrator resolves the revert by hand, as the fix says, and continues.
    l3 = git(repo, "log", "--format=%H", "--grep", "^L-3: work").split()
    git(repo, "revert", "--no-commit", l3[0], check=False)
    write(repo, "src/eps/core.py", 'NAME = "eps"\nLIMIT = 1\n')
    git(repo, "add", "-A")
    by = re.search(r"'Integrated-by: ([^']+)'", violation["fix"])
    assert by is not None
    git(
        repo, "commit", "-qm", "Revert L-3 by hand",
        "--trailer", "Lane: L-3", "--trailer", f"Integrated-by: {by[1]}", env=INTEGRATOR,
    )  # fmt: skip
    body = integrate(repo, "--continue")
    assert body["integrated"] == ["L-1", "L-5"]
    assert body["reopened"] == ["L-3"]
    assert {o["lane"]: o["conflict_paths"] for o in body["lanes"]}["L-3"] == ["src/eps/core.py"]
    assert lanewarden(repo, "gate", "run", "3", env=INTEGRATOR).returncode == 0
    assert states(repo) == {"L-1": "integrated", "L-3": "reopened", "L-5": "integrated"}


def test_a_commit_of_someone_else_is_not_taken_on_after_a_pause(repo: Path) -> None:
    three_lanes(repo)
    main_commit(repo, {"src/eps/core.py": 'NAME = "eps"\nLIMIT = 3\n'}, "no lane: eps limit")
    main_commit(repo, {"tests/test_eps.py": EPS_TEST}, "target: eps limit test")
    integrate(repo, code=1)
    main_commit(repo, {"NOTES.md": "someone else\n"}, "someone else, no trailer")
    refused = integrate(repo, "--continue", code=1)
    assert [v["rule"] for v in refused["violations"]] == ["integrate-moved"]
