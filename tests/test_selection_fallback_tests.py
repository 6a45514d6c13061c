"""A library file's whole-project fallback stands for library code, not for the tests.

``lib/dispatch.py`` imports a computed name (``importlib.import_module(name)``):
static analysis cannot see what, so it depends on every module of the project,
and every test that reaches it runs when any library module changes. A test
file, a test helper or a ``conftest.py`` is no module the library can load that
way: changing one selects itself and what really imports it, never every test
through the fallback. Each project is a real git repository run by a real
pytest session, with the tests beside the code (``lib/tests/``) or in a
top-level ``tests/``.
"""

from __future__ import annotations

import json

import pytest

from lanewarden.domain.imports import ImportGraph, parse_facts
from lanewarden.domain.module_names import path_module_name
from scenario import PytestRepo as Project
from scenario import lanewarden
from test_selection_layouts import passed

LAYOUTS = ["lib/tests", "tests"]


def layout(tests: str) -> dict[str, str]:
    """``lib/`` with a module importing computed names; its tests in the folder ``tests``."""
    return {
        "pyproject.toml": "[project]\nname = 'lib'\n"
        "[tool.pytest.ini_options]\npythonpath = ['.']\n",
        "lib/__init__.py": "",
        "lib/dispatch.py": "import importlib\n\n\n"
        "def load(name):\n    return importlib.import_module(name)\n",
        "lib/a.py": "from lib.dispatch import load\n\n\n"
        "def fa():\n    return load('lib.b').fb() - 1\n",
        "lib/b.py": "def fb():\n    return 2\n",
        "lib/c.py": "def fc():\n    return 3\n",
        f"{tests}/test_a.py": "from lib.a import fa\n\n\ndef test_a():\n    assert fa() == 1\n",
        f"{tests}/test_b.py": "from lib.b import fb\n\n\ndef test_b():\n    assert fb() == 2\n",
        f"{tests}/test_load.py": "from lib.dispatch import load\n\n\n"
        "def test_load():\n    assert load('lib.c').fc() == 3\n",
        f"{tests}/helpers.py": "from lib.c import fc\n\n\ndef triple():\n    return fc()\n",
        f"{tests}/test_helped.py": "from helpers import triple\n\n\n"
        "def test_helped():\n    assert triple() == 3\n",
        f"{tests}/unit/conftest.py": "import pytest\n\n\n"
        "@pytest.fixture\ndef four():\n    return 4\n",
        f"{tests}/unit/test_c.py": "from lib.c import fc\n\n\n"
        "def test_c(four):\n    assert fc() + 1 == four\n",
    }


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)


def selected(project: Project, files: dict[str, str], change: dict[str, str]) -> set[str]:
    """Commit ``files``, apply ``change``: the tests that ran (all of them passed)."""
    project.write(files)
    project.commit()
    project.write(change)
    result = project.run("--lw-changed", "-v")
    assert result.ret == 0, result.outlines
    return passed(result)


def select_json(project: Project) -> dict[str, object]:
    done = lanewarden(project.root, "select", "--explain", "--json")
    assert done.returncode == 0, done.stderr
    body: dict[str, object] = json.loads(done.stdout)
    return body


@pytest.mark.parametrize("tests", LAYOUTS)
def test_a_changed_test_file_selects_itself_not_every_test_through_the_fallback(
    project: Project, tests: str
) -> None:
    files = layout(tests)
    change = {f"{tests}/test_b.py": files[f"{tests}/test_b.py"] + "\n\nX = 1\n"}
    assert selected(project, files, change) == {"test_b"}
    body = select_json(project)
    assert body["tests"] == {f"{tests}/test_b.py": f"{tests}/test_b.py (changed)"}
    assert body["fallback"] == {}


@pytest.mark.parametrize("tests", LAYOUTS)
def test_a_changed_library_module_still_selects_every_test_reaching_the_fallback(
    project: Project, tests: str
) -> None:
    files = layout(tests)
    ran = selected(project, files, {"lib/b.py": "def fb():\n    return 1 + 1\n"})
    # test_b imports lib.b; test_a and test_load reach lib.dispatch, which may load it.
    assert ran == {"test_a", "test_b", "test_load"}
    body = select_json(project)
    reason = "import_module(name): cannot resolve statically, depends on all of the project"
    chains = body["tests"]
    assert isinstance(chains, dict)
    assert chains[f"{tests}/test_load.py"] == (
        f"{tests}/test_load.py (from lib.dispatch import load) → lib.dispatch ({reason}) → lib/b.py"
    )
    assert body["fallback"] == {
        f"{tests}/test_a.py": f"lib.dispatch: {reason}",
        f"{tests}/test_load.py": f"lib.dispatch: {reason}",
    }


@pytest.mark.parametrize("tests", LAYOUTS)
def test_a_changed_test_helper_selects_only_the_tests_importing_it(
    project: Project, tests: str
) -> None:
    files = layout(tests)
    change = {f"{tests}/helpers.py": files[f"{tests}/helpers.py"] + "\n\nY = 2\n"}
    assert selected(project, files, change) == {"test_helped"}


@pytest.mark.parametrize("tests", LAYOUTS)
def test_a_changed_conftest_selects_the_tests_under_it_only(project: Project, tests: str) -> None:
    files = layout(tests)
    change = {f"{tests}/unit/conftest.py": files[f"{tests}/unit/conftest.py"] + "\n\nZ = 3\n"}
    assert selected(project, files, change) == {"test_c"}


@pytest.mark.parametrize("tests", LAYOUTS)
def test_a_fallback_in_a_test_file_still_stands_for_test_files_too(
    project: Project, tests: str
) -> None:
    """A test importing a computed name may load a helper: a changed helper selects it."""
    files = {
        **layout(tests),
        f"{tests}/test_dynamic.py": "import importlib\n\n\ndef test_dynamic():\n"
        "    name = 'helpers'\n    assert importlib.import_module(name).triple() == 3\n",
    }
    change = {f"{tests}/helpers.py": files[f"{tests}/helpers.py"] + "\n\nY = 2\n"}
    assert selected(project, files, change) == {"test_helped", "test_dynamic"}
    # A library change reaches it through its own fallback, and the library's.
    project.write({f"{tests}/helpers.py": files[f"{tests}/helpers.py"]})
    project.write({"lib/b.py": "def fb():\n    return 1 + 1\n"})
    ran = passed(project.run("--lw-changed", "-v"))
    assert ran == {"test_a", "test_b", "test_load", "test_dynamic"}


# The walk itself, on the graph: the order changes reach a subtree in must not matter.

GRAPH = {
    "lib/__init__.py": "",
    "lib/dispatch.py": "import importlib\n\n\n"
    "def load(n):\n    return importlib.import_module(n)\n",
    "lib/b.py": "def fb():\n    return 2\n",
    "tests/test_b.py": "from lib.b import fb\n",
    "tests/test_load.py": "from lib.dispatch import load\n",
    "tests/plugins/fast.py": "X = 1\n",
    "tests/test_plugins.py": "import importlib\n\n\n"
    "def plugin(n):\n    return importlib.import_module('tests.plugins.' + n)\n",
}


def walk(seeds: list[str]) -> set[str]:
    """The files the changed ``seeds`` (paths, in this order) affect."""
    facts = {path: parse_facts(text.encode()) for path, text in GRAPH.items()}
    names = {p: path_module_name(p) for p in GRAPH}
    graph = ImportGraph(facts, names)
    return set(graph.affected({names[p] or p: p for p in seeds}))


def test_a_test_file_and_a_library_module_changed_together_reach_the_fallback() -> None:
    assert "lib/dispatch.py" not in walk(["tests/test_b.py"])
    for seeds in (["tests/test_b.py", "lib/b.py"], ["lib/b.py", "tests/test_b.py"]):
        assert {"lib/dispatch.py", "tests/test_load.py"} <= walk(seeds), seeds


def test_a_test_files_subtree_of_test_helpers_is_still_entered_by_them() -> None:
    assert walk(["tests/plugins/fast.py"]) == {"tests/test_plugins.py"}
