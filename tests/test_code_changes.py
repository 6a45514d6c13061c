"""Reading a change from syntax trees, tried on this project's own modules: every edit of a
function's code names that function, and no edit of comments or layout names anything."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lanewarden.domain.code_changes import analyse_change

SOURCES = sorted((Path(__file__).parents[1] / "src" / "lanewarden").rglob("*.py"))


def own_constants(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Constant]:
    """Number constants of a function's own code (not of the functions it defines)."""
    found: list[ast.Constant] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and node.lineno == node.end_lineno
        ):
            found.append(node)
        stack += ast.iter_child_nodes(node)
    return found


def functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_changed_constant_names_its_function_and_nothing_at_import(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SOURCES))
    old = path.read_bytes()
    tree = ast.parse(old)
    candidates = [
        (f, c)
        for f in functions(tree)
        if f.body[0].lineno > f.lineno  # (a body on the def's line is module-level)
        for c in own_constants(f)
    ]
    if not candidates:
        return
    function, constant = data.draw(st.sampled_from(candidates))
    lines = old.split(b"\n")
    row = lines[constant.lineno - 1]
    start, end = constant.col_offset, constant.end_col_offset or 0
    lines[constant.lineno - 1] = row[:start] + b"(" + row[start:end] + b" + 1)" + row[end:]
    result = analyse_change("m.py", old, b"\n".join(lines))
    assert not result.module_level
    assert constant.lineno in result.regions
    assert function.end_lineno in result.regions  # the whole function, to its last line


def line_ends(source: bytes) -> list[int]:
    """Rows after which a line may be inserted: the ends of logical lines and comments."""
    tokens = tokenize.tokenize(io.BytesIO(source).readline)
    return sorted(
        {t.end[0] for t in tokens if t.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT)}
    )


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_comments_and_blank_lines_anywhere_change_nothing(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SOURCES))
    old = path.read_bytes()
    rows, ends = old.split(b"\n"), line_ends(old)
    if not ends:  # an empty module
        return
    for row in sorted(data.draw(st.sets(st.sampled_from(ends), max_size=5)), reverse=True):
        indent = rows[row - 1][: len(rows[row - 1]) - len(rows[row - 1].lstrip())]
        rows.insert(row, indent + data.draw(st.sampled_from([b"", b"# a note", b"# type: ignore"])))
    result = analyse_change("m.py", old, b"\n".join(rows))
    assert (result.module_level, result.fallback) == (False, None)
    assert result.regions == result.documented == frozenset()
