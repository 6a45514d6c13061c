"""The mutations of benchmarks/selection_eval.py: each one compiles and changes behaviour."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "selection_eval.py"
MODULE = '''"""A module."""


def clamp(x, top=10):
    """Docstring first: the early return goes after it."""
    if x > top:
        return top
    return x


def label(x):
    return f"{x == 1}" + ("one" if x in (1,) else "other")
'''


@pytest.fixture(scope="module")
def evaluation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("selection_eval", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["selection_eval"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def results(path: Path) -> tuple[object, ...]:
    space: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), space)
    clamp, label = space["clamp"], space["label"]
    return tuple(f(x) for f in (clamp, label) for x in (1, 5, 20))  # type: ignore[operator]


def test_every_mutation_compiles_and_changes_a_result(
    evaluation: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "mod.py").write_text(MODULE)
    original = results(tmp_path / "mod.py")
    sites = evaluation.mutation_sites(tmp_path, "mod.py")
    kinds = {(s.kind, s.before) for s in sites}
    assert ("flip comparison", "x > top") in kinds
    assert ("flip comparison", "x in (1,)") in kinds
    assert ("change constant", "10") in kinds
    assert ("return early", "def clamp") in kinds
    assert not any(s.before == "x == 1" for s in sites)  # inside an f-string: left alone
    for site in sites:
        (tmp_path / "mod.py").write_text(MODULE)
        assert evaluation.apply_mutation(tmp_path, site)
        assert results(tmp_path / "mod.py") != original, site


def test_source_files_exclude_tests_and_respect_the_source_folders(
    evaluation: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert evaluation.is_source("src/pkg/core.py")
    assert not evaluation.is_source("tests/utils.py")
    assert not evaluation.is_source("src/pkg/tests/helpers.py")
    assert not evaluation.is_source("src/pkg/conftest.py")
    monkeypatch.setattr(evaluation, "SOURCE_FOLDERS", ["src"])
    assert not evaluation.is_source("typing_tests/baseline.py")
    assert evaluation.is_source("src/pkg/core.py")
