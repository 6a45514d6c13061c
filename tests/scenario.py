"""Building blocks for scenario tests: a repository ready for a parallel run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import git, write

if TYPE_CHECKING:
    from lanewarden.domain.coverage_map import CoverageMap

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
    # A project has a test suite: a gate that falls back to the whole suite runs it.
    write(repo, "tests/test_smoke.py", "def test_the_suite_runs():\n    pass\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "parallel-ready", env={"LANEWARDEN_ROLE": "integrator"})


def set_lock_rows(repo: Path, rows: list[str], *, accept: bool = True) -> None:
    """Replace the lock table's rows by hand, as a person editing PLAN.md would.

    With ``accept``, the orchestrator then accepts the edit (`lock accept-edit`),
    so the hooks take the new table as the registry rather than as tampering.
    """
    plan = repo / "PLAN.md"
    text = plan.read_text()
    start = text.index("| lock_id | owner | scope |")
    end = text.index("\n\n", start) if "\n\n" in text[start:] else len(text)
    plan.write_text(
        text[:start] + LEDGER_HEADER + "".join(r + "\n" for r in rows) + text[end + 1 :]
    )
    if accept:
        done = lanewarden(
            repo, "lock", "accept-edit", "--note", "test", env={"LANEWARDEN_ROLE": "orchestrator"}
        )
        assert done.returncode in (0, 2), done.stdout + done.stderr


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


def add_bare_remote(repo: Path, name: str = "origin") -> Path:
    """A bare repository beside ``repo``, added as remote ``name``, with ``main`` pushed to it."""
    remote = repo.parent / f"{repo.name}-{name}.git"
    git(repo.parent, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", name, str(remote))
    git(repo, "push", "-q", "--no-verify", name, "main")
    return remote


# -- gate evidence through real pytest sessions ------------------------------

# Hypothesis's plugin re-imports hypothesis in every in-process run: a second each.
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def ran(result: pytest.RunResult) -> set[str]:
    """Names of the tests that ran (passed or failed), from ``-v`` output."""
    return {
        line.split("::")[-1].split()[0]
        for line in result.outlines
        if "::" in line and (" PASSED" in line or " FAILED" in line)
    }


def stored_maps(root: Path) -> list[CoverageMap]:
    """The coverage maps stored in the git dir of the repository at ``root``."""
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.coverage_map import CoverageMap

    folder = Repo.discover(root).state_dir / "coverage"
    return [CoverageMap.decode(p.read_bytes()) for p in sorted(folder.glob("*.lwcov"))]


class PytestRepo:
    """A git repository inside pytester's folder, run by in-process pytest."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path
        git(self.root, "init", "-q", "-b", "main")
        git(self.root, "config", "commit.gpgsign", "false")
        self.write({".gitignore": "__pycache__/\n*.pyc\n"})

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def commit(self, message: str = "commit") -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest(*QUIET, *args)

    def evidence(self) -> list[dict[str, object]]:
        folder = self.root / ".git" / "lanewarden" / "evidence"
        return [json.loads(p.read_text()) for p in sorted(folder.glob("*/gate-*.json"))]


# --- lanes (lane start ... lane finish) ------------------------------------------------

ORCHESTRATOR = {"LANEWARDEN_ROLE": "orchestrator"}


def as_worker(lane: str) -> dict[str, str]:
    """The environment of lane ``lane``'s worker."""
    return {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": lane}


def configure(repo: Path, extra: str) -> None:
    """Append TOML lines to ``lanewarden.toml`` and commit them as the integrator."""
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    git(repo, "add", "lanewarden.toml")
    git(repo, "commit", "-qm", "configure", env={"LANEWARDEN_ROLE": "integrator"})


def start_lane(repo: Path, lane: str, *scopes: str, accept: tuple[str, ...] = ()) -> None:
    """As the orchestrator, ``lanewarden lane start`` with ``scopes`` and criteria."""
    args = ["lane", "start", lane, "--objective", f"objective of {lane}"]
    for scope in scopes:
        args += ["--scope", scope]
    for criterion in accept:
        args += ["--accept", criterion]
    done = lanewarden(repo, *args, env=ORCHESTRATOR)
    assert done.returncode == 0, done.stdout + done.stderr


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


def lane_base(repo: Path, lane: str) -> str:
    """The commit lane ``lane`` started from (``lane resume --json``)."""
    done = lanewarden(repo, "lane", "resume", lane, "--json")
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["base"])


def lane_gate_2(where: Path, base: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Gate 2 on a lane's whole change since ``base``, the run a handoff asks for."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", *QUIET, "--lw-since", base, "--lw-gate", "2"],
        cwd=where,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )


# -- the registry on a git remote: one server, several machines ----------------------


def remote_registry_server(repo: Path, registry_ref: str | None = None) -> Path:
    """``repo`` parallel-ready in remote registry mode, ``main`` pushed to a bare server."""
    make_parallel_ready(repo)
    extra = '\nregistry = "remote"\n'
    if registry_ref is not None:
        extra += f'registry_ref = "{registry_ref}"\n'
    configure(repo, extra)
    return add_bare_remote(repo)


def clone_machine(server: Path | str, where: Path) -> Path:
    """A clone of ``server`` at ``where``: one more machine of the team."""
    git(where.parent, "clone", "-q", str(server), str(where))
    return where
