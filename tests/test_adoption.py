"""Adoption on an existing repository, and the pre-push hook and `verify` agreeing.

Commits from before adoption (when no commit in their ancestry held the
configuration or a lock table) are not judged; everything after is, even once
the configuration or ledger is deleted again. The hook and `verify` read the
registry from the same base and judge the same commits: a table of scenarios
runs both on the same range and compares their verdicts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready, record_evidence

INTEGRATOR = {"LANEWARDEN_ROLE": "integrator"}
# Rules on the ref itself, and evidence: the hook's business only (verify runs without them).
REF_RULES = {"integrator-only", "force-push", "branch-delete", "missing-evidence", "gate-failed"}
Verdict = tuple[int, frozenset[tuple[str, str | None]]]


def commit(repo: Path, message: str, lane: str | None = None, *args: str) -> None:
    trailer = ["--trailer", f"Lane: {lane}"] if lane else []
    git(repo, "commit", "-q", "--no-verify", "-m", message, *trailer, *args, env=INTEGRATOR)


def change(repo: Path, path: str, text: str, lane: str | None = None) -> None:
    write(repo, path, text)
    git(repo, "add", "-A")
    commit(repo, f"edit {path}", lane)


def adopt(repo: Path) -> None:
    """`lanewarden init`, a commit, the two locks committed: the adoption."""
    make_parallel_ready(repo)
    acquire_two_lanes(repo)


def publish(repo: Path, ref: str = "main") -> None:
    git(repo, "push", "-q", "--no-verify", "origin", ref)


def hook_verdict(repo: Path, ref: str) -> Verdict:
    """`lanewarden hook pre-push` with the line `git push origin REF` would give it."""
    local = git(repo, "rev-parse", ref).strip()
    listed = git(repo, "ls-remote", "origin", f"refs/heads/{ref}").split()
    old = listed[0] if listed else "0" * len(local)
    done = lanewarden(
        repo,
        "hook",
        "pre-push",
        "origin",
        "url",
        "--json",
        stdin=f"refs/heads/{ref} {local} refs/heads/{ref} {old}\n",
        env=INTEGRATOR,
    )
    if done.returncode == 2:
        return 2, frozenset()
    assert done.returncode in (0, 1), done.stdout + done.stderr
    found = {(v["rule"], v["path"]) for v in json.loads(done.stdout)["violations"]}
    kept = frozenset(item for item in found if item[0] not in REF_RULES)
    return (1 if kept else 0), kept


def verify_verdict(repo: Path, span: str) -> Verdict:
    done = lanewarden(repo, "verify", "--range", span, "--json")
    if done.returncode == 2:
        return 2, frozenset()
    assert done.returncode in (0, 1), done.stdout + done.stderr
    body = json.loads(done.stdout)
    return done.returncode, frozenset((v["rule"], v["path"]) for v in body["violations"])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: a repository with three commits from before lanewarden, pushed to
    `origin`, and a branch `old` forked from them with one more (also unjudged)."""
    base = tmp_path_factory.mktemp("existing")
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
        git(base, "init", "-q", "-b", "main", str(repo))
        for path in ("src/app/models.py", "src/lib/core.py", "docs/guide.md"):
            change(repo, path, "before lanewarden\n")
        git(repo, "branch", "old")
        git(repo, "switch", "-q", "old")
        change(repo, "src/lib/old.py", "an old branch\n")
        git(repo, "switch", "-q", "main")
        git(base, "init", "-q", "--bare", str(base / "remote.git"))
        git(repo, "remote", "add", "origin", str(base / "remote.git"))
        publish(repo)
    return base


@pytest.fixture
def existing(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template / "repo", tmp_path / "repo", symlinks=True)
    shutil.copytree(template / "remote.git", tmp_path / "remote.git", symlinks=True)
    repo = tmp_path / "repo"
    git(repo, "remote", "set-url", "origin", str(tmp_path / "remote.git"))
    return repo


def adopted_and_published(repo: Path) -> None:
    adopt(repo)
    publish(repo)


def lane_branch(lane: str, path: str) -> Callable[[Path], str]:
    def steps(repo: Path) -> str:
        adopted_and_published(repo)
        git(repo, "switch", "-q", "-c", f"lane/{lane}")
        change(repo, path, f"{lane} work\n", lane)
        return f"lane/{lane}"

    return steps


def second_push_of_a_lane_branch(repo: Path) -> str:
    lane_branch("L-002", "src/lib/core.py")(repo)
    publish(repo, "lane/L-002")
    change(repo, "notes/free.txt", "unlocked\n", "L-002")
    change(repo, "src/app/views.py", "not mine\n", "L-002")
    return "lane/L-002"


def adoption_and_lane_commit_together(repo: Path) -> str:
    adopt(repo)
    change(repo, "src/app/models.py", "L-001 work\n", "L-001")
    return "main"


def adoption_alone(repo: Path) -> str:
    adopt(repo)
    return "main"


def lane_commit_after_adoption(repo: Path) -> str:
    adopted_and_published(repo)
    change(repo, "src/app/models.py", "L-001 work\n", "L-001")
    return "main"


def no_trailer_on_a_locked_path(repo: Path) -> str:
    adopted_and_published(repo)
    change(repo, "src/lib/core.py", "who?\n")
    return "main"


def deleted_configuration_then_out_of_scope(repo: Path) -> str:
    adopted_and_published(repo)
    git(repo, "rm", "-q", "PLAN.md", "lanewarden.toml")
    commit(repo, "drop lanewarden")
    change(repo, "src/lib/core.py", "sneaky\n", "L-001")
    return "main"


def ledger_deleted_on_the_remote(repo: Path) -> str:
    adopted_and_published(repo)
    git(repo, "rm", "-q", "PLAN.md")
    commit(repo, "drop the ledger")
    publish(repo)
    change(repo, "src/app/models.py", "L-001 work\n", "L-001")
    return "main"


def lock_table_garbled_on_the_remote(repo: Path) -> str:
    adopted_and_published(repo)
    plan = repo / "PLAN.md"
    plan.write_text(plan.read_text().replace("| lock_id | owner |", "| lock | owner |"))
    git(repo, "add", "-A")
    commit(repo, "garble the table")
    publish(repo)
    change(repo, "src/app/models.py", "L-001 work\n", "L-001")
    return "main"


def old_branch_merged_after_adoption(repo: Path) -> str:
    adopted_and_published(repo)
    git(repo, "merge", "-q", "--no-ff", "--no-verify", "old", "-m", "merge the old branch")
    return "main"


def orphan_merged_after_adoption(repo: Path) -> str:
    """A root commit made after adoption has no adoption in its ancestry: still judged."""
    adopted_and_published(repo)
    git(repo, "switch", "-q", "--orphan", "elsewhere")  # an empty index and work tree
    change(repo, "src/lib/orphan.py", "from nowhere\n", "L-001")
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--no-verify", "--allow-unrelated-histories", "elsewhere", "-m", "m")
    return "main"


def old_commit_rebased_after_adoption(repo: Path) -> str:
    adopted_and_published(repo)
    git(repo, "cherry-pick", "old", env=INTEGRATOR)
    return "main"


def autonomous_target_switched_off_locally(repo: Path) -> str:
    make_parallel_ready(repo)
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text() + "autonomous = true\n")
    git(repo, "add", "-A")
    commit(repo, "autonomous")
    acquire_two_lanes(repo)
    publish(repo)
    change(repo, "src/app/models.py", "L-001 work\n", "L-001")
    config.write_text(config.read_text().replace("autonomous = true\n", ""))
    return "main"


SCENARIOS: dict[str, tuple[Callable[[Path], str], Verdict]] = {
    "adoption and a lane commit pushed together onto a main without a ledger": (
        adoption_and_lane_commit_together,
        (1, frozenset({("unknown-lane", None)})),
    ),
    "the adoption pushed alone": (adoption_alone, (0, frozenset())),
    "a lane commit once the adoption is on the remote": (
        lane_commit_after_adoption,
        (0, frozenset()),
    ),
    "first push of a lane branch, in scope": (
        lane_branch("L-001", "src/app/models.py"),
        (0, frozenset()),
    ),
    "first push of a lane branch, out of scope": (
        lane_branch("L-001", "src/lib/core.py"),
        (1, frozenset({("out-of-scope", "src/lib/core.py"), ("foreign-lock", "src/lib/core.py")})),
    ),
    "second push of a lane branch, one commit out of scope": (
        second_push_of_a_lane_branch,
        (
            1,
            frozenset(
                {
                    ("out-of-scope", "notes/free.txt"),
                    ("out-of-scope", "src/app/views.py"),
                    ("foreign-lock", "src/app/views.py"),
                }
            ),
        ),
    ),
    "a commit without a trailer on a locked path": (
        no_trailer_on_a_locked_path,
        (1, frozenset({("missing-trailer", "src/lib/core.py")})),
    ),
    "configuration and ledger deleted, then an out-of-scope commit": (
        deleted_configuration_then_out_of_scope,
        (1, frozenset({("out-of-scope", "src/lib/core.py"), ("foreign-lock", "src/lib/core.py")})),
    ),
    "the ledger deleted on the remote after adoption": (
        ledger_deleted_on_the_remote,
        (2, frozenset()),
    ),
    "the lock table garbled on the remote": (lock_table_garbled_on_the_remote, (2, frozenset())),
    "a branch forked before adoption, merged after it": (
        old_branch_merged_after_adoption,
        (1, frozenset({("missing-trailer", "src/lib/old.py")})),
    ),
    "an unrelated history merged after adoption": (
        orphan_merged_after_adoption,
        (
            1,
            frozenset(
                {("out-of-scope", "src/lib/orphan.py"), ("foreign-lock", "src/lib/orphan.py")}
            ),
        ),
    ),
    "a commit from before adoption rebased after it": (
        old_commit_rebased_after_adoption,
        (1, frozenset({("missing-trailer", "src/lib/old.py")})),
    ),
    "autonomous on the target branch, switched off in the work tree": (
        autonomous_target_switched_off_locally,
        (1, frozenset({("missing-trailer", None)})),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_hook_and_verify_agree(existing: Path, name: str) -> None:
    steps, expected = SCENARIOS[name]
    ref = steps(existing)
    hook = hook_verdict(existing, ref)
    verified = verify_verdict(existing, f"origin/main..{ref}")
    assert hook == verified, f"{name}: the hook says {hook}, verify says {verified}"
    assert hook == expected, name


def test_commits_from_before_adoption_are_not_judged_on_the_first_push(
    repo: Path, tmp_path: Path
) -> None:
    for number in range(24):
        change(repo, "src/app/models.py", f"version {number}\n")
    adopt(repo)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "remote.git"))
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    record_evidence(repo, "main", "3")
    done = subprocess.run(
        ["git", "push", "origin", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **INTEGRATOR},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "missing-trailer" not in done.stderr
    assert "25 from before adoption not judged" in done.stdout + done.stderr


def test_deleting_the_configuration_does_not_end_judgement(existing: Path) -> None:
    repo = existing
    adopted_and_published(repo)
    git(repo, "rm", "-q", "PLAN.md", "lanewarden.toml", "AGENTS.md")
    commit(repo, "drop lanewarden")
    change(repo, "src/lib/core.py", "no lanes any more\n")
    done = lanewarden(repo, "verify", "--range", "origin/main..main", "--json")
    body = json.loads(done.stdout)
    assert done.returncode == 1
    assert body["judged"] == 2
    assert body["before_adoption"] == 0
    assert [v["rule"] for v in body["violations"]] == ["missing-trailer"]


def test_adoption_through_pyproject_counts_only_a_lanewarden_table(repo: Path) -> None:
    from lanewarden.adapters.adoption import Adoption
    from lanewarden.adapters.git import Repo

    write(repo, "pyproject.toml", '[project]\nname = "x"\ndependencies = ["lanewarden>=0.1"]\n')
    git(repo, "add", "-A")
    commit(repo, "depend on lanewarden")
    mentioned = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "PLAN.md", "# Plan\n\nNo lock table here.\n")
    git(repo, "add", "-A")
    commit(repo, "a plan of our own")
    planned = git(repo, "rev-parse", "HEAD").strip()
    config = repo / "pyproject.toml"
    config.write_text(config.read_text() + '\n[tool.lanewarden]\nmode = "worktrees"\n')
    git(repo, "add", "-A")
    commit(repo, "adopt through pyproject")
    adopted = git(repo, "rev-parse", "HEAD").strip()
    config.write_text(config.read_text().split("[tool.lanewarden]")[0])
    git(repo, "add", "-A")
    commit(repo, "drop the table again")
    dropped = git(repo, "rev-parse", "HEAD").strip()
    adoption = Adoption(Repo.discover(repo), "PLAN.md")
    assert [adoption.adopted(c) for c in (mentioned, planned, adopted, dropped)] == [
        False,
        False,
        True,
        True,
    ]
    assert not adoption.holds(dropped)


def test_attributes_do_not_hide_the_adoption(repo: Path) -> None:
    from lanewarden.adapters.adoption import Adoption
    from lanewarden.adapters.git import Repo

    write(repo, ".gitattributes", "pyproject.toml -diff\nPLAN.md binary\nlanewarden.toml -diff\n")
    git(repo, "add", "-A")
    commit(repo, "attributes")
    git(repo, "config", "log.follow", "true")
    write(repo, "pyproject.toml", '[tool.lanewarden]\nmode = "worktrees"\n')
    git(repo, "add", "-A")
    commit(repo, "adopt through pyproject")
    adopted = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", "pyproject.toml")
    commit(repo, "and drop it")
    dropped = git(repo, "rev-parse", "HEAD").strip()
    adoption = Adoption(Repo.discover(repo), "PLAN.md")
    assert adoption.candidates([dropped]) == [dropped, adopted]
    assert adoption.adopted(dropped)
