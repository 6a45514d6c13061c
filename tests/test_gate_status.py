"""``lanewarden gate status``: gates with evidence for the work tree or a revision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git
from lanewarden.adapters.changes import work_tree_id
from lanewarden.adapters.evidence_store import write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.cli.main import main
from lanewarden.domain.evidence import Evidence


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "commit.gpgsign", "false")
    (tmp_path / "a.py").write_text("a\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "init")
    monkeypatch.chdir(tmp_path)
    return Repo.discover(tmp_path)


def evidence(tree: str, gate: str, status: str, second: int) -> Evidence:
    return Evidence(
        gate=gate,
        status=status,
        tree=tree,
        time=f"2026-11-28T10:00:{second:02d}.000000Z",
        lane="L-001",
        counts={"passed": 2} if status == "passed" else {"failed": 1},
        exit_status=0 if status == "passed" else 1,
    )


def status_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["gate", "status", "--json", *args]) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def test_no_evidence(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    head_tree = git(repo.root, "rev-parse", "HEAD^{tree}").strip()
    assert status_json(capsys) == {"ok": True, "tree": head_tree, "gates": [], "ignored": []}


def test_latest_record_of_each_gate_for_the_work_tree(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo.root / "a.py").write_text("changed, not committed\n")
    tree = work_tree_id(repo)
    write_evidence(repo, evidence(tree, "2", "failed", 1))
    write_evidence(repo, evidence(tree, "2", "passed", 2))
    write_evidence(repo, evidence(tree, "3", "failed", 3))
    head_tree = git(repo.root, "rev-parse", "HEAD^{tree}").strip()
    write_evidence(repo, evidence(head_tree, "1", "passed", 4))
    body = status_json(capsys)
    assert body["tree"] == tree
    assert body["ok"] is False  # gate 3's newest record failed
    gates = body["gates"]
    assert isinstance(gates, list)
    assert [(g["gate"], g["status"]) for g in gates] == [("2", "passed"), ("3", "failed")]
    assert gates[0]["counts"] == {"passed": 2}
    assert gates[0]["lane"] == "L-001"
    rev = status_json(capsys, "--rev", "HEAD")
    assert rev["tree"] == head_tree
    assert [(g["gate"], g["status"]) for g in rev["gates"]] == [("1", "passed")]  # type: ignore[attr-defined]


def test_text_output(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    tree = work_tree_id(repo)
    assert main(["gate", "status"]) == 0
    assert "no gate evidence for this tree" in capsys.readouterr().out
    write_evidence(repo, evidence(tree, "2", "passed", 1))
    assert main(["gate", "status"]) == 0
    out = capsys.readouterr().out
    assert f"the work tree: {tree}" in out
    assert "gate 2: passed (2 passed, at 2026-11-28T10:00:01.000000Z, lane L-001)" in out


def test_unknown_revision_is_an_input_error(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "status", "--rev", "nope", "--json"]) == 2
    body = json.loads(capsys.readouterr().out)
    assert body["error"]["message"] == "unknown revision 'nope'"


def test_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["gate", "status"]) == 2


def test_a_record_copied_from_another_tree_is_not_this_trees(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    head_tree = git(repo.root, "rev-parse", "HEAD^{tree}").strip()
    (repo.root / "a.py").write_text("changed, not committed\n")
    tree = work_tree_id(repo)
    source = write_evidence(repo, evidence(head_tree, "3", "passed", 1))
    copy = source.parent.parent / tree / source.name
    copy.parent.mkdir(parents=True)
    copy.write_bytes(source.read_bytes())
    body = status_json(capsys)
    assert body["gates"] == []
    assert body["ignored"] == [
        {
            "gate": "3",
            "tree": head_tree,
            "time": "2026-11-28T10:00:01.000000Z",
            "reason": f"recorded for tree {head_tree}, not this one",
        }
    ]


def test_records_of_names_that_are_not_gates_are_ignored(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = work_tree_id(repo)
    write_evidence(repo, evidence(tree, "banana", "passed", 1))
    write_evidence(repo, evidence(tree, "2", "passed", 2))
    body = status_json(capsys)
    assert [g["gate"] for g in body["gates"]] == ["2"]  # type: ignore[attr-defined]
    assert body["ignored"][0]["reason"] == "'banana' is not a gate here"  # type: ignore[index]
    assert main(["gate", "status"]) == 0
    assert "gate banana" not in capsys.readouterr().out.replace("a gate banana record", "")


def test_status_of_an_unknown_gate_is_exit_2_listing_the_gates(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gate", "status", "--gate", "7", "--json"]) == 2
    body = json.loads(capsys.readouterr().out)
    assert body["error"]["message"] == "--gate '7' is not a gate; valid gates: 1, 2, 3"
