"""One tree, one truth: evidence proves only the tree its record names.

A record (or a note) copied onto another tree, a narrowed record and a bad
gate name must never let ``verify --require-evidence`` or the pre-push check
pass. Real repositories, real notes pushed to a local bare remote.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.evidence_store import evidence_dir, write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.adapters.notes import NOTES_REF
from lanewarden.domain.evidence import Evidence
from lanewarden.domain.ledger import new_ledger_text
from scenario import lanewarden

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}


@pytest.fixture
def two_trees(repo: Path, tmp_path: Path) -> tuple[Path, Path, str, str, str]:
    """A remote with base → C1 (tree T1) → C2 (tree T2); gate 3 recorded and shared for T1."""
    write(repo, "lanewarden.toml", '[gates]\n3 = ["echo whole suite"]\n')
    write(repo, "PLAN.md", new_ledger_text())  # adopted: the ledger goes with the configuration
    write(repo, "src/a.py", "x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "C1")
    recorded = lanewarden(repo, "gate", "run", "3", env=INTEGRATOR)
    assert recorded.returncode == 0, recorded.stderr
    write(repo, "src/a.py", "x = 2  # not what gate 3 ran on\n")
    git(repo, "commit", "-qam", "C2")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    assert lanewarden(repo, "evidence", "push", "origin").returncode == 0
    base = git(repo, "rev-parse", "HEAD~2").strip()
    t1 = git(repo, "rev-parse", "HEAD~1^{tree}").strip()
    t2 = git(repo, "rev-parse", "HEAD^{tree}").strip()
    return repo, remote, base, t1, t2


def ci_clone(remote: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(remote), str(where))
    fetched = lanewarden(where, "evidence", "fetch", "origin")
    assert fetched.returncode == 0, fetched.stderr
    return where


def verify(ci: Path, base: str, *extra: str) -> tuple[int, list[str], str]:
    done = lanewarden(ci, "verify", "--range", f"{base}..HEAD", "--require-evidence", *extra)
    if done.returncode == 2:
        return 2, [], done.stderr
    body = json.loads(lanewarden(ci, "verify", "--range", f"{base}..HEAD", "--json").stdout)
    assert body["ok"] is True  # the commits themselves are fine: only evidence is at stake
    rules = json.loads(
        lanewarden(
            ci, "verify", "--range", f"{base}..HEAD", "--require-evidence", "--json", *extra
        ).stdout
    )["violations"]
    return done.returncode, [v["rule"] for v in rules], done.stdout


def test_verify_refuses_a_note_copied_onto_another_tree(
    two_trees: tuple[Path, Path, str, str, str], tmp_path: Path
) -> None:
    repo, remote, base, t1, t2 = two_trees
    assert verify(ci_clone(remote, tmp_path / "before"), f"{base}")[1] == ["missing-evidence"]
    # The careless shortcut: copy T1's passing note onto T2 and share it.
    git(repo, "notes", f"--ref={NOTES_REF}", "copy", t1, t2)
    git(repo, "push", "-q", "origin", f"{NOTES_REF}:{NOTES_REF}")
    code, rules, out = verify(ci_clone(remote, tmp_path / "ci"), base)
    assert code == 1
    assert rules == ["evidence-tree-mismatch"]
    assert f"recorded for tree {t1[:12]}" in out


def test_pre_push_refuses_a_record_copied_onto_another_tree(
    two_trees: tuple[Path, Path, str, str, str],
) -> None:
    repo, _remote, _base, t1, t2 = two_trees
    folder = evidence_dir(Repo.discover(repo))
    shutil.copytree(folder / t1, folder / t2)
    head = git(repo, "rev-parse", "HEAD").strip()
    before = git(repo, "rev-parse", "HEAD~1").strip()
    line = f"refs/heads/main {head} refs/heads/main {before}\n"
    done = lanewarden(repo, "hook", "pre-push", "origin", "--json", stdin=line, env=INTEGRATOR)
    assert done.returncode == 1, done.stdout + done.stderr
    rules = [v["rule"] for v in json.loads(done.stdout)["violations"]]
    assert rules == ["evidence-tree-mismatch"]
    status = json.loads(lanewarden(repo, "gate", "status", "--json").stdout)
    assert status["gates"] == []  # and gate status does not count it either


def test_a_narrowed_record_is_refused_with_its_reason(
    two_trees: tuple[Path, Path, str, str, str], tmp_path: Path
) -> None:
    repo, remote, base, _t1, t2 = two_trees
    write_evidence(
        Repo.discover(repo),
        Evidence(
            gate="3",
            status="narrowed",
            tree=t2,
            time="2026-11-28T10:00:00.000000Z",
            reasons=("-k 'not slow' runs part of the configured suite",),
        ),
    )
    assert lanewarden(repo, "evidence", "push", "origin").returncode == 0
    code, rules, out = verify(ci_clone(remote, tmp_path / "ci"), base)
    assert code == 1
    assert rules == ["narrowed-run"]
    assert "-k 'not slow' runs part" in out


@pytest.mark.parametrize("name", ["7", "banana", "all"])
def test_verify_with_an_unknown_gate_is_exit_2_listing_the_gates(
    two_trees: tuple[Path, Path, str, str, str], tmp_path: Path, name: str
) -> None:
    _repo, remote, base, _t1, _t2 = two_trees
    code, _rules, err = verify(ci_clone(remote, tmp_path / "ci"), base, "--gate", name)
    assert code == 2
    assert f"--gate {name!r} is not a gate; valid gates: 1, 2, 3" in err
    assert "gate run" not in err
