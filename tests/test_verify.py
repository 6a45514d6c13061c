"""``lanewarden verify --range`` for CI: from a clean clone, scopes from the base."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.evidence_store import write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.cli.verify import github_annotation, split_range
from lanewarden.domain.evidence import Evidence
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError
from scenario import acquire_lock, acquire_two_lanes, lanewarden, make_parallel_ready

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}


def commit(repo: Path, message: str, *args: str) -> None:
    done = subprocess.run(
        ["git", "commit", "-q", "-m", message, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **INTEGRATOR},
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def pushed(repo: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A remote holding base (locks L-001 src/app/, L-002 src/lib/) and two commits on top.

    The second commit was made with --no-verify: it claims L-001 but touches L-002's scope.
    Returns (the remote, base, tip).
    """
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    base = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "src/app/models.py", "good\n")
    git(repo, "add", "-A")
    commit(repo, "good", "--trailer", "Lane: L-001")
    write(repo, "src/lib/core.py", "sneaky\n")
    git(repo, "add", "-A")
    commit(repo, "sneaky", "--no-verify", "--trailer", "Lane: L-001")
    tip = git(repo, "rev-parse", "HEAD").strip()
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    return remote, base, tip


def clean_clone(remote: Path, where: Path, *args: str) -> Path:
    git(where.parent, "clone", "-q", *args, f"file://{remote}", str(where))
    return where


def test_a_no_verify_commit_is_caught_in_a_clean_clone(
    pushed: tuple[Path, str, str], tmp_path: Path
) -> None:
    remote, base, tip = pushed
    ci = clean_clone(remote, tmp_path / "ci")
    done = lanewarden(ci, "verify", "--range", f"{base}..{tip}", "--json")
    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)
    assert body["commits"] == 2
    rules = {(v["rule"], v["path"]) for v in body["violations"]}
    assert rules == {("out-of-scope", "src/lib/core.py"), ("foreign-lock", "src/lib/core.py")}
    good = lanewarden(ci, "verify", "--range", f"{base}..{tip}~1")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "1 commit(s) verified" in good.stdout


def test_github_format_emits_annotations(pushed: tuple[Path, str, str], tmp_path: Path) -> None:
    remote, base, tip = pushed
    ci = clean_clone(remote, tmp_path / "ci")
    done = lanewarden(ci, "verify", "--range", f"{base}..{tip}", "--format", "github")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(
        line.startswith("::error file=src/lib/core.py,title=lanewarden out-of-scope::commit ")
        for line in lines
    ), lines


def test_annotation_escaping() -> None:
    violation = Violation(rule="out-of-scope", path="a,b:c.py", message="50% done\nnext")
    assert github_annotation(violation) == (
        "::error file=a%2Cb%3Ac.py,title=lanewarden out-of-scope::50%25 done%0Anext"
    )


def test_scopes_come_from_the_base_not_the_range(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_lock(repo, "L-001", "src/app/")
    git(repo, "add", "PLAN.md")
    commit(repo, "locks")
    base = git(repo, "rev-parse", "HEAD").strip()
    plan = (repo / "PLAN.md").read_text().replace("`src/app/`", "`src/app/` `docs/`")
    (repo / "PLAN.md").write_text(plan)
    write(repo, "docs/guide.md", "widened\n")
    git(repo, "add", "-A")
    commit(repo, "widen", "--no-verify", "--trailer", "Lane: L-001")
    done = lanewarden(repo, "verify", "--range", f"{base}..HEAD", "--json")
    paths = {v["path"] for v in json.loads(done.stdout)["violations"]}
    assert paths == {"PLAN.md", "docs/guide.md"}


@pytest.mark.parametrize(
    ("text", "message"),
    [("main", "is not A..B"), ("a...b", "is not A..B"), ("..b", "needs both ends")],
)
def test_a_malformed_range(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        split_range(text)


def test_bad_ranges_are_exit_2(pushed: tuple[Path, str, str], tmp_path: Path) -> None:
    remote, base, tip = pushed
    ci = clean_clone(remote, tmp_path / "ci")
    unknown = lanewarden(ci, "verify", "--range", f"nope..{tip}")
    assert unknown.returncode == 2
    assert "unknown revision 'nope'" in unknown.stderr
    zero = lanewarden(ci, "verify", "--range", f"{'0' * 40}..{tip}")
    assert zero.returncode == 2
    assert "zero id" in zero.stderr
    shallow = clean_clone(remote, tmp_path / "shallow", "--depth", "1")
    missing = lanewarden(shallow, "verify", "--range", f"{base}..{tip}")
    assert missing.returncode == 2
    assert "shallow clone" in missing.stderr
    assert "fetch-depth: 0" in missing.stderr
    assert "Traceback" not in unknown.stderr + zero.stderr + missing.stderr


def test_require_evidence_reads_notes_fetched_from_the_remote(
    pushed: tuple[Path, str, str], tmp_path: Path
) -> None:
    remote, base, tip = pushed
    integrator = clean_clone(remote, tmp_path / "integrator")
    ci = clean_clone(remote, tmp_path / "ci")
    span = f"{base}..{tip}~1"
    missing = lanewarden(ci, "verify", "--range", span, "--require-evidence", "--json")
    assert missing.returncode == 1
    assert [v["rule"] for v in json.loads(missing.stdout)["violations"]] == ["missing-evidence"]
    tree = git(integrator, "rev-parse", f"{tip}~1^{{tree}}").strip()
    write_evidence(
        Repo.discover(integrator),
        Evidence(gate="3", status="passed", tree=tree, time="2026-11-28T10:00:00.000000Z"),
    )
    assert lanewarden(integrator, "evidence", "push").returncode == 0
    fetched = lanewarden(ci, "evidence", "fetch")
    assert fetched.returncode == 0, fetched.stderr
    done = lanewarden(ci, "verify", "--range", span, "--require-evidence")
    assert done.returncode == 0, done.stdout + done.stderr
    other_gate = lanewarden(ci, "verify", "--range", span, "--require-evidence", "--gate", "2")
    assert other_gate.returncode == 1


def test_a_byte_order_mark_before_the_lock_table_is_ignored(repo: Path) -> None:
    make_parallel_ready(repo)
    (repo / "PLAN.md").write_text(
        "\ufeff| lock_id | owner | scope | objective | start | heartbeat | expires |\n"
        "|---|---|---|---|---|---|---|\n"
        "| L-001 | a | `src/app/` | o | 2026-11-28T09:00:00Z | 2026-11-28T09:00:00Z "
        "| 2099-01-01T00:00:00Z |\n",
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    commit(repo, "a ledger saved with a byte-order mark")
    base = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "src/lib/core.py", "sneaky\n")
    git(repo, "add", "-A")
    commit(repo, "sneaky", "--no-verify", "--trailer", "Lane: L-001")
    done = lanewarden(repo, "verify", "--range", f"{base}..HEAD", "--json")
    assert done.returncode == 1, done.stderr
    assert [v["rule"] for v in json.loads(done.stdout)["violations"]] == ["out-of-scope"]


def test_a_base_whose_ledger_lost_its_lock_table_is_exit_2(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_lock(repo, "L-001", "src/app/")
    plan = repo / "PLAN.md"
    plan.write_text(plan.read_text().replace("| lock_id |", "| lock-id |"))
    git(repo, "add", "-A")
    commit(repo, "a renamed column")
    write(repo, "src/lib/core.py", "anything\n")
    git(repo, "add", "-A")
    commit(repo, "anything", "--no-verify")
    done = lanewarden(repo, "verify", "--range", "HEAD~1..HEAD")
    assert done.returncode == 2
    assert "no lock table found" in done.stderr
    assert "PLAN.md" in done.stderr
    assert "Traceback" not in done.stderr
