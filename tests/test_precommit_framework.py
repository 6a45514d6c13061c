"""The published hooks through the real pre-commit framework (``pre-commit try-repo``).

SLOW: the first test builds pre-commit's virtualenv for this repository
(pip installs lanewarden and its dependencies from PyPI, a minute or so);
the others reuse it through one ``PRE_COMMIT_HOME`` for the session. The
repository under test is a snapshot of this work tree's files (tracked and
untracked, not ignored), committed in a temporary repository, so the hooks
are tried exactly as they stand now.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.evidence_store import write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.domain.evidence import Evidence
from scenario import acquire_lock, make_parallel_ready

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parents[1]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
WORKER_L1 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a snapshot of this repository committed in a temporary repository, PRE_COMMIT_HOME)."""
    base = tmp_path_factory.mktemp("framework")
    snapshot = base / "lanewarden"
    env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HOME": str(base),
        "PATH": os.environ["PATH"],
    }
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=HERE,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = HERE / os.fsdecode(name)
        if source.is_file():
            target = snapshot / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        [
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "snapshot",
        ],
    ):
        subprocess.run(["git", *args], cwd=snapshot, env=env, check=True, capture_output=True)
    return snapshot, base / "pre-commit-home"


@pytest.fixture
def target(repo: Path) -> Path:
    """A repository ready for a parallel run with lock L-001 on ``src/app/``."""
    make_parallel_ready(repo)
    acquire_lock(repo, "L-001", "src/app/")
    git(repo, "add", "PLAN.md")
    git(repo, "commit", "-qm", "locks", env=INTEGRATOR)
    return repo


def try_repo(
    hook_repo: tuple[Path, Path], cwd: Path, hook: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    snapshot, home = hook_repo
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(snapshot), hook, "--verbose", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), **env},
    )


def test_pre_commit_hook(hook_repo: tuple[Path, Path], target: Path) -> None:
    write(target, "src/app/models.py", "inside\n")
    git(target, "add", "-A")
    worker = try_repo(hook_repo, target, "lanewarden-pre-commit", env=WORKER_L1)
    assert worker.returncode == 1, worker.stdout  # a worker on main: integrator-only
    assert "integrator-only" in worker.stdout
    write(target, "docs/guide.md", "outside\n")
    git(target, "add", "-A")
    integrator = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"}
    refused = try_repo(hook_repo, target, "lanewarden-pre-commit", env=integrator)
    assert refused.returncode == 1, refused.stdout
    assert "out-of-scope: docs/guide.md" in refused.stdout
    git(target, "restore", "--staged", "docs/guide.md")
    done = try_repo(hook_repo, target, "lanewarden-pre-commit", env=integrator)
    assert done.returncode == 0, done.stdout


def test_commit_msg_hook(hook_repo: tuple[Path, Path], target: Path, tmp_path: Path) -> None:
    write(target, "src/app/models.py", "inside\n")
    git(target, "add", "-A")
    message = tmp_path / "COMMIT_EDITMSG"
    message.write_text("work\n")
    args = ("--hook-stage", "commit-msg", "--commit-msg-filename", str(message))
    refused = try_repo(hook_repo, target, "lanewarden-commit-msg", *args, env=WORKER_L1)
    assert refused.returncode == 1, refused.stdout
    assert "missing-trailer" in refused.stdout
    message.write_text("work\n\nLane: L-001\n")
    done = try_repo(hook_repo, target, "lanewarden-commit-msg", *args, env=WORKER_L1)
    assert done.returncode == 0, done.stdout


def test_pre_push_hook(hook_repo: tuple[Path, Path], target: Path) -> None:
    base = git(target, "rev-parse", "HEAD").strip()
    git(target, "switch", "-q", "-c", "lane/L-001")
    write(target, "src/app/models.py", "inside\n")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "work", "--trailer", "Lane: L-001", env=WORKER_L1)
    tip = git(target, "rev-parse", "HEAD").strip()
    args = (
        "--hook-stage",
        "pre-push",
        "--from-ref",
        base,
        "--to-ref",
        tip,
        "--remote-branch",
        "refs/heads/lane/L-001",
        "--local-branch",
        "refs/heads/lane/L-001",
        "--remote-name",
        "origin",
        "--remote-url",
        "file:///nowhere",
    )
    refused = try_repo(hook_repo, target, "lanewarden-pre-push", *args, env=WORKER_L1)
    assert refused.returncode == 1, refused.stdout
    assert "missing-evidence" in refused.stdout
    tree = git(target, "rev-parse", "HEAD^{tree}").strip()
    write_evidence(
        Repo.discover(target),
        Evidence(gate="2", status="passed", tree=tree, time="2026-11-28T10:00:00.000000Z"),
    )
    done = try_repo(hook_repo, target, "lanewarden-pre-push", *args, env=WORKER_L1)
    assert done.returncode == 0, done.stdout


@pytest.fixture
def two_lanes(target: Path) -> Path:
    """``target`` with L-002 on ``src/lib/``, whose commit is HEAD of branch ``work``."""
    acquire_lock(target, "L-002", "src/lib/")
    git(target, "add", "PLAN.md")
    git(target, "commit", "-qm", "locks", env=INTEGRATOR)
    git(target, "switch", "-q", "-c", "work")
    write(target, "src/lib/core.py", "L-002's work\n")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "lib\n\nLane: L-002", "--no-verify")
    return target


def test_prepare_commit_msg_hook(hook_repo: tuple[Path, Path], two_lanes: Path) -> None:
    message = two_lanes / ".git" / "COMMIT_EDITMSG"
    message.write_text("mine\n\nLane: L-001\n")
    stage = ("--hook-stage", "prepare-commit-msg", "--commit-msg-filename", str(message))
    # Not run by git: the hook goes by git's arguments, `commit HEAD` for an amend.
    amend = (*stage, "--prepare-commit-message-source", "commit", "--commit-object-name", "HEAD")
    refused = try_repo(hook_repo, two_lanes, "lanewarden-prepare-commit-msg", *amend, env=WORKER_L1)
    assert refused.returncode == 1, refused.stdout
    assert "foreign-lock: src/lib/core.py" in refused.stdout
    plain = (*stage, "--prepare-commit-message-source", "message")
    done = try_repo(hook_repo, two_lanes, "lanewarden-prepare-commit-msg", *plain, env=WORKER_L1)
    assert done.returncode == 0, done.stdout


def test_pre_merge_commit_hook(hook_repo: tuple[Path, Path], two_lanes: Path) -> None:
    git(two_lanes, "switch", "-q", "main")
    git(two_lanes, "merge", "-q", "--no-ff", "--no-commit", "work", env=INTEGRATOR)
    args = ("--hook-stage", "pre-merge-commit")
    worker = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-002"}
    refused = try_repo(hook_repo, two_lanes, "lanewarden-pre-merge-commit", *args, env=worker)
    assert refused.returncode == 1, refused.stdout
    assert "integrator-only" in refused.stdout
    integrator = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-002"}
    done = try_repo(hook_repo, two_lanes, "lanewarden-pre-merge-commit", *args, env=integrator)
    assert done.returncode == 0, done.stdout


def test_installed_by_the_framework_the_hooks_see_amends_and_merges(
    hook_repo: tuple[Path, Path], two_lanes: Path
) -> None:
    snapshot, home = hook_repo
    rev = git(snapshot, "rev-parse", "HEAD").strip()
    (two_lanes / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snapshot}\n    rev: {rev}\n    hooks:\n"
        "      - id: lanewarden-prepare-commit-msg\n"
        "      - id: lanewarden-pre-merge-commit\n"
    )
    framework = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    subprocess.run(
        [
            *PRE_COMMIT,
            "install",
            "--hook-type",
            "prepare-commit-msg",
            "--hook-type",
            "pre-merge-commit",
        ],
        cwd=two_lanes,
        env=framework,
        check=True,
        capture_output=True,
    )

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args],
            cwd=two_lanes,
            capture_output=True,
            text=True,
            env={**framework, **env},
            check=False,
        )

    # `--amend -m` gets the same hook arguments as a plain commit: the framework's
    # hook reads git's command line through the framework's own process.
    relabel = run("commit", "--amend", "-m", "mine\n\nLane: L-001", env=WORKER_L1)
    assert relabel.returncode != 0, relabel.stdout
    assert "foreign-lock: src/lib/core.py" in relabel.stdout + relabel.stderr
    assert "Lane: L-002" in git(two_lanes, "log", "-1", "--format=%B")
    git(two_lanes, "switch", "-q", "main")
    worker = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-002"}
    merge = run("merge", "--no-ff", "-m", "m", "-m", "Lane: L-002", "work", env=worker)
    assert merge.returncode != 0
    assert "integrator-only" in merge.stdout + merge.stderr
    git(two_lanes, "merge", "--abort")
    integrator = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-002"}
    done = run("merge", "--no-ff", "-m", "m", "-m", "Lane: L-002", "work", env=integrator)
    assert done.returncode == 0, done.stdout + done.stderr
