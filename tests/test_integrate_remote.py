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
