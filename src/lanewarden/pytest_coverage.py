"""Recording the coverage map: which source lines each test executed.

Started by :mod:`lanewarden.pytest_plugin` before the first ``conftest.py``
is imported (``--lw-record-coverage``, or ``record_coverage = true`` on a
gate run of the whole suite), so imports during collection are seen, as
lines run outside every test. An engine of
:mod:`lanewarden.adapters.line_engines` measures (``sys.monitoring`` on
Python 3.12 and later, else coverage.py); the context switches to
the test's id around each test's whole protocol (setup, call, teardown), so
a function-scoped fixture's code counts for the test that asked for it; the
setup of a fixture shared beyond one test (class, module, session scope)
counts outside every test, as its value serves later tests too. Under xdist each worker
records its own tests and sends them to the controller, which writes one
map for the tree tested. None of it is imported unless a map is recorded.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from lanewarden.adapters.line_engines import LineEngine
from lanewarden.domain.collection_inputs import CollectionInputs
from lanewarden.pytest_collection_watch import CollectionWatch

__all__ = ["COVERAGE_KEY", "CoverageRecorder", "start_recording"]

COVERAGE_KEY = "lanewarden-coverage"  # the key of a worker's map in xdist's workeroutput


def start_recording(config: pytest.Config, selecting: tuple[str, ...]) -> None:
    """Register a recorder when ``--lw-record-coverage`` asks for one, or the configuration
    does (``record_coverage = true``) for a gate run of the whole suite."""
    from lanewarden.adapters.git import Repo
    from lanewarden.errors import InputError

    known = config.known_args_namespace
    asked = bool(getattr(known, "lw_record_coverage", False))
    if not asked and any(getattr(known, name, None) for name in selecting):
        return
    try:
        repo = Repo.discover(config.rootpath)
    except InputError:
        if asked:
            raise
        return  # the gate run itself says what is wrong, and how to fix it
    if not asked:
        from lanewarden.adapters.config import load_config

        if not load_config(repo.root).record_coverage:
            return
    # pytest-cov's --cov starts its own measurement after this one, which would stop ours.
    clash = "pytest-cov measures this run (--cov)" if getattr(known, "cov_source", None) else None
    recorder = CoverageRecorder(repo.root.resolve(), clash=clash)
    if recorder.engine is not None:
        recorder.watch = CollectionWatch.attach(config, recorder.root)
    config.add_cleanup(recorder.stop_engine)  # whatever ends the run, the engine stops
    config.pluginmanager.register(recorder, "lanewarden-coverage")


class CoverageRecorder:
    """Measures the session, one coverage context per test."""

    def __init__(self, root: Path, *, clash: str | None = None) -> None:
        from lanewarden.adapters.line_engines import start_engine

        self.root = root
        self.importers: set[str] = set()
        self.context = ""  # the running test's context; "" between tests, in shared fixtures
        self.folders: dict[str, str] = {}  # folder -> relative to the top ("" outside it)
        self.keys: dict[str, str] = {}  # node id -> the map's key for it
        self.collected: set[str] = set()
        self.unsure: set[str] = set()  # tests that failed, were skipped or were cut short
        self.xfailed: set[str] = set()  # tests whose body ran and xfailed
        self.finished: set[str] = set()  # node ids whose teardown was reported
        self.parts: list[dict[str, Any]] = []  # what xdist workers sent
        self.tree: str | None = None
        self.engine: LineEngine | None = None
        self.engine_name = ""
        self.problem: str | None = clash
        self.watch: CollectionWatch | None = None  # what collection reads, until it ends
        self.inputs: CollectionInputs | None = None
        if clash is None:
            self.engine, self.problem = start_engine(root)

    def _end_watch(self) -> None:
        """Collection is over: keep what it read."""
        if self.watch is not None:
            self.inputs, self.watch = self.watch.stop(), None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> None:
        """Collection starts: watch what it reads."""
        if self.watch is not None:
            self.watch.resume()

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self) -> None:
        """What collection read ends here: deselecting and running read what they like."""
        self._end_watch()

    def key(self, item: pytest.Item) -> str | None:
        """``path::name`` from the repository top; None for a test outside it."""
        folder = str(item.path.parent)
        relative = self.folders.get(folder)
        if relative is None:
            try:
                relative = item.path.parent.resolve().relative_to(self.root).as_posix()
            except ValueError:
                relative = ""
            self.folders[folder] = relative
        if not relative:
            return None
        path = item.path.name if relative == "." else f"{relative}/{item.path.name}"
        _, sep, name = item.nodeid.partition("::")
        return path + sep + name

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        """One context per test; note when the test imported a module first."""
        key = self.key(item) if self.engine is not None else None
        if key is None:
            yield
            return
        modules = dict(sys.modules)
        self.keys[item.nodeid] = key
        self.context = key
        self._pause()  # collection is over: from now on, only the tests' phases are traced
        self._switch(key)
        try:
            yield
        finally:
            # No switch back to "": nothing is traced between tests (see _pause).
            self.context = ""
            if item.nodeid not in self.finished:  # cut short (Ctrl-C, pytest.exit): ran in part
                self.unsure.add(key)
            if len(sys.modules) > len(modules) and self._imported_own_module(modules):
                self.importers.add(key)

    def _imported_own_module(self, before: dict[str, Any]) -> bool:
        """Whether the test imported one of the repository's modules first.

        Only then can code of the map's files have run at an import inside the
        test (the importing module's top level calling it): importing only the
        standard library or installed packages runs none of it.
        """
        for name, module in list(sys.modules.items()):
            if name in before:
                continue
            file = getattr(module, "__file__", None)
            if isinstance(file, str) and self._inside(file):
                return True
        return False

    def _inside(self, file: str) -> bool:
        try:
            Path(file).resolve().relative_to(self.root)
        except (OSError, ValueError):
            return False
        return True

    def _switch(self, context: str) -> None:
        if self.engine is not None:
            self.engine.switch(context)

    def _pause(self) -> None:
        """Stop recording between tests: pytest's reporting is not the project's code."""
        if self.engine is not None:
            self.engine.pause()

    def _resume(self) -> None:
        if self.engine is not None:
            self.engine.resume()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self) -> Generator[None, None, None]:
        """Trace the test's setup (its fixtures)."""
        yield from self._traced()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self) -> Generator[None, None, None]:
        """Trace the test itself."""
        yield from self._traced()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self) -> Generator[None, None, None]:
        """Trace the test's teardown."""
        yield from self._traced()

    def _traced(self) -> Generator[None, None, None]:
        if self.engine is None:
            yield
            return
        self._resume()
        try:
            yield
        finally:
            self._pause()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any) -> Generator[None, None, None]:
        """A fixture shared beyond one test runs outside every test.

        Its value serves every later test that asks for it, though only the
        first one ran its code: counted outside, a change to what it ran
        keeps every test that reaches the module (like code run at import).
        """
        shared = getattr(fixturedef, "scope", "function") != "function"
        if not shared or self.engine is None or not self.context:
            yield  # (inside a shared fixture's setup, one it asks for stays outside too)
            return
        previous, self.context = self.context, ""
        self._switch("")
        try:
            yield
        finally:
            # Back to the context the setup was asked from; nested setups restore theirs
            # (a shared fixture asking for another with request.getfixturevalue).
            self.context = previous
            self._switch(previous)

    def stop(self) -> dict[str, Any]:
        """Stop measuring; what was measured, by file relative to the repository top."""
        self._end_watch()
        if self.engine is None:
            return {
                "tests": {},
                "outside": {},
                "importers": [],
                "collected": [],
                "unsure": [],
                "xfailed": [],
                "collection": None,
            }
        from lanewarden.domain.coverage_map import ranges

        self.engine_name = self.engine.name
        measured, self.engine = self.engine.stop(), None
        # By file relative to the top, each resolved once: two names of one file (a symlink,
        # a relative co_filename) add up.
        by_context: dict[str, dict[str, set[int]]] = {}
        relatives: dict[str, str | None] = {}
        for context, files in measured.items():
            for file, lines in files.items():
                if file not in relatives:
                    try:
                        relatives[file] = Path(file).resolve().relative_to(self.root).as_posix()
                    except (OSError, ValueError):
                        relatives[file] = None
                relative = relatives[file]
                if relative is not None and lines:
                    by_context.setdefault(context, {}).setdefault(relative, set()).update(lines)
        tests = {
            context: {path: ranges(lines) for path, lines in files.items()}
            for context, files in by_context.items()
            if context
        }
        outside = {path: ranges(lines) for path, lines in by_context.get("", {}).items()}
        return {
            "tests": tests,
            "outside": outside,
            "importers": sorted(self.importers),
            "collected": sorted(self.collected),
            "unsure": sorted(self.unsure),
            "xfailed": sorted(self.xfailed),
            "collection": None if self.inputs is None else self.inputs.to_json(),
        }

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The tests this process may run: a file is complete in the map when all of them are."""
        for item in session.items:
            key = self.key(item)
            if key is not None:
                self.collected.add(key)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Deselected tests were collected too: their files are not complete in the map."""
        for item in items:
            key = self.key(item)
            if key is not None:
                self.collected.add(key)

    def stop_engine(self) -> None:
        """Stop measuring, if a run that ended early left the engine running."""
        if self.engine is not None:
            engine, self.engine = self.engine, None
            engine.stop()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A test that failed or was skipped may not have reached the code it is meant to run.

        An xfailed test whose body ran is judged like a passed one: taking the same
        path, it fails at the same point again.  One not run (``run=False``) stays.
        """
        if report.when == "teardown":
            self.finished.add(report.nodeid)
        xfailed = report.when == "call" and report.skipped and hasattr(report, "wasxfail")
        if report.outcome != "passed" or xfailed:
            key = self.keys.get(report.nodeid, report.nodeid)
            (self.xfailed if xfailed else self.unsure).add(key)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """An xdist controller runs no test: it need not be traced at all (its workers are)."""
        if self.engine is not None and session.config.pluginmanager.has_plugin("dsession"):
            self._pause()
            if self.watch is not None:  # nor watched: what its workers' collection read counts
                self.watch.stop()
                self.watch = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        """On the xdist controller: keep what each worker measured."""
        output = getattr(node, "workeroutput", {}).get(COVERAGE_KEY)
        if output is not None:
            self.parts.append(json.loads(output))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """A worker sends its part; the controller (or a lone process) writes the map."""
        config = session.config
        measured = self.stop()
        if hasattr(config, "workerinput"):
            config.workeroutput[COVERAGE_KEY] = json.dumps(measured)  # type: ignore[attr-defined]
            return
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if self.problem is not None:
            if reporter is not None:
                reporter.write_line(f"lanewarden: no coverage map recorded: {self.problem}")
            return
        from lanewarden.adapters.changes import listed_files
        from lanewarden.adapters.coverage_store import write_map
        from lanewarden.adapters.git import Repo
        from lanewarden.domain.coverage_map import CoverageMap

        repo = Repo.discover(self.root)
        listed = set(listed_files(repo))
        tests: dict[str, dict[str, str]] = {}
        outside: dict[str, set[int]] = {}
        importers: set[str] = set()
        collected: set[str] = set()
        unsure: set[str] = set()
        xfailed: set[str] = set()
        from lanewarden.domain.coverage_map import parse_ranges, ranges

        inputs = _inputs([measured, *self.parts] if self.parts else [measured])
        for part in [measured, *self.parts]:
            for test, per_file in part["tests"].items():
                tests[test] = {p: r for p, r in per_file.items() if p in listed}
            for path, text in part["outside"].items():
                if path in listed:
                    outside.setdefault(path, set()).update(parse_ranges(text))
            importers.update(part["importers"])
            collected.update(part["collected"])
            unsure.update(part["unsure"])
            xfailed.update(part["xfailed"])
        files = {key.partition("::")[0] for key in collected}
        missing = {key.partition("::")[0] for key in collected if key not in tests}
        assert self.tree is not None
        coverage = CoverageMap(
            self.tree,
            tests,
            {p: ranges(lines) for p, lines in outside.items()},
            frozenset(importers),
            complete=frozenset(files - missing),
            collection=inputs,
            xfailed=frozenset(xfailed & tests.keys()),
        ).without(unsure)  # a test that failed or was skipped always stays
        path = write_map(repo, coverage)
        if reporter is not None:
            reporter.write_line(
                f"lanewarden: coverage map recorded for tree {self.tree[:12]}:"
                f" {len(coverage.tests):,} tests, measured with {self.engine_name} ({path})"
            )
            head = repo.git("rev-parse", "--verify", "--quiet", "HEAD^{tree}", ok_codes=(0, 1))
            if head.decode().strip() != self.tree:
                reporter.write_line(
                    "lanewarden: the work tree has uncommitted changes: selections look for"
                    " a map by commit, so this one serves once they are committed as tested"
                )


def _inputs(parts: list[dict[str, Any]]) -> CollectionInputs | None:
    """What the collection of every process that collected read; None if one did not say.

    An xdist controller collects nothing: only its workers' parts count then.
    """
    said = [part.get("collection") for part in parts if part.get("collected")]
    inputs: CollectionInputs | None = None
    for part in said:
        if part is None:
            return None
        read = CollectionInputs.from_json(part)
        inputs = read if inputs is None else inputs.merged(read)
    return inputs
