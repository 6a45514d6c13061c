"""The pre-push hook end to end: real pushes to a local bare remote through installed hooks."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters.evidence_store import write_evidence
from lanewarden.adapters.git import Repo
from lanewarden.domain.evidence import Evidence
from lanewarden.domain.push_check import parse_push_lines
from lanewarden.errors import InputError
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready

ORCH = {"LANEWARDEN_ROLE": "orchestrator"}
INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
MAINTAINER = {"LANEWARDEN_ROLE": "maintainer"}
WORKER_L1 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
WORKER_L2 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-002"}


def run_git(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def commit(repo: Path, message: str, *, env: dict[str, str], lane: str | None = None) -> None:
    trailer = ["--trailer", f"Lane: {lane}"] if lane else []
    done = run_git(repo, "commit", "-q", "-m", message, *trailer, env=env)
    assert done.returncode == 0, done.stderr


def record(repo: Path, rev: str, gate: str, status: str = "passed") -> None:
    tree = git(repo, "rev-parse", f"{rev}^{{tree}}").strip()
    write_evidence(
        Repo.discover(repo),
        Evidence(
            gate=gate,
            status=status,
            tree=tree,
            time="2026-11-28T10:00:00.000000Z",
            exit_status=0 if status == "passed" else 1,
        ),
    )


def remote_refs(remote: Path) -> dict[str, str]:
    out = git(remote, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per module (copied per test): hooks installed, locks L-001 (src/app/) and
    L-002 (src/lib/) committed on main, main pushed to the bare remote ``origin``."""
    base = tmp_path_factory.mktemp("pushable")
    with pytest.MonkeyPatch.context() as m:
        (base / ".gitconfig").write_text(
            "[user]\n\tname = Test\n\temail = test@example.com\n"
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        )
        m.setenv("HOME", str(base))
        m.setenv("GIT_CONFIG_GLOBAL", str(base / ".gitconfig"))
        m.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for name in ("LANEWARDEN_LANE", "LANEWARDEN_ROLE", "GIT_DIR", "GIT_INDEX_FILE"):
            m.delenv(name, raising=False)
        repo = base / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        write(repo, "README.md", "# test\n")
        git(repo, "add", "README.md")
        git(repo, "commit", "-q", "-m", "initial")
        make_parallel_ready(repo)
        assert lanewarden(repo, "hooks", "install").returncode == 0
        acquire_two_lanes(repo)
        git(base, "init", "-q", "--bare", str(base / "remote.git"))
        git(repo, "remote", "add", "origin", str(base / "remote.git"))
        git(repo, "push", "-q", "--no-verify", "origin", "main")
    return base


@pytest.fixture
def pushable(template: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A fresh copy of the template: (the repository, its bare remote)."""
    shutil.copytree(template / "repo", tmp_path / "repo", symlinks=True)
    shutil.copytree(template / "remote.git", tmp_path / "remote.git", symlinks=True)
    repo, remote = tmp_path / "repo", tmp_path / "remote.git"
    git(repo, "remote", "set-url", "origin", str(remote))
    return repo, remote


def lane_branch(repo: Path, lane: str, path: str, env: dict[str, str]) -> str:
    git(repo, "switch", "-q", "-c", f"lane/{lane}", "main")
    write(repo, path, f"{lane}\n")
    git(repo, "add", "-A")
    commit(repo, f"work of {lane}", env=env, lane=lane)
    git(repo, "switch", "-q", "main")
    return git(repo, "rev-parse", f"lane/{lane}").strip()


def push(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_git(repo, "push", "origin", *args, env=env)


def test_a_new_lane_branch_needs_gate_2_evidence(pushable: tuple[Path, Path]) -> None:
    repo, remote = pushable
    lane_branch(repo, "L-001", "src/app/models.py", WORKER_L1)
    refused = push(repo, "lane/L-001", env=WORKER_L1)
    assert refused.returncode != 0
    assert "missing-evidence" in refused.stderr
    assert "lanewarden gate run 2" in refused.stderr
    assert "refs/heads/lane/L-001" not in remote_refs(remote)
    record(repo, "lane/L-001", "2")
    done = push(repo, "lane/L-001", env=WORKER_L1)
    assert done.returncode == 0, done.stderr
    assert "refs/heads/lane/L-001" in remote_refs(remote)


def test_failed_evidence_is_not_enough(pushable: tuple[Path, Path]) -> None:
    repo, _ = pushable
    lane_branch(repo, "L-001", "src/app/models.py", WORKER_L1)
    record(repo, "lane/L-001", "2", status="failed")
    refused = push(repo, "lane/L-001", env=WORKER_L1)
    assert "gate-failed" in refused.stderr


def test_two_refs_at_once_only_the_second_violates(pushable: tuple[Path, Path]) -> None:
    repo, remote = pushable
    lane_branch(repo, "L-001", "src/app/models.py", WORKER_L1)
    record(repo, "lane/L-001", "2")
    # L-002's branch carries a commit that claims L-002 but touches L-001's scope.
    git(repo, "switch", "-q", "-c", "lane/L-002", "main")
    write(repo, "src/app/views.py", "sneaky\n")
    git(repo, "add", "-A")
    done = run_git(repo, "commit", "-q", "--no-verify", "-m", "sneaky", "--trailer", "Lane: L-002")
    assert done.returncode == 0
    git(repo, "switch", "-q", "main")
    record(repo, "lane/L-002", "2")
    refused = push(repo, "lane/L-001", "lane/L-002", env=WORKER_L2)
    assert refused.returncode != 0
    assert "out-of-scope: src/app/views.py" in refused.stderr
    assert "foreign-lock: src/app/views.py" in refused.stderr
    assert "L-001" not in refused.stderr.split("out-of-scope")[0]
    refs = remote_refs(remote)
    assert "refs/heads/lane/L-001" not in refs  # a refused push updates nothing
    assert "refs/heads/lane/L-002" not in refs


def test_deleting_a_lane_branch_passes_deleting_main_is_refused(
    pushable: tuple[Path, Path],
) -> None:
    repo, remote = pushable
    lane_branch(repo, "L-001", "src/app/models.py", WORKER_L1)
    record(repo, "lane/L-001", "2")
    assert push(repo, "lane/L-001", env=WORKER_L1).returncode == 0
    deleted = push(repo, "--delete", "lane/L-001", env=WORKER_L1)
    assert deleted.returncode == 0, deleted.stderr
    assert "refs/heads/lane/L-001" not in remote_refs(remote)
    refused = push(repo, "--delete", "main", env=INTEGRATOR)
    assert refused.returncode != 0
    assert "branch-delete" in refused.stderr
    assert "lanewarden approve --action branch-delete --ref refs/heads/main" in refused.stderr
    assert "refs/heads/main" in remote_refs(remote)


def test_a_worker_pushing_to_the_target_branch_is_refused(pushable: tuple[Path, Path]) -> None:
    repo, _ = pushable
    write(repo, "notes.txt")
    git(repo, "add", "-A")
    commit(repo, "unlocked path", env=INTEGRATOR)
    record(repo, "main", "3")
    refused = push(repo, "main", env={"LANEWARDEN_ROLE": "worker"})
    assert "integrator-only" in refused.stderr
    done = push(repo, "main", env=INTEGRATOR)
    assert done.returncode == 0, done.stderr


def test_main_needs_gate_3_evidence(pushable: tuple[Path, Path]) -> None:
    repo, _ = pushable
    write(repo, "notes.txt")
    git(repo, "add", "-A")
    commit(repo, "unlocked path", env=INTEGRATOR)
    record(repo, "main", "2")
    refused = push(repo, "main", env=INTEGRATOR)
    assert "missing-evidence" in refused.stderr
    assert "gate 3" in refused.stderr
    record(repo, "main", "3")
    assert push(repo, "main", env=INTEGRATOR).returncode == 0


def test_force_push_needs_a_fresh_unused_approval(pushable: tuple[Path, Path]) -> None:
    repo, remote = pushable
    write(repo, "notes.txt", "one\n")
    git(repo, "add", "-A")
    commit(repo, "one", env=INTEGRATOR)
    record(repo, "main", "3")
    assert push(repo, "main", env=INTEGRATOR).returncode == 0
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    write(repo, "notes.txt", "two\n")
    git(repo, "add", "-A")
    commit(repo, "two", env=INTEGRATOR)
    record(repo, "main", "3")
    refused = push(repo, "--force", "main", env=INTEGRATOR)
    assert refused.returncode != 0
    assert "force-push" in refused.stderr
    denied = lanewarden(
        repo,
        "approve",
        "--action",
        "force-push",
        "--ref",
        "main",
        "--reason",
        "drop a bad commit",
        env=WORKER_L1,
    )
    assert denied.returncode == 1
    assert "wrong-role" in denied.stderr
    approved = lanewarden(
        repo,
        "approve",
        "--action",
        "force-push",
        "--ref",
        "main",
        "--reason",
        "drop a bad commit",
        "--json",
        env=MAINTAINER,
    )
    assert approved.returncode == 0, approved.stderr
    approval = json.loads(approved.stdout)["approval"]
    assert approval["ref"] == "refs/heads/main"
    done = push(repo, "--force", "main", env=INTEGRATOR)
    assert done.returncode == 0, done.stderr
    assert remote_refs(remote)["refs/heads/main"] == git(repo, "rev-parse", "main").strip()
    # Consumed: the next rewrite needs a new approval.
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    write(repo, "notes.txt", "three\n")
    git(repo, "add", "-A")
    commit(repo, "three", env=INTEGRATOR)
    record(repo, "main", "3")
    again = push(repo, "--force", "main", env=INTEGRATOR)
    assert again.returncode != 0
    assert f"approval {approval['id']} was already used" in again.stderr
    audit = lanewarden(repo, "audit", "verify", "--json")
    assert audit.returncode == 0, audit.stdout
    assert json.loads(audit.stdout)["entries"] == 2


def test_an_expired_approval_does_not_count(pushable: tuple[Path, Path]) -> None:
    repo, _ = pushable
    approved = lanewarden(
        repo,
        "approve",
        "--action",
        "branch-delete",
        "--ref",
        "main",
        "--reason",
        "x",
        "--ttl",
        "1s",
        env=ORCH,
    )
    assert approved.returncode == 0, approved.stderr
    import time

    time.sleep(1.1)
    refused = push(repo, "--delete", "main", env=INTEGRATOR)
    assert "expired at" in refused.stderr


def test_a_lane_cannot_widen_its_scope_in_the_pushed_commits(pushable: tuple[Path, Path]) -> None:
    repo, _ = pushable
    git(repo, "switch", "-q", "-c", "lane/L-001", "main")
    plan = (repo / "PLAN.md").read_text().replace("`src/app/`", "`src/app/` `docs/`")
    (repo / "PLAN.md").write_text(plan)
    write(repo, "docs/guide.md", "widened\n")
    git(repo, "add", "-A")
    done = run_git(repo, "commit", "-q", "--no-verify", "-m", "widen", "--trailer", "Lane: L-001")
    assert done.returncode == 0
    record(repo, "HEAD", "2")
    refused = push(repo, "lane/L-001", env=WORKER_L1)
    assert "out-of-scope: docs/guide.md" in refused.stderr
    assert "out-of-scope: PLAN.md" in refused.stderr


def test_stdin_lines_are_checked_and_malformed_input_is_exit_2(
    pushable: tuple[Path, Path],
) -> None:
    repo, _ = pushable
    bad = lanewarden(repo, "hook", "pre-push", "origin", "url", stdin="refs/heads/main abc\n")
    assert bad.returncode == 2
    assert "<stdin>:1" in bad.stderr
    assert "Traceback" not in bad.stderr
    sha = git(repo, "rev-parse", "main").strip()
    zero = "0" * 40
    deletion = f"(delete) {zero} refs/heads/main {sha}\n"
    refused = lanewarden(
        repo,
        "hook",
        "pre-push",
        "origin",
        "url",
        "--json",
        stdin=f"refs/heads/main {sha} refs/heads/main {sha}\n{deletion}",
        env=INTEGRATOR,
    )
    body = json.loads(refused.stdout)
    assert refused.returncode == 1
    assert [r["ok"] for r in body["refs"]] == [False, False]  # no gate-3 evidence; a deletion
    assert {v["rule"] for v in body["violations"]} == {"missing-evidence", "branch-delete"}


def test_the_pre_commit_framework_variables(pushable: tuple[Path, Path]) -> None:
    repo, _ = pushable
    sha = lane_branch(repo, "L-001", "src/app/models.py", WORKER_L1)
    env = {
        **WORKER_L1,
        "PRE_COMMIT_FROM_REF": git(repo, "rev-parse", "main").strip(),
        "PRE_COMMIT_TO_REF": sha,
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/lane/L-001",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/lane/L-001",
        "PRE_COMMIT_REMOTE_NAME": "origin",
        "PRE_COMMIT_REMOTE_URL": "url",
    }
    refused = lanewarden(repo, "hook", "pre-push", "--json", env=env)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["refs"][0]["commits"] == 1
    record(repo, sha, "2")
    assert lanewarden(repo, "hook", "pre-push", env=env).returncode == 0


def test_sha256_zero_ids() -> None:
    zero = "0" * 64
    sha = "a" * 64
    updates = parse_push_lines(f"(delete) {zero} refs/heads/x {sha}\n", zero)
    assert updates[0].deleting
    assert not updates[0].creating
    with pytest.raises(InputError, match="256-bit"):
        parse_push_lines(f"refs/heads/x {'a' * 40} refs/heads/x {zero}\n", zero)


def test_an_approval_can_waive_missing_evidence_for_one_ref(pushable: tuple[Path, Path]) -> None:
    repo, _ = pushable
    write(repo, "notes.txt")
    git(repo, "add", "-A")
    commit(repo, "unlocked path", env=INTEGRATOR)
    approved = lanewarden(
        repo,
        "approve",
        "--action",
        "missing-evidence",
        "--ref",
        "main",
        "--reason",
        "ci down",
        env=ORCH,
    )
    assert approved.returncode == 0, approved.stderr
    done = push(repo, "main", env=INTEGRATOR)
    assert done.returncode == 0, done.stderr
    log = (repo / ".git" / "lanewarden" / "audit.log").read_text().splitlines()
    assert [json.loads(line)["kind"] for line in log] == ["approval", "consumed"]


def test_tags_carry_no_lane_work(pushable: tuple[Path, Path]) -> None:
    repo, remote = pushable
    git(repo, "tag", "v1")
    done = push(repo, "v1", env={"LANEWARDEN_ROLE": "worker"})
    assert done.returncode == 0, done.stderr
    assert "refs/tags/v1" in remote_refs(remote)


def test_a_sha256_repository_pushes_and_deletes_branches(tmp_path: Path) -> None:
    repo, remote = tmp_path / "repo", tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--object-format=sha256", "-b", "main", str(repo))
    git(tmp_path, "init", "-q", "--bare", "--object-format=sha256", str(remote))
    git(repo, "commit", "-q", "--allow-empty", "-m", "initial")
    git(repo, "remote", "add", "origin", str(remote))
    assert lanewarden(repo, "hooks", "install").returncode == 0
    git(repo, "branch", "feature")
    created = push(repo, "feature")
    assert created.returncode == 0, created.stderr
    assert "1 new commit(s)" in created.stdout + created.stderr
    deleted = push(repo, "--delete", "feature")
    assert deleted.returncode == 0, deleted.stderr
    assert remote_refs(remote) == {}


def test_required_gates_and_protected_branches_are_configurable() -> None:
    from lanewarden.domain.push_check import PushPolicy

    default = PushPolicy(mode="single-branch", target_branch="main")
    assert [default.required_gate(b) for b in ("main", "lane/L-1", "feature")] == ["3", "2", None]
    configured = PushPolicy(
        mode="worktrees",
        target_branch="trunk",
        protected=("release/*",),
        required_gates={"release/*": "3", "lane/*": "", "*": "1"},
    )
    assert configured.is_protected("trunk")
    assert configured.is_protected("release/1.0")
    assert not configured.is_protected("main")
    assert configured.required_gate("release/1.0") == "3"
    assert configured.required_gate("lane/L-1") is None
    assert configured.required_gate("feature") == "1"


def test_a_bad_required_gates_value_names_the_key(repo: Path) -> None:
    write(repo, "lanewarden.toml", "required_gates = { main = 3 }\n")
    done = lanewarden(repo, "hook", "pre-push", stdin="")
    assert done.returncode == 2
    assert "required_gates" in done.stderr
    assert "lanewarden.toml" in done.stderr


def test_the_evidence_fix_for_a_pushed_revision_is_a_command_that_works(
    pushable: tuple[Path, Path],
) -> None:
    repo, _ = pushable
    lane_branch(repo, "L-001", "src/app/models.py", WORKER_L1)
    git(repo, "switch", "-q", "lane/L-001")
    write(repo, "src/app/views.py", "second\n")
    git(repo, "add", "-A")
    commit(repo, "second", env=WORKER_L1, lane="L-001")
    git(repo, "switch", "-q", "main")
    refused = push(repo, "lane/L-001~1:refs/heads/lane/L-001", env=WORKER_L1)
    assert refused.returncode != 0
    switch = next(part for part in refused.stderr.split("`") if part.startswith("git switch "))
    assert "--detach" in switch
    done = run_git(repo, *shlex.split(switch)[1:])
    assert done.returncode == 0, done.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == git(repo, "rev-parse", "lane/L-001~1").strip()


def test_a_push_by_url_reads_the_registry_of_the_branchs_old_tip(
    pushable: tuple[Path, Path],
) -> None:
    repo, remote = pushable
    lane_branch(repo, "L-001", "src/app/models.py", WORKER_L1)
    record(repo, "lane/L-001", "2")
    assert push(repo, "lane/L-001", env=WORKER_L1).returncode == 0
    git(repo, "switch", "-q", "lane/L-001")
    write(repo, "src/app/views.py", "more\n")
    git(repo, "add", "-A")
    commit(repo, "more", env=WORKER_L1, lane="L-001")
    record(repo, "lane/L-001", "2")
    by_url = run_git(repo, "push", str(remote), "lane/L-001", env=WORKER_L1)
    assert by_url.returncode == 0, by_url.stderr  # no remote-tracking branch, same registry
    write(repo, "src/lib/core.py", "not mine\n")
    git(repo, "add", "-A")
    done = run_git(repo, "commit", "-q", "--no-verify", "-m", "x", "--trailer", "Lane: L-001")
    assert done.returncode == 0
    record(repo, "lane/L-001", "2")
    refused = run_git(repo, "push", str(remote), "lane/L-001", env=WORKER_L1)
    assert "out-of-scope: src/lib/core.py" in refused.stderr
