"""Evidence records and their store in the common git directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git
from lanewarden.adapters.evidence_store import evidence_dir, read_evidence, write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.domain.evidence import EVIDENCE_VERSION, Evidence, latest_by_gate
from lanewarden.errors import InputError

TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def record(**changes: object) -> Evidence:
    fields: dict[str, object] = {
        "gate": "2",
        "status": "passed",
        "tree": TREE,
        "time": "2026-11-28T10:00:00.000001Z",
        "head": "a" * 40,
        "lane": "L-001",
        "touched_files": ("a.py",),
        "packages": ("a",),
        "selection": {"mode": "changed"},
        "counts": {"passed": 3, "deselected": 1},
        "exit_status": 0,
        "duration": 1.23456,
        "command": ("pytest", "--lw-gate", "2"),
        "tools": {"pytest": "9"},
    }
    fields.update(changes)
    return Evidence(**fields)  # type: ignore[arg-type]


def test_json_round_trip() -> None:
    original = record()
    data = json.loads(json.dumps(original.to_json()))
    assert data["version"] == EVIDENCE_VERSION
    assert data["duration"] == 1.235
    again = Evidence.from_json(data)
    assert again == record(duration=1.235)
    assert again.passed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 99}, "unsupported evidence version 99"),
        ({"version": None}, "unsupported evidence version None"),
        ({"gate": ""}, "malformed evidence record"),
        ({"status": "maybe"}, "one of passed, failed, narrowed"),
        ({"counts": {"passed": "many"}}, "malformed evidence record"),
    ],
)
def test_malformed_records_are_input_errors(change: dict[str, object], message: str) -> None:
    data = record().to_json() | change
    with pytest.raises(InputError, match=message) as caught:
        Evidence.from_json(data, path="x.json")
    assert caught.value.path == "x.json"


def test_not_an_object() -> None:
    with pytest.raises(InputError, match="JSON object"):
        Evidence.from_json([1, 2])


def test_latest_by_gate() -> None:
    old = record(time="2026-11-28T10:00:00.000001Z", status="failed")
    new = record(time="2026-11-28T10:00:00.000002Z")
    three = record(gate="3")
    assert latest_by_gate([new, three, old]) == {"2": new, "3": three}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "commit.gpgsign", "false")
    (tmp_path / "a.py").write_text("a\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "init")
    return Repo.discover(tmp_path)


def test_store_round_trip_and_linked_worktrees_see_it(repo: Repo, tmp_path: Path) -> None:
    first = write_evidence(repo, record(time="2026-11-28T10:00:00.000001Z"))
    second = write_evidence(repo, record(time="2026-11-28T10:00:01.000001Z", status="failed"))
    assert first != second
    assert first.parent == evidence_dir(repo) / TREE
    assert [r.status for r in read_evidence(repo, TREE)] == ["passed", "failed"]
    linked = tmp_path.parent / "linked"
    git(repo.root, "worktree", "add", "-q", str(linked))
    seen = read_evidence(Repo.discover(linked), TREE)
    assert [r.status for r in seen] == ["passed", "failed"]
    assert read_evidence(repo, "1" * 40) == []


def test_store_skips_temporary_files_and_refuses_corrupt_records(repo: Repo) -> None:
    path = write_evidence(repo, record())
    (path.parent / ".gate-2.json.tmp").write_text("partial")
    assert len(read_evidence(repo, TREE)) == 1
    (path.parent / "gate-9.json").write_text("{broken")
    with pytest.raises(InputError, match="not valid JSON"):
        read_evidence(repo, TREE)


@pytest.mark.parametrize(("change"), [{"gate": "../x"}, {"tree": "../../x"}])
def test_store_refuses_names_that_leave_its_folder(repo: Repo, change: dict[str, str]) -> None:
    with pytest.raises(InputError):
        write_evidence(repo, record(**change))


def test_read_refuses_a_bad_tree_id(repo: Repo) -> None:
    with pytest.raises(InputError, match="not a git tree id"):
        read_evidence(repo, "../x")
