"""A merge commit's own change is checked: evil merges, `-s ours`, conflicts, octopus merges.

A merge's own change is where its tree differs from the merge git makes of
its parents (`git merge-tree --write-tree`); every test pushes through the
installed pre-push hook to a bare remote and runs `verify` on the same range.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.commits import merge_own_paths, merge_paths_without_merge_tree
from lanewarden.adapters.git import Repo
from scenario import lanewarden, make_pushable, record_evidence

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
WORKER_L1 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
WORKER_L2 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-002"}


def run(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def commit_as(repo: Path, lane: str | None, message: str, *args: str) -> str:
    trailer = ["--trailer", f"Lane: {lane}"] if lane else []
    done = run(repo, "commit", "-q", "--no-verify", "-m", message, *trailer, *args)
    assert done.returncode == 0, done.stderr
    return git(repo, "rev-parse", "HEAD").strip()


def lane_commit(repo: Path, branch: str, lane: str, path: str, text: str) -> str:
    git(repo, "switch", "-q", branch)
    write(repo, path, text)
    git(repo, "add", "-A")
    return commit_as(repo, lane, f"{lane} edits {path}")


def verify(repo: Path, span: str) -> tuple[int, set[tuple[str, str | None]]]:
    done = lanewarden(repo, "verify", "--range", span, "--json")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    body = json.loads(done.stdout)
    return done.returncode, {(v["rule"], v["path"]) for v in body["violations"]}


@pytest.fixture
def lanes(repo: Path, tmp_path: Path) -> Path:
    """Locks L-001 (src/app/) and L-002 (src/lib/) on a pushed main; both lane branches pushed."""
    make_pushable(repo, tmp_path / "remote.git")
    for lane, path in (("L-001", "src/app/models.py"), ("L-002", "src/lib/core.py")):
        git(repo, "switch", "-q", "-c", f"lane/{lane}", "main")
        lane_commit(repo, f"lane/{lane}", lane, path, f"{lane} work\n")
        record_evidence(repo, f"lane/{lane}", "2")
        done = run(repo, "push", "-q", "origin", f"lane/{lane}")
        assert done.returncode == 0, done.stderr
    return repo


def test_an_evil_merge_that_also_edits_another_lanes_file_is_refused(lanes: Path) -> None:
    repo = lanes
    git(repo, "switch", "-q", "lane/L-001")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "lane/L-002")
    write(repo, "src/lib/core.py", "rewritten inside the merge\n")
    git(repo, "add", "-A")
    commit_as(repo, "L-001", "merge L-002")
    record_evidence(repo, "lane/L-001", "2")
    refused = run(repo, "push", "origin", "lane/L-001", env=WORKER_L1)
    assert refused.returncode != 0
    assert "merge-out-of-scope: src/lib/core.py" in refused.stderr
    assert "foreign-lock: src/lib/core.py" in refused.stderr
    code, found = verify(repo, "origin/main..lane/L-001")
    assert code == 1
    assert found == {("merge-out-of-scope", "src/lib/core.py"), ("foreign-lock", "src/lib/core.py")}


def test_a_plain_merge_of_another_lane_has_no_change_of_its_own(lanes: Path) -> None:
    repo = lanes
    git(repo, "switch", "-q", "lane/L-001")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "lane/L-002")
    commit_as(repo, "L-001", "merge L-002")
    record_evidence(repo, "lane/L-001", "2")
    done = run(repo, "push", "origin", "lane/L-001", env=WORKER_L1)
    assert done.returncode == 0, done.stderr
    assert verify(repo, "origin/main..lane/L-001") == (0, set())


def test_merge_s_ours_then_fast_forward_drops_another_lanes_work(lanes: Path) -> None:
    repo = lanes
    git(repo, "switch", "-q", "lane/L-001")
    # --no-verify skips pre-merge-commit, not prepare-commit-msg, which judges merges and
    # amends: a shortcut-taker switches every commit-time hook off. The push check remains.
    no_hooks = ("-c", "core.hooksPath=/dev/null")
    done = run(repo, *no_hooks, "merge", "-q", "-s", "ours", "lane/L-002", "-m", "take ours")
    assert done.returncode == 0, done.stderr
    git(repo, *no_hooks, "commit", "-q", "--amend", "--no-edit", "--trailer", "Lane: L-001")
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "lane/L-001")
    assert (repo / "src/lib/core.py").read_text() == "x\n"  # L-002's committed work is gone
    record_evidence(repo, "main", "3")
    refused = run(repo, "push", "origin", "main", env=INTEGRATOR)
    assert refused.returncode != 0
    assert "merge-out-of-scope: src/lib/core.py" in refused.stderr
    code, found = verify(repo, "origin/main..main")
    assert code == 1
    assert ("merge-out-of-scope", "src/lib/core.py") in found


def test_a_conflict_resolution_is_the_merges_own_change(lanes: Path) -> None:
    repo = lanes
    # A branch off L-001 changes L-002's file too (a commit of its own, judged on its own),
    # so merging lane/L-002 conflicts there; the merge resolves it.
    git(repo, "switch", "-q", "-c", "lane/L-001-b", "lane/L-001")
    write(repo, "src/lib/core.py", "other text\n")
    git(repo, "add", "-A")
    commit_as(repo, None, "an unrelated edit, no trailer")
    assert run(repo, "merge", "-q", "lane/L-002").returncode != 0  # conflict in src/lib/core.py
    write(repo, "src/lib/core.py", "L-002 work\n")  # resolved as L-002 had it
    git(repo, "add", "-A")
    merge = commit_as(repo, "L-001", "merge, conflict resolved")
    assert merge_own_paths(Repo.discover(repo), merge, _parents(repo, merge)) == ["src/lib/core.py"]
    code, found = verify(repo, "origin/main..HEAD")
    assert code == 1
    assert ("merge-out-of-scope", "src/lib/core.py") in found


def _parents(repo: Path, sha: str) -> list[str]:
    return git(repo, "rev-parse", f"{sha}^@").split()


def test_octopus_merges_fold_the_parents_one_at_a_time(lanes: Path) -> None:
    repo = lanes
    git(repo, "switch", "-q", "-c", "docs", "main")
    write(repo, "notes/one.md", "one\n")
    git(repo, "add", "-A")
    commit_as(repo, None, "notes")
    git(repo, "switch", "-q", "-c", "octopus", "main")
    git(repo, "merge", "-q", "--no-commit", "lane/L-001", "lane/L-002", "docs")
    commit_as(repo, None, "octopus")
    clean = git(repo, "rev-parse", "HEAD").strip()
    assert merge_own_paths(Repo.discover(repo), clean, _parents(repo, clean)) == []
    assert verify(repo, "origin/main..octopus")[0] == 0
    git(repo, "reset", "-q", "--hard", "main")
    git(repo, "merge", "-q", "--no-commit", "lane/L-001", "lane/L-002", "docs")
    write(repo, "src/lib/core.py", "changed by the octopus itself\n")
    git(repo, "add", "-A")
    commit_as(repo, "L-001", "evil octopus")
    code, found = verify(repo, "origin/main..octopus")
    assert code == 1
    assert found == {("merge-out-of-scope", "src/lib/core.py"), ("foreign-lock", "src/lib/core.py")}


def test_without_merge_tree_every_path_the_merge_differs_in_counts(
    lanes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Git before 2.38 has no `merge-tree --write-tree`: merges are judged on a superset."""
    repo = lanes
    git(repo, "switch", "-q", "lane/L-001")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "lane/L-002")
    merge = commit_as(repo, "L-001", "a plain merge of L-002")
    superset = merge_paths_without_merge_tree(Repo.discover(repo), merge, _parents(repo, merge))
    assert set(superset) == {"src/app/models.py", "src/lib/core.py"}
    # The same through a git that answers `merge-tree --write-tree` as git 2.37 does.
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True).stdout
    old_git = tmp_path / "bin" / "git"
    old_git.parent.mkdir()
    old_git.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do [ "$arg" = --write-tree ] && '
        '{ echo "error: unknown option \\`write-tree\'" >&2; exit 129; }; done\n'
        f'exec {real.strip()} "$@"\n'
    )
    old_git.chmod(old_git.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{old_git.parent}{os.pathsep}{os.environ['PATH']}")
    code, found = verify(repo, "origin/main..lane/L-001")
    assert code == 1  # never a silent pass: the merge is refused until git is upgraded
    assert ("merge-out-of-scope", "src/lib/core.py") in found
