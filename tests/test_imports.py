"""The static import graph: facts, re-export resolution, the content-hash cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lanewarden.adapters import import_facts
from lanewarden.adapters.import_facts import load_facts
from lanewarden.domain import imports
from lanewarden.domain.imports import ImportGraph, parse_facts


def graph(files: dict[str, str]) -> ImportGraph:
    """A graph over ``files``, module names taken from their paths (flat layout)."""
    facts = {path: parse_facts(text.encode()) for path, text in files.items()}
    names = {}
    for path in files:
        parts = path[:-3].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        names[path] = None if parts[0] == "tests" else ".".join(parts)
    return ImportGraph(facts, names)


LIBRARY = {
    "lib/__init__.py": "from .one import f1\nfrom .two import *\nfrom . import three\n",
    "lib/one/__init__.py": "from .impl import f1\n",
    "lib/one/impl.py": "def f1():\n    return 1\n",
    "lib/two/__init__.py": "def f2():\n    return 2\n",
    "lib/three/__init__.py": "import lib as l\nX = l.f1()\n",
    "lib/four/__init__.py": "import lib\nY = lib.three.X\n",
    "lib/five/__init__.py": "import lib as l\ndef g(x=l):\n    return x\n",
    "lib/six/__init__.py": "from lib import f2, three as t\nZ = t.X\n",
    "lib/seven/__init__.py": "from ..one.impl import f1\nimport lib.two\nimport os.path\n",
    "tests/test_lib.py": "import lib\n\ndef test():\n    assert lib.f1()\n",
}


def test_parse_facts() -> None:
    facts = parse_facts(
        b"import a.b as c\nfrom .x import y as z\nfrom m import *\nX = 1\n"
        b"def f():\n    import late\n    return c.d.e.g + c\n"
    )
    assert ["import", 0, "a.b", None, "c"] in facts["imports"]
    assert ["from", 1, "x", "y", "z"] in facts["imports"]
    assert ["import", 0, "late", None, None] in facts["imports"]
    assert facts["exports"]["z"] == ["from", 1, "x", "y"]
    assert facts["exports"]["X"] == ["local"]
    assert facts["exports"]["f"] == ["local"]
    assert facts["stars"] == [[0, "m"]]
    assert facts["uses"] == {"c": [["d", "e", "g"]]}
    assert facts["bare"] == ["c"]


def test_parse_facts_of_a_broken_file_is_empty() -> None:
    assert parse_facts(b"def (:\n")["imports"] == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("lib/__init__.py", {"lib.one.impl", "lib.two", "lib.three"}),
        ("lib/three/__init__.py", {"lib.one.impl"}),
        ("lib/four/__init__.py", {"lib.three"}),
        ("lib/five/__init__.py", {"lib"}),  # used bare: depends on the whole root
        ("lib/six/__init__.py", {"lib.two", "lib.three"}),
        ("lib/seven/__init__.py", {"lib.one.impl", "lib.two"}),
        ("tests/test_lib.py", {"lib.one.impl"}),
    ],
)
def test_reexports_resolve_to_the_defining_module(path: str, expected: set[str]) -> None:
    assert set(graph(LIBRARY).depends[path]) == expected


def test_affected_follows_chains_and_reports_them() -> None:
    reached = graph(LIBRARY).affected({"lib.one.impl": "lib/one/impl.py"})
    assert set(reached) == {
        "lib/__init__.py",
        "lib/one/__init__.py",
        "lib/three/__init__.py",
        "lib/four/__init__.py",
        "lib/five/__init__.py",
        "lib/six/__init__.py",
        "lib/seven/__init__.py",
        "tests/test_lib.py",
        # importing lib.two runs lib/__init__.py, which runs three's call of f1
        "lib/two/__init__.py",
    }
    assert reached["lib/four/__init__.py"].full
    # lib/__init__.py imports three, which calls f1 while it is imported: importing lib,
    # or anything under it, runs the changed code. Every file reached is affected.
    assert all(r.full for r in reached.values())
    assert reached["lib/__init__.py"].runs
    assert reached["lib/three/__init__.py"].runs


def test_a_hub_that_only_reexports_does_not_spread_to_users_of_its_own_names() -> None:
    g = graph(
        {
            "nx/__init__.py": "from nx.algo import *\nfrom nx.utils import helper\nconfig = 1\n",
            "nx/algo/__init__.py": "from nx.algo.color import *\n",
            "nx/algo/color.py": "def greedy():\n    pass\n",
            "nx/utils/__init__.py": "import nx\n\ndef helper():\n    return nx.config\n",
            "nx/flow.py": "import nx\n\ndef run():\n    return nx.helper(), nx.greedy\n",
            "nx/bare.py": "import nx\nALIAS = nx\n",
        }
    )
    assert g.depends["nx/flow.py"] == {"nx.utils": imports.LOCAL, "nx.algo.color": imports.LOCAL}
    assert g.depends["nx/__init__.py"]["nx.algo"] == imports.REEXPORT
    reached = g.affected({"nx.algo.color": "nx/algo/color.py"})
    assert {p for p, r in reached.items() if r.full} == {"nx/flow.py", "nx/bare.py"}
    assert not reached["nx/__init__.py"].full
    assert "nx/utils/__init__.py" not in reached  # it uses nx.config, which did not change
    touched_root = g.affected({"nx": "nx/__init__.py"})
    assert {p for p, r in touched_root.items() if r.full} == {
        "nx/utils/__init__.py",
        "nx/flow.py",
        "nx/bare.py",
    }


def test_a_leaf_change_reaches_only_its_importers() -> None:
    reached = graph(LIBRARY).affected({"lib.two": "lib/two/__init__.py"})
    assert set(reached) == {
        "lib/__init__.py",
        "lib/five/__init__.py",
        "lib/six/__init__.py",
        "lib/seven/__init__.py",
    }


def test_deleted_module_still_reaches_its_importers() -> None:
    g = graph({"a/__init__.py": "", "a/use.py": "from a.gone import x\n"})
    assert set(g.affected({"a.gone": "a/gone.py"})) == {"a/use.py"}


def test_relative_import_beyond_the_top_is_ignored() -> None:
    g = graph({"a/__init__.py": "from ... import x\n"})
    assert g.depends["a/__init__.py"] == {}


def test_cycles_terminate() -> None:
    g = graph(
        {
            "p/__init__.py": "from p.q import *\n",
            "p/q/__init__.py": "from p import *\n",
            "p/use.py": "from p import missing\n",
        }
    )
    # A name no star import shows, where one has no __all__: the whole package, not a guess.
    assert g.depends["p/use.py"] == {"p.*": imports.WHOLE}


def test_load_facts_caches_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("X = 1\n")
    cache = tmp_path / "cache" / "facts.json"
    first = load_facts(tmp_path, ["a.py", "b.py", "missing.py"], cache)
    assert set(first) == {"a.py", "b.py"}
    assert json.loads(cache.read_text())["version"] == imports.CACHE_VERSION

    calls: list[bytes] = []
    real = import_facts.parse_facts

    def counting(source: bytes) -> imports.Facts:
        calls.append(source)
        return real(source)

    monkeypatch.setattr(import_facts, "parse_facts", counting)
    assert load_facts(tmp_path, ["a.py", "b.py"], cache) == first
    assert calls == []
    (tmp_path / "b.py").write_text("Y = 2\n")
    again = load_facts(tmp_path, ["a.py", "b.py"], cache)
    assert calls == [b"Y = 2\n"]
    assert again["b.py"]["exports"] == {"Y": ["local"]}


def test_a_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import b\n")
    cache = tmp_path / "facts.json"
    cache.write_text("{not json")
    assert load_facts(tmp_path, ["a.py"], cache)["a.py"]["imports"] == [
        ["import", 0, "b", None, None]
    ]
    assert json.loads(cache.read_text())["version"] == imports.CACHE_VERSION


def reads(source: str) -> tuple[dict[str, list[list[str]]], list[str]]:
    facts = parse_facts(source.encode())
    return facts["uses"], facts["bare"]


@pytest.mark.parametrize(
    ("source", "uses", "bare"),
    [
        pytest.param(
            "import numpy as np\nimport networkx as nx\n\n"
            "def norm(x):\n    nx = np.linalg.norm(x)\n    return nx\n",
            {"np": [["linalg", "norm"]]},
            [],
            id="a local assignment shadows the module in its function",
        ),
        pytest.param(
            "import lib as l\n\ndef f(l):\n    return l.size + l\n\nlam = lambda l: l.x\n",
            {},
            [],
            id="parameters shadow, in functions and lambdas",
        ),
        pytest.param(
            "import lib\n\ndef f():\n    return lib.a\n\ndef g(lib):\n    return lib\n",
            {"lib": [["a"]]},
            [],
            id="the shadow ends with its function",
        ),
        pytest.param(
            "import lib\n\ndef outer():\n    lib = 1\n    def inner():\n        return lib.x\n",
            {},
            [],
            id="a closure sees the enclosing function's local",
        ),
        pytest.param(
            "import lib\n\ndef f():\n    global lib\n    lib = lib.reload()\n",
            {"lib": [["reload"]]},
            [],
            id="a global declaration reads the module's name",
        ),
        pytest.param(
            "import lib\n\ndef f(xs):\n    for lib in xs:\n        print(lib)\n"
            "    try:\n        pass\n    except Exception as lib:\n        raise lib\n",
            {},
            [],
            id="loop targets and except names are locals",
        ),
        pytest.param(
            "import lib\n\nA = [lib for lib in range(3)]\nB = [x for x in lib.items]\n",
            {"lib": [["items"]]},
            [],
            id="a comprehension's target is its own; its first iterable is outside",
        ),
        pytest.param(
            "import lib\n\ndef f(lib=lib.DEFAULT) -> lib.Kind:\n    return lib\n",
            {"lib": [["DEFAULT"], ["Kind"]]},
            [],
            id="defaults and annotations are read outside the function",
        ),
        pytest.param(
            "import lib\n\nclass C:\n    lib = 1\n\n    def m(self):\n        return lib.f\n",
            {"lib": [["f"]]},
            [],
            id="a method does not see the class body's names",
        ),
        pytest.param(
            "def f():\n    import lib.sub as s\n    return s.x\n\ndef g(s):\n    return s.y\n",
            {"s": [["x"]]},
            [],
            id="an import inside a function binds only there",
        ),
        pytest.param(
            "try:\n    import lib as l\nexcept ImportError:\n    l = None\n\nUSE = l\n",
            {},
            ["l"],
            id="a module-level fallback assignment still reads the import",
        ),
        pytest.param(
            "import lib\n\ndef f(xs):\n    if (lib := len(xs)):\n        return lib\n"
            "    return [y for x in xs if (lib := x) for y in lib]\n",
            {},
            [],
            id="walrus targets bind in the function",
        ),
        pytest.param(
            "import lib\n\ndef f(p):\n    match p:\n        case [lib, *rest]:\n"
            "            return lib\n        case {'k': 1, **lib}:\n            return lib\n",
            {},
            [],
            id="match captures are locals",
        ),
    ],
)
def test_reads_respect_python_scope(source: str, uses: dict[str, object], bare: list[str]) -> None:
    assert reads(source) == (uses, bare)


def test_a_shadowing_local_no_longer_makes_a_whole_module_dependency() -> None:
    g = graph(
        {
            "lib/__init__.py": "from .core import double\nfrom .other import triple\n",
            "lib/core.py": "def double(x):\n    return 2 * x\n",
            "lib/other.py": "def triple(x):\n    return 3 * x\n",
            "app/__init__.py": "",
            "app/use.py": "import lib as l\n\ndef quad(x):\n    return l.double(l.double(x))\n\n"
            "def scale(values):\n    l = max(values)\n    return [v / l for v in values]\n",
        }
    )
    assert g.depends["app/use.py"] == {"lib.core": imports.LOCAL}
    assert "app/use.py" not in g.affected({"lib.other": "lib/other.py"})
    assert g.affected({"lib.core": "lib/core.py"})["app/use.py"].full


def test_what_analysis_cannot_see_is_told_from_what_it_can() -> None:
    g = graph(
        {
            "p/__init__.py": "import importlib\n\n\ndef __getattr__(name):\n"
            "    return importlib.import_module('.' + name, __name__)\n",
            "p/a.py": "def f():\n    return 1\n",
            "p/reg.py": "R = {}\n\n\ndef register(name):\n    return lambda f: f\n",
            # a setting by name is no registration; a literal getattr is a plain read
            "p/b.py": "import p.reg as r\nfrom p import a\n\nr.R.get('x')\nY = getattr(a, 'f')\n",
            "p/c.py": "from p.reg import register\n\n\n@register('c')\ndef c():\n    return 3\n",
        }
    )
    # The __getattr__'s own import_module is judged where p is read, not in p itself.
    assert g.depends["p/__init__.py"] == {}
    # r.R.get('x') runs at import time: importing b runs code of p.reg.
    assert g.depends["p/b.py"] == {"p.reg": imports.LOCAL | imports.AT_IMPORT, "p.a": imports.LOCAL}
    assert g.fallbacks["p/reg.py"] == {
        "p.c": "p.c registers into it (@register('c')): run-time dispatch cannot be followed"
    }
    assert "p/b.py" not in g.fallbacks


def test_a_computed_relative_import_is_bounded_by_its_package() -> None:
    g = graph(
        {
            "p/__init__.py": "",
            "p/q/__init__.py": "import importlib\n\n\ndef load(n):\n"
            "    return importlib.import_module(f'.{n}', package=__name__)\n",
            "p/q/x.py": "",
            "p/y.py": "",
        }
    )
    assert g.depends["p/q/__init__.py"] == {"p.q.*": imports.WHOLE}
    assert set(g.affected({"p.q.x": "p/q/x.py"})) == {"p/q/__init__.py"}
    assert set(g.affected({"p.y": "p/y.py"})) == set()


def test_calls_made_at_import_time_spread_to_every_importer() -> None:
    g = graph(
        {
            "p/__init__.py": "from .a import fa\nfrom .b import fb\n",
            "p/a.py": "from p.c import g\n\nVALUE = g()\n\n\ndef fa():\n    return VALUE\n",
            "p/b.py": "from p.c import deco\n\n\n@deco\ndef fb():\n    return 1\n",
            "p/c.py": "def g():\n    return 1\n\n\ndef deco(f):\n    return f\n",
            "p/d.py": "from p.c import g\n\n\ndef late():\n    return g()\n",
            "tests/test_b.py": "from p import fb\n",
            "tests/test_d.py": "import p.d\n",
        }
    )
    assert g.depends["p/a.py"] == {"p.c": imports.LOCAL | imports.AT_IMPORT}
    assert g.depends["p/b.py"] == {"p.c": imports.LOCAL | imports.AT_IMPORT}
    assert g.depends["p/d.py"] == {"p.c": imports.LOCAL}  # called later, not at import
    reached = g.affected({"p.c": "p/c.py"})
    # Importing p runs a.py and b.py, which run c's code: whoever imports p is affected.
    assert reached["p/__init__.py"].full
    assert reached["tests/test_b.py"].full
    assert reached["p/d.py"].full
    # Importing p.d runs p/__init__.py first, and with it c's code.
    assert reached["tests/test_d.py"].full
    assert reached["p/d.py"].runs


def test_a_registration_is_told_by_the_registering_name() -> None:
    g = graph(
        {
            "p/__init__.py": "",
            "p/util.py": "def deprecated(msg):\n    return lambda f: f\n\n\n"
            "class Handlers:\n    def register(self, f):\n        return f\n\n\n"
            "handlers = Handlers()\n",
            # a decorator taking a message only wraps; a bare @handlers.register registers
            "p/a.py": "from p.util import deprecated\n\n\n"
            "@deprecated('use b')\ndef a():\n    pass\n",
            "p/b.py": "from p import util\n\n\n@util.handlers.register\ndef b():\n    pass\n",
        }
    )
    assert g.fallbacks["p/util.py"] == {
        "p.b": "p.b registers into it (@util.handlers.register): run-time dispatch cannot"
        " be followed"
    }
    assert set(g.affected({"p.a": "p/a.py"})) == set()
    assert set(g.affected({"p.b": "p/b.py"})) == {"p/util.py", "p/a.py"}


def test_chains_never_loop_when_a_file_is_reached_more_strongly_later() -> None:
    # c runs at import of a; p/__init__ imports a: importing p.a runs p first, which runs a.
    g = graph(
        {
            "p/__init__.py": "from .a import fa\n",
            "p/a.py": "from p.c import g\n\nX = g()\n\n\ndef fa():\n    return X\n",
            "p/c.py": "def g():\n    return 1\n",
        }
    )
    reached = g.affected({"p.c": "p/c.py"})
    for path in reached:
        seen, step = [path], path
        while step in reached:
            step = reached[step].source
            assert step not in seen, seen
            seen.append(step)
        assert step == "p/c.py"
