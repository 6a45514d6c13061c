"""A ledger or policy file that is a symlink stays a link; its target gets the writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import git
from scenario import lanewarden, make_parallel_ready

ORCH = {"LANEWARDEN_ROLE": "orchestrator"}


def link(repo: Path, name: str, target: Path, *, relative: bool) -> None:
    """Move ``repo/name`` to ``target`` and leave a symlink to it in its place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    (repo / name).rename(target)
    pointer = os.path.relpath(target, repo) if relative else str(target)
    (repo / name).symlink_to(pointer)


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_lock_acquire_writes_through_a_symlinked_ledger(
    repo: Path, tmp_path: Path, relative: bool
) -> None:
    make_parallel_ready(repo)
    target = (repo / "plans" / "ledger.md") if relative else (tmp_path / "outside" / "PLAN.md")
    link(repo, "PLAN.md", target, relative=relative)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "ledger moved", env={"LANEWARDEN_ROLE": "integrator"})
    before = os.readlink(repo / "PLAN.md")
    done = lanewarden(
        repo, "lock", "acquire", "L-001", "--owner", "a", "--objective", "o",
        "--scope", "src/app/", env=ORCH,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (repo / "PLAN.md").is_symlink()
    assert os.readlink(repo / "PLAN.md") == before
    assert "| L-001 | a | `src/app/` | o |" in target.read_text()
    listed = json.loads(lanewarden(repo, "lock", "list", "--json").stdout)
    assert [lock["lock_id"] for lock in listed["locks"]] == ["L-001"]
    # No temporary file is left beside the link or the target.
    assert sorted(p.name for p in target.parent.iterdir() if p.name.startswith(".")) == []


def test_a_chain_of_links_is_followed_to_its_end(repo: Path) -> None:
    make_parallel_ready(repo)
    link(repo, "PLAN.md", repo / "a" / "real.md", relative=True)
    (repo / "b").mkdir()
    (repo / "b" / "hop.md").symlink_to("../a/real.md")
    (repo / "PLAN.md").unlink()
    (repo / "PLAN.md").symlink_to("b/hop.md")
    done = lanewarden(
        repo, "lock", "acquire", "L-001", "--owner", "a", "--objective", "o",
        "--scope", "src/app/", env=ORCH,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (repo / "PLAN.md").is_symlink()
    assert (repo / "b" / "hop.md").is_symlink()
    assert "| L-001 |" in (repo / "a" / "real.md").read_text()


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_init_completes_symlinked_policy_and_ledger_files(repo: Path, relative: bool) -> None:
    # The policy file must stay inside the repository, so both targets are in it.
    shared = repo / "shared"
    shared.mkdir()
    (shared / "AGENTS.md").write_text("# Agents\n\nOur own words.\n")
    (shared / "PLAN.md").write_text("# Plan\n\nNotes kept by hand.\n")
    for name in ("AGENTS.md", "PLAN.md"):
        pointer = os.path.relpath(shared / name, repo) if relative else str(shared / name)
        (repo / name).symlink_to(pointer)
    done = lanewarden(repo, "init")
    assert done.returncode == 0, done.stderr
    for name in ("AGENTS.md", "PLAN.md"):
        assert (repo / name).is_symlink(), name
    assert (shared / "AGENTS.md").read_text().startswith("# Agents\n\nOur own words.\n")
    assert "worklog" in (shared / "AGENTS.md").read_text().lower()
    plan = (shared / "PLAN.md").read_text()
    assert plan.startswith("# Plan\n\nNotes kept by hand.\n")
    assert "| lock_id | owner | scope | objective | start | heartbeat | expires |" in plan
