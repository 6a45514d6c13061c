"""The layering the code relies on, checked from the source itself.

``domain`` holds pure rules: it never imports ``adapters`` or ``cli``;
``adapters`` never import ``cli``; no two modules import each other (even
lazily, inside a function); every handler the parser names can be imported;
the package's version has one source.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.metadata
import sys
from pathlib import Path

import pytest

import lanewarden
from lanewarden.cli.parser import build_parser

SRC = Path(lanewarden.__file__).resolve().parent.parent
PYPROJECT = SRC.parent / "pyproject.toml"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Every module the code can import when it runs, at the top or inside a function.

    Imports under ``if TYPE_CHECKING:`` only feed the type checker, so they do
    not count; ``from a import b`` counts as ``a`` and as ``a.b`` (b may be a module).
    """
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {
        _module_name(path): _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted((SRC / "lanewarden").rglob("*.py"))
    }
    return {name: {d for d in deps if d in modules and d != name} for name, deps in modules.items()}


GRAPH = _graph()


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("lanewarden.domain", ("lanewarden.adapters", "lanewarden.cli")),
        ("lanewarden.adapters", ("lanewarden.cli",)),
    ],
)
def test_layers_import_only_downwards(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        f"{module} imports {dependency}"
        for module, dependencies in GRAPH.items()
        if module == layer or module.startswith(layer + ".")
        for dependency in dependencies
        if dependency.startswith(forbidden)
    }
    assert wrong == set()


def test_the_graph_is_read_from_every_module() -> None:
    # The walk finds lazy imports too: the hook imports its check inside run().
    assert "lanewarden.cli.commit_rules" in GRAPH["lanewarden.cli.precommit"]
    assert len(GRAPH) > 50


def test_no_import_cycle() -> None:
    cycles = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dependency in sorted(GRAPH[module]):
            if state.get(dependency) == "open":
                cycles.append([*path[path.index(dependency) :], dependency])
            elif dependency not in state:
                visit(dependency, [*path, dependency])
        state[module] = "done"

    limit = sys.getrecursionlimit()
    for module in sorted(GRAPH):
        if module not in state:
            assert len(GRAPH) < limit
            visit(module, [module])
    assert cycles == []


def _handlers(parser: argparse.ArgumentParser) -> list[str]:
    found = []
    pending = [parser]
    while pending:
        current = pending.pop()
        handler = current.get_default("handler")
        if handler is not None:
            found.append(handler)
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(action.choices.values())
    return found


def test_every_handler_in_the_parser_is_a_function() -> None:
    handlers = _handlers(build_parser())
    assert len(handlers) >= 20  # every command and action, built in full
    for handler in handlers:
        module_name, _, function = handler.partition(":")
        target = getattr(importlib.import_module(module_name), function or "run", None)
        assert callable(target), handler


def test_the_version_has_one_source() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/lanewarden/__init__.py"
    assert importlib.metadata.version("lanewarden") == lanewarden.__version__
