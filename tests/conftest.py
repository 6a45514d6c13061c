"""Shared fixtures: real git repositories in temporary folders, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lanewarden.cli.main import main


@pytest.fixture(autouse=True)
def _isolated_git(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test sees git as on a fresh machine, and no caller identity."""
    isolated_git(tmp_path_factory.mktemp("home"), monkeypatch)


def isolated_git(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git as on a fresh machine with ``home`` as its HOME, and no caller identity.

    Module-scoped fixtures call it themselves: the per-test fixture has not run for them.
    """
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "LANEWARDEN_LANE",
        "LANEWARDEN_ROLE",
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
    ):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    """Run git in ``repo`` and return its stdout."""
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def write(repo: Path, path: str, text: str = "x\n") -> Path:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit on ``main``."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "README.md", "# test\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    return root


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Cli:
    """Runs ``lanewarden`` in-process, in a directory, with LANEWARDEN_* set."""

    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, cwd: Path, *args: str, **env: str) -> Result:
        self.capsys.readouterr()
        with self.monkeypatch.context() as m:
            m.chdir(cwd)
            for name, value in env.items():
                m.setenv(name, value)
            try:
                code = main(list(args))
            except SystemExit as exit:  # argparse's own usage errors
                code = int(exit.code or 0)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)
