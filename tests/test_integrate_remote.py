"""``integrate`` with the registry on a git remote: its ledger writes land on the remote.

The lock releases, the checkpoint fold, the "Completed lanes" entries and the
failure records of an integration run all go to the remote's ledger (fetch,
edit, push), never to this clone's copy only, which the next fetch replaces.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git
from scenario import add_bare_remote, lanewarden, start_lane
from test_integrate import INTEGRATOR, integrate, lane_commit, main_commit, project

REGISTRY_REF = "refs/lanewarden/registry"


def test_integration_entries_and_releases_land_on_the_remote_registry(repo: Path) -> None:
    project(repo)
    config = repo / "lanewarden.toml"
    remote = f'registry = "remote"\nregistry_ref = "{REGISTRY_REF}"\n\n[gates]'
    main_commit(repo, {"lanewarden.toml": config.read_text().replace("[gates]", remote)}, "remote")
    server = add_bare_remote(repo)
    for lane, scope in {"L-1": "src/alpha/", "L-5": "src/zeta/"}.items():
        start_lane(repo, lane, scope)
    lane_commit(repo, "L-1", {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 3\n'})
    lane_commit(repo, "L-5", {"src/zeta/core.py": 'NAME = "zeta"\nLIMIT = 5\n'})
    assert "L-1" in git(server, "show", f"{REGISTRY_REF}:PLAN.md")  # the lock is the remote's

    body = integrate(repo)
    assert body["integrated"] == ["L-1", "L-5"]
    on_server = git(server, "show", f"{REGISTRY_REF}:PLAN.md")
    assert "## Completed lanes" in on_server
    assert "### L-1 integrated" in on_server
    assert "### L-5 integrated" in on_server
    assert f"- run: {body['run']}" in on_server
    # The copy here is the remote's ledger, and the locks are released there, as integrated.
    copy = repo / ".git" / "lanewarden" / "registry" / "PLAN.md"
    assert copy.read_text(encoding="utf-8") == on_server
    listed = lanewarden(repo, "lock", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["locks"] == []
    # Another machine sees the same ledger after one sync.
    other = repo.parent / "other"
    git(repo.parent, "clone", "-q", str(server), str(other))
    assert lanewarden(other, "sync", env=INTEGRATOR).returncode == 0
    theirs = other / ".git" / "lanewarden" / "registry" / "PLAN.md"
    assert "### L-5 integrated" in theirs.read_text(encoding="utf-8")


def test_push_is_refused_up_front_while_the_registry_is_the_target_branch(repo: Path) -> None:
    """Each lock change is a commit on the remote's main: the push could never fast-forward."""
    project(repo)
    config = repo / "lanewarden.toml"
    remote = 'registry = "remote"\n\n[gates]'
    main_commit(repo, {"lanewarden.toml": config.read_text().replace("[gates]", remote)}, "remote")
    server = add_bare_remote(repo)
    start_lane(repo, "L-1", "src/alpha/")
    lane_commit(repo, "L-1", {"src/alpha/core.py": 'NAME = "alpha"\nLIMIT = 3\n'})
    before = git(repo, "rev-parse", "HEAD").strip()
    on_server = git(server, "rev-parse", "main").strip()

    done = lanewarden(repo, "integrate", "--push", "--json", env=INTEGRATOR)
    assert done.returncode == 2, done.stdout + done.stderr
    error = json.loads(done.stdout)["error"]
    assert "--push cannot work" in error["message"]
    assert 'registry_ref = "refs/lanewarden/registry"' in error["fix"]
    assert git(repo, "rev-parse", "HEAD").strip() == before  # nothing was applied
    assert git(server, "rev-parse", "main").strip() == on_server
    # Without --push the wave integrates; the push is then the integrator's, after a pull.
    assert integrate(repo)["integrated"] == ["L-1"]
