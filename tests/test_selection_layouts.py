"""Test files as nodes of the import graph, on the usual layouts, with no configuration.

Each project is a real git repository run by a real pytest session: a test
file runs when what it imports (through helpers, the conftest.py files above
it and the __init__.py of its folders) reaches a changed file.
"""

from __future__ import annotations

import pytest

from scenario import QUIET
from scenario import PytestRepo as Project


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)


def passed(result: pytest.RunResult) -> set[str]:
    """Names of the tests that passed (``-v`` output)."""
    return {
        line.split("::")[1].split()[0]
        for line in result.outlines
        if "::" in line and "PASSED" in line
    }


# src/<pkg> + a top-level tests/ that is no package: pytest puts tests/ on sys.path.
SRC_LAYOUT = {
    "pyproject.toml": "[project]\nname = 'calc'\n[tool.pytest.ini_options]\npythonpath = ['src']\n",
    "src/calc/__init__.py": "from .add import add\nfrom .mul import mul\n",
    "src/calc/add.py": "def add(a, b):\n    return a + b\n",
    "src/calc/mul.py": "def mul(a, b):\n    return a * b\n",
    "src/calc/data/table.txt": "1 2 3\n",
    "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef two():\n    return 2\n",
    "tests/helpers.py": "import calc\n\n\ndef square(x):\n    return calc.mul(x, x)\n",
    "tests/test_add.py": "import calc\n\n\ndef test_add(two):\n    assert calc.add(two, 1) == 3\n",
    "tests/test_square.py": "from helpers import square\n\n\n"
    "def test_square(two):\n    assert square(two) == 4\n",
    "tests/unit/test_mul.py": "from calc.mul import mul\n\n\n"
    "def test_mul():\n    assert mul(2, 3) == 6\n",
    "scripts/release.py": "print('release')\n",
}


def test_src_layout_selects_the_test_files_whose_imports_reach_the_change(
    project: Project,
) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    project.write({"src/calc/add.py": "def add(a, b):\n    return b + a\n"})
    result = project.run("--lw-changed", "-v", "--lw-explain")
    assert passed(result) == {"test_add"}
    result.stdout.fnmatch_lines(
        ["lanewarden:   tests/test_add.py (uses calc.add) → src/calc/add.py"]
    )
    project.write({"src/calc/add.py": SRC_LAYOUT["src/calc/add.py"]})
    # mul is used by a test directly and by the helper another test imports.
    project.write({"src/calc/mul.py": "def mul(a, b):\n    return b * a\n"})
    result = project.run("--lw-changed", "-v", "--lw-explain")
    assert passed(result) == {"test_square", "test_mul"}
    result.stdout.fnmatch_lines(
        [
            "lanewarden:   tests/test_square.py (from helpers import square)"
            " → tests/helpers.py (uses calc.mul) → src/calc/mul.py",
        ]
    )


def test_a_changed_test_helper_selects_the_tests_importing_it(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    project.write({"tests/helpers.py": SRC_LAYOUT["tests/helpers.py"] + "\nX = 1\n"})
    assert passed(project.run("--lw-changed", "-v")) == {"test_square"}


def test_a_changed_conftest_selects_every_test_under_it(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    project.write({"tests/conftest.py": SRC_LAYOUT["tests/conftest.py"].replace("2", "3")})
    result = project.run("--lw-changed", "-v")
    # The fixture changed: the two tests using it fail, the third runs too.
    result.assert_outcomes(passed=1, failed=2)
    assert passed(result) == {"test_mul"}


def test_a_changed_data_file_selects_the_tests_of_its_package(project: Project) -> None:
    project.write(
        {
            **SRC_LAYOUT,
            "src/other/__init__.py": "",  # two packages: a test belongs to one by its name
            "tests/test_calc.py": "def test_calc():\n    pass\n",
        }
    )
    project.commit()
    project.write({"src/calc/data/table.txt": "4 5 6\n"})
    result = project.run("--lw-changed", "-v")
    # tests/test_calc.py is named after the package: it is a test of calc.
    assert passed(result) == {"test_calc"}
    result.stdout.fnmatch_lines(["*calc: holds src/calc/data/table.txt (not Python*"])


# flat <pkg>/ + tests/ that is a package: relative imports between test files.
FLAT_LAYOUT = {
    "shop/__init__.py": "",
    "shop/cart.py": "def total(items):\n    return sum(items)\n",
    "shop/stock.py": "def left(n):\n    return n\n",
    "tests/__init__.py": "",
    "tests/utils.py": "from shop.stock import left\n\n\ndef stocked():\n    return left(3)\n",
    "tests/test_cart.py": "from shop import cart\n\n\n"
    "def test_total():\n    assert cart.total([1, 2]) == 3\n",
    "tests/test_stock.py": "from .utils import stocked\n\n\n"
    "def test_stocked():\n    assert stocked() == 3\n",
}


def test_flat_layout_follows_relative_imports_of_test_helpers(project: Project) -> None:
    project.write(FLAT_LAYOUT)
    project.commit()
    project.write({"shop/stock.py": "def left(n):\n    return n + 0\n"})
    assert passed(project.run("--lw-changed", "-v")) == {"test_stocked"}
    project.write({"shop/stock.py": FLAT_LAYOUT["shop/stock.py"]})
    project.write({"tests/utils.py": FLAT_LAYOUT["tests/utils.py"] + "\nY = 2\n"})
    assert passed(project.run("--lw-changed", "-v")) == {"test_stocked"}
    project.write({"tests/utils.py": FLAT_LAYOUT["tests/utils.py"]})
    # tests/__init__.py runs before every test module of the folder.
    project.write({"tests/__init__.py": "Z = 1\n"})
    assert passed(project.run("--lw-changed", "-v")) == {"test_total", "test_stocked"}


# Tests beside the code: <pkg>/sub/tests/, a conftest above them all.
BESIDE = {
    "geo/__init__.py": "from .shapes import area\nfrom .paths import length\n",
    "geo/conftest.py": "",
    "geo/shapes/__init__.py": "def area(w, h):\n    return w * h\n",
    "geo/shapes/tests/test_shapes.py": "import geo as g\n\n\n"
    "def test_area():\n    assert g.area(2, 3) == 6\n",
    "geo/paths/__init__.py": "def length(xs):\n    return len(xs)\n",
    "geo/paths/tests/test_paths.py": "import geo as g\n\n\n"
    "def test_length():\n    assert g.length([1]) == 1\n",
}


def test_tests_beside_the_code_through_a_reexporting_root(project: Project) -> None:
    project.write(BESIDE)
    project.commit()
    project.write({"geo/shapes/__init__.py": "def area(w, h):\n    return h * w\n"})
    result = project.run("--lw-changed", "-v", "--lw-explain")
    # g.area resolves through geo/__init__.py to geo.shapes: test_paths is not affected.
    assert passed(result) == {"test_area"}
    result.stdout.fnmatch_lines(
        ["lanewarden:   geo/shapes/tests/test_shapes.py (uses g.area) → geo/shapes/__init__.py"]
    )
    project.write({"geo/shapes/__init__.py": BESIDE["geo/shapes/__init__.py"]})
    project.write({"geo/conftest.py": "X = 1\n"})
    assert passed(project.run("--lw-changed", "-v")) == {"test_area", "test_length"}


# Never a silent green.


def test_a_file_no_test_reaches_is_reported_even_under_quiet(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    project.write({"scripts/release.py": "print('release 2')\n"})
    result = project.run("--lw-changed", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "lanewarden: NO TEST REACHES scripts/release.py:"
            " no test imports it and no package holds it",
            "lanewarden: 0 tests selected, * for 1 changed file; `--lw-explain` for why",
        ]
    )


def test_in_a_gate_run_a_file_no_test_reaches_runs_every_test(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    project.write({"scripts/release.py": "print('release 2')\n"})
    result = project.run("--lw-changed", "--lw-gate", "2", "-q")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["lanewarden: every test runs (3): scripts/release.py changed and no test reaches it*"]
    )
    [record] = project.evidence()
    assert record["status"] == "passed"
    assert record["selection"]["untested"] == ["scripts/release.py"]  # type: ignore[index]


def test_untested_ok_keeps_a_gate_run_scoped(project: Project) -> None:
    project.write({**SRC_LAYOUT, "lanewarden.toml": 'untested_ok = ["scripts/**"]\n'})
    project.commit()
    project.write({"scripts/release.py": "print('release 2')\n"})
    project.write({"src/calc/add.py": "def add(a, b):\n    return b + a\n"})
    result = project.run("--lw-changed", "--lw-gate", "2", "-v")
    assert passed(result) == {"test_add"}
    result.stdout.fnmatch_lines(["*NO TEST REACHES scripts/release.py*(accepted by untested_ok)"])


def test_quiet_prints_one_summary_line(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    project.write({"src/calc/add.py": "def add(a, b):\n    return b + a\n"})
    result = project.run("--lw-changed", "-q")
    lines = [line for line in result.outlines if line.startswith("lanewarden:")]
    assert lines == [
        "lanewarden: 1 test selected, 0 deselected, 3 test files or folders not collected"
        " for 1 changed file; `--lw-explain` for why"
    ]


def test_quiet_summary_under_xdist_comes_from_the_controller(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    project.write({"src/calc/mul.py": "def mul(a, b):\n    return b * a\n"})
    # pytester's subprocess run keeps its output files here: they are no change of the project.
    project.write({".git/info/exclude": "runpytest-*\nstdout\nstderr\n"})
    result = project.pytester.runpytest_subprocess(*QUIET, "-n", "2", "-q", "--lw-changed")
    assert result.ret == 0
    lines = [line for line in result.outlines if line.startswith("lanewarden:")]
    assert lines == [
        "lanewarden: 2 tests selected, 0 deselected, 2 test files or folders not collected"
        " for 1 changed file; `--lw-explain` for why"
    ]


def test_a_rootdir_outside_a_git_repository_names_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest(*QUIET, "--lw-changed")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"*lanewarden: the rootdir {pytester.path} is not inside a git repository*",
            "*fix: run pytest from the repository's folder, or give it with --rootdir=*",
        ]
    )


def test_explain_without_a_selection_option_is_a_usage_error(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    result = project.run("--lw-explain")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--lw-explain needs --lw-changed*"])


def test_the_doctests_of_a_changed_module_run(project: Project) -> None:
    project.write(
        {
            **SRC_LAYOUT,
            "src/calc/add.py": 'def add(a, b):\n    """\n    >>> add(1, 2)\n    3\n    """\n'
            "    return a + b\n",
            "src/calc/mul.py": 'def mul(a, b):\n    """\n    >>> mul(2, 3)\n    6\n    """\n'
            "    return a * b\n",
        }
    )
    project.commit()
    project.write(
        {
            "src/calc/add.py": "def add(a, b):\n    '''\n    >>> add(1, 2)\n    4\n    '''\n"
            "    return a + b\n"
        }
    )
    result = project.run("--lw-changed", "--doctest-modules", "-v", "src", "tests")
    result.stdout.fnmatch_lines(["src/calc/add.py::calc.add.add FAILED*"])
    assert "calc.mul.mul" not in result.stdout.str()


def test_a_changed_package_init_selects_the_tests_importing_its_modules(project: Project) -> None:
    project.write(SRC_LAYOUT)
    project.commit()
    # calc/__init__.py runs before any calc.* module: its change concerns all of their users.
    project.write({"src/calc/__init__.py": "from .add import add\nfrom .mul import mul\nX = 1\n"})
    result = project.run("--lw-changed", "-v", "--lw-explain")
    assert passed(result) == {"test_add", "test_square", "test_mul"}
    result.stdout.fnmatch_lines(
        ["lanewarden:   tests/unit/test_mul.py (from calc.mul import mul) → src/calc/__init__.py"]
    )
