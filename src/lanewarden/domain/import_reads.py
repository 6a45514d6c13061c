"""Which reads in a module go through a name an import bound, by Python's scope rules.

A module that does ``import networkx as nx`` and, in one function,
``nx = np.linalg.norm(x)`` reads that function's local ``nx`` there, not the
module: only reads where the name still holds what the import bound count as
uses. Function, lambda and comprehension scopes follow Python exactly (a name
they assign or take as a parameter is theirs); the module and class bodies are
read conservatively (a name both imported and assigned there counts as the
import).

``getattr(p, "name")`` reads ``p.name``; ``getattr(p, name)`` and ``vars(p)``
read a name no analysis can know: they are returned apart (*computed*).
Calls made while the module is imported are returned too: importing the
module runs the code they call."""

from __future__ import annotations

import ast

__all__ = ["imported_reads"]


class _Scope:
    """The names one scope binds: by an import, or otherwise (assignment, parameter...)."""

    __slots__ = ("assigned", "declared_global", "declared_nonlocal", "imported", "kind", "parent")

    def __init__(self, kind: str, parent: _Scope | None) -> None:
        self.kind = kind  # "module", "function", "class" or "comprehension"
        self.parent = parent
        self.imported: set[str] = set()
        self.assigned: set[str] = set()
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()

    def holds_import(self, name: str) -> bool:
        """Whether ``name``, read in this scope, is a name an import statement bound.

        Function and comprehension scopes follow Python: a name they assign
        (parameter, target, ``def``) is theirs, whatever the module imported
        under that name. Class bodies and the module are read conservatively:
        a name both imported and assigned there still counts as the import
        (``try: import x as y`` / ``except ImportError: y = None``).
        """
        scope: _Scope | None = self
        innermost = True
        while scope is not None:
            if scope.kind == "class" and not innermost:
                scope = scope.parent  # methods do not see the class body's names
                continue
            if name in scope.declared_global:
                return name in self._module().imported
            if name not in scope.declared_nonlocal:
                if name in scope.imported:
                    return True
                if name in scope.assigned and scope.kind in ("function", "comprehension"):
                    return False
                if name in scope.assigned and scope.kind == "module":
                    return False
            scope = scope.parent
            innermost = False
        return False

    def at_import(self) -> bool:
        """Whether code in this scope runs when the module is imported (no function around it)."""
        scope: _Scope | None = self
        while scope is not None:
            if scope.kind == "function":
                return False
            scope = scope.parent
        return True

    def _module(self) -> _Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPES = (*_FUNCTIONS, ast.Lambda, ast.ClassDef, *_COMPREHENSIONS)


def imported_reads(
    tree: ast.Module,
) -> tuple[dict[str, list[list[str]]], list[str], list[str], list[str]]:
    """Chains read through imported names, names used bare, computed, called at import time.

    The last: imported names through which the module calls code while it is
    being imported (a top-level call, a decorator, a class body's call).

    A read counts only where the name, by Python's scoping, still holds what
    an import bound: a parameter or local variable that shares an imported
    module's name (``nx = norm(x)`` in a function) is not a use of it.
    """
    module = _Scope("module", None)
    scopes = [module]
    # name, chain (None: bare; () an attribute whose name is computed at run time)
    reads: list[tuple[str, tuple[str, ...] | None, _Scope]] = []
    calls: list[tuple[str, _Scope]] = []  # the name a call's callee starts with
    stack: list[tuple[ast.AST, _Scope]] = [(statement, module) for statement in tree.body]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, _SCOPES):
            inner = _Scope(_kind(node), scope)
            scopes.append(inner)
            for decorator in getattr(node, "decorator_list", []):
                called = _root_name(decorator)  # ``@deco`` calls deco, ``@deco(x)`` its result
                if called is not None:
                    calls.append((called, scope))
            stack.extend(_enter(node, scope, inner))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    plain = isinstance(node, ast.Import) and not alias.asname
                    scope.imported.add(
                        alias.name.split(".", 1)[0] if plain else alias.asname or alias.name
                    )
        elif isinstance(node, ast.Global):
            scope.declared_global.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.declared_nonlocal.update(node.names)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                reads.append((node.id, None, scope))
            else:
                scope.assigned.add(node.id)
        elif isinstance(node, ast.Attribute):
            chain: list[str] = []
            current: ast.expr = node
            while isinstance(current, ast.Attribute):
                chain.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Load):
                reads.append((current.id, tuple(reversed(chain))[:3], scope))
            else:
                stack.append((current, scope))
        elif isinstance(node, ast.Call) and not _reflective(node):
            called = _root_name(node.func)
            if called is not None:
                calls.append((called, scope))
            stack.extend((child, scope) for child in ast.iter_child_nodes(node))
        elif isinstance(node, ast.Call):
            first = node.args[0]
            assert isinstance(first, ast.Name)
            key = node.args[1] if len(node.args) > 1 else None
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                reads.append((first.id, (key.value,), scope))
            else:
                reads.append((first.id, (), scope))
            stack.extend((child, scope) for child in [node.func, *node.args[1:], *node.keywords])
        elif isinstance(node, ast.NamedExpr):
            # The target of := binds in the enclosing function, even from a comprehension.
            target = scope
            while target.kind == "comprehension" and target.parent is not None:
                target = target.parent
            target.assigned.add(node.target.id)
            stack.append((node.value, scope))
        else:
            bound = _bound_name(node)
            if bound is not None:
                scope.assigned.add(bound)
            stack.extend((child, scope) for child in ast.iter_child_nodes(node))
    for scope in scopes:  # ``global x`` then ``import x`` in a function binds the module's x
        module.imported.update(scope.imported & scope.declared_global)
    uses: dict[str, set[tuple[str, ...]]] = {}
    bare: set[str] = set()
    computed: set[str] = set()
    for name, read, scope in reads:
        if scope.holds_import(name):
            if read is None:
                bare.add(name)
            elif not read:
                computed.add(name)
            else:
                uses.setdefault(name, set()).add(read)
    chains = {k: [list(c) for c in sorted(v)] for k, v in uses.items()}
    at_import = {n for n, scope in calls if scope.at_import() and scope.holds_import(n)}
    return chains, sorted(bare), sorted(computed), sorted(at_import)


def _root_name(node: ast.expr) -> str | None:
    """The name ``a.b.c(...)``'s callee starts with (``a``), if it starts with one."""
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _reflective(node: ast.Call) -> bool:
    """``getattr(name, ...)``, ``vars(name)``: an attribute of an imported name read by value."""
    func = node.func
    if not isinstance(func, ast.Name) or not node.args or not isinstance(node.args[0], ast.Name):
        return False
    return (func.id == "getattr" and len(node.args) >= 2) or (
        func.id == "vars" and len(node.args) == 1
    )


def _kind(node: ast.AST) -> str:
    if isinstance(node, ast.ClassDef):
        return "class"
    return "function" if isinstance(node, (*_FUNCTIONS, ast.Lambda)) else "comprehension"


def _enter(node: ast.AST, outer: _Scope, inner: _Scope) -> list[tuple[ast.AST, _Scope]]:
    """The parts of a scope-making node, each with the scope it is evaluated in."""
    parts: list[tuple[ast.AST, _Scope]] = []
    if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
        outer.assigned.add(node.name)
        parts += [(d, outer) for d in node.decorator_list]
    if isinstance(node, ast.ClassDef):
        parts += [(b, outer) for b in (*node.bases, *node.keywords)]
        parts += [(s, inner) for s in node.body]
    elif isinstance(node, (*_FUNCTIONS, ast.Lambda)):
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        inner.assigned.update(a.arg for a in every)
        defaults = [d for d in (*arguments.defaults, *arguments.kw_defaults) if d is not None]
        parts += [(d, outer) for d in defaults]
        if isinstance(node, _FUNCTIONS):
            annotations = [a.annotation for a in every if a.annotation is not None]
            parts += [(a, outer) for a in (*annotations, *([node.returns] if node.returns else []))]
            parts += [(s, inner) for s in node.body]
        else:
            parts.append((node.body, inner))
    elif isinstance(node, _COMPREHENSIONS):
        # The first iterable is evaluated outside; targets, conditions and the rest inside.
        for i, generator in enumerate(node.generators):
            parts.append((generator.iter, outer if i == 0 else inner))
            parts.append((generator.target, inner))
            parts += [(condition, inner) for condition in generator.ifs]
        if isinstance(node, ast.DictComp):
            parts += [(node.key, inner), (node.value, inner)]
        else:
            parts.append((node.elt, inner))
    return parts


def _bound_name(node: ast.AST) -> str | None:
    """The name an ``except ... as``, a match capture or ``**rest`` binds, if any."""
    if isinstance(node, ast.ExceptHandler):
        return node.name
    if isinstance(node, ast.MatchAs | ast.MatchStar):
        return node.name
    if isinstance(node, ast.MatchMapping):
        return node.rest
    return None
