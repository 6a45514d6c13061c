"""The static import graph: which files depend on which modules.

Each file is parsed once with :mod:`ast` into *facts* that depend on its
content only (its imports, the names its top level binds, and the attribute
chains it reads through imported names); :mod:`lanewarden.adapters.import_facts`
reads the files and caches their facts by a hash of the content, so a
repeated run parses only what changed.

Resolving facts into dependencies follows re-exports. A library whose root
``lib/__init__.py`` does ``from .sub import func`` and whose modules do
``import lib as l; l.func()`` depends on ``lib.sub``, not on ``lib`` and
through it on every subpackage: an imported name is followed to the module
that defines it, and a module object is depended on as a whole only when it
is used bare (passed around, star-imported) or never used at all.

Reads follow Python's scoping: a parameter or local variable that shares an
imported module's name is not a use of that module.

Where static analysis cannot see, a dependency falls back to a coarser one
and keeps why (``fallbacks``): a name a module ``__getattr__`` serves, a
``getattr(p, name)`` with a computed name, ``importlib.import_module`` or
``__import__`` of a computed name, a name a ``from x import *`` without
``__all__`` may bind, and a module registering its functions by name into
another (``@register("fast")``: the registry dispatches to them at run time).
Such a file depends on every module under the package concerned (a
*subtree*, ``pkg.*``; ``*`` for the whole project). A library file's subtree
stands for the library's code: a test, a helper among tests or a
``conftest.py`` is nothing the library loads, so a change to one enters a
subtree only for the test-side files depending on it (a test importing a
computed name may load a helper).

Test files are nodes like any other: an absolute import in a test file is
first looked up in the folder pytest puts on ``sys.path`` for it (its
basedir), and a ``conftest.py``'s ``pytest_plugins`` strings count as imports.
Each dependency keeps how the file uses the module (``uses p.foo``), for
explanations.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace

from lanewarden.domain.file_facts import CACHE_VERSION, Facts, parse_facts
from lanewarden.domain.packages import is_test_path

__all__ = ["CACHE_VERSION", "Facts", "ImportGraph", "parse_facts"]

_MAX_DEPTH = 12  # re-export hops followed before giving up (guards cycles)

# How a file uses a module it depends on (bit flags).
LOCAL = 1  # names the module itself defines
WHOLE = 2  # the module as a whole: used bare, star-imported, imported for effect
REEXPORT = 4  # an __init__.py re-exports names from it without using them
AT_IMPORT = 8  # code of it runs while the file is imported (a top-level call, a decorator)
_REEXPORT, _FULL, _IMPORT = 1, 2, 3  # how affected a module is (_IMPORT: importing it runs it)

# Where a name leads: the module, whether it is a module object, and why static
# analysis cannot see it ("" when it can; the module is then a subtree ``pkg.*``).
_Found = tuple[str, bool, str]


@dataclass(frozen=True)
class Reach:
    """How a file was reached: it imports ``module``, which ``source`` defines.

    ``full`` is False for a package ``__init__.py`` reached only because it
    re-exports a name: its own code is not affected, so it selects nothing.
    ``runs`` is True when importing the file runs changed code.
    """

    module: str
    source: str
    full: bool = True
    runs: bool = False  # importing the file runs changed code (a call at import time)


class ImportGraph:
    """Files and the modules they depend on, with re-exports resolved."""

    def __init__(
        self,
        facts: Mapping[str, Facts],
        module_names: Mapping[str, str | None],
        basedirs: Mapping[str, str] | None = None,
    ) -> None:
        self.facts = facts
        self.module_names = module_names
        self.basedirs = basedirs or {}
        self.modules = {name: path for path, name in module_names.items() if name}
        self._memo: dict[tuple[str, str], _Found | None] = {}
        self.depends: dict[str, dict[str, int]] = {}  # file -> module -> USE flags
        self.importers: dict[str, dict[str, int]] = {}  # module -> file -> USE flags
        self.how: dict[str, dict[str, str]] = {}  # file -> module -> how it uses it, in words
        # file -> module or subtree -> why static analysis fell back to it
        self.fallbacks: dict[str, dict[str, str]] = {}
        self._registries: list[tuple[str, str, str]] = []  # registry module, file, words
        for path, file_facts in facts.items():
            self.depends[path] = self._dependencies(path, file_facts)
        for registry, path, words in self._registries:
            # The registry dispatches to the file's code by name: it depends on the file.
            source = self.modules.get(registry)
            name = self.module_names.get(path)
            if source is None or not name or source == path:
                continue
            self.depends[source][name] = self.depends[source].get(name, 0) | WHOLE
            reason = f"{name} registers into it ({words}): run-time dispatch cannot be followed"
            self.how[source].setdefault(name, reason)
            self.fallbacks.setdefault(source, {})[name] = reason
        for path, deps in self.depends.items():
            for module, flags in deps.items():
                self.importers.setdefault(module, {})[path] = flags
        # Subtrees some file depends on whole: affected when any module under them is.
        self._subtrees = {m for m in self.importers if m == "*" or m.endswith(".*")}

    @classmethod
    def restore(
        cls,
        module_names: Mapping[str, str | None],
        basedirs: Mapping[str, str],
        depends: dict[str, dict[str, int]],
        how: dict[str, dict[str, str]],
        fallbacks: dict[str, dict[str, str]],
        importers: dict[str, dict[str, int]],
    ) -> ImportGraph:
        """The graph as resolved before (its tables, as kept), not resolved again.

        It holds no facts: it answers who depends on what, not re-exports.
        """
        graph = cls({}, module_names, basedirs)
        graph.depends, graph.how, graph.fallbacks = depends, how, fallbacks
        graph.importers = importers
        graph._subtrees = {m for m in graph.importers if m == "*" or m.endswith(".*")}
        return graph

    def affected(self, seeds: Mapping[str, str]) -> dict[str, Reach]:
        """Files that depend, transitively, on the seed modules (module → its file).

        A file using a module's own names is affected when that module's code
        is; a file using the module as a whole (bare, star) when anything in
        it is; an ``__init__.py`` that merely re-exports a name from an
        affected module is reached but not affected (``Reach.full`` False).
        """
        origin = dict(seeds)
        level = dict.fromkeys(seeds, _FULL)  # module -> how affected
        queue = deque(seeds)
        reached: dict[str, Reach] = {}
        strengths: dict[str, int] = {}  # file -> how affected
        seed_files = set(seeds.values())
        tests_only: set[str] = set()  # subtrees entered only from test-side files
        while queue:
            module = queue.popleft()
            strength = level[module]
            if self._subtrees:
                self._enter_subtrees(module, level, origin, queue, tests_only)
            for path, flags in sorted(self.importers.get(module, {}).items()):
                if path in seed_files:
                    continue
                if module in tests_only and not is_test_path(path):
                    continue  # a library file's fallback stands for library code, not tests
                if strength == _IMPORT or (flags & AT_IMPORT and strength >= _FULL):
                    new = _IMPORT  # importing the file runs affected code
                elif flags & WHOLE or (flags & LOCAL and strength >= _FULL):
                    new = _FULL
                elif flags & REEXPORT:
                    new = _REEXPORT
                else:
                    continue  # uses only the module's own names, and its code is unchanged
                if strengths.get(path, 0) >= new:
                    continue
                strengths[path] = new
                # The first way a file is reached is kept: it leads back to a changed file
                # through files reached before it, so a chain never loops.
                reached.setdefault(path, Reach(module, origin[module]))
                name = self.module_names.get(path)
                if name and level.get(name, 0) < new:
                    level[name] = new
                    origin[name] = path
                    queue.append(name)
                if new == _IMPORT and name and path.endswith("__init__.py"):
                    # Importing anything under a package runs its __init__.py first.
                    for inner in self._inside(name):
                        inner_path = self.modules[inner]
                        if inner_path in seed_files or strengths.get(inner_path, 0) >= _IMPORT:
                            continue
                        strengths[inner_path] = _IMPORT
                        reached.setdefault(inner_path, Reach(name, path))
                        level[inner], origin[inner] = _IMPORT, inner_path
                        queue.append(inner)
        return {
            path: replace(reach, full=strengths[path] >= _FULL, runs=strengths[path] == _IMPORT)
            for path, reach in reached.items()
        }

    def _inside(self, package: str) -> list[str]:
        """The modules under ``package`` (its submodules, theirs, ...)."""
        prefix = package + "."
        return [name for name in self.modules if name.startswith(prefix)]

    def _enter_subtrees(
        self,
        module: str,
        level: dict[str, int],
        origin: dict[str, str],
        queue: deque[str],
        tests_only: set[str],
    ) -> None:
        """An affected module affects every subtree holding it (``pkg.*``, ``*``).

        A test-side module (its file a test, a helper among tests, a
        ``conftest.py``) enters a subtree for the test-side files depending on
        it only (``tests_only``); a library module enters it for every file.
        """
        test_side = module in tests_only or is_test_path(origin[module])
        parts = module.split(".")
        for key in ["*", *(".".join(parts[: i + 1]) + ".*" for i in range(len(parts)))]:
            if key not in self._subtrees:
                continue
            if key in level and (test_side or key not in tests_only):
                continue  # entered already, for as many files
            if test_side:
                tests_only.add(key)
            else:
                tests_only.discard(key)
            level[key] = _FULL
            origin[key] = origin[module]
            queue.append(key)

    def _dependencies(self, path: str, facts: Facts) -> dict[str, int]:
        package = self._package_of(path)
        hub = path.endswith("/__init__.py") or path == "__init__.py"
        deps: dict[str, int] = {}
        how: dict[str, str] = {}
        self.how[path] = how
        local = self.basedirs.get(path)

        def add(module: str, flag: int, words: str) -> None:
            deps[module] = deps.get(module, 0) | flag
            how.setdefault(module, words)

        def fall_back(subtree: str, words: str) -> None:
            """Static analysis cannot see here: depend on every module under ``subtree``."""
            whole = "all of the project" if subtree == "*" else f"all of {subtree[:-2]}"
            reason = f"{words}: cannot resolve statically, depends on {whole}"
            add(subtree, WHOLE, reason)
            self.fallbacks.setdefault(path, {}).setdefault(subtree, reason)

        for words, level, prefix in facts.get("dynamic", []):
            anchor = self._absolute(package, level, prefix) if prefix is not None else None
            if level == 0 and prefix:
                anchor = prefix
            internal = anchor is not None and self._is_internal(anchor)
            if anchor is None or internal:
                fall_back(f"{anchor}.*" if anchor else "*", words)

        uses, bare = facts["uses"], set(facts["bare"])
        bindings: dict[str, str] = {}  # imported name -> module object it holds
        statements: dict[str, str] = {}  # imported name -> the import, as the source says it
        implicit: set[str] = set()  # names bound by a plain ``import a.b`` (already a dep)
        reexported: set[str] = set()  # an __init__'s imported names its code never uses
        defined_in: dict[str, str] = {}  # a name imported from a module -> that module
        for kind, level, module, name, asname in facts["imports"]:
            spelled = "." * level + module  # as the source says it, for explanations
            base = self._absolute(package, level, module)
            if base is not None and level == 0 and local is not None:
                base = self._on_basedir(local, base)
            if base is None or not self._is_internal(base):
                continue
            statements.setdefault(asname or (name or module).split(".")[0], f"import {spelled}")
            if kind == "import":
                if asname:
                    bindings[asname] = base
                    implicit.discard(asname)
                else:
                    top = base.split(".", 1)[0]
                    if top != base:
                        add(base, LOCAL, f"import {module}")  # loads a.b, binds ``a``
                        if top not in bindings:
                            implicit.add(top)
                    bindings.setdefault(top, top)
            elif name == "*":
                add(base, REEXPORT if hub else WHOLE, f"from {spelled} import *")
            else:
                bound = asname or name
                unused = hub and bound not in uses and bound not in bare
                target, is_module, blind = self._resolve(base, name)
                if blind:
                    fall_back(target, f"from {spelled} import {name}, {blind}")
                elif is_module:
                    bindings[bound] = target
                    implicit.discard(bound)
                    if unused:
                        reexported.add(bound)
                else:
                    add(target, REEXPORT if unused else LOCAL, f"from {spelled} import {name}")
                    defined_in[bound] = target
        computed = set(facts.get("computed", []))
        for bound, module in bindings.items():
            chains = uses.get(bound, [])
            if bound in bare:
                add(module, WHOLE, f"uses {bound}")
            elif not chains and bound not in implicit and bound not in computed:
                words = statements.get(bound, f"import {module}")
                add(module, REEXPORT if bound in reexported else WHOLE, words)
            if bound in computed:
                fall_back(f"{module}.*", f"getattr({bound}, name)")
            for chain in chains:
                target, is_module, blind = self._resolve_chain(module, chain)
                words = ".".join([bound, *chain])
                if blind:
                    fall_back(target, f"uses {words}, {blind}")
                else:
                    add(target, WHOLE if is_module else LOCAL, "uses " + words)
        for bound in facts.get("at_import", []):
            # Importing this file runs code of what ``bound`` leads to.
            module = bindings.get(bound)
            targets = [defined_in[bound]] if bound in defined_in else []
            if module is not None:
                targets.append(module)
                targets += [self._resolve_chain(module, c)[0] for c in uses.get(bound, [])]
            for target in targets:
                if target in deps:
                    deps[target] |= AT_IMPORT
        for chain, words in facts.get("registers", []):
            module = bindings.get(chain[0])
            if module is not None:
                target, _, blind = self._resolve_chain(module, chain[1:])
                if not blind:
                    self._registries.append((target, path, words))
            elif chain[0] in defined_in:
                self._registries.append((defined_in[chain[0]], path, words))
        deps.pop(self.module_names.get(path) or "", None)
        return deps

    def _on_basedir(self, basedir: str, module: str) -> str:
        """``module`` as a test file imports it: from its basedir first, as pytest puts it."""
        top, _, rest = module.partition(".")
        prefix = basedir + "/" if basedir else ""
        for candidate in (f"{prefix}{top}.py", f"{prefix}{top}/__init__.py"):
            name = self.module_names.get(candidate)
            if name:
                return name + ("." + rest if rest else "")
        return module

    def _resolve_chain(self, module: str, chain: list[str]) -> _Found:
        for attr in chain:
            target, is_module, blind = self._resolve(module, attr)
            if blind or not is_module:
                return target, is_module, blind
            module = target
        return module, True, ""

    def _resolve(self, module: str, name: str) -> _Found:
        """Where ``module.name`` is defined, and whether it is a module object.

        The third item, when not empty, says why static analysis cannot see
        where: the first item is then the subtree depended on instead.
        """
        return self._lookup(module, name, 0) or (module, False, "")

    def _lookup(self, module: str, name: str, depth: int) -> _Found | None:
        key = (module, name)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a cycle of re-exports finds nothing on its way back
        found = self._find(module, name, depth)
        self._memo[key] = found
        return found

    def _find(self, module: str, name: str, depth: int) -> _Found | None:
        """Follow ``module``'s own binding of ``name``, then its star imports; None if unbound.

        The last star import that can bind the name wins, as at run time; one
        whose source has a literal ``__all__`` binds only those names. A name
        found nowhere, in a module that a ``__getattr__`` or a star import
        without ``__all__`` may complete at run time, falls back to the subtree.
        """
        submodule = f"{module}.{name}"
        if submodule in self._packages:
            return submodule, True, ""
        path = self.modules.get(module)
        facts = self.facts.get(path) if path is not None else None
        if facts is None or depth > _MAX_DEPTH:
            return None
        package = self._package_of(path or "")
        export = facts["exports"].get(name)
        if export is not None:
            if export[0] == "from":
                source = self._absolute(package, export[1], export[2])
                if source is not None and self._is_internal(source):
                    return self._lookup(source, export[3], depth + 1) or (source, False, "")
            elif export[0] == "module" and self._is_internal(export[1]):
                return export[1], True, ""
            return module, False, ""
        unbounded = []
        for level, star in reversed(facts["stars"]):
            source = self._absolute(package, level, star)
            if source is None or not self._is_internal(source):
                continue
            names = self._all_of(source)
            if names is not None and name not in names:
                continue
            found = self._lookup(source, name, depth + 1)
            if found is not None:
                return found
            if names is None:
                unbounded.append(source)
        if facts.get("hook"):
            return f"{module}.*", False, f"served by {module}.__getattr__"
        if unbounded:
            source = unbounded[-1]
            star = f"from {source} import * without __all__"
            return f"{source}.*", False, f"maybe bound by {star}"
        return None

    def _all_of(self, module: str) -> list[str] | None:
        path = self.modules.get(module)
        facts = self.facts.get(path) if path is not None else None
        return None if facts is None else facts.get("all")

    def _package_of(self, path: str) -> str | None:
        name = self.module_names.get(path)
        if name is None:
            return None
        return name if path.endswith("/__init__.py") else name.rpartition(".")[0]

    @staticmethod
    def _absolute(package: str | None, level: int, module: str) -> str | None:
        if level == 0:
            return module or None
        if package is None:
            return None
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        return ".".join([*base, module] if module else base) or None

    @functools.cached_property
    def _packages(self) -> set[str]:
        """Every module and package name of the project (a restored graph never needs them)."""
        return {
            ".".join(name.split(".")[: i + 1])
            for name in self.modules
            for i in range(name.count(".") + 1)
        }

    def _is_internal(self, module: str) -> bool:
        return module.split(".", 1)[0] in self._packages
