"""The entry point: exit codes, and how the process ends, as a shell sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import git, write
from scenario import acquire_two_lanes, make_parallel_ready

HOOK = [sys.executable, "-m", "lanewarden", "hook", "pre-commit"]


def run(
    repo: Path, argv: list[str], lane: str, stdout: int = subprocess.PIPE
) -> tuple[int, str, str]:
    env = {**os.environ, "LANEWARDEN_ROLE": "integrator", "LANEWARDEN_LANE": lane}
    done = subprocess.run(argv, cwd=repo, env=env, stdout=stdout, stderr=subprocess.PIPE)
    out = done.stdout.decode() if done.stdout is not None else ""
    return done.returncode, out, done.stderr.decode()


def test_the_hook_ends_early_with_its_whole_output(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    write(repo, "src/app/models.py", "changed\n")
    write(repo, "src/lib/core.py", "changed\n")
    git(repo, "add", "-A")
    code, out, err = run(repo, [*HOOK, "--json"], "L-001")
    assert code == 1
    assert [v["rule"] for v in json.loads(out)["violations"]] == ["out-of-scope", "foreign-lock"]
    code, out, err = run(repo, HOOK, "L-001")
    assert code == 1
    lines = err.splitlines()
    assert [line.split(":")[1] for line in lines[::2]] == [" out-of-scope", " foreign-lock"]
    assert all(line.startswith("  fix: ") for line in lines[1::2])
    assert len(lines) == 4


def test_a_reader_that_went_away_is_no_traceback(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails
    try:
        code, _, err = run(
            repo, [sys.executable, "-m", "lanewarden", "lock", "list"], "", write_end
        )
    finally:
        os.close(write_end)
    assert code == 1
    assert "Traceback" not in err
    assert "Exception ignored" not in err
