"""The evidence service of the pytest plugin: is this run the gate's run, and its record.

A passing record must come only from the run the gate defines:

- gate 3 (and a gate the ``[gates]`` table adds) is every test pytest
  collects from the configured test paths, with no narrowing;
- gate 2 is the touched packages' tests as ``--lw-changed`` selects them for
  the tree recorded; zero tests pass only when that selection is empty.

Anything that runs less (``-k``, ``-m`` other than the configured one, node
ids, narrower paths, ``--lf``/``--ff``/``--sw``, ``--collect-only``, a run
stopped early, a deselecting plugin) is ``narrowed``; collection errors are
``failed``. Content that is not part of the recorded tree (a git-ignored
``conftest.py``, an ini file or plugin module outside the repository) makes
the run ``narrowed`` too, naming the file: its result is not the tree's.
"""

from __future__ import annotations

import contextlib
import os
import site
import sys
import sysconfig
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.selection import Selection
    from lanewarden.pytest_selection import Options

__all__ = [
    "COUNT_KEYS",
    "Deselections",
    "content_problems",
    "loaded_files",
    "option_narrowing",
    "run_facts",
    "summary_counts",
    "verdict",
]

# Outcomes as pytest's terminal summary line counts them.
COUNT_KEYS = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected")
_RAN = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
FIRST_FAILURES = 10

# Options that run part of the suite: (pytest's dest, the flag people type).
_NARROWING = (
    ("keyword", "-k"),
    ("markexpr", "-m"),
    ("lf", "--lf"),
    ("failedfirst", "--ff"),
    ("stepwise", "--sw"),
    ("stepwise_skip", "--sw-skip"),
    ("collectonly", "--collect-only"),
    ("setuponly", "--setup-only"),
    ("setupplan", "--setup-plan"),
    ("deselect", "--deselect"),
    ("ignore", "--ignore"),
    ("ignore_glob", "--ignore-glob"),
)


def configured_options(config: pytest.Config) -> Any:
    """The options pytest's configuration (``addopts`` in the ini file) sets.

    They define the configured suite; ``PYTEST_ADDOPTS`` and the command line
    do not. None when pytest's parser cannot be reached.
    """
    parser = getattr(config, "_parser", None)
    if parser is None:
        return None
    try:
        return parser.parse_known_args([str(a) for a in config.getini("addopts")])
    except (pytest.UsageError, SystemExit, ValueError):
        return None


def option_narrowing(config: pytest.Config, options: Options, gate: str) -> list[str]:
    """Why the options given make this run less than gate ``gate`` defines."""
    configured = configured_options(config)
    reasons = []
    for dest, flag in _NARROWING:
        value = getattr(config.option, dest, None)
        if not value or value == getattr(configured, dest, None):
            continue
        shown = "" if value is True else f" {_show(value)}"
        reasons.append(f"{flag}{shown} runs part of the configured suite")
    reasons += _path_narrowing(config)
    modes = options.modes
    if gate == "2":
        if modes and modes != ["changed"]:
            reasons.append(
                f"gate 2 selects with --lw-changed alone (this run: {' + '.join(modes)})"
            )
        if options.no_dependents:
            reasons.append("--lw-no-dependents leaves out the packages importing the change")
    elif modes:
        given = " ".join(f"--lw-{mode}" for mode in modes)
        reasons.append(f"gate {gate} is the whole suite: {given} selects part")
    return reasons


def _show(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(repr(str(v)) for v in value)
    return repr(str(value))


def _path_narrowing(config: pytest.Config) -> list[str]:
    """Node ids, and paths that do not cover every configured test path."""
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return []
    rootdir = config.rootpath.resolve()
    here = config.invocation_params.dir
    wanted = [p.resolve() for p in _testpaths(config)] or [rootdir]
    reasons = []
    given = []
    for arg in config.args:
        path_part, _, rest = str(arg).partition("::")
        if rest:
            reasons.append(f"node id {arg!r} runs part of the configured suite")
        given.append((here / path_part).resolve())
    missing = [w for w in wanted if not any(w == g or g in w.parents for g in given)]
    if missing:
        shown = ", ".join(_relative(m, rootdir) for m in missing)
        named = ", ".join(repr(str(a)) for a in config.args)
        reasons.append(f"the paths given ({named}) leave out configured test paths: {shown}")
    return reasons


def _testpaths(config: pytest.Config) -> list[Path]:
    rootdir = config.rootpath
    paths: list[Path] = []
    for entry in config.getini("testpaths"):
        matches = sorted(rootdir.glob(str(entry))) if any(c in str(entry) for c in "*?[") else []
        paths += matches or [rootdir / str(entry)]
    return paths


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return str(path)


class Deselections:
    """Tests deselected by someone other than lanewarden's selection and the configuration."""

    def __init__(self, config: pytest.Config) -> None:
        configured = configured_options(config)
        markexpr = getattr(config.option, "markexpr", "") or ""
        self.markexpr = markexpr if markexpr == getattr(configured, "markexpr", None) else ""
        self.prefixes = tuple(getattr(configured, "deselect", None) or ())
        self.unexplained: list[str] = []

    def record(self, items: Sequence[pytest.Item]) -> None:
        """Note the deselected tests that no configured option explains."""
        self.unexplained += [item.nodeid for item in items if not self._explained(item)]

    def _explained(self, item: pytest.Item) -> bool:
        if self.prefixes and item.nodeid.startswith(self.prefixes):
            return True
        if not self.markexpr:
            return False
        try:  # the configured -m expression: pytest's own matcher decides
            from _pytest.mark import MarkMatcher
            from _pytest.mark.expression import Expression

            matcher = MarkMatcher.from_markers(item.iter_markers())
            return not Expression.compile(self.markexpr).evaluate(matcher)
        except Exception:  # a private API that moved: then nothing is explained
            return False


def summary_counts(config: pytest.Config, fallback: dict[str, int]) -> dict[str, int]:
    """Counts by outcome exactly as pytest's terminal summary line counts them."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    stats = getattr(reporter, "stats", None)
    if stats is None:
        counts = dict(fallback)
    else:
        counts = {
            key: sum(1 for r in stats.get(key, ()) if getattr(r, "count_towards_summary", True))
            for key in COUNT_KEYS
        }
    result = {k: counts.get(k, 0) for k in COUNT_KEYS if counts.get(k) and k != "deselected"}
    result["deselected"] = max(counts.get("deselected", 0), fallback.get("deselected", 0))
    return result


def first_failures(config: pytest.Config) -> list[str]:
    """The node ids of the first failed or erroring tests (and collection errors)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    stats = getattr(reporter, "stats", None) or {}
    ids: list[str] = []
    for key in ("error", "failed"):
        for report in stats.get(key, ()):
            nodeid = getattr(report, "nodeid", "") or str(getattr(report, "fspath", ""))
            if nodeid and nodeid not in ids:
                ids.append(nodeid)
    return ids[:FIRST_FAILURES]


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


def run_facts(config: pytest.Config, workers: int) -> dict[str, Any]:
    """What a reviewer needs to know about how pytest ran."""
    manager = config.pluginmanager
    plugins = sorted(
        {f"{dist.project_name}-{dist.version}" for _, dist in manager.list_plugin_distinfo()}
    )
    return {
        "rootdir": str(config.rootpath),
        "inifile": None if config.inipath is None else str(config.inipath),
        "testpaths": [str(p) for p in config.getini("testpaths")],
        "args": [str(a) for a in config.args],
        "args_source": config.args_source.name.lower(),
        "invocation_dir": str(config.invocation_params.dir),
        "plugins": plugins,
        "xdist": {"workers": workers} if workers else None,
    }


def verdict(
    *,
    exit_status: int,
    counts: dict[str, int],
    collection_errors: int,
    narrowing: list[str],
    stopped: str | None,
    selection: Selection,
) -> tuple[str, list[str]]:
    """The record's status and every reason behind it."""
    reasons = list(narrowing)
    failed = counts.get("failed", 0) + counts.get("error", 0) > 0
    if collection_errors:
        reasons.append(f"{collection_errors} collection error(s): some tests could not be run")
        failed = True
    if stopped:
        reasons.append(f"the run stopped early: {stopped}")
    ran = sum(counts.get(k, 0) for k in _RAN)
    empty = not selection.runs_everything and not selection.selected
    if ran == 0 and empty:
        changed = ", ".join(selection.touched_files) or "nothing"
        reasons.append(f"empty selection: the change maps to no tests (changed: {changed})")
    elif ran == 0 and not narrowing:
        reasons.append("no test ran, and the selection is not empty")
        failed = True
    if failed or (exit_status != 0 and not narrowing):
        return "failed", reasons
    if narrowing or stopped:
        return "narrowed", reasons
    return "passed", reasons
