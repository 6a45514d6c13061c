"""Both line engines record the same lines, per context, for real code in real files.

The ``sys.monitoring`` engine exists on Python 3.12 and later only; there
each test runs against both engines, and they must agree line for line.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import coverage  # imported here once: in-process runs would re-import its C tracer
import pytest

from lanewarden.adapters.line_engines import CoverageEngine, LineEngine, MonitoringEngine
from scenario import QUIET, PytestRepo, stored_maps

assert coverage.Coverage  # (the import above is needed, not unused)

SOURCE = """\
def twice(x):
    y = x * 2
    for _ in range(3):
        y += 0
    return y


def unused():
    return 1
"""


def load(path: Path, name: str) -> ModuleType:
    """Import ``path`` as module ``name`` (registered, as an import would)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def forget_modules() -> Iterator[None]:
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def measure(engine: LineEngine, root: Path) -> dict[str, dict[str, set[int]]]:
    """Two files with the same source: the code objects compare equal, but are two files."""
    first = load(root / "a" / "same.py", "lw_engine_a")  # imported outside every test
    second = load(root / "b" / "same.py", "lw_engine_b")
    engine.switch("test_a")
    first.twice(1)
    engine.switch("test_b")
    second.twice(2)
    engine.switch("test_both")
    first.twice(3)
    second.twice(4)
    measured = engine.stop()
    return {
        context: {
            Path(file).relative_to(root).as_posix(): lines
            for file, lines in files.items()
            if Path(file).is_relative_to(root)
        }
        for context, files in measured.items()
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.py").write_text(SOURCE)
    return tmp_path.resolve()


def test_the_monitoring_engine_records_each_file_and_context(root: Path) -> None:
    if sys.version_info < (3, 12):
        pytest.skip("sys.monitoring needs Python 3.12")
    engine = MonitoringEngine.start(root)
    assert engine is not None
    lines = measure(engine, root)
    body = {2, 3, 4, 5}
    assert lines["test_a"] == {"a/same.py": body}
    assert lines["test_b"] == {"b/same.py": body}  # an equal code object of another file
    assert lines["test_both"] == {"a/same.py": body, "b/same.py": body}
    assert {1, 8} <= lines[""]["a/same.py"]  # the module's top level, outside every test
    assert 9 not in lines[""]["a/same.py"]


def test_the_engines_agree(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    if sys.version_info < (3, 12):
        pytest.skip("only one engine before Python 3.12")
    monitored = measure(MonitoringEngine.start(root), root)  # type: ignore[arg-type]
    other = tmp_path_factory.mktemp("coverage")
    for folder in ("a", "b"):
        (other / folder).mkdir()
        (other / folder / "same.py").write_text(SOURCE)
    engine, problem = CoverageEngine.start(other.resolve())
    assert engine is not None, problem
    covered = measure(engine, other.resolve())
    for context in ("test_a", "test_b", "test_both"):
        assert monitored[context] == covered[context]


def monitoring_engine(root: Path) -> MonitoringEngine:
    if sys.version_info < (3, 12):
        pytest.skip("sys.monitoring needs Python 3.12")
    engine = MonitoringEngine.start(root)
    assert engine is not None
    return engine


def test_a_generator_started_before_recording_is_seen_when_a_test_resumes_it(root: Path) -> None:
    (root / "gen.py").write_text("def numbers():\n    yield 1\n    yield 2\n    yield 3\n")
    module = load(root / "gen.py", "lw_engine_gen")  # before recording (a plugin of the project)
    started = module.numbers()
    assert next(started) == 1
    engine = monitoring_engine(root)
    engine.switch("test_resumes")
    assert list(started) == [2, 3]
    lines = engine.stop()
    assert lines["test_resumes"][str(root / "gen.py")] >= {3, 4}


def test_a_line_run_while_paused_counts_when_the_test_runs_it(root: Path) -> None:
    engine = monitoring_engine(root)
    module = load(root / "a" / "same.py", "lw_engine_paused")
    engine.switch("test_after_a_pause")
    engine.pause()
    module.twice(1)  # pytest's reporting between phases calling the project's code
    engine.resume()
    module.twice(2)
    lines = engine.stop()
    assert lines["test_after_a_pause"][str(root / "a" / "same.py")] == {2, 3, 4, 5}


def test_code_that_only_claims_a_name_under_the_root_is_not_recorded(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)  # "<string>" would resolve under the root from here
    engine = monitoring_engine(root)
    engine.switch("test_exec")
    exec(compile("def f():\n    return 1\nf()\n", "<string>", "exec"), {})
    lines = engine.stop()
    assert all(Path(file).is_relative_to(root / "a") for file in lines.get("test_exec", {}))
    assert not any("<string>" in file for files in lines.values() for file in files)


def test_a_run_that_ends_early_frees_the_engine(pytester: pytest.Pytester) -> None:
    if sys.version_info < (3, 12):
        pytest.skip("sys.monitoring needs Python 3.12")
    project = PytestRepo(pytester)
    project.write({"conftest.py": "raise ImportError('broken on purpose')\n", "test_a.py": ""})
    project.commit("a conftest that cannot be imported")
    for _ in range(2):
        result = pytester.runpytest(*QUIET, "--lw-record-coverage")
        assert result.ret != 0
    monitoring = sys.monitoring  # type: ignore[attr-defined]
    assert monitoring.get_tool(monitoring.COVERAGE_ID) is None


def test_a_test_cut_short_is_not_trusted_by_the_map(pytester: pytest.Pytester) -> None:
    project = PytestRepo(pytester)
    project.write(
        {
            "lib.py": "def foo():\n    return 1\n\n\ndef bar():\n    return 2\n",
            "test_x.py": (
                "import pytest\n\nimport lib\n\n\ndef test_a():\n    assert lib.foo() == 1\n"
                "    pytest.exit('cut short, as by Ctrl-C')\n    assert lib.bar() == 2\n"
            ),
            "test_y.py": "import lib\n\n\ndef test_b():\n    assert lib.bar() == 2\n",
        }
    )
    project.commit("a run cut short")
    pytester.runpytest(*QUIET, "--lw-record-coverage", "test_y.py", "test_x.py")
    for recorded in stored_maps(project.root):  # (no map at all is fine too)
        assert "test_x.py::test_a" not in recorded.tests
        assert "test_x.py" not in recorded.complete


def test_a_function_first_run_in_a_test_of_a_module_imported_at_collection_is_seen(
    root: Path,
) -> None:
    """Once tests run, functions are no longer found as they start: their module's code
    (executed at import, during collection) had them all watched already."""
    engine = monitoring_engine(root)
    module = load(root / "a" / "same.py", "lw_engine_collected")
    engine.switch("test_one")
    engine.switch("test_two")
    module.unused()  # never run before
    late = load(root / "b" / "same.py", "lw_engine_late")  # imported inside a test
    late.twice(1)
    lines = engine.stop()
    assert lines["test_two"][str(root / "a" / "same.py")] == {9}
    assert lines["test_two"][str(root / "b" / "same.py")] >= {1, 2, 3, 4, 5, 8}
