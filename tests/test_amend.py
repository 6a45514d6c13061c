"""Amends through real git: the amended commit's paths count as the new commit's.

``git commit --amend`` replaces HEAD, so the new commit's change includes
HEAD's own. The prepare-commit-msg hook judges that whole change; git runs it
even under ``--no-verify``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready

WORKER_L1 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
WORKER_L2 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-002"}


@pytest.fixture
def shared(repo: Path) -> Path:
    """Hooks installed; L-001 holds ``src/app/``, L-002 ``src/lib/``; L-002 committed last."""
    make_parallel_ready(repo)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    acquire_two_lanes(repo)
    git(repo, "switch", "-q", "-c", "work")
    write(repo, "src/lib/core.py", "L-002's work\n")
    git(repo, "add", "-A")
    done = run_git(
        repo, "commit", "-q", "-m", "lib work", "--trailer", "Lane: L-002", env=WORKER_L2
    )
    assert done.returncode == 0, done.stderr
    return repo


def run_git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_EDITOR": "true", **env},
        check=False,
    )


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


AMEND_FORMS = [
    ("--amend", "-m", "mine\n\nLane: L-001"),
    ("--amend", "-F", "{message}"),
    ("--amend", "--no-edit"),
    ("--amend", "-C", "HEAD"),
    ("--amend",),
    ("--amen", "-qm", "mine\n\nLane: L-001"),
    ("--amend", "--no-verify", "-m", "mine\n\nLane: L-001"),
]


@pytest.mark.parametrize("form", AMEND_FORMS, ids=lambda form: " ".join(form[:2]))
def test_an_amend_cannot_relabel_another_lanes_commit(
    shared: Path, tmp_path: Path, form: tuple[str, ...]
) -> None:
    message = tmp_path / "message"
    message.write_text("mine\n\nLane: L-001\n")
    write(shared, "src/app/models.py", "L-001's work\n")
    git(shared, "add", "-A")
    before = head(shared)
    args = [word.replace("{message}", str(message)) for word in form]
    done = run_git(shared, "commit", *args, env=WORKER_L1)
    assert done.returncode != 0, done.stdout + done.stderr
    assert head(shared) == before  # L-002's commit is still HEAD, under its own name
    assert "src/lib/core.py" in done.stderr
    assert "foreign-lock" in done.stderr or "lane-mismatch" in done.stderr
    if "--no-edit" not in form and "-C" not in form and form[-1] != "--amend":
        # The amend check itself refused (not just the commit-msg hook's trailer check).
        assert "the commit being amended (HEAD) changes it" in done.stderr
        assert "without `--amend`" in done.stderr


def test_an_amend_with_nothing_staged_cannot_relabel_either(shared: Path) -> None:
    done = run_git(shared, "commit", "--amend", "-m", "mine\n\nLane: L-001", env=WORKER_L1)
    assert done.returncode != 0
    assert "out-of-scope: src/lib/core.py" in done.stderr
    assert "Lane: L-002" in git(shared, "log", "-1", "--format=%B")


def test_the_hook_reports_an_amend_as_json(shared: Path, tmp_path: Path) -> None:
    message = tmp_path / "COMMIT_EDITMSG"
    message.write_text("x\n")
    # Not run by git: the hook's arguments decide (`commit HEAD` is what an amend passes).
    done = lanewarden(
        shared,
        "hook",
        "prepare-commit-msg",
        str(message),
        "commit",
        "HEAD",
        "--json",
        env=WORKER_L1,
    )
    assert done.returncode == 1, done.stderr
    body = __import__("json").loads(done.stdout)
    assert body["amend"] is True
    assert {(v["rule"], v["path"]) for v in body["violations"]} == {
        ("out-of-scope", "src/lib/core.py"),
        ("foreign-lock", "src/lib/core.py"),
    }
    plain = lanewarden(shared, "hook", "prepare-commit-msg", str(message), "message", "--json")
    assert plain.returncode == 0
    assert __import__("json").loads(plain.stdout) == {"ok": True, "violations": [], "amend": False}


def test_a_plain_amend_inside_ones_own_scope_passes(shared: Path) -> None:
    write(shared, "src/app/models.py", "first\n")
    git(shared, "add", "-A")
    first = run_git(shared, "commit", "-q", "-m", "app", "--trailer", "Lane: L-001", env=WORKER_L1)
    assert first.returncode == 0, first.stderr
    write(shared, "src/app/views.py", "more\n")
    git(shared, "add", "-A")
    for args in (("--no-edit",), ("-m", "app, more\n\nLane: L-001")):
        done = run_git(shared, "commit", "-q", "--amend", *args, env=WORKER_L1)
        assert done.returncode == 0, done.stderr
    changed = git(shared, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["src/app/models.py", "src/app/views.py"]


def test_reusing_another_commits_message_without_amending_is_not_an_amend(
    shared: Path, tmp_path: Path
) -> None:
    editor = tmp_path / "editor"
    editor.write_text("#!/bin/sh\nsed -i 's/Lane: L-002/Lane: L-001/' \"$1\"\n")
    editor.chmod(0o755)
    write(shared, "src/app/models.py", "mine\n")
    git(shared, "add", "-A")
    done = run_git(
        shared, "commit", "-q", "-c", "HEAD", env={**WORKER_L1, "GIT_EDITOR": str(editor)}
    )
    assert done.returncode == 0, done.stderr
    assert git(shared, "show", "--name-only", "--format=", "HEAD").split() == ["src/app/models.py"]


def test_cherry_pick_and_rebase_still_work(shared: Path) -> None:
    git(shared, "switch", "-q", "-c", "lane/L-001", "HEAD~1")
    write(shared, "src/app/models.py", "one\n")
    git(shared, "add", "-A")
    assert run_git(shared, "commit", "-qm", "one\n\nLane: L-001", env=WORKER_L1).returncode == 0
    git(shared, "switch", "-q", "-c", "other", "HEAD~1")
    write(shared, "src/app/views.py", "two\n")
    git(shared, "add", "-A")
    assert run_git(shared, "commit", "-qm", "two\n\nLane: L-001", env=WORKER_L1).returncode == 0
    git(shared, "switch", "-q", "lane/L-001")
    picked = run_git(shared, "cherry-pick", "other", env=WORKER_L1)
    assert picked.returncode == 0, picked.stderr
    rebased = run_git(
        shared, "rebase", "-q", "work", "--exec", "git commit -q --amend --no-edit", env=WORKER_L1
    )
    assert rebased.returncode == 0, rebased.stderr
    log = git(shared, "log", "--format=%s", "work~1..HEAD").split("\n")
    assert log[:3] == ["two", "one", "lib work"]
