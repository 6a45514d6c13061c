"""Where static analysis cannot see, selection falls back to the whole package, and says so.

Each project is a real git repository run by a real pytest session. In each,
one test reaches the changed module only through something no import shows
(a module ``__getattr__``, ``importlib.import_module`` of a computed name,
``getattr(p, name)``, a star import without ``__all__``, a registry that
dispatches by name): it must run, and ``--lw-explain`` and
``lanewarden select --explain --json`` must say which fallback selected it.
A test that uses a name analysis does see stays unselected.
"""

from __future__ import annotations

import json

import pytest

from scenario import PytestRepo as Project
from scenario import lanewarden
from test_selection_layouts import passed

PYPROJECT = {
    "pyproject.toml": "[project]\nname = 'pkg'\n[tool.pytest.ini_options]\npythonpath = ['src']\n",
    "src/pkg/other.py": "def other():\n    return 2\n",
    "tests/test_other.py": "from pkg.other import other\n\n\n"
    "def test_other():\n    assert other() == 2\n",
}


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)


class Selected:
    """What one change selected: the tests that ran, each file's chain, each fallback."""

    def __init__(self, ran: set[str], chains: dict[str, str], fallback: dict[str, str]) -> None:
        self.ran, self.chains, self.fallback = ran, chains, fallback


def selected_for(project: Project, files: dict[str, str], change: dict[str, str]) -> Selected:
    """Commit ``files``, apply ``change``; the plugin must print the chains ``select`` gives.

    A second test imports the changed module plainly, so the change is reached
    and nothing falls back to the tests of the package holding it: only the
    import graph can select the test under scrutiny.
    """
    (changed,) = change
    module = changed.removeprefix("src/").removesuffix(".py").replace("/", ".")
    direct = f"import {module}\n\n\ndef test_direct():\n    assert {module}\n"
    project.write({**PYPROJECT, **files, "tests/test_direct.py": direct})
    project.commit()
    project.write(change)
    done = lanewarden(project.root, "select", "--explain", "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    result = project.run("--lw-changed", "-v", "--lw-explain")
    ran = passed(result)
    assert "test_other" not in ran  # the precise part of the graph stays precise
    assert "test_direct" in ran
    ran.discard("test_direct")
    for chain in body["tests"].values():
        assert f"lanewarden:   {chain}" in result.outlines, (chain, result.outlines)
    assert set(body["fallback"]) <= set(body["tests"])
    return Selected(ran, body["tests"], body["fallback"])


def test_a_name_served_by_a_module_getattr_depends_on_the_whole_package(
    project: Project,
) -> None:
    files = {
        "src/pkg/__init__.py": "import importlib\n\n\n"
        "def __getattr__(name):\n    return importlib.import_module(f'.lazy.{name}', __name__)\n",
        "src/pkg/lazy/__init__.py": "",
        "src/pkg/lazy/foo.py": "def run():\n    return 1\n",
        "tests/test_lazy.py": "import pkg as p\n\n\n"
        "def test_lazy():\n    assert p.foo.run() == 1\n",
    }
    got = selected_for(project, files, {"src/pkg/lazy/foo.py": "def run():\n    return 0 + 1\n"})
    assert got.ran == {"test_lazy"}
    assert got.chains["tests/test_lazy.py"] == (
        "tests/test_lazy.py (uses p.foo.run, served by pkg.__getattr__: cannot resolve"
        " statically, depends on all of pkg) → src/pkg/lazy/foo.py"
    )
    assert got.fallback == {
        "tests/test_lazy.py": "tests/test_lazy.py: uses p.foo.run, served by pkg.__getattr__:"
        " cannot resolve statically, depends on all of pkg"
    }


def test_import_module_of_a_computed_name_depends_on_the_package_it_names(
    project: Project,
) -> None:
    files = {
        "src/pkg/__init__.py": "",
        "src/pkg/plugins/__init__.py": "",
        "src/pkg/plugins/fast.py": "def run():\n    return 'fast'\n",
        "src/pkg/loader.py": "import importlib\n\n\n"
        "def load(name):\n    return importlib.import_module('pkg.plugins.' + name)\n",
        "tests/test_loader.py": "from pkg.loader import load\n\n\n"
        "def test_load():\n    assert load('fast').run() == 'fast'\n",
    }
    change = {"src/pkg/plugins/fast.py": "def run():\n    return 'fa' + 'st'\n"}
    got = selected_for(project, files, change)
    assert got.ran == {"test_load"}
    assert got.chains["tests/test_loader.py"] == (
        "tests/test_loader.py (from pkg.loader import load) → pkg.loader"
        " (import_module('pkg.plugins.' + name): cannot resolve statically,"
        " depends on all of pkg.plugins) → src/pkg/plugins/fast.py"
    )
    assert got.fallback == {
        "tests/test_loader.py": "pkg.loader: import_module('pkg.plugins.' + name):"
        " cannot resolve statically, depends on all of pkg.plugins"
    }


def test_dunder_import_of_an_unbounded_name_depends_on_the_whole_project(
    project: Project,
) -> None:
    files = {
        "src/pkg/__init__.py": "",
        "src/pkg/deep/__init__.py": "",
        "src/pkg/deep/mod.py": "VALUE = 3\n",
        "tests/test_dunder.py": "import sys\n\n\ndef test_dunder():\n"
        "    name = 'pkg.deep.mod'\n    __import__(name)\n"
        "    assert sys.modules[name].VALUE == 3\n",
    }
    got = selected_for(project, files, {"src/pkg/deep/mod.py": "VALUE = 1 + 2\n"})
    assert got.ran == {"test_dunder"}
    assert got.chains["tests/test_dunder.py"] == (
        "tests/test_dunder.py (__import__(name): cannot resolve statically,"
        " depends on all of the project) → src/pkg/deep/mod.py"
    )


def test_getattr_with_a_computed_name_depends_on_the_whole_package(project: Project) -> None:
    files = {
        "src/pkg/__init__.py": "from .a import fa\n",
        "src/pkg/a.py": "from . import b\n\n\ndef fa():\n    return 1\n",
        "src/pkg/b.py": "def fb():\n    return 2\n",
        "tests/test_reflect.py": "import pkg as p\n\n\n"
        "def test_reflect():\n    name = 'b'\n    assert getattr(p, name).fb() == 2\n",
    }
    got = selected_for(project, files, {"src/pkg/b.py": "def fb():\n    return 1 + 1\n"})
    assert got.ran == {"test_reflect"}
    assert got.chains["tests/test_reflect.py"] == (
        "tests/test_reflect.py (getattr(p, name): cannot resolve statically,"
        " depends on all of pkg) → src/pkg/b.py"
    )


def test_a_name_a_star_import_without_all_may_bind_depends_on_its_source(
    project: Project,
) -> None:
    files = {
        # impl binds its names at run time: only the star import without __all__ shows them.
        "src/pkg/__init__.py": "from .impl import *\n",
        "src/pkg/impl.py": "def _make(n):\n    return lambda: n\n\n\n"
        "for _n in ('one', 'two'):\n    globals()[_n] = _make(_n)\n",
        "tests/test_star.py": "import pkg as p\n\n\n"
        "def test_star():\n    assert p.one() == 'one'\n",
    }
    change = {"src/pkg/impl.py": files["src/pkg/impl.py"].replace("'two'", "'two', 'three'")}
    got = selected_for(project, files, change)
    assert got.ran == {"test_star"}
    assert got.chains["tests/test_star.py"] == (
        "tests/test_star.py (uses p.one, maybe bound by from pkg.impl import * without"
        " __all__: cannot resolve statically, depends on all of pkg.impl) → src/pkg/impl.py"
    )


def test_star_imports_honour_all_and_the_last_one_binds(project: Project) -> None:
    """No fallback here: the name is found, in the module that binds it at run time."""
    files = {
        "src/pkg/__init__.py": "from .a import *\nfrom .b import *\nfrom .c import *\n",
        "src/pkg/a.py": "__all__ = ['fa']\n\n\ndef fa():\n    return 1\n\n\n"
        "def g():\n    return 'a'\n",
        "src/pkg/b.py": "__all__ = ['g']\n\n\ndef g():\n    return 'b'\n",
        "src/pkg/c.py": "def h():\n    return 'c'\n",
        "tests/test_g.py": "import pkg as p\n\n\ndef test_g():\n    assert p.g() == 'b'\n",
    }
    got = selected_for(project, files, {"src/pkg/b.py": files["src/pkg/b.py"] + "# b\n"})
    assert got.ran == {"test_g"}
    assert got.chains["tests/test_g.py"] == "tests/test_g.py (uses p.g) → src/pkg/b.py"
    assert got.fallback == {}


def test_a_registry_dispatching_by_name_depends_on_what_registers_into_it(
    project: Project,
) -> None:
    files = {
        "src/pkg/__init__.py": "from . import registry\nfrom .plugins import fast\n",
        "src/pkg/registry.py": "REGISTRY = {}\n\n\ndef register(name):\n"
        "    def add(f):\n        REGISTRY[name] = f\n        return f\n\n    return add\n\n\n"
        "def run(name):\n    return REGISTRY[name]()\n",
        "src/pkg/plugins/__init__.py": "",
        "src/pkg/plugins/fast.py": "from pkg.registry import register\n\n\n"
        "@register('fast')\ndef fast():\n    return 1\n",
        "tests/test_dispatch.py": "from pkg.registry import run\n\n\n"
        "def test_run():\n    assert run('fast') == 1\n",
    }
    change = {"src/pkg/plugins/fast.py": files["src/pkg/plugins/fast.py"] + "# faster\n"}
    got = selected_for(project, files, change)
    assert got.ran == {"test_run"}
    assert got.chains["tests/test_dispatch.py"] == (
        "tests/test_dispatch.py (from pkg.registry import run) → pkg.registry"
        " (pkg.plugins.fast registers into it (@register('fast')):"
        " run-time dispatch cannot be followed) → src/pkg/plugins/fast.py"
    )


def test_a_call_made_at_import_time_selects_every_test_importing_the_package(
    project: Project,
) -> None:
    """Importing anything of pkg runs a.py, which calls c's code: a change to c reaches all."""
    files = {
        "pyproject.toml": PYPROJECT["pyproject.toml"],
        "src/pkg/__init__.py": "from .a import fa\n",
        "src/pkg/a.py": "from pkg.c import setup\n\nCONFIG = setup()\n\n\n"
        "def fa():\n    return CONFIG\n",
        "src/pkg/b.py": "def fb():\n    return 2\n",
        "src/pkg/c.py": "def setup():\n    return 1\n\n\ndef unused():\n    return 0\n",
        "tests/test_b.py": "from pkg.b import fb\n\n\ndef test_b():\n    assert fb() == 2\n",
    }
    project.write(files)
    project.commit()
    project.write({"src/pkg/c.py": files["src/pkg/c.py"].replace("return 1", "return 1 // 0")})
    result = project.run("--lw-changed", "-v", "--lw-explain")
    assert result.ret == 2  # importing pkg now fails: the test that imports pkg.b ran
    result.stdout.fnmatch_lines(
        [
            "lanewarden:   tests/test_b.py (from pkg.b import fb; its import runs changed code)"
            " → pkg.b (importing it runs"
            " pkg first) → pkg (from .a import fa; its import runs changed code) → pkg.a"
            " (from pkg.c import setup; its import runs changed code) → src/pkg/c.py",
            "*ERROR collecting tests/test_b.py*",
        ]
    )
