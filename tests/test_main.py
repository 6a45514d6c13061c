"""The entry point: exit codes, and how the process ends, as a shell sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready

L1 = {"LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": "L-001"}


def test_the_hook_ends_early_with_its_whole_output(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    write(repo, "src/app/models.py", "changed\n")
    write(repo, "src/lib/core.py", "changed\n")
    git(repo, "add", "-A")
    done = lanewarden(repo, "hook", "pre-commit", "--json", env=L1)
    assert done.returncode == 1
    rules = [v["rule"] for v in json.loads(done.stdout)["violations"]]
    assert rules == ["out-of-scope", "foreign-lock"]
    done = lanewarden(repo, "hook", "pre-commit", env=L1)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert [line.split(":")[1] for line in lines[::2]] == [" out-of-scope", " foreign-lock"]
    assert all(line.startswith("  fix: ") for line in lines[1::2])
    assert len(lines) == 4


def test_a_reader_that_went_away_is_no_traceback(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lanewarden", "lock", "list"],
            cwd=repo, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
