"""``lanewarden hooks install``: git hooks that call lanewarden.

Hooks go where git looks for them (``git rev-parse --git-path hooks``: the
common git dir, so every linked worktree runs them). A hook already there is
kept, renamed ``<hook>.pre-lanewarden``, and runs first; reinstalling only
refreshes lanewarden's own script. When ``core.hooksPath`` points elsewhere,
git ignores that folder's hooks, so installing there is refused unless asked.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from lanewarden.adapters.files import atomic_write
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["HOOKS", "hook_script", "run"]

HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "pre-merge-commit", "pre-push")
# Hooks that git feeds on stdin: the input is captured once and given to each.
STDIN_HOOKS = ("pre-push",)
MARKER = "# installed by lanewarden"
CHAINED_SUFFIX = ".pre-lanewarden"


def hook_script(name: str, python: str) -> str:
    """The script for git hook ``name``, running lanewarden with ``python`` if it is still there.

    pre-push reads git's ref lines on stdin: the script captures them once and
    feeds them to both the chained hook and lanewarden.
    """
    chained = f'"$(dirname "$0")/{name}{CHAINED_SUFFIX}"'
    if name in STDIN_HOOKS:
        capture = "input=$(cat)\n"
        feed = """printf '%s\\n' "$input" | """
        run_python = f'{feed}{shell_quote(python)} -m lanewarden hook {name} "$@"\n    exit $?'
        run_path = f'{feed}lanewarden hook {name} "$@"'
    else:
        capture = feed = ""
        run_python = f'exec {shell_quote(python)} -m lanewarden hook {name} "$@"'
        run_path = f'exec lanewarden hook {name} "$@"'
    return f"""#!/bin/sh
{MARKER}: runs `lanewarden hook {name}`.
# A hook that was here before is kept as {name}{CHAINED_SUFFIX} and runs first.
{capture}if [ -x {chained} ]; then
    {feed}{chained} "$@" || exit $?
fi
if [ -x {shell_quote(python)} ]; then
    {run_python}
fi
{run_path}
"""


def run(args: argparse.Namespace) -> int:
    repo = Context.load().repo
    hooks_path = os.fsdecode(repo.git("config", "--get", "core.hooksPath", ok_codes=(0, 1))).strip()
    if hooks_path and not args.use_hooks_path:
        violation = Violation(
            rule="hooks-path",
            path=hooks_path,
            message=f"core.hooksPath is set to {hooks_path!r}: git runs the hooks there, "
            "not in the repository's own hooks folder",
            fix="install there with `lanewarden hooks install --use-hooks-path` (or copy the "
            "scripts from lanewarden's hooks/ folder), or `git config --unset core.hooksPath`",
        )
        return report([violation], as_json=args.json, ok_text="")
    folder = Path(os.fsdecode(repo.git("rev-parse", "--git-path", "hooks")).strip())
    if not folder.is_absolute():
        folder = repo.root / folder
    folder.mkdir(parents=True, exist_ok=True)
    installed = []
    for name in HOOKS:
        installed.append(_install(folder / name, hook_script(name, sys.executable)))
    if args.json:
        emit_json({"ok": True, "hooks": installed, "folder": str(folder)})
    else:
        for row in installed:
            chained = f" (runs {row['chained']} first)" if row["chained"] else ""
            print(f"{row['action']} {row['path']}{chained}")
    return 0


def _install(target: Path, script: str) -> dict[str, str | None]:
    chained = target.with_name(target.name + CHAINED_SUFFIX)
    action = "installed"
    if target.exists() or target.is_symlink():
        ours = MARKER in target.read_text(encoding="utf-8", errors="replace")
        if ours:
            action = "updated"
        else:
            if chained.exists():
                raise InputError(
                    f"both {target.name} and {chained.name} exist and neither is lanewarden's",
                    path=target,
                    hint=f"merge them into {chained.name} by hand, remove {target.name}, "
                    "and install again",
                )
            target.rename(chained)
            action = "installed (chaining the existing hook)"
    atomic_write(target, script)
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return {
        "hook": target.name,
        "path": str(target),
        "action": action,
        "chained": str(chained) if chained.exists() else None,
    }
