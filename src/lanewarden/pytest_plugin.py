"""lanewarden's pytest plugin: run the tests of touched packages, record gate evidence.

Inert unless one of its options is given (then it needs a git repository):

- ``--lw-changed`` / ``--lw-staged`` / ``--lw-since REF`` select the test
  files whose imports reach a changed file (``--lw-no-dependents``: the
  tests of the packages holding the changed files only); ``--lw-package PKG``
  names packages outright; ``--lw-explain`` shows, per selected test file,
  one chain from a changed file to it;
- ``--lw-gate NAME`` records evidence of the run for the tree tested;
- ``--lw-record-coverage`` records which lines each test executed, a coverage
  map for the tree tested (:mod:`lanewarden.pytest_coverage`); a selection
  then uses the nearest map to drop the selected tests that cannot see the
  change (``--lw-no-coverage-map``: static selection only).

The hooks live here; what to select is :mod:`lanewarden.pytest_selection`'s
job, and whether the run is the gate's run, with its record,
:mod:`lanewarden.pytest_evidence`'s. The selection is computed once, by the
controller; xdist workers receive it (so every worker deselects the same
tests), report what they loaded and deselected, and never write evidence.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lanewarden.pytest_selection import WORKER_KEY, Options, Selector

if TYPE_CHECKING:
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.selection import Selection
    from lanewarden.pytest_evidence import Deselections

__all__ = ["PROGRESS_ENV", "pytest_addoption", "pytest_configure"]

# ``lanewarden gate run`` names a file here; the plugin keeps the count of
# finished tests in it, so a long run shows it is alive.
PROGRESS_ENV = "LANEWARDEN_PROGRESS_FILE"
_PROGRESS_EVERY = 0.5  # seconds between two writes of the progress file
_SELECTING = ("lw_changed", "lw_staged", "lw_since", "lw_package")


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``lanewarden`` option group."""
    group = parser.getgroup("lanewarden", "lanewarden: tests of touched packages, gate evidence")
    group.addoption(
        "--lw-changed",
        action="store_true",
        help="run the tests of packages changed against HEAD (staged, unstaged, untracked)",
    )
    group.addoption(
        "--lw-staged", action="store_true", help="run the tests of packages the index changes"
    )
    group.addoption(
        "--lw-since",
        metavar="REF",
        help="run the tests of packages changed since the merge base with REF",
    )
    group.addoption(
        "--lw-package",
        action="append",
        default=[],
        metavar="PKG",
        help="run the tests of package PKG (repeatable)",
    )
    group.addoption(
        "--lw-no-dependents",
        action="store_true",
        help="do not add the packages that import a selected package",
    )
    group.addoption(
        "--lw-explain",
        action="store_true",
        help="show, for each selected test file, a chain of imports from a changed file to it",
    )
    group.addoption(
        "--lw-gate",
        metavar="NAME",
        help="record evidence of this run as gate NAME for the tree tested",
    )
    group.addoption(
        "--lw-record-coverage",
        action="store_true",
        help="record which source lines each test executes: the coverage map of the tree tested",
    )
    group.addoption(
        "--lw-no-coverage-map",
        action="store_true",
        help="select statically only: do not refine the selection with a coverage map",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Start recording before conftest.py files import the project (imports count)."""
    known = early_config.known_args_namespace
    if getattr(known, "lw_record_coverage", False) or getattr(known, "lw_gate", None):
        from lanewarden.pytest_coverage import start_recording

        _usage_errors(lambda: start_recording(early_config, _SELECTING))


def pytest_configure(config: pytest.Config) -> None:
    """Switch on when one of the plugin's options is given."""
    recorder = config.pluginmanager.get_plugin("lanewarden-coverage")
    if recorder is not None and not hasattr(config, "workerinput"):
        from lanewarden.adapters.changes import work_tree_id
        from lanewarden.adapters.git import Repo

        recorder.tree = _usage_errors(lambda: work_tree_id(Repo.discover(recorder.root)))
    used = [name for name in (*_SELECTING, "lw_gate") if config.getoption(name)]
    if not used:
        for name in ("lw_no_dependents", "lw_explain", "lw_no_coverage_map"):
            if config.getoption(name):
                flag = "--" + name.replace("_", "-")
                raise pytest.UsageError(
                    f"{flag} needs --lw-changed, --lw-staged, --lw-since or --lw-package"
                )
        return
    plugin = LanewardenPlugin(config)
    config.pluginmanager.register(plugin, "lanewarden-session")
    if config.pluginmanager.hasplugin("xdist") and not plugin.is_worker:
        from lanewarden.pytest_xdist import XdistHooks

        config.pluginmanager.register(XdistHooks(plugin), "lanewarden-xdist")


def _usage_errors(compute: Callable[[], Any]) -> Any:
    from lanewarden.errors import InputError

    try:
        return compute()
    except InputError as error:
        raise pytest.UsageError(f"lanewarden: {error}") from None


def _options(config: pytest.Config) -> Options:
    option = config.getoption
    return Options(
        changed=bool(option("lw_changed")),
        staged=bool(option("lw_staged")),
        since=option("lw_since") or None,
        named=tuple(option("lw_package")),
        no_dependents=bool(option("lw_no_dependents")),
        gate=option("lw_gate"),
        explain=bool(option("lw_explain")),
        coverage_map=not option("lw_no_coverage_map"),
        runxfail=bool(option("runxfail", False)),
    )


class LanewardenPlugin:
    """The per-session state: what was selected, what ran, what was loaded."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.monotonic()
        self.is_worker = hasattr(config, "workerinput")
        self.options = _options(config)
        self.gate: str | None = self.options.gate
        self.counts: dict[str, int] = {}  # when no terminal reporter counts them
        self.deselected = 0  # by lanewarden's selection
        self.deselections: Deselections | None = None
        self.foreign_deselected = 0
        self.collection_errors = 0
        self.uncollected: list[str] = []  # test files and folders skipped unread
        self.loaded: set[str] = set()  # test modules and conftests the workers loaded
        self.selected_tests = 0
        self.finished_tests = 0
        self.total_tests: int | None = None
        self.workers = 0
        self._ours = False
        self._progress_at = 0.0
        self.repo: Repo | None = None
        self.tree: str | None = None
        self.head: str | None = None
        self.lane: str | None = None
        self.start_time = ""
        shared = getattr(config, "workerinput", {}).get(WORKER_KEY)
        if shared is not None:
            self.selector = Selector.from_json(json.loads(shared))
        else:
            _usage_errors(self._compute)
        if self.gate is not None:
            from lanewarden.pytest_evidence import Deselections

            self.deselections = Deselections(config)

    @property
    def selection(self) -> Selection:
        """What the controller selected, and why."""
        return self.selector.selection

    def shared(self) -> str:
        """What xdist workers need to deselect exactly like the controller."""
        self._settle()
        return json.dumps(self.selector.to_json())

    def _settle(self) -> None:
        """Compare the map's recording run with this one, once plugins are configured."""
        if self.selector.collection is None:
            return
        from lanewarden.adapters.interpreter import environment
        from lanewarden.domain.collection_inputs import MISSING, Now, shown
        from lanewarden.pytest_collection_watch import (
            active_plugins,
            content_digest,
            listing_digest,
        )

        config, root = self.config, self.selector.root

        def option(name: str) -> str:
            if name.startswith("ini:"):
                try:
                    return shown(config.getini(name[4:]))
                except ValueError:  # a setting this run does not know
                    return MISSING
            return shown(getattr(config.option, name, MISSING))

        def now() -> Now:
            plugins = {"set of active pytest plugins": active_plugins(config.pluginmanager)}
            return Now(
                {**environment(), **plugins},
                os.environ.get,
                option,
                lambda path: content_digest(root / path),
                lambda folder: listing_digest(root / folder),
            )

        self.selector.settle_collection(now)

    def _compute(self) -> None:
        from lanewarden.domain.evidence import check_gate_name
        from lanewarden.errors import InputError
        from lanewarden.pytest_selection import compute_selector

        root = self.config.rootpath
        try:
            computed = compute_selector(root, self.options)
        except InputError as error:
            if "not a git repository" not in error.message:
                raise
            raise InputError(
                f"the rootdir {root} is not inside a git repository ({error.message})",
                hint="run pytest from the repository's folder,"
                " or give it with --rootdir=<repository>",
            ) from None
        self.repo, self.selector = computed.repo, computed.selector
        if self.gate is None:
            return
        check_gate_name(self.gate, computed.gate_names, where="--lw-gate")
        if self.gate == "1":
            raise InputError(
                "gate 1 is the static checks, not a pytest run",
                hint="record it with `lanewarden gate run 1`",
            )
        from lanewarden.adapters import changes
        from lanewarden.domain.evidence import evidence_time
        from lanewarden.domain.identity import resolve_lane

        self.start_time = evidence_time()
        self.tree = changes.work_tree_id(self.repo)
        self.head = changes.head_commit(self.repo)
        # The lane the evidence is of: as every lanewarden command resolves it.
        self.lane, _ = resolve_lane(
            os.environ, branch=self.repo.current_branch(), mode=computed.mode
        )

    # -- hooks ---------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Say what was touched, what is selected and why."""
        described = self.selection.describe(explain=self.options.explain)
        lines = [f"lanewarden: {line}" for line in described]
        lines += [f"lanewarden: {line}" for line in self._map_lines()]
        if self.gate is not None:
            lines.append(f"lanewarden: recording gate {self.gate} evidence for tree {self.tree}")
        return lines

    def _map_lines(self) -> list[str]:
        """Which coverage map refined the selection, and what it left to the static rule."""
        self._settle()
        refinement, note = self.selector.refinement, self.selector.coverage_note
        if refinement is None:
            return [note] if note else []
        return refinement.header(explain=self.options.explain)

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        """Skip collecting test files (and package folders) no selected package owns.

        Importing thousands of test modules only to deselect them would cost
        more than the tests of one package take to run; the tests skipped
        this way are counted as files, not as deselected tests.
        """
        if self.selection.runs_everything:
            return None
        selector = self.selector
        relative = selector.relative(collection_path)
        if relative is None:
            return None
        self._settle()
        refinement = selector.refinement
        if refinement is not None and relative in refinement.uncollected:
            # Every test the map knows of it goes, and it defines no other: nothing its
            # collection read differs from the recording run's (see coverage_refine).
            self.uncollected.append(relative)
            return True
        if collection_path.is_dir():
            # package_tests globs may reach into any folder: then prune files only.
            if not selector.packages.package_tests and selector.folder_is_unselected(relative):
                self.uncollected.append(relative + "/")
                return True
            return None
        name = collection_path.name
        if (
            name.endswith(".py")
            and name not in ("conftest.py", "__init__.py")
            and selector.packages.is_test_path(relative)
            and not selector.is_selected(collection_path)
        ):
            from lanewarden.domain.selection import is_test_file

            if is_test_file(relative):  # helpers are not collected anyway: not counted
                self.uncollected.append(relative)
            return True
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Deselect the tests of packages that were not selected."""
        self._settle()
        if self.selection.runs_everything:
            self.selected_tests = len(items)
            return
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        selector = self.selector
        for item in items:
            chosen = selector.is_selected(item.path)
            if chosen and not selector.dropped_by_map(item.path, item.nodeid):
                keep.append(item)
            else:
                drop.append(item)
        if drop:
            items[:] = keep
            self._ours = True
            try:
                config.hook.pytest_deselected(items=drop)
            finally:
                self._ours = False
        self.selected_tests = len(keep)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Count lanewarden's deselections apart from everyone else's (``-k``, plugins)."""
        if self._ours:
            self.deselected += len(items)
        else:
            self.counts["deselected"] = self.counts.get("deselected", 0) + len(items)
            if self.deselections is not None:
                self.deselections.record(items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember the test modules that will run, and how many tests."""
        self.total_tests = len(session.items)
        self.loaded.update(str(item.path) for item in session.items)

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str]:
        """How many tests the selection kept, in one line even under ``-q``."""
        return self._summary(self.selected_tests)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Under xdist the controller collects nothing: it says the summary here."""
        if self.workers and not self.is_worker:
            for line in self._summary(self.total_tests or 0):
                terminalreporter.write_line(line)

    def _summary(self, kept: int) -> list[str]:
        selection = self.selection
        quiet = self.config.get_verbosity() < 0
        lines = [f"lanewarden: {line}" for line in selection.warnings()] if quiet else []
        if quiet and self.options.explain and not selection.runs_everything:
            lines += [f"lanewarden:   {why}" for why in selection.tests.values()]
        changed = len(selection.touched_files)
        for_what = f"for {changed:,} changed file{'' if changed == 1 else 's'}"
        if selection.runs_everything:
            lines.append(f"lanewarden: every test runs ({kept:,}): {selection.full_suite}")
            return lines
        line = (
            f"lanewarden: {kept:,} test{'' if kept == 1 else 's'} selected,"
            f" {self.deselected:,} deselected"
        )
        if self.uncollected:
            line += f", {len(self.uncollected):,} test files or folders not collected"
        line += f" {for_what}"
        refinement = self.selector.refinement
        if refinement is not None:
            age = "stale" if refinement.stale else "current"
            line += (
                f"; the coverage map of tree {refinement.tree[:12]} ({age}) left out"
                f" {len(refinement.dropped):,}"
            )
        elif quiet and self.selector.coverage_note:
            lines.append(f"lanewarden: {self.selector.coverage_note}")
        lines.append(f"{line}; `--lw-explain` for why")
        if quiet and self.options.explain:
            lines += [f"lanewarden: {text}" for text in self._map_lines()]
        if self.uncollected and self.config.get_verbosity() > 0:
            shown = ", ".join(self.uncollected[:3])
            more = len(self.uncollected) - 3
            lines.append(
                f"lanewarden: not collected: {shown}" + (f" and {more} more" if more > 0 else "")
            )
        return lines

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count outcomes the way the terminal does; keep the progress file current."""
        category = self.config.hook.pytest_report_teststatus(report=report, config=self.config)[0]
        if category:
            self.counts[category] = self.counts.get(category, 0) + 1
        if report.when == "teardown":
            self.finished_tests += 1
            self._progress()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A collection error is an error of the run."""
        if report.failed:
            self.collection_errors += 1
            self.counts["error"] = self.counts.get("error", 0) + 1

    def _progress(self, *, final: bool = False) -> None:
        target = os.environ.get(PROGRESS_ENV)
        if not target or self.is_worker:
            return
        moment = time.monotonic()
        if not final and moment - self._progress_at < _PROGRESS_EVERY:
            return
        self._progress_at = moment
        body = json.dumps({"done": self.finished_tests, "total": self.total_tests})
        temporary = f"{target}.{os.getpid()}.tmp"
        try:
            Path(temporary).write_text(body, encoding="utf-8")
            os.replace(temporary, target)
        except OSError:
            pass  # progress is a courtesy: a run never fails for it

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """An empty selection is a success; then the controller records evidence."""
        if self.is_worker:
            self._send_to_controller()
            return
        self._progress(final=True)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        empty = self.selection.empty
        if session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and (
            empty or (self.gate is None and not self.selection.runs_everything)
        ):
            session.exitstatus = pytest.ExitCode.OK
            if reporter is not None:
                reporter.write_line("lanewarden: no tests selected for this change; nothing to run")
        if self.gate is None:
            return
        stopped = session.shouldfail or session.shouldstop
        record = _usage_errors(
            lambda: self._record(int(session.exitstatus), str(stopped) if stopped else None)
        )
        if reporter is not None:
            status, path = record
            reporter.write_line(f"lanewarden: gate {self.gate} {status}; evidence: {path}")

    def _send_to_controller(self) -> None:
        from lanewarden.pytest_content import loaded_files

        unexplained = self.deselections.unexplained if self.deselections else []
        output = {
            "deselected": self.deselected,
            "foreign": unexplained[:5],
            "foreign_count": len(unexplained),
            "not_collected": self.uncollected,
            "loaded": sorted({*self.loaded, *map(str, loaded_files(self.config))}),
        }
        self.config.workeroutput[WORKER_KEY] = json.dumps(output)  # type: ignore[attr-defined]

    def _record(self, exit_status: int, stopped: str | None) -> tuple[str, Path]:
        from lanewarden.pytest_evidence import RunState, explain, record_run

        assert self.repo is not None
        assert self.tree is not None
        assert self.gate is not None
        state = RunState(
            gate=self.gate,
            options=self.options,
            selector=self.selector,
            repo=self.repo,
            tree=self.tree,
            head=self.head,
            lane=self.lane,
            start_time=self.start_time,
            started=self.started,
            counts={**self.counts, "deselected": self.counts.get("deselected", 0)},
            deselected=self.deselected,
            foreign=self.deselections.unexplained if self.deselections else [],
            foreign_count=self.foreign_deselected,
            not_collected=len(self.uncollected),
            collection_errors=self.collection_errors,
            loaded=sorted(self.loaded),
            workers=self.workers,
        )
        status, reasons, path = record_run(self.config, state, exit_status, stopped)
        if status != "passed" and reasons:
            explain(self.config, self.gate, status, reasons)
        return status, path
