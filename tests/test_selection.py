"""Selecting packages for a change: triggers, touched packages, dependents, reasons."""

from __future__ import annotations

from lanewarden.domain.imports import ImportGraph, parse_facts
from lanewarden.domain.packages import PackageMap, detect_packages
from lanewarden.domain.scopes import Scope
from lanewarden.domain.selection import Selection, select

FILES = {
    "app/__init__.py": "",
    "app/main.py": "from core.api import run\n",
    "app/tests/test_app.py": "",
    "core/__init__.py": "",
    "core/api.py": "def run():\n    pass\n",
    "core/templates/page.html": "",
    "core/tests/test_core.py": "",
    "tools/__init__.py": "",
    "tests/tools/test_tools.py": "import core\n",
    "docs/index.md": "",
}
TRIGGERS = Scope.parse(["/pyproject.toml", "requirements*.txt"])


def packages() -> PackageMap:
    return detect_packages(FILES)


def graph_of(pm: PackageMap) -> ImportGraph:
    python = [p for p in FILES if p.endswith(".py")]
    facts = {p: parse_facts(FILES[p].encode()) for p in python}
    return ImportGraph(facts, {p: pm.module_name(p) for p in python})


def run(changed: list[str], **options: object) -> Selection:
    pm = packages()
    return select(
        pm,
        mode="changed",
        changed=changed,
        triggers=TRIGGERS,
        graph=lambda: graph_of(pm),
        **options,  # type: ignore[arg-type]
    )


def test_touched_package_and_dependents_with_reasons() -> None:
    selection = run(["core/api.py"])
    assert selection.touched == {"core": ("core/api.py",)}
    assert selection.selected == {
        "core": "touched: core/api.py",
        "app": "imports core: app/main.py → core/api.py",
    }
    assert not selection.runs_everything


def test_no_dependents() -> None:
    assert list(run(["core/api.py"], dependents=False).selected) == ["core"]


def test_a_data_file_seeds_every_module_of_its_package() -> None:
    selection = run(["core/templates/page.html"])
    assert set(selection.selected) == {"core", "app", "tools"}
    assert (
        selection.selected["tools"] == "imports core: tests/tools/test_tools.py → core/__init__.py"
    )


def test_a_test_file_seeds_nothing() -> None:
    assert list(run(["core/tests/test_core.py"]).selected) == ["core"]


def test_trigger_selects_everything_and_names_the_file() -> None:
    selection = run(["core/api.py", "requirements-dev.txt"])
    assert selection.runs_everything
    assert selection.full_suite == "requirements-dev.txt changed (it configures the whole suite)"


def test_conftest_outside_every_package_selects_everything() -> None:
    selection = run(["ci/conftest.py"])
    assert selection.full_suite == "ci/conftest.py changed (a conftest.py outside every package)"


def test_conftest_inside_a_package_selects_it() -> None:
    assert list(run(["core/tests/conftest.py"], dependents=False).selected) == ["core"]


def test_a_conftest_above_nested_packages_selects_every_test_below_it() -> None:
    pm = detect_packages(
        [
            "lib/__init__.py",
            "lib/conftest.py",
            "lib/sub1/__init__.py",
            "lib/sub1/conftest.py",
            "lib/sub1/tests/test_one.py",
            "lib/sub2/__init__.py",
            "lib/sub2/tests/check_test.py",
            "other/__init__.py",
            "other/tests/test_other.py",
        ]
    )
    assert set(pm.names) == {"lib", "lib.sub1", "lib.sub2", "other"}
    above = select(pm, mode="changed", changed=["lib/conftest.py"])
    assert above.selected == {
        "lib": "touched: lib/conftest.py",
        "lib.sub1": "tests under lib/conftest.py",
        "lib.sub2": "tests under lib/conftest.py",
    }
    # A conftest lower down concerns only the tests below it.
    lower = select(pm, mode="changed", changed=["lib/sub1/conftest.py"])
    assert set(lower.selected) == {"lib.sub1"}


def test_bytecode_is_not_a_change() -> None:
    selection = run(["core/__pycache__/api.cpython-311.pyc", "tools/x.pyc"])
    assert selection.touched_files == ()
    assert selection.selected == {}


def test_unmapped_change_selects_nothing() -> None:
    selection = run(["docs/index.md"])
    assert selection.selected == {}
    assert selection.unmapped == ("docs/index.md",)


def test_named_packages_bring_their_dependents() -> None:
    pm = packages()
    selection = select(pm, mode="package", named=["core"], graph=lambda: graph_of(pm))
    assert selection.selected["core"] == "named with --lw-package"
    assert set(selection.selected) == {"core", "app", "tools"}


def test_json_round_trip() -> None:
    selection = run(["core/api.py", "docs/index.md"])
    assert Selection.from_json(selection.to_json()) == selection
