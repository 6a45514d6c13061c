"""markdown-it-py's GFM table rule, reduced to the tokens the ledger reader uses.

The library's rule pushes three tokens per cell (``td_open``, ``inline``,
``td_close``) for every body row: for a lock history of 10,000 rows of ten
columns that is over 300,000 tokens, most of the time of reading a ledger.
The ledger reader needs only where each table and each body row sits.

This rule decides *whether* a table starts exactly as the library does (it
calls the library's own rule in its silent mode, which checks the header and
delimiter lines), then walks the body with the library's own end conditions
(the block quote's terminator rules, a blank line, an indented code line, the
cap on auto-completed cells where the installed version has one), pushing
``table_open``, ``thead_open``/``thead_close``, ``tbody_open``, one
``tr_open``/``tr_close`` pair per body row and the closing tokens, with the
same ``map`` and ``level`` as the library's. Every other block is parsed by
the library: the tables end on the same lines, so the rest of the document
tokenizes as before. ``tests/test_ledger_table_rule.py`` compares the two
rules' structure on tricky documents.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_block.state_block import StateBlock

__all__ = ["use_row_table_rule"]


def _library() -> ModuleType:
    """The library's table module (its package exports the rule function under that name)."""
    return importlib.import_module("markdown_it.rules_block.table")


def _cell_count(text: str) -> int:
    """How many cells the library's ``escapedSplit`` finds, less empty outer ones."""
    if "\\" in text:
        library = _library()
        columns = library.escapedSplit(text)
        if columns and columns[0] == "":
            columns.pop(0)
        if columns and columns[-1] == "":
            columns.pop()
        return len(columns)
    # Without a backslash no pipe is escaped: the cells are the pipe-separated pieces.
    count = text.count("|") + 1
    if text.startswith("|"):
        count -= 1
    if count and text.endswith("|"):
        count -= 1
    return count


def _trim() -> Callable[[str], str]:
    """How the installed library trims a line (markdown-it-py 3 uses ``str.strip``)."""
    utils = importlib.import_module("markdown_it.common.utils")
    trim: Callable[[str], str] = getattr(utils, "mdTrim", str.strip)
    return trim


def _row_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    trim = _trim()
    library = _library()
    if not library.table(state, start, end, True):
        return False
    if silent:
        return True
    columns = _cell_count(trim(library.getLine(state, start)))
    limit = getattr(library, "MAX_AUTOCOMPLETED_CELLS", None)

    old_parent = state.parentType
    state.parentType = "table"
    terminators = state.md.block.ruler.getRules("blockquote")

    token = state.push("table_open", "table", 1)
    token.map = table_lines = [start, 0]
    token = state.push("thead_open", "thead", 1)
    token.map = [start, start + 1]
    state.push("thead_close", "thead", -1)

    body_lines: list[int] | None = None
    autocompleted = 0
    line = start + 2
    while line < end:
        if state.sCount[line] < state.blkIndent:
            break
        if any(rule(state, line, end, True) for rule in terminators):
            break
        text = trim(library.getLine(state, line))
        if not text or state.is_code_block(line):
            break
        autocompleted += columns - _cell_count(text)
        if limit is not None and autocompleted > limit:
            break
        if line == start + 2:
            token = state.push("tbody_open", "tbody", 1)
            token.map = body_lines = [start + 2, 0]
        token = state.push("tr_open", "tr", 1)
        token.map = [line, line + 1]
        state.push("tr_close", "tr", -1)
        line += 1

    if body_lines:
        state.push("tbody_close", "tbody", -1)
        body_lines[1] = line
    state.push("table_close", "table", -1)
    table_lines[1] = line
    state.parentType = old_parent
    state.line = line
    return True


def use_row_table_rule(md: MarkdownIt) -> MarkdownIt:
    """Replace ``md``'s table rule with the row-only one (same tables, same rows)."""
    ruler = md.block.ruler
    # Keep the rule's place as a paragraph's and a reference's terminator.
    alt = next((list(rule.alt) for rule in ruler.__rules__ if rule.name == "table"), [])
    ruler.at("table", _row_table, {"alt": alt})
    return md
