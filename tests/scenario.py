"""Building blocks for scenario tests: a repository ready for a parallel run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import git, write

LEDGER_HEADER = (
    "| lock_id | owner | scope | objective | start | heartbeat | expires |\n"
    "|---|---|---|---|---|---|---|\n"
)


def lanewarden(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    """Run the real ``lanewarden`` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "lanewarden", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        check=False,
    )


def make_parallel_ready(repo: Path) -> None:
    """``lanewarden init`` and a commit: the bootstrap check passes from here on."""
    done = lanewarden(repo, "init")
    assert done.returncode == 0, done.stdout + done.stderr
    for path in (
        "src/app/models.py",
        "src/app/views.py",
        "src/app/skip.py",
        "src/lib/core.py",
        "docs/guide.md",
        "docs/with space.md",
    ):
        write(repo, path)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "parallel-ready", env={"LANEWARDEN_ROLE": "integrator"})


def set_lock_rows(repo: Path, rows: list[str]) -> None:
    """Replace the lock table's rows by hand, as a person editing PLAN.md would."""
    plan = repo / "PLAN.md"
    text = plan.read_text()
    start = text.index("| lock_id | owner | scope |")
    end = text.index("\n\n", start) if "\n\n" in text[start:] else len(text)
    plan.write_text(
        text[:start] + LEDGER_HEADER + "".join(r + "\n" for r in rows) + text[end + 1 :]
    )


TWO_LANES = (("L-001", "src/app/"), ("L-002", "src/lib/"))


def acquire_lock(repo: Path, lock_id: str, *scopes: str) -> None:
    """As the orchestrator, give ``lock_id`` the ``scopes`` (the ledger is not committed)."""
    args = ["lock", "acquire", lock_id, "--owner", "a", "--objective", "o"]
    for scope in scopes:
        args += ["--scope", scope]
    done = lanewarden(repo, *args, env={"LANEWARDEN_ROLE": "orchestrator"})
    assert done.returncode == 0, done.stderr


def acquire_two_lanes(repo: Path) -> None:
    """As the orchestrator: L-001 on ``src/app/``, L-002 on ``src/lib/``; the ledger committed."""
    for lock_id, scope in TWO_LANES:
        acquire_lock(repo, lock_id, scope)
    git(repo, "add", "PLAN.md")
    git(repo, "commit", "-q", "-m", "locks", env={"LANEWARDEN_ROLE": "integrator"})


def make_pushable(repo: Path, remote: Path) -> None:
    """Hooks installed, L-001 and L-002 committed on main, main pushed to the bare ``remote``.

    ``repo`` already has a commit; it becomes parallel-ready here.
    """
    make_parallel_ready(repo)
    done = lanewarden(repo, "hooks", "install")
    assert done.returncode == 0, done.stderr
    acquire_two_lanes(repo)
    git(remote.parent, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "--no-verify", "origin", "main")


def record_evidence(repo: Path, rev: str, gate: str) -> None:
    """Passing evidence for ``gate`` on ``rev``'s tree, as `lanewarden gate run` records it."""
    from lanewarden.adapters.evidence_store import write_evidence
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.evidence import Evidence

    tree = git(repo, "rev-parse", f"{rev}^{{tree}}").strip()
    write_evidence(
        Repo.discover(repo),
        Evidence(gate=gate, status="passed", tree=tree, time="2026-11-28T10:00:00.000000Z"),
    )
