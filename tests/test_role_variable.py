"""An unknown ``LANEWARDEN_ROLE`` is refused by every command that acts on the role.

A typo in the role (``orchestrater``) must never fall back to some role:
each command whose rights depend on the role stops with exit 2, naming the
variable and the valid roles, before it writes anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready

ZERO = "0" * 40

COMMANDS = [
    ("lock", "acquire", "L-003", "--owner", "a", "--scope", "docs/", "--objective", "o"),
    ("lock", "heartbeat", "L-001"),
    ("lock", "release", "L-001"),
    ("lock", "reclaim", "L-001", "--owner", "b", "--note", "n"),
    ("lock", "accept-edit", "--note", "n"),
    ("hook", "pre-commit"),
    ("hook", "pre-commit", "--json"),
    ("hook", "commit-msg", ".git/MSG"),
    ("hook", "prepare-commit-msg", ".git/MSG", "commit", "HEAD"),
    ("hook", "pre-merge-commit"),
    ("hook", "pre-push", "origin", "/nowhere.git"),
    ("approve", "--action", "force-push", "--ref", "main", "--reason", "r"),
    ("approve", "--request", "1"),
    ("audit", "anchor", "--note", "n"),
    ("gate", "run", "1"),
    ("lane", "start", "L-009", "--objective", "o", "--scope", "z/"),
    ("lane", "checkpoint", "L-001", "--done", "d", "--next", "n"),
    ("lane", "handoff", "L-001"),
    ("lane", "finish", "L-001"),
    ("escalate", "L-001", "--command", "c", "--reason", "r"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("role") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "README.md", "# test\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial")
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    return repo


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("role", ["orchestrater", "Orchestrator"])
def test_an_unknown_role_is_named_and_nothing_is_written(
    template: Path, args: tuple[str, ...], role: str
) -> None:
    write(template, "src/app/new.py")
    git(template, "add", "src/app/new.py")
    (template / ".git" / "MSG").write_text("change\n")
    before = (template / "PLAN.md").read_bytes()
    head = git(template, "rev-parse", "HEAD").strip()
    stdin = f"refs/heads/main {head} refs/heads/main {ZERO}\n" if "pre-push" in args else ""
    done = lanewarden(template, *args, env={"LANEWARDEN_ROLE": role}, stdin=stdin)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"LANEWARDEN_ROLE={role!r} is not a role" in done.stdout + done.stderr
    assert "orchestrator" in done.stdout + done.stderr  # the valid roles are listed
    assert (template / "PLAN.md").read_bytes() == before
