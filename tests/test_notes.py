"""Evidence as git notes on tree objects: pushed, fetched and merged, never overwritten."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, write
from lanewarden.adapters.evidence_store import write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.adapters.notes import NOTES_REF, all_evidence, export_evidence, note_records
from lanewarden.domain.evidence import Evidence
from scenario import lanewarden


def record(repo: Path, gate: str, second: int, status: str = "passed") -> str:
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    write_evidence(
        Repo.discover(repo),
        Evidence(gate=gate, status=status, tree=tree, time=f"2026-11-28T10:00:{second:02d}.0Z"),
    )
    return tree


def clone(remote: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(remote), str(where))
    return where


def test_export_writes_one_json_line_per_record_and_is_idempotent(repo: Path) -> None:
    tree = record(repo, "2", 1)
    record(repo, "3", 2)
    handle = Repo.discover(repo)
    assert export_evidence(handle) == 1
    assert export_evidence(handle) == 0
    lines = git(repo, "notes", f"--ref={NOTES_REF}", "show", tree).splitlines()
    assert [json.loads(line)["gate"] for line in lines] == ["2", "3"]
    assert [r.gate for r in note_records(handle, tree)] == ["2", "3"]


def test_concurrent_notes_are_merged_not_overwritten(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    first = clone(remote, tmp_path / "first")
    second = clone(remote, tmp_path / "second")
    tree = record(first, "2", 1)
    record(second, "3", 2)
    assert lanewarden(first, "evidence", "push").returncode == 0
    # second never fetched first's note: its push must merge, not overwrite.
    done = lanewarden(second, "evidence", "push", "origin", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["notes_changed"] == 1
    ci = clone(remote, tmp_path / "ci")
    assert lanewarden(ci, "evidence", "fetch").returncode == 0
    gates = sorted(r.gate for r in all_evidence(Repo.discover(ci), tree))
    assert gates == ["2", "3"]
    status = lanewarden(ci, "gate", "status", "--rev", "HEAD", "--json")
    del status  # gate status reads the local store only; verify reads notes too
    assert lanewarden(first, "evidence", "fetch").returncode == 0
    assert sorted(r.gate for r in note_records(Repo.discover(first), tree)) == ["2", "3"]


def test_fetch_from_a_remote_without_notes(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    ci = clone(remote, tmp_path / "ci")
    done = lanewarden(ci, "evidence", "fetch", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fetched"] is False


def test_push_to_an_unknown_remote_is_exit_2(repo: Path) -> None:
    write(repo, "a.txt")
    record(repo, "2", 1)
    done = lanewarden(repo, "evidence", "push", "nowhere")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_push_with_nothing_recorded_says_so(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    done = lanewarden(repo, "evidence", "push", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pushed"] is False
