"""The engines that record which lines run, per context (a test's id, or "" outside tests).

Two engines, one interface (:class:`LineEngine`):

- :class:`MonitoringEngine`, on Python 3.12 and later: ``sys.monitoring``
  reports the first run of each line of the repository's code once per
  context and is then told to stay quiet (``DISABLE``) until the context
  changes (``restart_events``). A test that loops pays for each line once,
  not on every pass, so recording costs little more than the run itself.
  Code outside the repository is never watched line by line.
- :class:`CoverageEngine`, before 3.12 (or when no monitoring tool id is
  free): coverage.py's C tracer, with one dynamic context per test.

:func:`start_engine` picks one; ``LANEWARDEN_COVERAGE_ENGINE=coverage``
asks for coverage.py on any version (to compare the two).
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
import warnings
from pathlib import Path
from types import CodeType
from typing import Any, Protocol

__all__ = ["CoverageEngine", "LineEngine", "Lines", "MonitoringEngine", "start_engine"]

Lines = dict[str, dict[str, set[int]]]  # context -> file (as the code names it) -> lines run
_MONITORING: Any = getattr(sys, "monitoring", None)  # Python 3.12 and later
_QUIET_WARNINGS = ["no-data-collected", "module-not-measured", "module-not-imported"]


class LineEngine(Protocol):
    """Records the lines run under the current context."""

    name: str

    def switch(self, context: str) -> None:
        """From now on, lines count for ``context``."""

    def pause(self) -> None:
        """Record nothing until :meth:`resume` (pytest's own work between tests)."""

    def resume(self) -> None:
        """Record again."""

    def stop(self) -> Lines:
        """Stop for good; what ran, by context and file."""


def start_engine(root: Path) -> tuple[LineEngine | None, str | None]:
    """A started engine measuring the files under ``root``, or None and why not."""
    import coverage

    if coverage.Coverage.current() is not None:
        return None, "another coverage measurement is running (coverage run?)"
    wanted = os.environ.get("LANEWARDEN_COVERAGE_ENGINE", "")
    if wanted != "coverage" and sys.version_info >= (3, 12):
        engine = MonitoringEngine.start(root)
        if engine is not None:
            return engine, None
    return CoverageEngine.start(root)


class MonitoringEngine:
    """``sys.monitoring``: each line of the repository's code reported once per context."""

    name = "sys.monitoring"

    def __init__(self, root: Path, tool: int) -> None:
        self.root = str(root) + os.sep
        self.tool = tool
        self.lines: Lines = {}
        self.current: dict[str, set[int]] = self.lines.setdefault("", {})
        self.stopped = False
        self.discovering = True  # functions are found as they start, until the first test
        self.files: dict[str, bool] = {}  # co_filename -> whether it is the repository's code
        # The repository's code objects whose lines are watched, by identity: two files with
        # the same source compile to equal code objects (held, so an id is never reused).
        self.watched: dict[int, CodeType] = {}
        self.early = False  # some of the repository's modules were imported before the start
        paths = sysconfig.get_paths()
        self.installed = tuple(  # installed code inside the repository (a .venv) is not its own
            {str(Path(paths[key]).resolve()) + os.sep for key in ("stdlib", "purelib", "platlib")}
        )

    @classmethod
    def start(cls, root: Path) -> MonitoringEngine | None:
        """Started on a free tool id; None when every id an engine may use is taken."""
        monitoring = _MONITORING
        if monitoring is None:
            return None
        for tool in (monitoring.COVERAGE_ID, 3, 4):
            if monitoring.get_tool(tool) is None:
                break
        else:
            return None
        engine = cls(root.resolve(), tool)
        monitoring.use_tool_id(tool, "lanewarden")
        try:
            events = monitoring.events
            for event in (events.PY_START, events.PY_RESUME):
                # A generator started before recording, resumed in a test, starts no more.
                monitoring.register_callback(tool, event, engine._started)
            monitoring.register_callback(tool, events.LINE, engine._line)
            monitoring.set_events(tool, events.PY_START | events.PY_RESUME)
            # The repository's modules imported already (a plugin of the project itself):
            # their functions may first run in a test, so they are found as they start.
            engine.early = any(
                engine._ours(getattr(module, "__file__", None) or "<none>")
                for module in list(sys.modules.values())
            )
            _watch_executions(engine)
        except BaseException:
            engine.stop()
            raise
        return engine

    def _ours(self, filename: str) -> bool:
        """Whether code of ``filename`` is the repository's (not ``<string>``, not installed)."""
        ours = self.files.get(filename)
        if ours is None:
            path = _realpath(filename) if os.path.isabs(filename) else ""
            ours = path.startswith(self.root) and not path.startswith(self.installed)
            self.files[filename] = ours
        return ours

    def _started(self, code: CodeType, offset: int) -> Any:
        """A function (or module) starts or resumes: watch its lines if it is the repository's."""
        if id(code) not in self.watched and self._ours(code.co_filename):
            self.watch(code)
        return _MONITORING.DISABLE  # (until the next context: then this code starts anew)

    def watch(self, code: CodeType) -> None:
        """Watch the lines of ``code`` and of every function, class body and lambda in it."""
        line = _MONITORING.events.LINE
        pending = [code]
        while pending:
            inner = pending.pop()
            if id(inner) in self.watched:
                continue
            self.watched[id(inner)] = inner
            _MONITORING.set_local_events(self.tool, inner, line)
            pending += [c for c in inner.co_consts if isinstance(c, CodeType)]

    def executed(self, code: CodeType) -> None:
        """``exec`` of ``code`` (a module's import, generated code): watch it if it is ours."""
        if not self.stopped and id(code) not in self.watched and self._ours(code.co_filename):
            self.watch(code)

    def _line(self, code: CodeType, line: int) -> Any:
        self.current.setdefault(code.co_filename, set()).add(line)
        return _MONITORING.DISABLE  # once per context is enough

    def switch(self, context: str) -> None:
        """Lines count for ``context`` now; each is reported once more.

        Once collection is over, every module imported so far has its
        functions watched (a module's code holds them all); one imported
        later is watched as it is executed. Functions need no longer be found
        as they start: otherwise every function pytest starts would call
        back once per test.
        """
        self.current = self.lines.setdefault(context, {})
        if context and self.discovering and not self.early:
            self.discovering = False
            _MONITORING.set_events(self.tool, 0)
        _MONITORING.restart_events()

    def pause(self) -> None:
        """Nothing: the repository's code pytest runs between a test's phases (a conftest's
        report hook) counts for the test, which only keeps more tests. Quieting it would
        cost a restart of every event at each phase, and so a callback for each function
        pytest starts."""

    def resume(self) -> None:
        """Nothing (see :meth:`pause`)."""

    def stop(self) -> Lines:
        """Stop for good (again: nothing more); free the tool id."""
        global _executions
        if _executions is self:
            _executions = None
        if not self.stopped:
            self.stopped = True
            monitoring = _MONITORING
            monitoring.set_events(self.tool, 0)
            for code in self.watched.values():
                monitoring.set_local_events(self.tool, code, 0)
            events = monitoring.events
            for event in (events.PY_START, events.PY_RESUME, events.LINE):
                monitoring.register_callback(self.tool, event, None)
            monitoring.free_tool_id(self.tool)
            self.watched.clear()
        return self.lines


_executions: MonitoringEngine | None = None  # the engine told of each exec, while it runs
_exec_hooked = False


def _watch_executions(engine: MonitoringEngine) -> None:
    """Tell ``engine`` of every code object executed (audit event ``exec``: imports too)."""
    global _executions, _exec_hooked
    _executions = engine
    if not _exec_hooked:
        sys.addaudithook(_executed)
        _exec_hooked = True


def _executed(event: str, args: tuple[Any, ...]) -> None:
    engine = _executions
    if engine is None or event != "exec" or not args or not isinstance(args[0], CodeType):
        return
    try:
        engine.executed(args[0])
    except Exception:  # never fail the user's exec() (the engine raises nothing it expects)
        return


def _realpath(file: str) -> str:
    try:
        return os.path.realpath(file)
    except (OSError, ValueError):
        return file


class CoverageEngine:
    """coverage.py's C tracer, one dynamic context per test."""

    name = "coverage.py"

    def __init__(self, measurement: Any) -> None:
        self.coverage = measurement
        self.paused = False

    @classmethod
    def start(cls, root: Path) -> tuple[CoverageEngine | None, str | None]:
        """Started, or None and why coverage cannot measure per test here."""
        import coverage

        measurement = coverage.Coverage(
            data_file=None, config_file=False, branch=False, source=[str(root)]
        )
        # coverage's own warnings (a worker that measured nothing) are no failure of the run,
        # even where the project turns warnings into errors.
        measurement.set_option("run:disable_warnings", _QUIET_WARNINGS)
        # Per-test lines need a core that keeps dynamic contexts: sys.monitoring's (the
        # default on Python 3.14, or COVERAGE_CORE=sysmon) loses them. Older coverage
        # versions have no such option, and read the COVERAGE_CORE variable only, at start.
        with contextlib.suppress(Exception):
            measurement.set_option("run:core", "ctrace")
        asked = os.environ.get("COVERAGE_CORE")
        os.environ["COVERAGE_CORE"] = "ctrace"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                measurement.start()
                measurement.switch_context("")
        except Exception as error:  # coverage could not measure here: no map, and say why
            return None, f"coverage could not start measuring ({type(error).__name__}: {error})"
        finally:
            if asked is None:
                del os.environ["COVERAGE_CORE"]
            else:
                os.environ["COVERAGE_CORE"] = asked
        core = getattr(getattr(measurement, "_collector", None), "core", None)
        tracer = getattr(getattr(core, "tracer_class", None), "__name__", "")
        if core is not None and (
            not getattr(core, "supports_dynamic_contexts", True) or tracer == "SysMonitor"
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                measurement.stop()
                measurement.erase()
            return None, (
                f"coverage's {tracer or 'chosen'} core keeps no per-test contexts"
                " (COVERAGE_CORE=sysmon?); set COVERAGE_CORE=ctrace to record"
            )
        return cls(measurement), None

    def switch(self, context: str) -> None:
        """Switch coverage's context, first dropping the files nothing ran since the last one.

        coverage keeps an entry for every file it ever measured and copies
        each one at every switch: thousands of test files made that the
        main cost of recording. Removing the empty ones (only while nothing
        is traced) keeps a switch as cheap as the test's own files.
        """
        collector = getattr(self.coverage, "_collector", None)
        data = getattr(collector, "data", None)
        if self.paused and isinstance(data, dict):
            for name in [name for name, lines in data.items() if not lines]:
                del data[name]
        self.coverage.switch_context(context)

    def pause(self) -> None:
        """Stop tracing: a trace function slows every Python line down (on 3.11 the whole
        interpreter leaves its fast path). coverage has no public pause; without its
        collector's ``pause``, tracing just goes on."""
        collector = getattr(self.coverage, "_collector", None)
        if collector is not None and hasattr(collector, "pause") and not self.paused:
            collector.pause()
            self.paused = True

    def resume(self) -> None:
        collector = getattr(self.coverage, "_collector", None)
        if collector is not None and self.paused:
            collector.resume()
            self.paused = False

    def stop(self) -> Lines:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.resume()  # coverage's stop expects a running collector
            self.coverage.stop()
            data = self.coverage.get_data()
        lines: Lines = {}
        for measured in data.measured_files():
            for line, contexts in (data.contexts_by_lineno(measured) or {}).items():
                for context in contexts:
                    lines.setdefault(context, {}).setdefault(measured, set()).add(line)
        self.coverage.erase()
        return lines
