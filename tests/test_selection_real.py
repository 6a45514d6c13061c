"""Selection rules found on real libraries: real pytest sessions in real git repositories."""

from __future__ import annotations

import pytest

from scenario import PytestRepo as Project

TEST = "def test_{0}():\n    pass\n"


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)


def passed(result: pytest.RunResult) -> set[str]:
    """Names of the tests that passed."""
    return {
        line.split("::")[1].split()[0]
        for line in result.outlines
        if "::" in line and "PASSED" in line
    }


def test_a_local_named_like_an_imported_module_does_not_select_its_package(
    project: Project,
) -> None:
    project.write(
        {
            "packages/alpha/pyproject.toml": "[project]\nname = 'alpha'\n",
            "packages/alpha/src/alpha/__init__.py": "from .core import double\n"
            "from .other import triple\n",
            "packages/alpha/src/alpha/core.py": "def double(x):\n    return 2 * x\n",
            "packages/alpha/src/alpha/other.py": "def triple(x):\n    return 3 * x\n",
            "packages/alpha/tests/test_alpha.py": TEST.format("alpha"),
            "packages/beta/pyproject.toml": "[project]\nname = 'beta'\n",
            "packages/beta/src/beta/__init__.py": "",
            # ``a`` in scale() is a local that shares the module alias's name.
            "packages/beta/src/beta/use.py": "import alpha as a\n\n"
            "def quad(x):\n    return a.double(a.double(x))\n\n"
            "def scale(values):\n    a = max(values)\n    return [v / a for v in values]\n",
            "packages/beta/tests/test_beta.py": TEST.format("beta"),
        }
    )
    project.commit()
    project.write({"packages/alpha/src/alpha/other.py": "def triple(x):\n    return x * 3\n"})
    assert passed(project.run("--lw-changed", "-v")) == {"test_alpha"}
    # The module is still a dependency where it is really used.
    project.write({"packages/alpha/src/alpha/core.py": "def double(x):\n    return x + x\n"})
    assert passed(project.run("--lw-changed", "-v")) == {"test_alpha", "test_beta"}


NESTED = {
    "lib/__init__.py": "from .sub1 import one\nfrom .sub2 import two\n",
    "lib/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef base():\n    return 1\n",
    "lib/sub1/__init__.py": "def one():\n    return 1\n",
    "lib/sub1/tests/test_sub1.py": "def test_sub1(base):\n    assert base == 1\n",
    "lib/sub2/__init__.py": "def two():\n    return 2\n",
    "lib/sub2/tests/test_sub2.py": "def test_sub2(base):\n    assert base == 1\n",
    "lib/tests/test_lib.py": TEST.format("lib"),
}


def test_a_conftest_above_every_test_of_the_library_selects_them_all(project: Project) -> None:
    project.write(NESTED)
    project.commit()
    # A fixture changed above every test: each test below may now fail.
    project.write({"lib/conftest.py": NESTED["lib/conftest.py"].replace("return 1", "return 2")})
    result = project.run("--lw-changed", "-v", "--lw-explain")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        ["lanewarden:   lib/sub1/tests/test_sub1.py (under lib/) → lib/conftest.py"]
    )
    assert passed(result) == {"test_lib"}
