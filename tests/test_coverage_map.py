"""The coverage map end to end: real pytest sessions record it, real git carries it,
and a later selection keeps exactly the tests that can see the change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import coverage  # imported here once: in-process runs would re-import its C tracer
import pytest

from conftest import git
from lanewarden.adapters.coverage_store import doc_reading_lines
from lanewarden.adapters.git import Repo
from scenario import QUIET, lanewarden, ran, stored_maps
from scenario import PytestRepo as Project

MOD = """\
LIMIT = 10


def f(x):
    return x + 1


def g(x):
    if x > 100:
        return 0
    return x * 2
"""

PROJECT = {
    "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
    "pkg/__init__.py": "",
    "pkg/mod.py": MOD,
    "pkg/other.py": "def h():\n    return 3\n",
    "tests/test_f.py": "from pkg.mod import f\n\n\ndef test_f():\n    assert f(1) == 2\n",
    "tests/test_g.py": (
        "from pkg.mod import g\n\n\ndef test_g():\n    assert g(2) == 4\n\n\n"
        "def test_g_again():\n    assert g(3) == 6\n"
    ),
    "tests/test_other.py": (
        "from pkg import other\n\n\ndef test_h():\n    assert other.h() == 3\n"
    ),
    "tests/test_limit.py": (
        "from pkg import mod\n\n\ndef test_limit():\n    assert mod.LIMIT == 10\n"
    ),
}


assert coverage.Coverage  # (the import above is needed, not unused)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    project = Project(pytester)
    project.write(PROJECT)
    project.commit("the project")
    return project


@pytest.fixture
def recorded(project: Project) -> Project:
    """The project with a map recorded by a full run on its committed tree."""
    result = project.run("--lw-record-coverage")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        ["lanewarden: coverage map recorded for tree *: 5 tests, measured with * (*)"]
    )
    return project


def edit(project: Project, path: str, old: str, new: str) -> None:
    target = project.root / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))


def test_the_map_holds_each_tests_lines_for_the_committed_tree(recorded: Project) -> None:
    (coverage,) = stored_maps(recorded.root)
    assert coverage.tree == git(recorded.root, "rev-parse", "HEAD^{tree}").strip()
    assert coverage.lines("tests/test_g.py::test_g", "pkg/mod.py") == {9, 11}
    assert coverage.lines("tests/test_f.py::test_f", "pkg/mod.py") == {5}
    assert "pkg/mod.py" not in coverage.tests["tests/test_other.py::test_h"]
    # Imports during collection ran the module-level lines, outside every test.
    assert {1, 4, 8} <= coverage.lines_outside("pkg/mod.py")


def test_a_function_body_change_keeps_only_the_tests_that_ran_it(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    static = recorded.run("--lw-changed", "--lw-no-coverage-map", "-v")
    assert ran(static) == {"test_f", "test_g", "test_g_again", "test_limit"}
    result = recorded.run("--lw-changed", "-v")
    assert result.ret == 0
    assert ran(result) == {"test_g", "test_g_again"}
    result.stdout.fnmatch_lines(
        [
            "lanewarden: coverage map of tree * (current) deselected 2 tests (read from its file)",
            "lanewarden: 2 tests selected, * for 1 changed file; the coverage map of tree *"
            " (current) left out 2; `--lw-explain` for why",
        ]
    )


def test_explain_says_which_changed_code_each_kept_test_ran(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    result = recorded.run("--lw-changed", "--lw-explain", "-q")
    result.stdout.fnmatch_lines(
        [
            "lanewarden: coverage map of tree * (current) deselected 2 tests (read from its file)",
            "lanewarden:   coverage map kept tests/test_g.py::test_g: it ran changed code of"
            " pkg/mod.py",
        ]
    )


def test_a_changed_line_the_test_did_not_run_still_keeps_the_callers(recorded: Project) -> None:
    # The branch no test takes changes: whoever calls g may take it now.
    edit(recorded, "pkg/mod.py", "return 0", "return -1")
    assert ran(recorded.run("--lw-changed", "-v")) == {"test_g", "test_g_again"}


def test_a_module_level_change_keeps_every_test_that_imports_it(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "LIMIT = 10", "LIMIT = 11")
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == {"test_f", "test_g", "test_g_again", "test_limit"}
    result.stdout.fnmatch_lines(["*coverage map: pkg/mod.py: module-level code changed*"])


def test_a_new_function_counts_as_module_level(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "def g(x):", "def k():\n    return 1\n\n\ndef g(x):")
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == {"test_f", "test_g", "test_g_again", "test_limit"}


def test_a_map_of_uncommitted_changes_serves_once_they_are_committed(project: Project) -> None:
    edit(project, "pkg/mod.py", "return x + 1", "return (x + 1)")
    recorded = project.run("--lw-record-coverage")
    recorded.stdout.fnmatch_lines(["lanewarden: the work tree has uncommitted changes: *"])
    project.commit("as tested")
    edit(project, "pkg/mod.py", "return x * 2", "return x + x")
    assert ran(project.run("--lw-changed", "-v")) == {"test_g", "test_g_again"}


def failed(result: pytest.RunResult) -> set[str]:
    return {line.split("::")[-1].split()[0] for line in result.outlines if " FAILED" in line}


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("pkg/mod.py", "return x + 1", "return x + 2"),
        ("pkg/mod.py", "return x * 2", "return x * 3"),
        ("pkg/mod.py", "if x > 100:", "if x > 1:"),
        ("pkg/mod.py", "LIMIT = 10", "LIMIT = 9"),
        ("pkg/other.py", "return 3", "return 4"),
        ("pkg/mod.py", "return x * 2", "return x * 2 if x < 3 else 0"),
        ("tests/test_g.py", "g(3) == 6", "g(3) == 7"),
        (
            "tests/test_g.py",
            "def test_g_again",
            "def test_g_new():\n    assert 0\n\n\ndef test_g_again",
        ),
    ],
)
def test_every_failure_the_full_suite_finds_the_refined_run_finds(
    recorded: Project, path: str, old: str, new: str
) -> None:
    edit(recorded, path, old, new)
    full = failed(recorded.run("-v"))
    assert full  # each mutation is caught by some test
    assert full <= failed(recorded.run("--lw-changed", "-v"))


def test_a_named_package_runs_whole_beside_a_change(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    result = recorded.run("--lw-changed", "--lw-package", "pkg", "-v")
    assert ran(result) == {"test_f", "test_g", "test_g_again", "test_limit", "test_h"}


def test_a_new_test_file_is_selected(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    recorded.write(
        {"tests/test_new.py": "from pkg.mod import f\n\n\ndef test_new():\n    assert f(0)\n"}
    )
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == {"test_g", "test_g_again", "test_new"}


def test_a_changed_test_runs_beside_the_tests_of_the_change(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    edit(recorded, "tests/test_f.py", "f(1) == 2", "f(2) == 3")
    assert ran(recorded.run("--lw-changed", "-v")) == {"test_f", "test_g", "test_g_again"}


def test_a_changed_test_runs_without_the_unchanged_tests_of_its_file(
    recorded: Project,
) -> None:
    edit(recorded, "tests/test_g.py", "g(3) == 6", "g(3) == 3 * 2")
    static = recorded.run("--lw-changed", "--lw-no-coverage-map", "-v")
    assert ran(static) == {"test_g", "test_g_again"}
    assert ran(recorded.run("--lw-changed", "-v")) == {"test_g_again"}


def test_a_new_test_runs_without_the_unchanged_tests_of_its_file(recorded: Project) -> None:
    edit(
        recorded,
        "tests/test_g.py",
        "def test_g_again",
        "def test_g_new():\n    assert g(0) == 0\n\n\ndef test_g_again",
    )
    assert ran(recorded.run("--lw-changed", "-v")) == {"test_g_new"}


def test_a_helper_of_a_test_file_keeps_the_tests_that_ran_it(recorded: Project) -> None:
    recorded.write(
        {
            "tests/test_g.py": (
                "from pkg.mod import g\n\n\ndef double(x):\n    return 2 * x\n\n\n"
                "def test_g():\n    assert g(2) == double(2)\n\n\n"
                "def test_g_again():\n    assert g(3) == 6\n"
            )
        }
    )
    recorded.commit("a helper")
    recorded.run("--lw-record-coverage").assert_outcomes(passed=5)
    edit(recorded, "tests/test_g.py", "return 2 * x", "return x + x")
    assert ran(recorded.run("--lw-changed", "-v")) == {"test_g"}


def test_a_new_method_overriding_an_inherited_test_keeps_the_subclasses_test(
    project: Project,
) -> None:
    project.write(
        {
            "tests/test_base.py": "class TestBase:\n    def test_x(self):\n        assert True\n",
            "tests/test_mid.py": (
                "from tests import test_base as base\n\n\n"
                "class TestMid(base.TestBase):\n    def test_y(self):\n        assert True\n"
            ),
            "tests/test_sub.py": (
                "from tests import test_mid as mid\n\n\nclass TestSub(mid.TestMid):\n    pass\n"
            ),
        }
    )
    project.commit("inherited tests")
    project.run("--lw-record-coverage").assert_outcomes(passed=10)
    edit(
        project,
        "tests/test_mid.py",
        "    def test_y(self):",
        "    def test_x(self):\n        assert False\n\n    def test_y(self):",
    )
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_x"}
    assert {line.split()[0] for line in result.outlines if " FAILED" in line} >= {
        "tests/test_mid.py::TestMid::test_x",
        "tests/test_sub.py::TestSub::test_x",
    }


@pytest.mark.parametrize(
    "addition",
    [
        "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef slow():\n    yield\n",
        "def setup_function():\n    pass\n",
        "CASES = 3\n",
    ],
    ids=["autouse fixture", "setup function", "constant"],
)
def test_a_module_level_change_of_a_test_file_keeps_its_tests(
    recorded: Project, addition: str
) -> None:
    edit(
        recorded, "tests/test_g.py", "from pkg.mod import g\n", f"from pkg.mod import g\n{addition}"
    )
    assert ran(recorded.run("--lw-changed", "-v")) == {"test_g", "test_g_again"}


def test_comments_and_layout_change_no_test(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "LIMIT = 10\n", "# The limit.\nLIMIT = (\n    10\n)\n")
    edit(recorded, "pkg/mod.py", "return x * 2", "return x * 2  # twice")
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == set()
    result.stdout.fnmatch_lines(
        ["*coverage map: pkg/mod.py: no code changed (comments, blank lines, layout)*"]
    )


DOCUMENTED = """\
def build(n):
    \"\"\"The table.

    >>> build(2)
    [0, 1]
    \"\"\"
    return list(range(n))


TABLE = build(3)
"""


def test_a_changed_docstring_keeps_its_doctest_though_it_calls_nothing(project: Project) -> None:
    project.write(
        {"pkg/unit.py": 'def unit():\n    """\n    >>> 1 + 1\n    2\n    """\n    return 1\n'}
    )
    project.commit("a doctest that calls nothing")
    project.run("--lw-record-coverage", "--doctest-modules").assert_outcomes(passed=6)
    edit(project, "pkg/unit.py", "    2\n", "    3\n")
    result = project.run("--lw-changed", "-v", "--doctest-modules", "--lw-no-dependents")
    assert ran(result) == {"pkg.unit.unit"}
    assert result.ret == 1


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("The table.", "The first numbers.", {"test_doc", "pkg.table.build"}),
        ("return list(range(n))", "return list(range(n + 1))", None),  # code run at import
    ],
    ids=["docstring", "code"],
)
def test_a_docstring_change_keeps_its_doctest_and_the_tests_reading_docstrings(
    project: Project, old: str, new: str, expected: set[str] | None
) -> None:
    project.write(
        {
            "pkg/table.py": DOCUMENTED,
            "tests/test_table.py": (
                "from pkg.table import TABLE, build\n\n\n"
                "def test_build():\n    assert build(1) == [0]\n\n\n"
                "def test_table():\n    assert TABLE == [0, 1, 2]\n\n\n"
                "def test_doc():\n    assert 'table' in build.__doc__\n"
            ),
        }
    )
    project.commit("a table built at import")
    args = ("--doctest-modules", "--lw-no-dependents")
    project.run("--lw-record-coverage", "--doctest-modules").assert_outcomes(passed=9)
    edit(project, "pkg/table.py", old, new)
    static = ran(project.run("--lw-changed", "--lw-no-coverage-map", "-v", *args))
    assert {"test_build", "test_table", "test_doc", "pkg.table.build"} <= static
    result = project.run("--lw-changed", "-v", *args)
    assert ran(result) == (expected or static)
    assert result.ret == 1  # the new docstring fails test_doc; the new code, test_table
    if expected:
        result.stdout.fnmatch_lines(
            ["*coverage map: pkg/table.py: only docstrings changed (build): their doctests*"]
        )


def test_a_stale_map_counts_everything_changed_since_its_tree(recorded: Project) -> None:
    # After the map, h starts calling g: the map never saw test_h run g.
    recorded.write({"pkg/other.py": "from pkg.mod import g\n\n\ndef h():\n    return g(0) + 3\n"})
    recorded.commit("h uses g")
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == {"test_g", "test_g_again", "test_h"}
    result.stdout.fnmatch_lines(["lanewarden: coverage map of tree * (stale: the base moved*"])


def test_no_coverage_map_selects_statically(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    result = recorded.run("--lw-changed", "--lw-no-coverage-map", "-v")
    assert ran(result) == {"test_f", "test_g", "test_g_again", "test_limit"}
    assert "coverage map" not in result.stdout.str()


def test_a_corrupt_map_falls_back_with_a_warning(recorded: Project) -> None:
    (path,) = (Repo.discover(recorded.root).state_dir / "coverage").glob("*.lwcov")
    path.write_bytes(b"not a map")
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    result = recorded.run("--lw-changed", "-q")
    assert result.ret == 0
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["lanewarden: coverage map of tree * not used (not a coverage map*"]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_map_of_another_version_falls_back(recorded: Project) -> None:
    import json
    import zlib

    (path,) = (Repo.discover(recorded.root).state_dir / "coverage").glob("*.lwcov")
    body = json.loads(zlib.decompress(path.read_bytes()))
    body["version"] = 99
    path.write_bytes(zlib.compress(json.dumps(body).encode()))
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == {"test_f", "test_g", "test_g_again", "test_limit"}
    result.stdout.fnmatch_lines(["*not used (coverage map version 99; this lanewarden reads 1)*"])


def test_a_renamed_module_falls_back_to_the_static_rule(recorded: Project) -> None:
    git(recorded.root, "mv", "pkg/other.py", "pkg/renamed.py")
    edit(recorded, "tests/test_other.py", "import other", "import renamed as other")
    git(recorded.root, "add", "-A")
    static = recorded.run("--lw-changed", "--lw-no-coverage-map", "-v")
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == ran(static) >= {"test_h"}
    result.stdout.fnmatch_lines(["*coverage map: pkg/renamed.py: new since the map's tree*"])


def test_a_change_no_test_runs_falls_back_to_the_static_rule(recorded: Project) -> None:
    edit(recorded, "pkg/other.py", "return 3", "return 3\n\n\ndef unused():\n    return 4")
    recorded.commit("an unused function")
    recorded.run("--lw-record-coverage").assert_outcomes(passed=5)
    edit(recorded, "pkg/other.py", "return 4", "return 5")
    result = recorded.run("--lw-changed", "-v")
    assert ran(result) == {"test_h"}
    result.stdout.fnmatch_lines(["*pkg/other.py: no test in the coverage map runs the changed*"])


@pytest.mark.parametrize(
    "use",
    [
        "def k(x=helper()):\n    return x\n",  # a default value, evaluated at import
        "class K:\n    x = helper()\n\n\ndef k():\n    return K.x\n",  # a class attribute
    ],
)
def test_code_run_at_import_time_keeps_the_tests_using_its_result(
    project: Project, use: str
) -> None:
    project.write(
        {
            "pkg/helpers.py": "def helper():\n    return 1\n",
            "pkg/uses.py": f"from pkg.helpers import helper\n\n\n{use}",
            "tests/test_uses.py": (
                "from pkg.uses import k\n\n\ndef test_k():\n    assert k() == 1\n"
            ),
            "tests/test_helper.py": (
                "from pkg.helpers import helper\n\n\ndef test_helper():\n    assert helper()\n"
            ),
        }
    )
    project.commit("import-time use")
    project.run("--lw-record-coverage").assert_outcomes(passed=7)
    edit(project, "pkg/helpers.py", "return 1", "return 2")
    result = project.run("--lw-changed", "-v")
    assert result.ret == 1  # test_k sees the change, and fails
    assert ran(result) == {"test_k", "test_helper"}


def test_a_module_first_imported_inside_a_test_counts_as_import_time(project: Project) -> None:
    project.write(
        {
            "pkg/helpers.py": "def helper():\n    return 1\n",
            "pkg/late.py": "from pkg.helpers import helper\n\nVALUE = helper()\n",
            "tests/test_late.py": (
                "def test_first():\n    import pkg.late\n    assert pkg.late.VALUE == 1\n\n\n"
                "def test_second():\n    import pkg.late\n    assert pkg.late.VALUE + 1 == 2\n"
            ),
        }
    )
    project.commit("a lazy import")
    project.run("--lw-record-coverage").assert_outcomes(passed=7)
    edit(project, "pkg/helpers.py", "return 1", "return 2")
    assert ran(project.run("--lw-changed", "-v")) == {"test_first", "test_second"}


def test_a_test_first_importing_only_the_standard_library_is_no_import_time_user(
    project: Project,
) -> None:
    """Only the repository's modules run its code at their import: colorsys cannot call g."""
    project.write(
        {
            "tests/test_lazy.py": (
                "from pkg.mod import g\n\n\n"
                "def test_lazy():\n    import colorsys\n\n"
                "    assert colorsys.rgb_to_hsv(0, 0, 0)[2] == 0\n    assert g(1) == 2\n"
            ),
        }
    )
    project.commit("a test importing the standard library late")
    project.run("--lw-record-coverage").assert_outcomes(passed=6)
    edit(project, "pkg/mod.py", "return x * 2", "return x * 2 + 0")
    assert ran(project.run("--lw-changed", "-v")) == {"test_g", "test_g_again", "test_lazy"}


def test_a_shared_fixture_keeps_every_test_using_its_value(project: Project) -> None:
    project.write(
        {
            "pkg/helpers.py": "def helper():\n    return 1\n",
            "tests/conftest.py": (
                "import pytest\n\nfrom pkg.helpers import helper\n\n\n"
                "@pytest.fixture(scope='session')\ndef value():\n    return helper()\n"
            ),
            "tests/test_value.py": (
                "def test_first(value):\n    assert value == 1\n\n\n"
                "def test_second(value):\n    assert value + 1 == 2\n"
            ),
            "tests/test_helper.py": (
                "from pkg.helpers import helper\n\n\ndef test_helper():\n    assert helper()\n"
            ),
        }
    )
    project.commit("a session fixture")
    project.run("--lw-record-coverage").assert_outcomes(passed=8)
    edit(project, "pkg/helpers.py", "return 1", "return 2")
    result = project.run("--lw-changed", "-v")
    # test_first ran the fixture's code; test_second only used its value. Both see the change.
    assert {"test_first", "test_second", "test_helper"} <= ran(result)
    result.assert_outcomes(failed=2, passed=len(ran(result)) - 2)


def test_a_partial_map_never_leaves_out_a_test_it_lacks(project: Project) -> None:
    project.run("--lw-record-coverage", "-k", "not test_g_again").assert_outcomes(
        passed=4, deselected=1
    )
    edit(project, "pkg/mod.py", "return x + 1", "return 1 + x")
    # test_g is known and never ran f; test_g_again, beside it, is unknown to the map.
    assert ran(project.run("--lw-changed", "-v")) == {"test_f", "test_g_again"}


def test_a_test_that_did_not_pass_when_recorded_is_not_covered_by_the_map(
    project: Project,
) -> None:
    project.write(
        {
            "tests/test_fails.py": (
                "from pkg.mod import f, g\n\n\n"
                "def test_fails_first():\n    assert f(0) == 99\n    assert g(1) == 2\n"
            )
        }
    )
    project.commit("a failing test")
    project.run("--lw-record-coverage").assert_outcomes(passed=5, failed=1)
    edit(project, "pkg/mod.py", "return x * 2", "return x + x")
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g", "test_g_again", "test_fails_first"}


def test_an_xfailed_test_is_judged_by_what_it_ran_and_a_skipped_one_stays(
    project: Project,
) -> None:
    """Taking the same path, an xfailed test fails at the same point again: the map covers it.

    A skipped test (or an xfail not run) may not have reached the code it is meant to run.
    """
    project.write(
        {
            "tests/test_marked.py": (
                "import pytest\n\nfrom pkg.mod import f, g\n\n\n"
                "@pytest.mark.xfail(strict=True)\ndef test_xfails_in_f():\n"
                "    assert f(1) == 99\n\n\n"
                "@pytest.mark.xfail(run=False)\ndef test_xfail_not_run():\n"
                "    assert g(1) == 2\n\n\n"
                "def test_skips_after_f():\n    f(1)\n    pytest.skip('not here')\n"
            )
        }
    )
    project.commit("marked tests")
    project.run("--lw-record-coverage").assert_outcomes(passed=5, skipped=1, xfailed=2)

    def outcomes(result: pytest.RunResult) -> dict[str, str]:
        return {
            line.split("::")[-1].split()[0]: line.split()[1]
            for line in result.outlines
            if line.startswith("tests/test_marked.py::")
        }

    edit(project, "pkg/mod.py", "return x * 2", "return x + x")
    result = project.run("--lw-changed", "-v")
    assert outcomes(result) == {"test_xfail_not_run": "XFAIL", "test_skips_after_f": "SKIPPED"}
    # Under --runxfail an xfailed test is a failing one, and a failing test always stays.
    result = project.run("--lw-changed", "--runxfail", "-v")
    assert outcomes(result)["test_xfails_in_f"] == "FAILED"

    edit(project, "pkg/mod.py", "return x + 1", "return 99")
    result = project.run("--lw-changed", "-v")
    assert outcomes(result)["test_xfails_in_f"] == "FAILED"  # it passes now: XPASS(strict)
    assert result.ret == 1


def test_xdist_workers_record_the_same_map(project: Project) -> None:
    pytest.importorskip("xdist")
    project.write(
        {"tests/test_known_bug.py": "import pytest\n\n\ndef test_bug():\n    pytest.xfail('bug')\n"}
    )
    project.commit("a known bug")
    project.run("--lw-record-coverage").assert_outcomes(passed=5, xfailed=1)
    (alone,) = stored_maps(project.root)
    folder = Repo.discover(project.root).state_dir / "coverage"
    for path in folder.glob("*.lwcov"):
        path.unlink()
    git(project.root, "update-ref", "-d", "refs/notes/lanewarden-coverage")
    result = project.run("--lw-record-coverage", "-n", "2")
    result.assert_outcomes(passed=5, xfailed=1)
    (parallel,) = stored_maps(project.root)
    assert parallel.tree == alone.tree
    assert {t: dict(f) for t, f in parallel.tests.items()} == {
        t: dict(f) for t, f in alone.tests.items()
    }
    assert parallel.xfailed == alone.xfailed == {"tests/test_known_bug.py::test_bug"}
    edit(project, "pkg/mod.py", "return x * 2", "return x + x")
    selected = project.run("--lw-changed", "-n", "2", "-q")
    selected.assert_outcomes(passed=2)


def test_a_gate_run_records_that_the_map_narrowed_it(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    recorded.run("--lw-changed", "--lw-gate", "2").assert_outcomes(passed=2)
    (record,) = recorded.evidence()
    selection = record["selection"]
    assert isinstance(selection, dict)
    assert selection["coverage_map"]["deselected"] == 2
    assert selection["coverage_map"]["stale"] is False
    assert "coverage map" in selection["rule_refinement"]


def test_select_json_says_which_map_was_used(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    done = lanewarden(recorded.root, "select", "--explain", "--json")
    assert done.returncode == 0, done.stderr
    import json

    data = json.loads(done.stdout)["coverage_map"]
    assert data["tree"] == git(recorded.root, "rev-parse", "HEAD^{tree}").strip()
    assert sorted(data["dropped"]) == ["tests/test_f.py::test_f", "tests/test_limit.py::test_limit"]
    assert data["kept"] == {
        "tests/test_g.py::test_g": "pkg/mod.py",
        "tests/test_g.py::test_g_again": "pkg/mod.py",
    }
    static = lanewarden(recorded.root, "select", "--json", "--no-coverage-map")
    assert json.loads(static.stdout)["coverage_map"] is None
    text = lanewarden(recorded.root, "select")
    assert "coverage map of tree" in text.stdout
    assert "deselected 2 tests" in text.stdout
    assert "tests/test_g.py" in text.stdout.split()
    # Listed still: a file may define tests the map never saw; the map drops its known ones.
    assert "tests/test_f.py" in text.stdout.split()


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *QUIET, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_map_travels_through_a_bare_remote_to_another_clone(
    recorded: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    place = tmp_path_factory.mktemp("remote")
    remote = place / "origin.git"
    git(place, "init", "-q", "--bare", str(remote))
    git(recorded.root, "remote", "add", "origin", str(remote))
    git(recorded.root, "push", "-q", "origin", "main")
    pushed = lanewarden(recorded.root, "evidence", "push", "origin", "--json")
    assert pushed.returncode == 0, pushed.stderr
    assert "refs/notes/lanewarden-coverage" in pushed.stdout
    clone = place / "clone"
    git(place, "clone", "-q", str(remote), str(clone))
    fetched = lanewarden(clone, "evidence", "fetch", "origin")
    assert fetched.returncode == 0, fetched.stderr
    assert "merged refs/notes/lanewarden-coverage" in fetched.stdout
    edit_path = clone / "pkg" / "mod.py"
    edit_path.write_text(edit_path.read_text().replace("return x * 2", "return x + x"))
    result = run_pytest(clone, "--lw-changed", "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "read from its note" in result.stdout
    assert "test_g_again PASSED" in result.stdout
    assert "test_f PASSED" not in result.stdout


def test_a_configured_gate_3_run_records_the_map(project: Project) -> None:
    project.write(
        {
            "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n\n"
            "[tool.lanewarden]\nrecord_coverage = true\n"
        }
    )
    project.commit("record coverage on gate runs")
    result = project.run("--lw-gate", "3")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        ["lanewarden: coverage map recorded for tree *: 5 tests, measured with * (*)"]
    )
    (coverage,) = stored_maps(project.root)
    assert coverage.tree == git(project.root, "rev-parse", "HEAD^{tree}").strip()
    edit(project, "pkg/mod.py", "return x * 2", "return x + x")
    # A selecting run does not record, configured or not.
    assert "recorded" not in project.run("--lw-changed", "--lw-gate", "2").stdout.str()


def test_recording_outside_a_git_repository_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest(*QUIET, "--lw-record-coverage")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lanewarden: *not a git repository*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_no_coverage_map_needs_a_selection(project: Project) -> None:
    result = project.run("--lw-no-coverage-map")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--lw-no-coverage-map needs --lw-changed*"])


def test_recording_beside_pytest_cov_is_declined_not_broken(project: Project) -> None:
    # A stand-in for pytest-cov's option: its --cov starts a measurement of its own.
    project.write(
        {
            "fakecov.py": (
                "def pytest_addoption(parser):\n    parser.addoption('--cov', dest='cov_source')\n"
            )
        }
    )
    project.pytester.syspathinsert()
    result = project.run("-p", "fakecov", "--cov", "pkg", "--lw-record-coverage")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["lanewarden: no coverage map recorded: pytest-cov measures*"])
    assert stored_maps(project.root) == []


def test_recording_under_coverage_run_is_declined(project: Project) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", *QUIET, "--lw-record-coverage"],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no coverage map recorded: another coverage measurement is running" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_recording_is_off_and_coverage_not_imported_without_the_option(project: Project) -> None:
    edit(project, "pkg/mod.py", "return x * 2", "return x + x")
    check = (
        "import sys, pytest\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', '--lw-changed'])\n"
        "print('COVERAGE' if 'coverage' in sys.modules else 'NO-COVERAGE')\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=project.root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("NO-COVERAGE")
    assert not (Repo.discover(project.root).state_dir / "coverage").exists()


def test_a_file_whose_known_tests_all_go_is_still_collected(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file may define tests the map never saw (under a condition of the machine that runs it)."""
    project.write(
        {
            "tests/test_cond.py": (
                "import os\n\nfrom pkg.mod import f, g\n\n\n"
                "def test_cond_f():\n    assert f(1) == 2\n\n\n"
                "if 'LW_EXTRA' in os.environ:\n\n"
                "    def test_cond_g():\n        assert g(2) == 4\n"
            ),
        }
    )
    project.commit("a test defined under a condition")
    monkeypatch.delenv("LW_EXTRA", raising=False)
    project.run("--lw-record-coverage").assert_outcomes(passed=6)
    edit(project, "pkg/mod.py", "return x * 2", "return x + x")
    monkeypatch.setenv("LW_EXTRA", "1")
    result = project.run("--lw-changed", "-v")
    assert ran(result) == {"test_g", "test_g_again", "test_cond_g"}
    result.stdout.fnmatch_lines(["lanewarden: not collected: tests/test_other.py"])  # static


def test_a_module_level_change_keeps_the_doctests_of_a_whole_package(project: Project) -> None:
    """Source modules are selected for their doctests: the static fallback keeps them too."""
    project.write(
        {
            "pkg/b.py": (
                'def h():\n    """\n    >>> from pkg.mod import LIMIT, g\n    >>> g(LIMIT)\n'
                "    20\n"
                '    """\n'
            ),
        }
    )
    project.commit("a doctest")
    args = ("--doctest-modules", "--lw-no-dependents")
    project.run("--lw-record-coverage", "--doctest-modules").assert_outcomes(passed=6)
    edit(project, "pkg/mod.py", "LIMIT = 10", "LIMIT = 11")
    static = project.run("--lw-changed", "--lw-no-coverage-map", "-v", *args)
    assert "pkg.b.h" in ran(static)
    result = project.run("--lw-changed", "-v", *args)
    assert ran(result) == ran(static)
    assert result.ret == 1  # the doctest sees the change


@pytest.mark.parametrize(
    ("ending", "outcome", "args"),
    [
        ("pytest.skip('not on this platform')", {"skipped": 1}, ()),
        ("pytest.xfail('known bug')", {"xfailed": 1}, ()),
        ("pytest.xfail('known bug')", {"xfailed": 1}, ("--runxfail",)),
    ],
    ids=["skipped", "xfailed", "xfailed-runxfail"],
)
def test_code_a_test_not_passing_ran_at_a_first_import_keeps_the_later_users(
    project: Project, ending: str, outcome: dict[str, int], args: tuple[str, ...]
) -> None:
    """The test that imported a module first did not pass: what its import ran still counts."""
    project.write(
        {
            "pkg/consts.py": "from pkg.mod import g\n\nVALUE = g(1)\n",
            "tests/test_consts_a.py": (
                f"import pytest\n\n\ndef test_first():\n    import pkg.consts\n\n    {ending}\n"
            ),
            "tests/test_consts_b.py": (
                "def test_second():\n    import pkg.consts\n\n    assert pkg.consts.VALUE == 2\n"
            ),
        }
    )
    project.commit("a module imported first by a test that does not pass")
    project.run("--lw-record-coverage").assert_outcomes(passed=6, **outcome)
    edit(project, "pkg/mod.py", "return x * 2", "return x * 3")
    result = project.run("--lw-changed", "-v", *args)
    assert "test_second" in ran(result)
    assert result.ret == 1  # test_second sees the change, and fails


def test_a_shared_fixture_asking_for_another_stays_outside_every_test(project: Project) -> None:
    """After ``request.getfixturevalue`` of another shared fixture, the rest still runs outside."""
    project.write(
        {
            "pkg/helpers.py": "def helper():\n    return 1\n",
            "tests/conftest.py": (
                "import pytest\n\nfrom pkg.helpers import helper\n\n\n"
                "@pytest.fixture(scope='session')\ndef base():\n    return 0\n\n\n"
                "@pytest.fixture(scope='session')\ndef value(request):\n"
                "    request.getfixturevalue('base')\n    return helper()\n"
            ),
            "tests/test_value.py": (
                "def test_first(value):\n    assert value == 1\n\n\n"
                "def test_second(value):\n    assert value + 1 == 2\n"
            ),
        }
    )
    project.commit("a session fixture using another")
    project.run("--lw-record-coverage").assert_outcomes(passed=7)
    (recorded,) = stored_maps(project.root)
    assert "pkg/helpers.py" not in recorded.tests["tests/test_value.py::test_first"]
    edit(project, "pkg/helpers.py", "return 1", "return 2")
    result = project.run("--lw-changed", "-v")
    assert {"test_first", "test_second"} <= ran(result)


def test_recording_asks_for_a_core_that_keeps_per_test_lines(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under sys.monitoring's core (Python 3.14's default) per-test lines went missing.

    On Python before 3.12 coverage has no such core and falls back to its C tracer
    anyway: here this shows the recording asks for it and the map is still right.
    """
    monkeypatch.setenv("COVERAGE_CORE", "sysmon")
    project.run("--lw-record-coverage").assert_outcomes(passed=5)
    (recorded,) = stored_maps(project.root)
    assert recorded.lines("tests/test_g.py::test_g", "pkg/mod.py") == {9, 11}


def test_a_core_without_per_test_contexts_is_declined_not_recorded(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = pytest.importorskip("coverage.core", reason="coverage before 7.5 chooses no core object")
    init = core.Core.__init__

    def without_contexts(self: core.Core, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        self.supports_dynamic_contexts = False

    monkeypatch.setattr(core.Core, "__init__", without_contexts)
    monkeypatch.setenv("LANEWARDEN_COVERAGE_ENGINE", "coverage")  # (3.12+ would monitor)
    result = project.run("--lw-record-coverage")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        ["lanewarden: no coverage map recorded: coverage's * core keeps no per-test contexts*"]
    )
    assert stored_maps(project.root) == []


@pytest.mark.parametrize("bad", ["2-x", "1-99999999999", "-1"])
def test_a_map_with_bad_lines_falls_back_and_is_replaced_by_recording(
    recorded: Project, bad: str
) -> None:
    import json
    import zlib

    (path,) = (Repo.discover(recorded.root).state_dir / "coverage").glob("*.lwcov")
    body = json.loads(zlib.decompress(path.read_bytes()))
    per_file = body["tests"]["tests/test_g.py::test_g"]
    if bad == "-1":
        per_file["-1"] = per_file.pop(next(iter(per_file)))
    else:
        per_file[next(iter(per_file))] = bad
    path.write_bytes(zlib.compress(json.dumps(body).encode()))
    edit(recorded, "pkg/mod.py", "return x * 2", "return x + x")
    result = recorded.run("--lw-changed", "-v")
    assert result.ret == 0
    assert ran(result) == {"test_f", "test_g", "test_g_again", "test_limit"}
    result.stdout.fnmatch_lines(["lanewarden: coverage map of tree * not used (*bad*"])
    edit(recorded, "pkg/mod.py", "return x + x", "return x * 2")
    again = recorded.run("--lw-record-coverage")
    again.assert_outcomes(passed=5)
    assert "Traceback" not in again.stdout.str() + again.stderr.str()
    (replaced,) = stored_maps(recorded.root)
    assert replaced.lines("tests/test_g.py::test_g", "pkg/mod.py") == {9, 11}


def test_select_names_the_module_level_changes_as_the_run_does(recorded: Project) -> None:
    edit(recorded, "pkg/mod.py", "LIMIT = 10", "LIMIT = 11")
    text = lanewarden(recorded.root, "select")
    assert text.returncode == 0, text.stderr
    assert (
        "lanewarden:   coverage map: pkg/mod.py: module-level code changed;"
        " every test reaching it runs"
    ) in text.stdout.splitlines()


def test_the_lines_reading_docstrings_are_found_in_the_maps_tree_whatever_the_names(
    project: Project,
) -> None:
    reader = "import inspect\n\n\ndef doc(f):\n    return inspect.getdoc(f) or f.__doc__\n"
    names = ["pkg/with space.py", "pkg/new\nline.py", "pkg/café.py", 'pkg/"quoted".py']
    project.write({name: reader for name in names})
    project.write({"pkg/helpme.py": "def helpme():\n    return 1\n\n\nhelp(len)\n"})
    project.commit("docstring readers")
    tree = git(project.root, "rev-parse", "HEAD^{tree}").strip()
    project.write({name: "" for name in names})  # the work tree does not matter
    found = doc_reading_lines(Repo.discover(project.root), tree)
    assert found == {**{name: {5} for name in names}, "pkg/helpme.py": {5}}
