"""Selecting tests for a change: test files as graph nodes, packages as fallbacks, reasons."""

from __future__ import annotations

from collections.abc import Mapping

from lanewarden.domain.imports import ImportGraph, parse_facts
from lanewarden.domain.module_names import basedirs, module_names
from lanewarden.domain.packages import PackageMap, detect_packages
from lanewarden.domain.scopes import Scope
from lanewarden.domain.selection import Selection, select

FILES = {
    "app/__init__.py": "",
    "app/main.py": "from core.api import run\n",
    "app/tests/test_app.py": "from app.main import run\n",
    "core/__init__.py": "",
    "core/api.py": "def run():\n    pass\n",
    "core/other.py": "X = 1\n",
    "core/templates/page.html": "",
    "core/tests/test_core.py": "import core.api as api\n\ndef test():\n    api.run()\n",
    "core/tests/test_plain.py": "def test():\n    pass\n",
    "tools/__init__.py": "",
    "tests/tools/test_tools.py": "import core\n",
    "scripts/release.py": "X = 1\n",
    "docs/index.md": "",
}
TRIGGERS = Scope.parse(["/pyproject.toml", "requirements*.txt"])


def graph_of(pm: PackageMap, files: Mapping[str, str]) -> ImportGraph:
    """The graph as the plugin builds it, from sources in memory."""
    python = [p for p in files if p.endswith(".py")]
    facts = {p: parse_facts(files[p].encode()) for p in python}
    return ImportGraph(
        facts, module_names(python, pm.module_name), basedirs(python, pm.is_test_path)
    )


def run(changed: list[str], files: Mapping[str, str] = FILES, **options: object) -> Selection:
    pm = detect_packages(files)
    return select(
        pm,
        mode="changed",
        changed=changed,
        triggers=TRIGGERS,
        graph=lambda: graph_of(pm, files),
        **options,  # type: ignore[arg-type]
    )


def test_a_test_file_is_selected_by_what_it_imports_with_the_chain() -> None:
    selection = run(["core/api.py"])
    assert selection.touched == {"core": ("core/api.py",)}
    assert selection.whole == ()  # no package runs whole
    assert set(selection.selected) == {"app", "core"}  # the packages whose tests run
    assert selection.tests == {
        # app.main re-exports run: the test depends on where run is defined.
        "app/tests/test_app.py": "app/tests/test_app.py (from app.main import run) → core/api.py",
        "core/tests/test_core.py": "core/tests/test_core.py (uses api.run) → core/api.py",
        # It imports nothing the graph sees: it follows its package.
        "core/tests/test_plain.py": "core/tests/test_plain.py (imports nothing of the project;"
        " it is a test of core) → core/api.py",
    }
    # ``import core`` reads core/__init__.py, which does not import core.api.
    assert "tests/tools/test_tools.py" not in selection.tests
    assert not selection.runs_everything
    assert not selection.empty


def test_no_dependents_keeps_to_the_touched_package() -> None:
    selection = run(["core/api.py"], dependents=False)
    assert selection.whole == ("core",)
    assert selection.tests == {}


WITHOUT_PLAIN = {k: v for k, v in FILES.items() if k != "core/tests/test_plain.py"}


def test_a_python_file_no_test_imports_selects_its_package() -> None:
    selection = run(["core/other.py"], WITHOUT_PLAIN)
    assert selection.selected == {"core": "holds core/other.py, which no test imports"}
    assert selection.whole == ("core",)
    assert selection.untested == ()


def test_a_data_file_selects_the_tests_of_its_package() -> None:
    selection = run(["core/templates/page.html"])
    assert selection.selected == {
        "core": "holds core/templates/page.html (not Python: any module may read it)"
    }


def test_a_changed_test_file_selects_itself() -> None:
    selection = run(["core/tests/test_core.py"])
    assert selection.tests == {"core/tests/test_core.py": "core/tests/test_core.py (changed)"}
    assert selection.whole == ()


def test_a_file_no_test_reaches_outside_every_package_is_reported() -> None:
    selection = run(["scripts/release.py"])
    assert selection.untested == ("scripts/release.py",)
    assert not selection.runs_everything
    assert selection.empty
    assert selection.warnings() == [
        "NO TEST REACHES scripts/release.py: no test imports it and no package holds it"
    ]


def test_in_a_gate_run_an_untested_file_runs_every_test() -> None:
    selection = run(["scripts/release.py", "core/api.py"], gate=True)
    assert selection.runs_everything
    assert selection.full_suite is not None
    assert selection.full_suite.startswith("scripts/release.py changed and no test reaches it")
    assert selection.untested == ("scripts/release.py",)


def test_untested_ok_lets_a_gate_run_stay_scoped() -> None:
    ok = Scope.parse(["scripts/**"])
    selection = run(["scripts/release.py", "core/api.py"], gate=True, untested_ok=ok)
    assert not selection.runs_everything
    assert selection.untested_ok == ("scripts/release.py",)
    assert "core/tests/test_core.py" in selection.tests
    assert selection.warnings()[0].endswith("(accepted by untested_ok)")


def test_trigger_selects_everything_and_names_the_file() -> None:
    selection = run(["core/api.py", "requirements-dev.txt"])
    assert selection.runs_everything
    assert selection.full_suite == "requirements-dev.txt changed (it configures the whole suite)"


def test_a_conftest_outside_every_package_selects_the_tests_under_it() -> None:
    selection = run(["tests/conftest.py"], {**FILES, "tests/conftest.py": ""})
    assert not selection.runs_everything
    assert selection.tests == {
        "tests/tools/test_tools.py": "tests/tools/test_tools.py (under tests/) → tests/conftest.py"
    }
    # Selecting by package cannot name those tests: then everything runs.
    by_package = run(["tests/conftest.py"], {**FILES, "tests/conftest.py": ""}, dependents=False)
    assert by_package.full_suite == (
        "tests/conftest.py changed (a conftest.py outside every package)"
    )


def test_a_conftest_importing_a_changed_module_selects_the_tests_under_it() -> None:
    files = {
        **WITHOUT_PLAIN,
        "tests/conftest.py": "from core.other import X\n",
        "tests/unit/test_free.py": "def test():\n    pass\n",
    }
    selection = run(["core/other.py"], files)
    assert set(selection.tests) == {"tests/tools/test_tools.py", "tests/unit/test_free.py"}
    assert selection.tests["tests/unit/test_free.py"] == (
        "tests/unit/test_free.py (under tests/) → tests/conftest.py"
        " (from core.other import X) → core/other.py"
    )


TOP_LEVEL_TESTS = {
    "src/lib/__init__.py": "from .a import fa\nfrom .b import fb\n",
    "src/lib/a.py": "def fa():\n    return 1\n",
    "src/lib/b.py": "def fb():\n    return 2\n",
    "tests/__init__.py": "",
    "tests/utils.py": "import lib\n\ndef helper():\n    return lib.fb()\n",
    "tests/test_a.py": "import lib\n\ndef test():\n    assert lib.fa() == 1\n",
    "tests/test_b.py": "from .utils import helper\n",
    "tests/test_c.py": "from tests.utils import helper\n",
    "plain/test_d.py": "import helpers\n",  # basedir plain/ is on sys.path
    "plain/helpers.py": "from lib.a import fa\n",
}


def test_tests_outside_every_package_follow_their_imports_through_helpers() -> None:
    a = run(["src/lib/a.py"], TOP_LEVEL_TESTS)
    assert set(a.tests) == {"tests/test_a.py", "plain/test_d.py"}
    assert a.tests["plain/test_d.py"] == (
        "plain/test_d.py (import helpers) → plain.helpers (from lib.a import fa) → src/lib/a.py"
    )
    b = run(["src/lib/b.py"], TOP_LEVEL_TESTS)
    assert set(b.tests) == {"tests/test_b.py", "tests/test_c.py"}
    helper = run(["tests/utils.py"], TOP_LEVEL_TESTS)
    assert set(helper.tests) == {"tests/test_b.py", "tests/test_c.py"}


def test_a_changed_init_of_a_test_folder_selects_the_tests_it_holds() -> None:
    selection = run(["tests/__init__.py"], TOP_LEVEL_TESTS)
    assert set(selection.tests) == {"tests/test_a.py", "tests/test_b.py", "tests/test_c.py"}


def test_pytest_plugins_strings_are_imports() -> None:
    files = {
        **TOP_LEVEL_TESTS,
        "tests/conftest.py": 'pytest_plugins = ["tests.fixtures"]\n',
        "tests/fixtures.py": "from lib.b import fb\n",
    }
    selection = run(["src/lib/b.py"], files)
    assert "tests/test_a.py" in selection.tests  # under the conftest that loads the fixtures


def test_a_conftest_above_nested_packages_selects_every_test_below_it() -> None:
    files = dict.fromkeys(
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
        ],
        "",
    )
    assert set(detect_packages(files).names) == {"lib", "lib.sub1", "lib.sub2", "other"}
    above = run(["lib/conftest.py"], files)
    assert set(above.tests) == {"lib/sub1/tests/test_one.py", "lib/sub2/tests/check_test.py"}
    # A conftest lower down concerns only the tests below it.
    lower = run(["lib/sub1/conftest.py"], files)
    assert set(lower.tests) == {"lib/sub1/tests/test_one.py"}


def test_bytecode_is_not_a_change() -> None:
    selection = run(["core/__pycache__/api.cpython-311.pyc", "tools/x.pyc"])
    assert selection.touched_files == ()
    assert selection.empty


def test_unmapped_change_selects_nothing() -> None:
    selection = run(["docs/index.md"])
    assert selection.empty
    assert selection.unmapped == ("docs/index.md",)
    assert selection.untested == ()  # not Python: no test could import it


def test_named_packages_bring_the_tests_that_import_them() -> None:
    pm = detect_packages(FILES)
    selection = select(pm, mode="package", named=["core"], graph=lambda: graph_of(pm, FILES))
    assert selection.whole == ("core",)
    assert selection.selected["core"] == "named with --lw-package"
    assert set(selection.tests) >= {"app/tests/test_app.py", "tests/tools/test_tools.py"}


def test_json_round_trip() -> None:
    selection = run(["core/api.py", "docs/index.md", "scripts/release.py"])
    assert Selection.from_json(selection.to_json()) == selection


def test_a_literal_import_module_call_is_an_import() -> None:
    files = {
        **TOP_LEVEL_TESTS,
        "tests/test_e.py": "import importlib\n\n"
        "def test():\n    importlib.import_module('lib.b').fb()\n",
        "tests/test_f.py": "def test():\n    __import__('lib.a')\n",
    }
    assert "tests/test_e.py" in run(["src/lib/b.py"], files).tests
    assert "tests/test_f.py" in run(["src/lib/a.py"], files).tests
    assert "tests/test_e.py" not in run(["src/lib/a.py"], files).tests
