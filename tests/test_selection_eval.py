"""The mutations of benchmarks/selection_eval.py: each one compiles and changes behaviour."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scenario import PytestRepo

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


# -- the whole evaluation on a tiny project ----------------------------------
# A flat package whose root re-exports its modules, tests in a top-level
# folder that use `import shop as s; s.name`: the layout of the third project.
SHOP = {
    "shop/__init__.py": "from .prices import *\nfrom .stock import *\n",
    "shop/prices.py": (
        '__all__ = ["total", "discount"]\n\n\n'
        "def total(items):\n    return sum(items)\n\n\n"
        "def discount(price, percent):\n    return price - price * percent // 100\n"
    ),
    "shop/stock.py": '__all__ = ["in_stock"]\n\n\ndef in_stock(n):\n    return n > 0\n',
    "tests/__init__.py": "",
    "tests/test_prices.py": (
        "import shop as s\n\n\n"
        "def test_total():\n    assert s.total([1, 2]) == 3\n\n\n"
        "def test_discount():\n    assert s.discount(200, 10) == 180\n"
    ),
    "tests/test_stock.py": (
        "import shop as s\n\n\n"
        "def test_in_stock():\n    assert s.in_stock(1)\n    assert not s.in_stock(0)\n\n\n"
        "def test_out_of_stock():\n    assert not s.in_stock(-1)\n"
    ),
}
# The replayed commit changes how `discount` computes (not what it returns here).
NEW_DISCOUNT = "def discount(price, percent):\n    return price * (100 - percent) // 100\n"
TESTS = {"tests/test_prices.py": 2, "tests/test_stock.py": 2}


def shop_history(pytester: pytest.Pytester) -> Path:
    project = PytestRepo(pytester)
    project.write(SHOP)
    project.commit("a shop")
    prices = SHOP["shop/prices.py"]
    project.write({"shop/prices.py": prices[: prices.index("def discount")] + NEW_DISCOUNT})
    project.commit("discount: parentheses")
    return project.root


def evaluate(evaluation: ModuleType, root: Path, *extra: str) -> dict[str, Any]:
    out = root.parent / "evaluation.json"
    options = [str(root), "--work", str(root.parent / "work"), "--python", sys.executable]
    options += ["--pythonpath", ".", "--source", "shop", "--timeout", "120"]
    options += ["--pytest-arg=-p", "--pytest-arg=no:hypothesispytest", "--json", str(out)]
    assert evaluation.main([*options, *extra]) == 0
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def test_a_replayed_commit_and_mutations_are_measured_with_the_static_selection(
    evaluation: ModuleType, pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    root = shop_history(pytester)
    document = evaluate(evaluation, root, "--max-commits", "1", "--max-mutations", "3")
    [commit] = document["commits"]
    assert commit["files"] == ["shop/prices.py"]
    assert commit["full"]["ran"] == sum(TESTS.values())
    # `s.discount` resolves through the root's star import to shop/prices.py:
    # the tests of stock are not selected.
    assert commit["runs"]["static"]["ran"] == TESTS["tests/test_prices.py"]
    assert set(commit["runs"]) == {"static"}
    assert len(document["mutations"]) == 3
    for mutation in document["mutations"]:
        assert mutation["path"].startswith("shop/")
        if mutation["full"]["code"] == 1:  # the full suite caught it: so must the selection
            assert mutation["runs"]["static"]["code"] == 1, mutation
    table = capsys.readouterr().out
    assert "| static: tests, time, speedup |" in table
    assert "pytest-testmon" not in table
    # The JSON gives the same tables back, running nothing.
    assert evaluation.main(["--from-json", str(root.parent / "evaluation.json")]) == 0
    assert capsys.readouterr().out == table


def test_skipped_commits_are_not_replayed_nor_is_a_root_commit(
    evaluation: ModuleType, pytester: pytest.Pytester
) -> None:
    root = shop_history(pytester)
    document = evaluate(
        evaluation, root, "--skip-commits", "1", "--max-commits", "1", "--max-mutations", "0"
    )
    # The newest commit is skipped; the one before is the root: it has no parent to replay on.
    assert document["commits"] == []
    assert document["mutations"] == []


def test_testmon_mode_builds_its_database_on_the_parent_then_selects_per_function(
    evaluation: ModuleType, pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    if importlib.util.find_spec("testmon") is None:
        pytest.skip("pytest-testmon is not installed in this environment (not a test dependency)")
    root = shop_history(pytester)
    document = evaluate(evaluation, root, "--max-commits", "1", "--max-mutations", "3", "--testmon")
    [commit] = document["commits"]
    # Its own full run on the parent ran every test, before the change.
    assert commit["prepared"]["testmon"]["ran"] == sum(TESTS.values())
    assert commit["runs"]["static"]["ran"] == TESTS["tests/test_prices.py"]
    # testmon knows which test executed `discount`: test_total did not.
    assert commit["runs"]["testmon"]["ran"] == 1
    for mutation in document["mutations"]:
        assert set(mutation["runs"]) == {"static", "testmon"}
        if mutation["full"]["code"] == 1:
            assert mutation["runs"]["testmon"]["code"] == 1, mutation
    # Its database is put back before each mutation: a mutation's failures do
    # not make it rerun tests for the next one, and none is left behind.
    assert not list((root.parent / "work" / "clone").glob(".testmondata*"))
    table = capsys.readouterr().out
    assert "pytest-testmon: tests, time, speedup" in table
    assert "pytest-testmon caught" in table


def test_coverage_map_mode_records_on_the_parent_and_reports_both_selections(
    evaluation: ModuleType, pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = argparse.Namespace(python=sys.executable, testmon=False, coverage_map=True)
    if evaluation.missing_tools(probe):
        pytest.skip("the installed lanewarden does not record coverage maps yet")
    root = shop_history(pytester)
    document = evaluate(
        evaluation, root, "--max-commits", "1", "--max-mutations", "3", "--coverage-map"
    )
    [commit] = document["commits"]
    # The map was recorded by a full run on the parent, before the change.
    assert commit["prepared"]["map"]["ran"] == sum(TESTS.values())
    # Static only (the map switched off): both tests of the file that reaches prices.py.
    assert commit["runs"]["static"]["ran"] == TESTS["tests/test_prices.py"]
    # With the map: only the test that executed the changed lines of `discount`.
    assert commit["runs"]["map"]["ran"] == 1
    for mutation in document["mutations"]:
        assert set(mutation["runs"]) == {"static", "map"}
        if mutation["full"]["code"] == 1:
            assert mutation["runs"]["map"]["code"] == 1, mutation
    table = capsys.readouterr().out
    assert "| static: tests, time, speedup | with the coverage map: tests, time, speedup |" in table


def test_modes_whose_tool_is_missing_are_refused_before_any_run(
    evaluation: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = tmp_path / "python"  # this Python without site-packages: no pytest, no testmon
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    python.chmod(0o755)
    for mode in ("--testmon", "--coverage-map"):
        with pytest.raises(SystemExit) as refused:
            evaluation.main(
                [str(tmp_path), "--work", str(tmp_path / "w"), "--python", str(python), mode]
            )
        assert refused.value.code == 2
        assert mode in capsys.readouterr().err
    assert not (tmp_path / "w").exists()


def test_a_run_killed_by_a_signal_or_the_timeout_caught_the_mutation(
    evaluation: ModuleType,
) -> None:
    run = evaluation.Run
    assert run(-9, 1.0, 0, 0, 0).caught  # killed: out of memory
    assert run(-1, 1.0, 0, 0, 0, timed_out=True).caught
    assert run(1, 1.0, 3, 1, 0).caught
    assert not run(0, 1.0, 3, 0, 0).caught
    assert not run(5, 1.0, 0, 0, 0).caught  # no tests ran: nothing caught


def test_runs_put_together_show_a_selector_measured_on_some_of_them_as_not_measured(
    evaluation: ModuleType, tmp_path: Path
) -> None:
    def run(ran: int, seconds: float) -> dict[str, Any]:
        return {"code": 0, "seconds": seconds, "ran": ran, "failed": 0, "deselected": 0}

    def commit(name: str, runs: dict[str, Any]) -> dict[str, Any]:
        return {
            "commit": name,
            "subject": "s",
            "files": ["m.py"],
            "source_files": 1,
            "full": run(10, 10.0),
            "runs": runs,
            "prepared": {},
        }

    mutation = {
        "path": "m.py", "line": 1, "col": 0, "end_col": 1, "kind": "change constant",
        "before": "1", "after": "2", "full": {**run(1, 1.0), "code": 1},
        "runs": {"static": {**run(1, 1.0), "code": 1}},
    }  # fmt: skip
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(
        json.dumps(
            {
                "commits": [commit("aaaa", {"static": run(10, 10.0)})],
                "baseline": run(10, 10.0),
                "mutations": [mutation],
            }
        )
    )
    both = {"static": run(10, 10.0), "testmon": run(1, 1.0)}
    second.write_text(
        json.dumps({"commits": [commit("bbbb", both)], "baseline": None, "mutations": []})
    )
    table = evaluation.report(*evaluation.load([first, second]))
    assert "| `aaaa` s | 1 (1) | 10, 10.0 s | 10, 10.0 s, 1.0x | not measured |" in table
    assert "pytest-testmon: median speedup 10.0x over 1 commits measured (of 2)" in table
    assert "; pytest-testmon not measured." in table
    assert "| caught (1) | not measured |" in table
