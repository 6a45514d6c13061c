"""The compiled lock table: the hook's warm path skips Markdown and pathspec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import git, write
from scenario import acquire_two_lanes, make_parallel_ready, set_lock_rows

HOOK = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"}


def hook_imports(repo: Path) -> tuple[int, set[str]]:
    """Run the pre-commit hook; return its exit code and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lanewarden", "hook", "pre-commit"],
        cwd=repo, env={**os.environ, **HOOK}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done.returncode, modules


def test_the_warm_hook_imports_no_parser(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    write(repo, "src/app/models.py", "changed\n")
    git(repo, "add", "src/app/models.py")
    code, first = hook_imports(repo)
    assert code == 0
    assert "markdown_it" in first  # the ledger changed: parsed once, then cached
    code, warm = hook_imports(repo)
    assert code == 0
    heavy = {"markdown_it", "pathspec", "argparse", "tomllib", "git", "json", "dataclasses"}
    assert heavy & warm == set()
    # Both git commands were spawned before the imports, without subprocess.
    assert "subprocess" not in warm
    assert "lanewarden.adapters.early_git" in warm


def test_a_hand_edit_of_the_ledger_is_seen_at_once(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    write(repo, "docs/guide.md", "changed\n")
    git(repo, "add", "docs/guide.md")
    code, _ = hook_imports(repo)
    assert code == 1  # outside L-001's scope
    set_lock_rows(
        repo,
        ["| L-001 | a | `src/app/`, `docs/` | o | 2026-01-01T00:00:00Z "
         "| 2099-01-01T00:00:00Z | 2099-01-02T00:00:00Z |"],
    )  # fmt: skip
    code, _ = hook_imports(repo)
    assert code == 0


def test_the_warm_hook_reads_hotspots_compiled(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text() + 'hotspots = ["/pyproject.toml", "*.lock"]\n')
    write(repo, "src/app/models.py", "changed\n")
    git(repo, "add", "src/app/models.py")
    code, first = hook_imports(repo)
    assert code == 0
    assert "pathspec" in first  # the globs are compiled once, then cached
    code, warm = hook_imports(repo)
    assert code == 0
    assert "pathspec" not in warm
