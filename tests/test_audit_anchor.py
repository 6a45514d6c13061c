"""The audit trail's anchor: truncation, deletion, forgery and rewinds are seen, in real git."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import Cli, git
from lanewarden.domain.audit import seal
from lanewarden.domain.times import format_time, now
from scenario import add_bare_remote, lanewarden, make_parallel_ready

ANCHOR = "refs/lanewarden/audit"
MAINTAINER = {"LANEWARDEN_ROLE": "maintainer"}
INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}


def log_of(repo: Path) -> Path:
    return repo / ".git" / "lanewarden" / "audit.log"


def approve(cli: Cli, repo: Path, action: str = "force-push", ref: str = "main") -> str:
    """Record an approval as the maintainer; returns its id."""
    done = cli(
        repo, "approve", "--action", action, "--ref", ref, "--reason", "r", "--json", **MAINTAINER
    )
    assert done.code == 0, done.err
    return str(done.json["approval"]["id"])


def audit_verify(cli: Cli, repo: Path) -> tuple[int, dict[str, object]]:
    done = cli(repo, "audit", "verify", "--json")
    return done.code, done.json


def messages(report: dict[str, object]) -> str:
    violations = report["violations"]
    assert isinstance(violations, list)
    assert {v["rule"] for v in violations} == {"audit-tampered"}
    return "\n".join(f"{v['path']}: {v['message']} / {v['fix']}" for v in violations)


def forged_approval(previous: str, action: str = "branch-delete") -> str:
    """An approval line chained correctly to ``previous``, written by hand."""
    at = now()
    body = {
        "kind": "approval",
        "time": format_time(at),
        "action": action,
        "ref": "refs/heads/main",
        "reason": "forged",
        "by": "maintainer m",
        "expires": format_time(at + timedelta(hours=1)),
    }
    return json.dumps(seal(body, previous), sort_keys=True) + "\n"


def last_hash(repo: Path) -> str:
    return str(json.loads(log_of(repo).read_text().splitlines()[-1])["hash"])


@pytest.fixture
def hooked(repo: Path) -> tuple[Path, Path]:
    """Hooks installed, locks-ready, ``main`` pushed to a bare ``origin``."""
    make_parallel_ready(repo)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    remote = add_bare_remote(repo)
    # A bare remote refuses to delete the branch its HEAD names; point it elsewhere.
    git(repo, "push", "-q", "--no-verify", "origin", "main:refs/heads/keep")
    git(remote, "symbolic-ref", "HEAD", "refs/heads/keep")
    return repo, remote


def push(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "origin", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **INTEGRATOR},
        check=False,
    )


def has_branch(remote: Path, branch: str) -> bool:
    return bool(git(remote, "for-each-ref", f"refs/heads/{branch}").strip())


def test_a_repository_without_a_trail_is_intact(cli: Cli, repo: Path) -> None:
    code, report = audit_verify(cli, repo)
    assert code == 0
    assert report["entries"] == 0
    assert report["anchor"] is None


def test_every_append_moves_the_anchor_and_keeps_the_log_in_it(cli: Cli, repo: Path) -> None:
    for _ in range(3):
        approve(cli, repo)
    assert git(repo, "rev-list", "--count", ANCHOR).strip() == "3"
    assert git(repo, "cat-file", "blob", f"{ANCHOR}:audit.log") == log_of(repo).read_text()
    code, report = audit_verify(cli, repo)
    assert code == 0, report
    assert report["entries"] == 3
    assert report["anchor"] == git(repo, "rev-parse", ANCHOR).strip()


def test_truncating_the_tail_is_tampering(cli: Cli, repo: Path) -> None:
    for _ in range(3):
        approve(cli, repo)
    lines = log_of(repo).read_text().splitlines(keepends=True)
    log_of(repo).write_text("".join(lines[:1]))
    code, report = audit_verify(cli, repo)
    assert code == 1
    text = messages(report)
    assert "after line 1" in text
    assert "3 entries" in text
    assert f"git cat-file blob {ANCHOR}:audit.log" in text
    # The fix it gives works.
    git_restore = git(repo, "cat-file", "blob", f"{ANCHOR}:audit.log")
    log_of(repo).write_text(git_restore)
    assert audit_verify(cli, repo)[0] == 0


def test_deleting_the_log_is_tampering(cli: Cli, repo: Path) -> None:
    approve(cli, repo)
    approve(cli, repo)
    log_of(repo).unlink()
    code, report = audit_verify(cli, repo)
    assert code == 1
    assert "after line 0" in messages(report)
    # Nothing more is written on top of a trail that does not verify.
    refused = cli(
        repo, "approve", "--action", "force-push", "--ref", "main", "--reason", "r", **MAINTAINER
    )
    assert refused.code == 2
    assert not log_of(repo).exists()


def test_a_hand_appended_chained_entry_is_not_anchored(cli: Cli, repo: Path) -> None:
    approve(cli, repo)
    with log_of(repo).open("a") as log:
        log.write(forged_approval(last_hash(repo)))
    code, report = audit_verify(cli, repo)
    assert code == 1
    text = messages(report)
    assert "audit.log:2" in text
    assert "not in the anchored chain" in text


def test_deleting_the_anchor_is_tampering(cli: Cli, repo: Path) -> None:
    approve(cli, repo)
    git(repo, "update-ref", "-d", ANCHOR)
    code, report = audit_verify(cli, repo)
    assert code == 1
    assert "no anchor" in messages(report)


def test_rewinding_the_anchor_with_the_log_is_seen(cli: Cli, repo: Path) -> None:
    approve(cli, repo)
    first = log_of(repo).read_text()
    approve(cli, repo)
    newer = git(repo, "rev-parse", ANCHOR).strip()
    # Both moved back together, as someone hiding the second entry would.
    git(repo, "update-ref", ANCHOR, f"{ANCHOR}~1")
    log_of(repo).write_text(first)
    code, report = audit_verify(cli, repo)
    assert code == 1
    text = messages(report)
    assert "moved back" in text
    assert newer in text


def test_a_consumed_approval_does_not_work_again_after_truncation(
    cli: Cli, hooked: tuple[Path, Path]
) -> None:
    repo, remote = hooked
    approve(cli, repo, action="branch-delete")
    assert push(repo, "--delete", "main").returncode == 0
    assert not has_branch(remote, "main")
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    # Cut the `consumed` entry off the log: the approval looks unused there.
    lines = log_of(repo).read_text().splitlines(keepends=True)
    assert [json.loads(line)["kind"] for line in lines] == ["approval", "consumed"]
    log_of(repo).write_text(lines[0])
    again = push(repo, "--delete", "main")
    assert again.returncode != 0
    assert "branch-delete" in again.stderr
    assert "already used" in again.stderr
    assert has_branch(remote, "main")


def test_a_hand_appended_approval_is_ignored_and_reported(
    cli: Cli, hooked: tuple[Path, Path]
) -> None:
    repo, remote = hooked
    approve(cli, repo, action="force-push")  # a real entry for the forgery to chain to
    with log_of(repo).open("a") as log:
        log.write(forged_approval(last_hash(repo)))
    refused = push(repo, "--delete", "main")
    assert refused.returncode != 0
    assert "branch-delete" in refused.stderr
    assert "line 2" in refused.stderr
    assert "not in the anchored chain" in refused.stderr
    assert has_branch(remote, "main")


def test_a_hand_written_log_without_anchor_approves_nothing(
    cli: Cli, hooked: tuple[Path, Path]
) -> None:
    repo, remote = hooked
    log_of(repo).parent.mkdir(parents=True, exist_ok=True)
    log_of(repo).write_text(forged_approval("0" * 64))
    refused = push(repo, "--delete", "main")
    assert refused.returncode != 0
    assert "not in the anchored chain" in refused.stderr
    assert has_branch(remote, "main")


def test_concurrent_approvals_lose_no_entry(repo: Path) -> None:
    count = 4
    processes = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "lanewarden", "approve", "--action", "force-push"),
                *("--ref", f"lane/{n}", "--reason", f"r{n}"),
            ],
            cwd=repo,
            env={**os.environ, **MAINTAINER},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(count)
    ]
    for process in processes:
        _, err = process.communicate()
        assert process.returncode == 0, err
    lines = log_of(repo).read_text().splitlines()
    assert sorted(json.loads(line)["ref"] for line in lines) == [
        f"refs/heads/lane/{n}" for n in range(count)
    ]
    assert git(repo, "rev-list", "--count", ANCHOR).strip() == str(count)
    assert git(repo, "cat-file", "blob", f"{ANCHOR}:audit.log") == log_of(repo).read_text()
    done = lanewarden(repo, "audit", "verify", "--json")
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["entries"] == count


def git_in(repo: Path, stdin: str, *args: str) -> str:
    """Run git with ``stdin`` as its input."""
    done = subprocess.run(
        ["git", *args], cwd=repo, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def clone(remote: Path, where: Path) -> Path:
    git(where.parent, "clone", "-q", str(remote), str(where))
    return where


def test_push_and_fetch_carry_the_anchor_fast_forward_only(
    cli: Cli, repo: Path, tmp_path: Path
) -> None:
    remote = add_bare_remote(repo)
    approve(cli, repo)
    approve(cli, repo)
    pushed = cli(repo, "audit", "push", "--json")
    assert pushed.code == 0, pushed.err
    assert pushed.json["pushed"] is True
    assert git(remote, "rev-parse", ANCHOR) == git(repo, "rev-parse", ANCHOR)
    ci = clone(remote, tmp_path / "ci")
    assert audit_verify(cli, ci)[1]["entries"] == 0  # a clone does not fetch it by itself
    fetched = cli(ci, "audit", "fetch", "--json")
    assert fetched.code == 0, fetched.err
    assert fetched.json["fetched"] is True
    code, report = audit_verify(cli, ci)
    assert code == 0, report
    assert report["entries"] == 2
    assert report["anchor"] == git(repo, "rev-parse", ANCHOR).strip()
    # Fetching again restores a truncated log from the anchor it carries.
    log_of(ci).write_text(log_of(ci).read_text().splitlines(keepends=True)[0])
    assert audit_verify(cli, ci)[0] == 1
    assert cli(ci, "audit", "fetch").code == 0
    assert audit_verify(cli, ci)[0] == 0
    # Both record one more approval: the trails diverge, and the second push is refused.
    approve(cli, ci, ref="dev")
    approve(cli, repo, ref="next")
    assert cli(ci, "audit", "push").code == 0
    ci_anchor = git(ci, "rev-parse", ANCHOR)
    diverged = cli(repo, "audit", "push")
    assert diverged.code == 2
    assert "diverged" in diverged.err
    assert git(remote, "rev-parse", ANCHOR) == ci_anchor  # never forced
    assert audit_verify(cli, repo)[0] == 0  # the local trail is left as it was


def test_push_refuses_a_trail_that_does_not_verify(cli: Cli, repo: Path) -> None:
    remote = add_bare_remote(repo)
    approve(cli, repo)
    log_of(repo).write_text("")
    refused = cli(repo, "audit", "push", "--json")
    assert refused.code == 1
    assert refused.json["violations"][0]["rule"] == "audit-tampered"
    assert not git(remote, "for-each-ref", ANCHOR).strip()
    # Also when the remote holds the anchor (a fetch would bring the log back).
    log_of(repo).write_text(git(repo, "cat-file", "blob", f"{ANCHOR}:audit.log"))
    assert cli(repo, "audit", "push").code == 0
    approve(cli, repo)
    log_of(repo).write_text(log_of(repo).read_text().splitlines(keepends=True)[0])
    again = cli(repo, "audit", "push", "--json")
    assert again.code == 1
    assert "after line 1" in again.json["violations"][0]["message"]
    fetched = cli(repo, "audit", "fetch", "--json")
    assert fetched.json["log_extended"] is True
    assert audit_verify(cli, repo)[0] == 0


def test_ci_verifies_the_chain_the_remote_carries(cli: Cli, repo: Path, tmp_path: Path) -> None:
    remote = add_bare_remote(repo)
    approve(cli, repo)
    approve(cli, repo)
    assert cli(repo, "audit", "push").code == 0
    # Someone pushes, with plain git, an anchor whose log has an edited first entry.
    lines = log_of(repo).read_text().splitlines(keepends=True)
    first = json.loads(lines[0])
    first["expires"] = "2099-01-01T00:00:00Z"
    forged_log = json.dumps(first, sort_keys=True) + "\n" + "".join(lines[1:])
    blob = git_in(repo, forged_log, "hash-object", "-w", "--stdin").strip()
    tree = git_in(repo, f"100644 blob {blob}\taudit.log\n", "mktree").strip()
    message = git(repo, "log", "-1", "--format=%B", ANCHOR)
    forged = git(repo, "commit-tree", tree, "-p", ANCHOR, "-m", message).strip()
    git(repo, "push", "-q", "--no-verify", "origin", f"{forged}:{ANCHOR}")
    ci = clone(remote, tmp_path / "ci")
    assert cli(ci, "audit", "fetch").code == 0
    code, report = audit_verify(cli, ci)
    assert code == 1
    assert "does not match its hash" in messages(report)


def anchor_child(repo: Path, log: str, message: str) -> str:
    """A commit on top of the anchor carrying ``log``, made with plain git (not lanewarden)."""
    blob = git_in(repo, log, "hash-object", "-w", "--stdin").strip()
    tree = git_in(repo, f"100644 blob {blob}\taudit.log\n", "mktree").strip()
    return git(repo, "commit-tree", tree, "-p", ANCHOR, "-m", message).strip()


def test_a_fast_forward_anchor_with_a_shorter_log_does_not_verify(
    cli: Cli, repo: Path, tmp_path: Path
) -> None:
    remote = add_bare_remote(repo)
    for _ in range(3):
        approve(cli, repo)
    assert cli(repo, "audit", "push").code == 0
    first = log_of(repo).read_text().splitlines(keepends=True)[0]
    head = json.loads(first)["hash"]
    # A child of the anchor (so a push is a fast-forward) that carries one entry only,
    # with a message that agrees with it.
    shorter = anchor_child(
        repo, first, f"lanewarden audit: 1 entries\n\nEntries: 1\nHead: {head}\n"
    )
    git(repo, "update-ref", ANCHOR, shorter)
    log_of(repo).write_text(first)
    code, report = audit_verify(cli, repo)
    assert code == 1
    assert "does not extend" in messages(report)
    # lanewarden does not push it; CI sees it when someone pushes it by hand.
    refused = cli(repo, "audit", "push")
    assert refused.code == 1
    assert git(remote, "rev-parse", ANCHOR).strip() != shorter
    git(repo, "push", "-q", "--no-verify", "origin", f"{ANCHOR}:{ANCHOR}")
    ci = clone(remote, tmp_path / "ci")
    assert cli(ci, "audit", "fetch").code == 0
    assert audit_verify(cli, ci)[0] == 1


def test_audit_push_goes_through_the_installed_pre_push_hook(
    cli: Cli, hooked: tuple[Path, Path]
) -> None:
    repo, remote = hooked
    approve(cli, repo)
    done = lanewarden(repo, "audit", "push", "--json", env=INTEGRATOR)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pushed"] is True
    assert git(remote, "rev-parse", ANCHOR) == git(repo, "rev-parse", ANCHOR)


def test_fetch_from_a_remote_without_an_anchor(cli: Cli, repo: Path) -> None:
    add_bare_remote(repo)
    done = cli(repo, "audit", "fetch", "--json")
    assert done.code == 0, done.err
    assert done.json["fetched"] is False
    assert cli(repo, "audit", "push", "--json").json["pushed"] is False
    assert cli(repo, "audit", "push", "nowhere").code == 2


def test_an_append_that_lost_its_reason_writes_nothing(repo: Path) -> None:
    from lanewarden.adapters.audit_log import AuditLog
    from lanewarden.adapters.git import Repo
    from lanewarden.errors import InputError

    log = AuditLog(Repo.discover(repo))
    log.append({"kind": "approval", "n": 1})
    anchor = git(repo, "rev-parse", ANCHOR)
    with pytest.raises(InputError, match="already there"):
        log.append({"kind": "consumed"}, unless=lambda entries: "already there")
    assert len(log.read()) == 1
    assert git(repo, "rev-parse", ANCHOR) == anchor


def test_two_pushes_at_once_spend_one_approval_once(cli: Cli, hooked: tuple[Path, Path]) -> None:
    repo, remote = hooked
    second = repo.parent / "second.git"
    git(repo.parent, "clone", "-q", "--bare", str(remote), str(second))
    git(repo, "remote", "add", "second", str(second))
    approve(cli, repo, action="branch-delete")
    pushes = [
        subprocess.Popen(
            ["git", "push", name, "--delete", "main"],
            cwd=repo,
            env={**os.environ, **INTEGRATOR},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("origin", "second")
    ]
    for process in pushes:
        process.communicate()
    assert sorted(p.returncode == 0 for p in pushes) == [False, True]
    assert has_branch(remote, "main") != has_branch(second, "main")
    kinds = [json.loads(line)["kind"] for line in log_of(repo).read_text().splitlines()]
    assert kinds == ["approval", "consumed"]
    assert cli(repo, "audit", "verify").code == 0


def test_every_worktree_shares_the_log_and_its_anchor(cli: Cli, repo: Path) -> None:
    linked = repo.parent / "linked worktree"
    git(repo, "worktree", "add", "-q", "-b", "side", str(linked))
    approve(cli, linked)
    approve(cli, repo)
    for where in (repo, linked):
        code, report = audit_verify(cli, where)
        assert code == 0, report
        assert report["entries"] == 2
    assert git(linked, "rev-parse", ANCHOR) == git(repo, "rev-parse", ANCHOR)


def test_rewinding_log_and_anchor_does_not_bring_an_approval_back(
    cli: Cli, hooked: tuple[Path, Path]
) -> None:
    repo, remote = hooked
    approve(cli, repo, action="branch-delete")
    assert push(repo, "--delete", "main").returncode == 0
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    # Move the anchor back to before the `consumed` entry, and the log with it.
    git(repo, "update-ref", ANCHOR, f"{ANCHOR}~1")
    log_of(repo).write_text(git(repo, "cat-file", "blob", f"{ANCHOR}:audit.log"))
    again = push(repo, "--delete", "main")
    assert again.returncode != 0
    assert "anchor does not verify" in again.stderr
    assert has_branch(remote, "main")
