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

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.selection import Selection
    from lanewarden.pytest_selection import Options, Selector

__all__ = [
    "COUNT_KEYS",
    "Deselections",
    "RunState",
    "explain",
    "option_narrowing",
    "record_run",
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
        # --lw-since REF selects as --lw-changed does, from the change since REF's merge
        # base: the whole of a committed lane's change, where --lw-changed sees none.
        if any(mode != "changed" and not mode.startswith("since ") for mode in modes):
            reasons.append(
                "gate 2 selects with --lw-changed or --lw-since REF alone (this run: "
                f"{' + '.join(modes)})"
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

            from_markers = getattr(MarkMatcher, "from_markers", None)  # pytest 8.1 and later
            matcher = (
                from_markers(item.iter_markers())
                if from_markers is not None
                else MarkMatcher.from_item(item)  # type: ignore[attr-defined]
            )
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


@dataclass(frozen=True)
class RunState:
    """What the plugin's hooks saw of one run, for its record."""

    gate: str
    options: Options
    selector: Selector
    repo: Repo
    tree: str
    head: str | None
    lane: str | None
    start_time: str
    started: float  # time.monotonic() at the start
    counts: dict[str, int]  # the plugin's own count, when no terminal reporter counts
    deselected: int  # by lanewarden's selection
    foreign: list[str]  # tests deselected by someone else (node ids)
    foreign_count: int  # how many, as the xdist workers counted them
    not_collected: int
    collection_errors: int
    loaded: list[str]  # test modules and conftest files the workers loaded
    workers: int


def record_run(
    config: pytest.Config, state: RunState, exit_status: int, stopped: str | None
) -> tuple[str, list[str], Path]:
    """Judge the run, write its record; its status, the reasons and the file."""
    from lanewarden import __version__
    from lanewarden.adapters.evidence_store import write_evidence
    from lanewarden.domain.evidence import Evidence
    from lanewarden.pytest_content import content_problems, loaded_files

    selection = state.selector.selection
    counts = summary_counts(config, state.counts)
    narrowing = option_narrowing(config, state.options, state.gate)
    count = max(len(state.foreign), state.foreign_count)
    if count:
        shown = ", ".join(state.foreign[:3])
        narrowing.append(f"{count} test(s) deselected by an option or plugin ({shown})")
    narrowing += content_problems(state.repo, [*loaded_files(config), *map(Path, state.loaded)])
    status, reasons = verdict(
        exit_status=exit_status,
        counts=counts,
        collection_errors=state.collection_errors,
        narrowing=narrowing,
        stopped=stopped,
        selection=selection,
    )
    packages = (
        state.selector.packages.names if selection.runs_everything else list(selection.selected)
    )
    record = Evidence(
        gate=state.gate,
        status=status,
        reasons=tuple(reasons),
        tree=state.tree,
        time=state.start_time,
        head=state.head,
        lane=state.lane,
        worktree=str(state.repo.root),
        touched_files=selection.touched_files,
        packages=tuple(packages),
        selection={
            **selection.to_json(),
            "rule": selection_rule(state.options),
            "not_collected": state.not_collected,
            "deselected_by_selection": state.deselected,
            **_coverage_map(state.selector),
        },
        counts=counts,
        failures=tuple(first_failures(config)),
        exit_status=exit_status,
        duration=time.monotonic() - state.started,
        command=("pytest", *config.invocation_params.args),
        run=run_facts(config, state.workers),
        tools={
            "lanewarden": __version__,
            "pytest": pytest.__version__,
            "python": sys.version.split()[0],
            "git": os.fsdecode(state.repo.git("version")).strip().removeprefix("git version "),
        },
    )
    return status, reasons, write_evidence(state.repo, record)


def _coverage_map(selector: Selector) -> dict[str, Any]:
    """The coverage map that narrowed the selection: the record says it ran less."""
    refinement = selector.refinement
    if refinement is None:
        return {"coverage_map": None, "coverage_map_note": selector.coverage_note}
    return {
        "coverage_map": {
            "tree": refinement.tree,
            "stale": refinement.stale,
            "source": refinement.source,
            "deselected": len(refinement.dropped),
            "static_rule_for": list(refinement.notes),
            "module_level": list(refinement.module_level),
        },
        "rule_refinement": "tests the coverage map shows cannot run the changed code are left out",
    }


def selection_rule(options: Options) -> str:
    """The selection rule in words: how the tests were chosen."""
    modes = options.modes
    if not modes:
        return "every test of the configured suite"
    rule = "tests of the packages " + " + ".join(modes) + " selects"
    return rule + ("" if options.no_dependents else ", with the packages importing them")


def explain(config: pytest.Config, gate: str, status: str, reasons: list[str]) -> None:
    """Say on the terminal why the run records no pass."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    word = "NARROWED" if status == "narrowed" else "FAILED"
    reporter.write_line(f"lanewarden: gate {gate} {word}, no passing evidence:")
    for reason in reasons:
        reporter.write_line(f"lanewarden:   {reason}")
