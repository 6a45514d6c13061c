"""Which files a pytest session loaded, and whether they are the recorded tree's.

Only tracked or untracked-but-not-ignored content of the repository counts: a
``conftest.py``, ini file or plugin module that git ignores, or that lies
outside the repository, changes what the tests do without being part of the
tree the record names. Installed packages (the standard library, site
packages, plugins that distributions provide) are not the tree's business.
"""

from __future__ import annotations

import contextlib
import os
import site
import sys
import sysconfig
import types
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from lanewarden.adapters.git import Repo

__all__ = ["content_problems", "loaded_files"]


def loaded_files(config: pytest.Config) -> list[Path]:
    """The ini file, conftest files and plugin modules this session loaded.

    Plugins that installed distributions provide (entry points) are left out.
    """
    manager = config.pluginmanager
    installed = {id(plugin) for plugin, _ in manager.list_plugin_distinfo()}
    files: list[Path] = [config.inipath] if config.inipath is not None else []
    for plugin in manager.get_plugins():
        if id(plugin) in installed or not isinstance(plugin, types.ModuleType):
            continue
        name = getattr(plugin, "__file__", None)
        if name:
            files.append(Path(name))
    return files


def _install_dirs() -> tuple[Path, ...]:
    """Where installed packages and the standard library live."""
    dirs = {Path(p) for k, p in sysconfig.get_paths().items() if k.endswith(("lib", "stdlib"))}
    with contextlib.suppress(AttributeError):  # an old virtualenv's site module
        dirs.update(Path(p) for p in site.getsitepackages())
    dirs.add(Path(site.getusersitepackages()))
    dirs.add(Path(sys.prefix) / "lib")
    return tuple(d.resolve() for d in dirs)


def content_problems(repo: Repo, files: Iterable[Path]) -> list[str]:
    """Why files this run loaded are not part of the recorded tree (empty when all are).

    Only tracked or untracked-but-not-ignored files of the repository count;
    installed packages are not the tree's business.
    """
    from lanewarden.adapters.git import split_z
    from lanewarden.errors import InputError

    root = repo.root.resolve()
    installs = _install_dirs()
    problems: list[str] = []
    inside: list[str] = []
    for path in sorted({Path(os.path.abspath(p)) for p in files}):
        real = path.resolve()
        if any(real == d or d in real.parents for d in installs):
            continue
        try:
            inside.append(real.relative_to(root).as_posix())
        except ValueError:
            problems.append(f"{path} was loaded from outside the repository")
    if inside:
        stdin = b"".join(os.fsencode(p) + b"\0" for p in inside)
        try:
            out = repo.git("check-ignore", "-z", "--stdin", stdin=stdin, ok_codes=(0, 1))
        except InputError as error:
            return [*problems, f"could not check which loaded files git ignores: {error}"]
        problems += [f"{p} is ignored by git, so not part of the tree" for p in split_z(out)]
    return problems
