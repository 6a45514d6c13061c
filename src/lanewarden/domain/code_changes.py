"""What changed in one Python file, in the terms a coverage map can judge.

Two versions of a module are compared as syntax trees, not as text, so
comments, blank lines and formatting are no change at all:

- the module's *outline* (every statement that runs at import: imports,
  constants, class bodies, decorators, default values, signatures; every
  function body left out) differs: the change is module-level;
- otherwise the functions are paired in order, and a function whose own code
  differs (its body, with the bodies of the functions it defines left out)
  is changed as a whole; one whose docstring alone differs is changed for the
  readers of its docstring only, and the functions it defines are compared in
  turn.

In a test file, a new test function or method (named ``test*``, no decorator
but ``pytest.mark``'s, constant default values, a name the old file's code
never looks up) is a new test, not a module-level change: pytest collects it,
and nothing else in the file can reach it.

Pure: the caller reads both versions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["DOC_READERS", "FileChange", "analyse_change", "reads_docstrings", "unjudged"]

_LOCALS = ".<locals>."  # between a function's qualified name and its inner functions' names
_Def = ast.FunctionDef | ast.AsyncFunctionDef

# A line that may read a docstring names one of these (a POSIX extended regex, for git grep);
# one that only assigns ``x.__doc__ = ...`` writes one, which a changed docstring cannot reach.
DOC_READERS = r"__doc__|(^|[^A-Za-z0-9_])((getdoc|pydoc|doctest)([^A-Za-z0-9_]|$)|help\()"
_READER = re.compile(DOC_READERS.encode())
_DOC_ASSIGNED = re.compile(rb"__doc__\s*=(?!=)")


@dataclass(frozen=True)
class FileChange:
    """What the map can say about one changed file."""

    path: str
    regions: frozenset[int] = frozenset()  # map-tree lines of the functions whose code changed
    functions: frozenset[str] = frozenset()  # their qualified names, and those of ``documented``
    documented: frozenset[str] = frozenset()  # functions whose docstring alone changed
    new_tests: frozenset[str] = frozenset()  # names of new test functions and methods
    module_level: bool = False
    fallback: str | None = None  # why the static rule decides for this file

    @property
    def judged(self) -> bool:
        """Whether the map refines the tests this file's change selects."""
        return self.fallback is None and not self.module_level


def unjudged(path: str, why: str) -> FileChange:
    """A change the map cannot judge: the static rule decides for ``path``."""
    return FileChange(path, fallback=why)


@dataclass
class _Function:
    name: str  # qualified, as a doctest or a traceback names it
    node: _Def


def analyse_change(path: str, old: bytes, new: bytes, *, test_file: bool = False) -> FileChange:
    """The changed functions of ``path`` (lines as in ``old``), or that it is module-level."""
    try:
        return _compared(path, ast.parse(old), ast.parse(new), test_file)
    except (SyntaxError, ValueError, RecursionError) as error:
        return FileChange(path, fallback=f"not parseable ({type(error).__name__})")


def _compared(path: str, before: ast.Module, after: ast.Module, test_file: bool) -> FileChange:
    """:func:`analyse_change` of the parsed versions."""
    old_functions = _functions(before.body, "")
    new_tests: set[str] = set()
    if test_file:
        new_tests = _drop_new_tests(after, {f.name for f in old_functions}, _referenced(before))
    new_functions = _functions(after.body, "")
    if _outline(before, old_functions) != _outline(after, new_functions):
        return FileChange(path, module_level=True)
    code: set[int] = set()
    names: set[str] = set()
    documented: set[str] = set()
    pairs = list(zip(old_functions, new_functions, strict=True))
    while pairs:
        was, now = pairs.pop()
        was_inner = _functions(was.node.body, was.name + _LOCALS)
        now_inner = _functions(now.node.body, now.name + _LOCALS)
        was_doc, was_code = _own_code(was.node, was_inner)
        now_doc, now_code = _own_code(now.node, now_inner)
        if was_code != now_code or was_doc != now_doc:
            lines = _body_lines(was.node)
            if not lines:  # the body shares the def's line, which runs at import
                return FileChange(path, module_level=True)
            names.add(was.name)
            if was_code != now_code:
                code |= lines
            else:
                documented.add(was.name)
        if was_code == now_code:  # else the inner functions' lines are the function's already
            pairs += zip(was_inner, now_inner, strict=True)
    return FileChange(
        path,
        regions=frozenset(code),
        functions=frozenset(names),
        documented=frozenset(documented),
        new_tests=frozenset(new_tests),
    )


def _functions(body: list[ast.stmt], prefix: str) -> list[_Function]:
    """The functions defined in ``body`` (through classes and blocks, not other functions)."""
    found: list[_Function] = []
    stack: list[tuple[ast.AST, str]] = [(node, prefix) for node in reversed(body)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _Def):
            found.append(_Function(where + node.name, node))
        elif isinstance(node, ast.ClassDef):
            stack += [(child, f"{where}{node.name}.") for child in reversed(node.body)]
        else:
            stack += [(child, where) for child in reversed(list(ast.iter_child_nodes(node)))]
    return found


def _outline(tree: ast.Module, functions: list[_Function]) -> str:
    """The module's code with every function body left out (what runs at import)."""
    with _bodies_left_out(functions):
        return ast.dump(tree)


def _own_code(node: _Def, inner: list[_Function]) -> tuple[str, str]:
    """A function's docstring, and its other code with its inner functions' bodies left out."""
    body = node.body
    doc = ast.get_docstring(node, clean=False) or ""
    if doc:
        body = body[1:]
    with _bodies_left_out(inner):
        return doc, "\n".join(ast.dump(stmt) for stmt in body)


@contextmanager
def _bodies_left_out(functions: list[_Function]) -> Iterator[None]:
    """Empty the functions' bodies for a dump, and put them back after."""
    bodies = [f.node.body for f in functions]
    for function in functions:
        function.node.body = []
    try:
        yield
    finally:
        for function, body in zip(functions, bodies, strict=True):
            function.node.body = body


def _body_lines(node: _Def) -> set[int]:
    """The lines of a function's body that are not also its signature's."""
    first = max(min(_first_line(stmt) for stmt in node.body), _signature_end(node) + 1)
    return set(range(first, (node.end_lineno or 0) + 1))


def _signature_end(node: _Def) -> int:
    """The last line of a def's signature (defaults, annotations)."""
    parts: list[ast.AST] = [*ast.iter_child_nodes(node.args), *node.decorator_list]
    if node.returns is not None:
        parts.append(node.returns)
    ends: list[int] = [node.lineno]
    for part in parts:
        end = getattr(part, "end_lineno", None)
        ends.append(end if isinstance(end, int) else node.lineno)
    return max(ends)


def _first_line(stmt: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _drop_new_tests(tree: ast.Module, old_names: set[str], referenced: set[str]) -> set[str]:
    """Take the new tests out of a test file's new tree (they change nothing else); their names.

    A new method may override a test a subclass (or one inheriting from several
    classes) ran until now: the caller keeps every test of that name.
    """
    names: set[str] = set()
    stack: list[tuple[list[ast.stmt], str]] = [(tree.body, "")]
    while stack:
        body, prefix = stack.pop()
        for node in list(body):
            if isinstance(node, ast.ClassDef) and not prefix:
                stack.append((node.body, node.name + "."))
            elif isinstance(node, _Def) and _is_new_test(node, prefix, old_names, referenced):
                body.remove(node)
                names.add(node.name)
    return names


def _is_new_test(node: _Def, prefix: str, old_names: set[str], referenced: set[str]) -> bool:
    defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
    return (
        node.name.startswith("test")
        and prefix + node.name not in old_names
        and all(_is_mark(decorator) for decorator in node.decorator_list)
        and all(isinstance(default, ast.Constant) for default in defaults)  # nothing runs
        and node.name not in referenced
    )


def _referenced(tree: ast.Module) -> set[str]:
    """The names a module's code looks up: variables, attributes, strings (``getattr``).

    A method of the same name in another class is no reference: the tests of
    that name are kept by name, in case the new one overrides one inherited.
    """
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return names


def _is_mark(decorator: ast.expr) -> bool:
    """``@pytest.mark.x``, ``@mark.x(...)``: it marks the test, and does nothing else."""
    while isinstance(decorator, ast.Call):
        decorator = decorator.func
    names: list[str] = []
    while isinstance(decorator, ast.Attribute):
        names.append(decorator.attr)
        decorator = decorator.value
    if isinstance(decorator, ast.Name):
        names.append(decorator.id)
    names.reverse()
    return names[:2] == ["pytest", "mark"] or (names[:1] == ["mark"] and len(names) > 1)


def reads_docstrings(line: bytes) -> bool:
    """Whether a line of source may read a docstring (not only set one)."""
    return _READER.search(_DOC_ASSIGNED.sub(b"", line)) is not None
