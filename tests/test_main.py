"""The entry point: exit codes, and how the process ends, as a shell sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert done.returncode == 141  # as a shell reports SIGPIPE: not a refusal (1)
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr


def _run_with_handler(
    tmp_path: Path, body: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real entry point with a command whose handler is ``body`` (a bug stand-in)."""
    (tmp_path / "buggy_command.py").write_text(f"def run(args):\n    {body}\n")
    script = (
        "import sys\n"
        "from lanewarden.cli import main\n"
        "main._FAST_PATHS[tuple(sys.argv[1:])] = 'buggy_command'\n"
        "main.entry()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path), **(env or {})},
        check=False,
    )


def test_an_unexpected_error_is_exit_3_in_one_line(tmp_path: Path) -> None:
    done = _run_with_handler(tmp_path, "raise ValueError('boom')", "lock", "list")
    assert done.returncode == 3  # never 1: a crash must not look like a refusal
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert "`lanewarden lock list`" in line
    assert "ValueError: boom" in line
    assert "report" in line
    assert "LANEWARDEN_DEBUG=1" in line


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = _run_with_handler(
        tmp_path, "raise ValueError('boom')", "lock", "list", env={"LANEWARDEN_DEBUG": "1"}
    )
    assert done.returncode == 3
    assert "Traceback" in done.stderr
    assert 'buggy_command.py", line 2, in run' in done.stderr


def test_an_unexpected_error_with_json_is_one_object(tmp_path: Path) -> None:
    done = _run_with_handler(tmp_path, "raise KeyError('k')", "lock", "list", "--json")
    assert done.returncode == 3
    body = json.loads(done.stdout)
    assert body["ok"] is False
    assert body["error"]["exception"] == "KeyError"
    assert body["error"]["command"] == "lock list"
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_ctrl_c_is_exit_130_without_a_traceback(tmp_path: Path, extra: tuple[str, ...]) -> None:
    done = _run_with_handler(tmp_path, "raise KeyboardInterrupt", "lock", "list", *extra)
    assert done.returncode == 130
    assert "Traceback" not in done.stderr
    assert "interrupted" in done.stderr
    if extra:
        assert json.loads(done.stdout) == {"ok": False, "error": {"message": "interrupted"}}


def test_the_hook_fast_path_keeps_its_exit_code_on_a_crash(tmp_path: Path) -> None:
    done = _run_with_handler(tmp_path, "raise OSError(5, 'I/O error')", "hook", "pre-commit")
    assert done.returncode == 3
    assert "`lanewarden hook pre-commit`" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_error_for_a_reader_that_went_away_is_no_traceback(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lanewarden", "-C", "missing", "lock", "list", "--json"],
            cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert done.stderr.startswith("lanewarden: error: missing: cannot enter")
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        ("IsADirectoryError(21, 'Is a directory', '/x/state.json')", "a folder is where a file"),
        ("PermissionError(13, 'Permission denied', '/x/state.json')", "check its permissions"),
        ("OSError(28, 'No space left on device', '/x/state.json')", "the disk is full"),
        (
            "IsADirectoryError(21, 'Is a directory', '/x/.tmp1', None, '/x/state.json')",
            "a folder is where a file",
        ),
    ],
)
def test_a_file_that_cannot_be_used_is_exit_2_naming_it(
    tmp_path: Path, error: str, fix: str
) -> None:
    done = _run_with_handler(tmp_path, f"raise {error}", "lock", "list", "--json")
    assert done.returncode == 2  # the user's to fix: not a bug, not a refusal
    body = json.loads(done.stdout)["error"]
    assert body["path"] == "/x/state.json"  # a rename's target, not its temporary file
    assert fix in body["fix"]
    assert done.stderr.startswith("lanewarden: error: /x/state.json: cannot use this file")


def test_an_os_error_without_a_file_is_a_bug(tmp_path: Path) -> None:
    done = _run_with_handler(tmp_path, "raise OSError(5, 'I/O error')", "lock", "list")
    assert done.returncode == 3


def test_a_command_that_finishes_loads_no_ending(repo: Path) -> None:
    make_parallel_ready(repo)
    acquire_two_lanes(repo)
    write(repo, "src/app/models.py", "changed\n")
    git(repo, "add", "src/app/models.py")
    for expected in (0, 1):  # passed, then refused: neither is an ending to explain
        env = L1 if expected == 0 else {**L1, "LANEWARDEN_LANE": "L-002"}
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "lanewarden", "hook", "pre-commit"],
            cwd=repo, env={**os.environ, **env}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == expected, done.stderr
        assert "lanewarden.cli.endings" not in done.stderr
