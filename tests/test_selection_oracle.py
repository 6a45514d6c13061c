"""Static selection against what the tests really do: random package graphs, traced at run time.

Hypothesis writes small libraries: a root package re-exporting its
subpackages (``from .sub import *`` with and without ``__all__``,
``from .sub import name``, ``from . import sub``), modules calling each
other through the root (``import pkg as p; p.name()``, ``p.sub.name()``) or
directly (``from``, ``import ... as``, dotted ``import pkg.sub.mod``), at
import time or inside functions, and test files importing in each of these
styles. One module changes; ``lanewarden select --json`` picks
the test files.

The oracle runs every test file in one fresh interpreter (each file with the
project's modules unloaded first) and traces, with ``sys.setprofile``, which
source files' code runs while the file is imported and its tests run. The
promise checked: **every test file that runs code of the changed module is
selected** -- a function or class it defines, called at import time or from
a test. The changed module is one that defines functions (a package's
``__init__.py`` here only re-exports).

"Imports reached" is not the promise: selection follows
names through re-exporting roots, so a test that imports the root (which
imports the changed module to re-export its names) but runs none of the
changed module's code is deliberately left out. The changed module's own
top-level statements are therefore not counted as run by every importer;
what they define is, when it is used.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import git
from scenario import lanewarden

TRACER = r"""
import json, os, sys, importlib.util

root = os.getcwd()
sys.path.insert(0, os.path.join(root, "src"))
traces = {}
for test in sys.argv[1:]:
    for name in [n for n in sys.modules if n == "pkg" or n.startswith(("pkg.", "test_"))]:
        del sys.modules[name]
    ran, imported = set(), set()

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            path = os.path.relpath(code.co_filename, root)
            if path.startswith(("src", "tests")):
                ran.add((path, code.co_name))

    before = set(sys.modules)
    sys.setprofile(profile)
    spec = importlib.util.spec_from_file_location("test_" + str(len(traces)), test)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in dir(module):
        if name.startswith("test"):
            getattr(module, name)()
    sys.setprofile(None)
    imported = sorted(set(sys.modules) - before)
    traces[test] = {"ran": sorted(ran), "imported": imported}
print(json.dumps(traces))
"""


@dataclass(frozen=True)
class Module:
    """``pkg/sI/mJ.py``: defines ``fI_J``; ``uses`` are earlier functions it calls."""

    sub: int
    index: int
    uses: tuple[tuple[str, str], ...]  # (function, style) it calls

    @property
    def name(self) -> str:
        return f"f{self.sub}_{self.index}"

    @property
    def dotted(self) -> str:
        return f"pkg.s{self.sub}.m{self.index}"


@st.composite
def libraries(draw: st.DrawFn) -> tuple[dict[str, str], list[str], list[str]]:
    """Files of a library and its tests; the changeable files; the test files."""
    subs = draw(st.integers(1, 3))
    counts = [draw(st.integers(1, 3)) for _ in range(subs)]
    modules = [Module(s, i, ()) for s in range(subs) for i in range(counts[s])]
    files: dict[str, str] = {"src/pkg/__init__.py": ""}
    root_exports: set[str] = set()  # functions reachable as pkg.<name>
    sub_exports: dict[int, set[str]] = {}
    root_modules: set[int] = set()  # subpackages the root binds (``from . import s0``)
    root_lines: list[str] = []
    for s in range(subs):
        mine = [m for m in modules if m.sub == s]
        style = draw(st.sampled_from(["star_all", "star", "names", "none"]))
        lines: list[str] = []
        exported: set[str] = set()
        for m in mine:
            if style in ("star_all", "star"):
                lines.append(f"from .m{m.index} import *")
                exported.add(m.name)
            elif style == "names" and draw(st.booleans()):
                lines.append(f"from .m{m.index} import {m.name}")
                exported.add(m.name)
        if style == "star_all":
            names = sorted(exported)
            lines.append(f"__all__ = {names!r}")
        files[f"src/pkg/s{s}/__init__.py"] = "\n".join(lines) + "\n"
        sub_exports[s] = exported
        root_style = draw(st.sampled_from(["star", "names", "module", "none"]))
        if root_style == "star":
            root_lines.append(f"from .s{s} import *")
            root_exports |= exported
        elif root_style == "names" and exported:
            picked = sorted(draw(st.sets(st.sampled_from(sorted(exported)), min_size=1)))
            root_lines.append(f"from .s{s} import {', '.join(picked)}")
            root_exports |= set(picked)
        elif root_style == "module":
            root_lines.append(f"from . import s{s}")
            root_modules.add(s)
    files["src/pkg/__init__.py"] = "\n".join(root_lines) + "\n"

    def call(target: Module, *, through_root: bool) -> tuple[list[str], str]:
        """Import lines and the call expression for ``target``'s function."""
        if through_root and target.name in root_exports:
            return ["import pkg as p"], f"p.{target.name}()"
        if through_root and target.sub in root_modules and target.name in sub_exports[target.sub]:
            return ["import pkg as p"], f"p.s{target.sub}.{target.name}()"
        style = draw(st.sampled_from(["from", "alias", "sub", "dotted"]))
        if style == "dotted":
            return [f"import {target.dotted}"], f"{target.dotted}.{target.name}()"
        if style == "sub" and target.name in sub_exports[target.sub]:
            return [f"from pkg.s{target.sub} import {target.name}"], f"{target.name}()"
        if style == "alias":
            alias = f"q{target.sub}_{target.index}"
            return [f"import {target.dotted} as {alias}"], f"{alias}.{target.name}()"
        return [f"from {target.dotted} import {target.name}"], f"{target.name}()"

    for m in modules:
        imports: list[str] = []
        body = ["    total = 1"]
        top: list[str] = []
        # Calls at import time only reach earlier subpackages: no import cycle. Through the
        # root too: it binds an earlier subpackage's names before it imports a later one.
        earlier = [o for o in modules if o.sub < m.sub]
        for target in draw(st.lists(st.sampled_from(earlier), max_size=2)) if earlier else []:
            lines, expression = call(target, through_root=draw(st.booleans()))
            imports += lines
            top.append(f"AT_IMPORT_{target.name} = {expression}")
        # Calls inside the function may go through the root: it is loaded by then.
        others = [o for o in modules if (o.sub, o.index) < (m.sub, m.index)]
        for target in draw(st.lists(st.sampled_from(others), max_size=2)) if others else []:
            lines, expression = call(target, through_root=draw(st.booleans()))
            imports += lines
            body.append(f"    total += {expression}")
        files[f"src/pkg/s{m.sub}/m{m.index}.py"] = (
            "\n".join(dict.fromkeys(imports))
            + "\n\n"
            + "\n".join(top)
            + f"\n\n\ndef {m.name}():\n"
            + "\n".join(body)
            + "\n    return total\n"
        )
    tests: list[str] = []
    for t in range(draw(st.integers(2, 5))):
        imports, calls = [], []
        for target in draw(st.lists(st.sampled_from(modules), min_size=1, max_size=2)):
            lines, expression = call(target, through_root=draw(st.booleans()))
            imports += lines
            calls.append(f"    assert {expression} >= 1")
        path = f"tests/test_t{t}.py"
        files[path] = (
            "\n".join(dict.fromkeys(imports)) + "\n\n\ndef test_it():\n" + "\n".join(calls) + "\n"
        )
        tests.append(path)
    changeable = sorted(p for p in files if p.startswith("src/") and "/m" in p)
    return files, changeable, tests


def trace(root: Path, tests: list[str]) -> dict[str, dict[str, list[object]]]:
    done = subprocess.run(
        [sys.executable, "-c", TRACER, *tests], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(library=libraries(), pick=st.integers(0, 10**6))
def test_every_test_that_runs_the_changed_code_is_selected(
    tmp_path_factory: object, library: tuple[dict[str, str], list[str], list[str]], pick: int
) -> None:
    files, changeable, tests = library
    root = Path(tmp_path_factory.mktemp("oracle"))  # type: ignore[attr-defined]
    files = {
        **files,
        "pyproject.toml": "[project]\nname = 'pkg'\n",
        ".gitignore": "__pycache__/\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    traces = trace(root, tests)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "library")
    changed = changeable[pick % len(changeable)]
    (root / changed).write_text(files[changed] + "\n# changed\n")
    done = lanewarden(root, "select", "--json", "--explain")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    selected = set(body["tests"]) if body["full_suite"] is None else set(tests)
    for test in tests:
        ran = {path for path, name in traces[test]["ran"] if name != "<module>"}
        assert changed not in ran or test in selected, (
            f"{test} runs {changed} but is not selected\n"
            + "\n".join(f"--- {p}\n{t}" for p, t in files.items())
            + f"\nselected: {body['tests']}\ntrace: {traces[test]}"
        )
