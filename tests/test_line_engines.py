"""Both line engines record the same lines, per context, for real code in real files.

The ``sys.monitoring`` engine exists on Python 3.12 and later only; there
each test runs against both engines, and they must agree line for line.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lanewarden.adapters.line_engines import CoverageEngine, LineEngine, MonitoringEngine

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
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(engine: LineEngine, root: Path) -> dict[str, dict[str, set[int]]]:
    """Two files with the same source: the code objects compare equal, but are two files."""
    first = load(root / "a" / "same.py", "lw_engine_a")  # imported outside every test
    second = load(root / "b" / "same.py", "lw_engine_b")
    engine.switch("test_a")
    first.twice(1)
    engine.pause()
    second.twice(5)  # between tests: not counted
    engine.resume()
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
