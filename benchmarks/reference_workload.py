"""Build the reference workload of the speed targets in a folder.

100,000 tracked files, 200 active locks of 5 patterns each in ``PLAN.md``,
and 2,000 staged paths inside the committing lane's scope (lock ``L-000``).
Beyond the targets' description, as in a real run: three hotspots are
configured, and the committing lane's worker has sent a heartbeat. Built with
git's plumbing (one blob, one index, one commit), so it takes seconds, and
then checked out so the work tree is real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TRACKED = 100_000
LOCKS = 200
STAGED = 2_000
LANE_FILES = 2_500  # files in the committing lane's package, of which STAGED change
CONFIG = 'hotspots = ["/pyproject.toml", "*.lock", "/docs/index.md"]\n'
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, input=stdin, capture_output=True, env=ENV, check=True
    )
    return done.stdout.decode().strip()


def lock_patterns(i: int) -> list[str]:
    return [
        f"pkg{i:03}/src/**",
        f"pkg{i:03}/tests/",
        f"docs/pkg{i:03}.md",
        f"pkg{i:03}/README.md",
        f"!pkg{i:03}/src/vendor/",
    ]


def tracked_paths() -> list[str]:
    paths = [f"pkg000/src/mod{j // 50:02}/file{j}.py" for j in range(LANE_FILES)]
    per_package = (TRACKED - LANE_FILES - LOCKS) // (LOCKS - 1)
    for i in range(1, LOCKS):
        for j in range(per_package):
            kind = ("src/sub{}/m{}.py", "tests/test_{}_{}.py", "src/vendor/v{}_{}.py")[j % 3]
            paths.append(f"pkg{i:03}/" + kind.format(j % 7, j))
    paths += [f"docs/pkg{i:03}.md" for i in range(LOCKS)]
    while len(paths) < TRACKED:
        paths.append(f"misc/extra{len(paths)}.txt")
    return paths[:TRACKED]


def ledger_text() -> str:
    rows = []
    for i in range(LOCKS):
        scope = ", ".join(f"`{p}`" for p in lock_patterns(i))
        rows.append(
            f"| L-{i:03} | agent-{i} | {scope} | objective {i} | 2026-01-01T00:00:00Z "
            f"| 2099-01-01T00:00:00Z | 2099-01-02T00:00:00Z |"
        )
    return (
        "# Execution ledger\n\n## Locks\n\n"
        "| lock_id | owner | scope | objective | start | heartbeat | expires |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n## Lock history\n\n"
        "| lock_id | owner | scope | objective | start | heartbeat | expires "
        "| ended | outcome | note |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )


def build(repo: Path) -> None:
    """Create the workload in ``repo`` (an empty or missing folder)."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    blob = git(repo, "hash-object", "-w", "--stdin", stdin=b"print('hello')\n")
    plan = git(repo, "hash-object", "-w", "--stdin", stdin=ledger_text().encode())
    config = git(repo, "hash-object", "-w", "--stdin", stdin=CONFIG.encode())
    entries = [f"100644 {blob}\t{path}" for path in tracked_paths()]
    entries.append(f"100644 {plan}\tPLAN.md")
    entries.append(f"100644 {config}\tlanewarden.toml")
    git(repo, "update-index", "--index-info", stdin=("\n".join(entries) + "\n").encode())
    tree = git(repo, "write-tree")
    commit = git(repo, "commit-tree", tree, "-m", "reference workload")
    git(repo, "update-ref", "refs/heads/main", commit)
    git(repo, "checkout-index", "-a", "-f")
    git(repo, "update-index", "--refresh", "-q")
    changed = git(repo, "hash-object", "-w", "--stdin", stdin=b"print('changed')\n")
    staged = [f"100644 {changed}\tpkg000/src/mod{j // 50:02}/file{j}.py" for j in range(STAGED)]
    git(repo, "update-index", "--index-info", stdin=("\n".join(staged) + "\n").encode())
    # The table was written here, not by lanewarden: the orchestrator accepts it once.
    subprocess.run(
        [sys.executable, "-m", "lanewarden", "lock", "accept-edit", "--note", "workload"],
        cwd=repo, env={**ENV, "LANEWARDEN_ROLE": "orchestrator"}, capture_output=True, check=True,
    )  # fmt: skip
    worker = {**ENV, "LANEWARDEN_LANE": "L-000", "LANEWARDEN_ROLE": "worker"}
    subprocess.run(
        [sys.executable, "-m", "lanewarden", "lock", "heartbeat", "L-000"],
        cwd=repo, env=worker, capture_output=True, check=True,
    )  # fmt: skip


if __name__ == "__main__":
    build(Path(sys.argv[1]))
