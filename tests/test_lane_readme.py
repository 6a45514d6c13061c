"""The README's "Running a wave" walkthrough, run command by command on a real repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import git
from scenario import lanewarden, make_parallel_ready

README = Path(__file__).resolve().parent.parent / "README.md"


def walkthrough() -> list[str]:
    """The section's shell commands, continuation lines joined."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Running a wave") :]
    section = section[: section.index("\n## ", 1)]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    commands: list[str] = []
    pending = ""
    for line in block[1].splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append(line)
    return commands


def script(commands: list[str]) -> str:
    """A bash script that fails unless each command marked "refused" exits 1, the rest 0."""
    lines = ["set -euo pipefail"]
    for command in commands:
        if "# refused" in command:
            bare = command.split("  #")[0]
            lines += [
                "set +e",
                bare,
                "code=$?",
                "set -e",
                f'[ "$code" = 1 ] || {{ echo "not refused (exit $code): {bare}" >&2; exit 99; }}',
            ]
        else:
            lines.append(command)
    return "\n".join(lines) + "\n"


def test_the_walkthrough_runs_as_written(repo: Path) -> None:
    commands = walkthrough()
    assert any("# refused" in command for command in commands)
    make_parallel_ready(repo)
    config = repo / "lanewarden.toml"
    config.write_text(config.read_text().replace("single-branch", "worktrees"))
    git(repo, "commit", "-qam", "worktree mode", env={"LANEWARDEN_ROLE": "integrator"})
    assert lanewarden(repo, "hooks", "install").returncode == 0
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(
        ["bash", "-c", script(commands)],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "handoff-incomplete: no gate 2 evidence" in done.stderr
    assert "escalation 1 (pip install textual) is not answered" in done.stderr
    assert "Lane: L-001\nCheckpoint: CP-01\n" in done.stdout
    listing = lanewarden(repo, "lane", "list", "--json")
    states = {row["lane_id"]: row["state"] for row in json.loads(listing.stdout)["lanes"]}
    assert states == {"L-001": "integrated", "L-002": "abandoned"}
    assert (repo.parent / "L-001.brief.md").read_text().startswith("# Lane L-001: search modal")
    assert not (repo.parent / "repo-L-001").exists()
    plan = (repo / "PLAN.md").read_text()
    assert "### L-001 CP-01" in plan
    assert "### L-001 request 1" in plan
