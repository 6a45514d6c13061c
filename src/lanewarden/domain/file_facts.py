"""What one Python file says about imports: its *facts*, from its source alone.

Facts depend on a file's content only (so they are cached by a hash of it):
its import statements, the names its top level binds, the attribute chains
it reads through imported names (by Python's scope rules), and what static
analysis cannot follow: imports of a computed name, a module ``__getattr__``,
reads with a computed attribute, a literal ``__all__``, calls made at import
time and registrations into a registry that dispatches at run time.
:mod:`lanewarden.domain.imports` resolves them into the graph.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from lanewarden.domain.import_reads import imported_reads

__all__ = ["CACHE_VERSION", "Facts", "parse_facts"]

CACHE_VERSION = 7  # 2: reads respect scope; 3: pytest_plugins strings; 4: import_module("x")
# 5: what static analysis cannot see (dynamic imports, __getattr__, __all__, registrations)
# 6: calls made at import time; 7: registrations told by name
# (bump it when resolution changes too: the kept graph is keyed on it)

Facts = dict[str, Any]  # JSON-able; see parse_facts


def parse_facts(source: bytes) -> Facts:
    """What one file says about imports; depends only on ``source``.

    ``imports``: ``[kind, level, module, name, asname]`` rows, kind
    ``import`` or ``from``; ``exports``: top-level bound name to ``["local"]``,
    ``["from", level, module, name]`` or ``["module", module]``; ``stars``:
    ``[level, module]`` of ``from X import *``; ``uses``: imported name to the
    attribute chains read through it; ``bare``: imported names used otherwise;
    ``dynamic``: ``[words, level, prefix]`` of imports of a computed name
    (``prefix`` the module all candidates lie under, None when unknown);
    ``computed``: imported names read with a computed attribute
    (``getattr(p, name)``); ``hook``: whether a module ``__getattr__`` serves
    missing names; ``all``: the literal ``__all__``, or None; ``registers``:
    ``[chain, words]`` of the registering calls the top level makes by name.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {"imports": [], "exports": {}, "stars": [], "uses": {}, "bare": []}
    imports: list[list[Any]] = []
    dynamic: list[list[Any]] = []
    hooks = [s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "__getattr__"]
    # A module __getattr__'s own dynamic imports are judged where the module is read.
    inside_hook = {id(n) for hook in hooks for n in ast.walk(hook)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _imported_by_call(node)
            if name is not None:
                imports.append(["import", 0, name, None, f" dynamic {name}"])
            elif id(node) not in inside_hook:
                computed = _computed_import(node)
                if computed is not None:
                    dynamic.append(computed)
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
    uses, bare, computed_reads, at_import = imported_reads(tree)
    imports += _pytest_plugins(tree.body)
    return {
        "imports": imports,
        "exports": exports,
        "stars": stars,
        "uses": uses,
        "bare": bare,
        "dynamic": dynamic,
        "computed": computed_reads,
        "at_import": at_import,
        "hook": bool(hooks),
        "all": _literal_all(tree.body),
        "registers": _registrations(tree.body),
    }


def _computed_import(node: ast.Call) -> list[Any] | None:
    """``[words, level, prefix]`` for ``import_module(expr)`` / ``__import__(expr)``, if computed.

    The literal start of the name (``f"pkg.plugins.{x}"``, ``"." + x``) bounds
    where the module can be: ``prefix`` is the package all candidates lie
    under (relative to ``level`` dots, as the source says), None when nothing
    bounds it.
    """
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    start = ""
    if isinstance(first, ast.JoinedStr) and first.values:
        head = first.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            start = head.value
    elif isinstance(first, ast.BinOp) and isinstance(first.op, ast.Add):
        left = first.left
        if isinstance(left, ast.Constant) and isinstance(left.value, str):
            start = left.value
    words = f"{called}({ast.unparse(first)})"
    level = len(start) - len(start.lstrip("."))
    if level and called == "__import__":
        return [words, 0, None]  # __import__ takes the level apart: not bounded here
    if level and not _anchored_here(node):
        return [words, 0, None]  # relative to a package computed elsewhere
    prefix = start[level:].rpartition(".")[0]
    return [words, level, prefix if (prefix or level) else None]


def _anchored_here(node: ast.Call) -> bool:
    """Whether a relative ``import_module`` is anchored at ``__name__`` / ``__package__``."""
    anchors = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "package")]
    return any(isinstance(a, ast.Name) and a.id in ("__name__", "__package__") for a in anchors)


def _literal_all(body: list[ast.stmt]) -> list[str] | None:
    """The names of a literal ``__all__`` (a list or tuple of strings); None otherwise."""
    names: list[str] | None = None
    for statement in body:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if isinstance(statement, ast.AnnAssign | ast.AugAssign):
            targets = [statement.target]
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        value = getattr(statement, "value", None)
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else None
        if items is None or not all(
            isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items
        ):
            return None  # computed: what a star import binds is not known
        found = [str(i.value) for i in items if isinstance(i, ast.Constant)]
        names = (names or []) + found if isinstance(statement, ast.AugAssign) else found
    return names


_REGISTERING = re.compile(r"regist|route|command|plugin|handler|hook|dispatch", re.IGNORECASE)


def _registrations(body: list[ast.stmt]) -> list[list[Any]]:
    """``[chain, words]`` of top-level statements that register the module's code somewhere.

    ``@register("fast")`` or ``@handlers.register`` on a function or class,
    ``register("fast", f)`` and ``REGISTRY["fast"] = f`` hand the module's
    code to a registry that dispatches to it at run time, where no import
    shows it. A decorator or call counts by its name (``register``,
    ``route``, ``command``, ``plugin``, ``handler``, ``hook``, ``dispatch``):
    most decorators taking a string only wrap (``@deprecated("use g")``).
    """
    found: list[list[Any]] = []

    def registering(node: ast.expr) -> bool:
        callee = node.func if isinstance(node, ast.Call) else node
        chain = _chain_of(callee)
        return bool(chain) and bool(_REGISTERING.search(chain[-1]))

    for statement in _top_level(body):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in statement.decorator_list:
                if registering(decorator):
                    callee = decorator.func if isinstance(decorator, ast.Call) else decorator
                    found.append([_chain_of(callee), "@" + ast.unparse(decorator)])
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            # ``register("fast", f)``: a name of the module handed over, not a setting.
            call = statement.value
            if registering(call) and any(isinstance(a, ast.Name) for a in call.args):
                found.append([_chain_of(call.func), ast.unparse(call)])
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                key = target.slice if isinstance(target, ast.Subscript) else None
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    assert isinstance(target, ast.Subscript)
                    found.append([_chain_of(target.value), ast.unparse(target) + " = ..."])
    return [row for row in found if row[0]]


def _chain_of(node: ast.expr) -> list[str]:
    """``a.b.c`` as ``["a", "b", "c"]``; empty when it does not start with a name."""
    chain: list[str] = []
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    return [node.id, *reversed(chain)]


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
