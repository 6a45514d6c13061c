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

Test files are nodes like any other: an absolute import in a test file is
first looked up in the folder pytest puts on ``sys.path`` for it (its
basedir), and a ``conftest.py``'s ``pytest_plugins`` strings count as imports.
Each dependency keeps how the file uses the module (``uses p.foo``), for
explanations.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lanewarden.domain.import_reads import imported_reads

__all__ = ["CACHE_VERSION", "Facts", "ImportGraph", "parse_facts"]

CACHE_VERSION = 4  # 2: reads respect scope; 3: pytest_plugins strings; 4: import_module("x")
_MAX_DEPTH = 12  # re-export hops followed before giving up (guards cycles)

# How a file uses a module it depends on (bit flags).
LOCAL = 1  # names the module itself defines
WHOLE = 2  # the module as a whole: used bare, star-imported, imported for effect
REEXPORT = 4  # an __init__.py re-exports names from it without using them
_REEXPORT, _FULL = 1, 2  # how affected a module is

Facts = dict[str, Any]  # JSON-able; see parse_facts


def parse_facts(source: bytes) -> Facts:
    """What one file says about imports; depends only on ``source``.

    ``imports``: ``[kind, level, module, name, asname]`` rows, kind
    ``import`` or ``from``; ``exports``: top-level bound name to ``["local"]``,
    ``["from", level, module, name]`` or ``["module", module]``; ``stars``:
    ``[level, module]`` of ``from X import *``; ``uses``: imported name to the
    attribute chains read through it; ``bare``: imported names used otherwise.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {"imports": [], "exports": {}, "stars": [], "uses": {}, "bare": []}
    imports: list[list[Any]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _imported_by_call(node)
            if name is not None:
                imports.append(["import", 0, name, None, f" dynamic {name}"])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imports.append(["import", 0, alias.name, None, alias.asname])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imports.append(["from", node.level, node.module or "", alias.name, alias.asname])
    exports: dict[str, list[Any]] = {}
    stars: list[list[Any]] = []
    for statement in _top_level(tree.body):
        _record_export(statement, exports, stars)
    uses, bare = imported_reads(tree)
    imports += _pytest_plugins(tree.body)
    return {"imports": imports, "exports": exports, "stars": stars, "uses": uses, "bare": bare}


def _imported_by_call(node: ast.Call) -> str | None:
    """The module ``importlib.import_module("a.b")`` or ``__import__("a.b")`` names, if literal.

    A name computed at run time cannot be followed; only literal strings count.
    """
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    # A relative name is relative to a package given at run time: not followed.
    if (
        isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and not first.value.startswith(".")
    ):
        return first.value
    return None


def _pytest_plugins(body: list[ast.stmt]) -> list[list[Any]]:
    """``pytest_plugins = ["pkg.fixtures"]`` loads those modules: import rows for them.

    Each is bound to a name no code reads, so the file depends on the module whole.
    """
    rows: list[list[Any]] = []
    for statement in body:
        if not isinstance(statement, ast.Assign | ast.AnnAssign):
            continue
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if not any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in targets):
            continue
        value = statement.value
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        for item in items:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                rows.append(["import", 0, item.value, None, f" pytest_plugins {item.value}"])
    return rows


def _top_level(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", []):
                yield from _top_level(handler.body)


def _record_export(
    statement: ast.stmt, exports: dict[str, list[Any]], stars: list[list[Any]]
) -> None:
    if isinstance(statement, ast.ImportFrom):
        for alias in statement.names:
            if alias.name == "*":
                stars.append([statement.level, statement.module or ""])
            else:
                exports[alias.asname or alias.name] = [
                    "from",
                    statement.level,
                    statement.module or "",
                    alias.name,
                ]
    elif isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.asname:
                exports[alias.asname] = ["module", alias.name]
    elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        exports[statement.name] = ["local"]
    elif isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    exports[name.id] = ["local"]


@dataclass(frozen=True)
class Reach:
    """How a file was reached: it imports ``module``, which ``source`` defines.

    ``full`` is False for a package ``__init__.py`` reached only because it
    re-exports a name: its own code is not affected, so it selects nothing.
    """

    module: str
    source: str
    full: bool = True


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
        self._internal = {
            ".".join(name.split(".")[: i + 1])
            for name in self.modules
            for i in range(name.count(".") + 1)
        }
        self._memo: dict[tuple[str, str], tuple[str, bool] | None] = {}
        self.depends: dict[str, dict[str, int]] = {}  # file -> module -> USE flags
        self.importers: dict[str, dict[str, int]] = {}  # module -> file -> USE flags
        self.how: dict[str, dict[str, str]] = {}  # file -> module -> how it uses it, in words
        for path, file_facts in facts.items():
            deps = self._dependencies(path, file_facts)
            self.depends[path] = deps
            for module, flags in deps.items():
                self.importers.setdefault(module, {})[path] = flags

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
        seed_files = set(seeds.values())
        while queue:
            module = queue.popleft()
            strength = level[module]
            for path, flags in sorted(self.importers.get(module, {}).items()):
                if path in seed_files:
                    continue
                if flags & WHOLE or (flags & LOCAL and strength == _FULL):
                    new = _FULL
                elif flags & REEXPORT:
                    new = _REEXPORT
                else:
                    continue  # uses only the module's own names, and its code is unchanged
                current = reached.get(path)
                if current is not None and (current.full or new == _REEXPORT):
                    continue
                reached[path] = Reach(module, origin[module], full=new == _FULL)
                name = self.module_names.get(path)
                if name and level.get(name, 0) < new:
                    level[name] = new
                    origin[name] = path
                    queue.append(name)
        return reached

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

        uses, bare = facts["uses"], set(facts["bare"])
        bindings: dict[str, str] = {}  # imported name -> module object it holds
        statements: dict[str, str] = {}  # imported name -> the import, as the source says it
        implicit: set[str] = set()  # names bound by a plain ``import a.b`` (already a dep)
        reexported: set[str] = set()  # an __init__'s imported names its code never uses
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
                target, is_module = self._resolve(base, name)
                if is_module:
                    bindings[bound] = target
                    implicit.discard(bound)
                    if unused:
                        reexported.add(bound)
                else:
                    add(target, REEXPORT if unused else LOCAL, f"from {spelled} import {name}")
        for bound, module in bindings.items():
            chains = uses.get(bound, [])
            if bound in bare:
                add(module, WHOLE, f"uses {bound}")
            elif not chains and bound not in implicit:
                words = statements.get(bound, f"import {module}")
                add(module, REEXPORT if bound in reexported else WHOLE, words)
            for chain in chains:
                target, is_module = self._resolve_chain(module, chain)
                add(target, WHOLE if is_module else LOCAL, "uses " + ".".join([bound, *chain]))
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

    def _resolve_chain(self, module: str, chain: list[str]) -> tuple[str, bool]:
        for attr in chain:
            target, is_module = self._resolve(module, attr)
            if not is_module:
                return target, False
            module = target
        return module, True

    def _resolve(self, module: str, name: str) -> tuple[str, bool]:
        """Where ``module.name`` is defined, and whether it is a module object."""
        return self._lookup(module, name, 0) or (module, False)

    def _lookup(self, module: str, name: str, depth: int) -> tuple[str, bool] | None:
        key = (module, name)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a cycle of re-exports finds nothing on its way back
        found = self._find(module, name, depth)
        self._memo[key] = found
        return found

    def _find(self, module: str, name: str, depth: int) -> tuple[str, bool] | None:
        """Follow ``module``'s own binding of ``name``, then its star imports; None if unbound."""
        submodule = f"{module}.{name}"
        if submodule in self._internal:
            return submodule, True
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
                    return self._lookup(source, export[3], depth + 1) or (source, False)
            elif export[0] == "module" and self._is_internal(export[1]):
                return export[1], True
            return module, False
        for level, star in facts["stars"]:
            source = self._absolute(package, level, star)
            if source is not None and self._is_internal(source):
                found = self._lookup(source, name, depth + 1)
                if found is not None:
                    return found
        return None

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

    def _is_internal(self, module: str) -> bool:
        return module.split(".", 1)[0] in self._internal
