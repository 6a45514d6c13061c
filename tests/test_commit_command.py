"""Reading ``git commit``'s command line: which words say it amends HEAD."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lanewarden.adapters.commit_command import amends


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["git", "commit", "--amend"], True),
        (["/usr/lib/git-core/git", "commit", "-q", "--amend", "-m", "x"], True),
        (["git", "-C", "d", "-c", "a.b=1", "commit", "--am"], True),
        (["git", "--git-dir", "x", "commit", "--amend=x"], True),
        (["git", "commit", "--amend", "--no-amend"], False),
        (["git", "commit", "-m", "--amend"], False),
        (["git", "commit", "-qm", "--amend"], False),
        (["git", "commit", "--message", "--amend"], False),
        (["git", "commit", "--mess", "--amend"], False),
        (["git", "commit", "--message=--amend", "--amend"], True),
        (["git", "commit", "-mx", "--amend"], True),
        (["git", "commit", "--", "--amend"], False),
        (["git", "commit", "--fixup=amend:HEAD"], False),
        (["git", "commit", "-C", "HEAD"], False),
        (["git", "rebase", "--amend"], False),
        (["git", "-c", "commit", "log"], False),
        (["git-commit", "--amend"], True),
        (["git"], False),
    ],
)
def test_the_command_line_says_whether_git_commit_amends(argv: list[str], expected: bool) -> None:
    assert amends(argv) is expected


def test_the_nearest_git_above_a_process_is_found() -> None:
    # A real process tree: git runs a shell alias, whose child asks for its git.
    probe = (
        "from lanewarden.adapters.commit_command import git_command_line as g; "
        "import os; print(g(os.getpid()))"
    )
    done = subprocess.run(
        ["git", "-c", f"alias.probe=!{sys.executable} -c '{probe}'", "probe", "--amend"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert "'probe', '--amend'" in done.stdout
