"""A repository's configuration never narrows which paths lanewarden sees.

A submodule bump hidden by `ignore = all` (in .gitmodules or .git/config),
`diff.ignoreSubmodules`, an external diff, text conversion and `diff.relative`
are set in real repositories; the pre-push hook, `verify` and the pytest
plugin's change lists must still see every changed path.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from lanewarden.adapters import changes
from lanewarden.adapters.git import Repo
from scenario import lanewarden, make_pushable, record_evidence

WORKER_L1 = {"LANEWARDEN_ROLE": "worker", "LANEWARDEN_LANE": "L-001"}
FILE_PROTOCOL = ("-c", "protocol.file.allow=always")


def make_submodule(where: Path) -> Path:
    git(where.parent, "init", "-q", "-b", "main", str(where))
    write(where, "lib.c", "one\n")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "one")
    return where


def bump(submodule_checkout: Path) -> None:
    write(submodule_checkout, "lib.c", "two\n")
    git(submodule_checkout, "commit", "-q", "-am", "two")


HIDING = {
    ".gitmodules": lambda repo: git(
        repo, "config", "-f", ".gitmodules", "submodule.src/lib/vendor.ignore", "all"
    ),
    ".git/config": lambda repo: git(repo, "config", "submodule.src/lib/vendor.ignore", "all"),
    "diff.ignoreSubmodules": lambda repo: git(repo, "config", "diff.ignoreSubmodules", "all"),
}


@pytest.mark.parametrize("hidden_by", sorted(HIDING))
def test_a_hidden_submodule_bump_is_caught_by_push_and_verify(
    repo: Path, tmp_path: Path, hidden_by: str
) -> None:
    make_pushable(repo, tmp_path / "remote.git")
    sub = make_submodule(tmp_path / "sub")
    git(repo, *FILE_PROTOCOL, "submodule", "-q", "add", str(sub), "src/lib/vendor")
    HIDING[hidden_by](repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "vendor", "--trailer", "Lane: L-002")
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    git(repo, "switch", "-q", "-c", "lane/L-001")
    bump(repo / "src/lib/vendor")
    git(repo, "add", "src/lib/vendor")
    assert git(repo, "diff", "--cached", "--name-only") == ""  # git itself hides the bump
    git(
        repo,
        "commit",
        "-q",
        "--no-verify",
        "--allow-empty",
        "-m",
        "bump",
        "--trailer",
        "Lane: L-001",
    )
    assert git(repo, "show", "--name-only", "--format=", "HEAD") == ""  # so does `git show`
    record_evidence(repo, "HEAD", "2")
    refused = subprocess.run(
        ["git", "push", "origin", "lane/L-001"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **WORKER_L1},
        check=False,
    )
    assert refused.returncode != 0
    assert "out-of-scope: src/lib/vendor" in refused.stderr
    done = lanewarden(repo, "verify", "--range", "origin/main..lane/L-001", "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    found = {(v["rule"], v["path"]) for v in json.loads(done.stdout)["violations"]}
    assert found == {("out-of-scope", "src/lib/vendor"), ("foreign-lock", "src/lib/vendor")}


def test_the_plugins_change_lists_see_a_hidden_submodule_bump(repo: Path, tmp_path: Path) -> None:
    sub = make_submodule(tmp_path / "sub")
    git(repo, *FILE_PROTOCOL, "submodule", "-q", "add", str(sub), "vendor")
    git(repo, "config", "-f", ".gitmodules", "submodule.vendor.ignore", "all")
    git(repo, "config", "diff.ignoreSubmodules", "all")
    git(repo, "config", "diff.relative", "true")
    git(repo, "config", "status.showUntrackedFiles", "no")
    git(repo, "config", "status.renames", "true")
    git(repo, "commit", "-q", "-am", "vendor")
    git(repo, "switch", "-q", "-c", "feature")
    bump(repo / "vendor")
    git(repo, "add", "vendor")
    found = Repo.discover(repo)
    assert changes.staged_files(found) == ["vendor"]
    assert changes.changed_files(found) == ["vendor"]
    git(repo, "mv", "README.md", "READ ME.md")
    write(repo, "untracked.py", "u\n")
    assert changes.changed_files(found) == ["READ ME.md", "README.md", "untracked.py", "vendor"]
    (repo / "untracked.py").unlink()
    git(repo, "reset", "-q", "--hard")  # the submodule's checkout stays bumped
    git(repo, "add", "vendor")
    git(repo, "commit", "-q", "--allow-empty", "-m", "bump")
    assert changes.files_since(found, "main") == ["vendor"]


def test_an_external_diff_and_textconv_do_not_change_the_paths(repo: Path) -> None:
    write(repo, ".gitattributes", "*.txt diff=hide\n")
    git(repo, "config", "diff.external", "true")
    git(repo, "config", "diff.hide.textconv", "true")  # every version converts to nothing
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "attributes")
    write(repo, "notes.txt", "one\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "notes")
    write(repo, "notes.txt", "two\n")
    git(repo, "add", "-A")
    assert changes.staged_files(Repo.discover(repo)) == ["notes.txt"]
