"""The ledger's row-only table rule finds the tables and rows markdown-it-py's own rule finds."""

from __future__ import annotations

import importlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from lanewarden.domain.ledger_table_rule import use_row_table_rule

HEADER = "| a | b | c |"
DELIMITER = "|---|:---:|--:|"

# Lines that start, continue or end a table in GFM, or interrupt it.
LINES = [
    HEADER,
    DELIMITER,
    "| 1 | 2 | 3 |",
    "| 1 | 2 |",
    "| 1 | 2 | 3 | 4 | 5 |",
    "| a \\| b | `c \\| d` | e |",
    "x \\\\| y | z",
    "no pipe at all",
    "|",
    "||",
    "  | indented | row | two |",
    "    | code | block | row |",
    "",
    "# heading",
    "> quote | with | pipes",
    "- list | item",
    "1. ordered | item",
    "```",
    "***",
    "<div>",
    "\ta | tab | row",
    "a | b | c",
    "--- | --- | ---",
    "- | -",
    ":-: | -:",
    "| x | y | z |\r",
]


def structure(md: MarkdownIt, text: str) -> list[tuple[Any, ...]]:
    """Every token but the cells and header rows the row-only rule leaves out."""
    out: list[tuple[Any, ...]] = []
    in_table = in_head = False
    for token in md.parse(text):
        if token.type == "table_open":
            in_table = True
        elif token.type == "table_close":
            in_table = False
        elif token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        if in_table and token.type in ("th_open", "th_close", "td_open", "td_close", "inline"):
            continue
        if in_head and token.type in ("tr_open", "tr_close"):
            continue
        out.append((token.type, token.map, token.level, token.nesting))
    return out


def both(text: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    library = MarkdownIt("commonmark").enable("table").disable("inline")
    rows = use_row_table_rule(MarkdownIt("commonmark").enable("table").disable("inline"))
    return structure(library, text), structure(rows, text)


def test_a_ledger_reads_the_same_tables_and_rows() -> None:
    text = "\n".join(
        [
            "# Plan",
            "",
            HEADER,
            DELIMITER,
            "| 1 | 2 | 3 |",
            "| short |",
            "| a \\| b | c | d |",
            "row without pipes",
            "## Lock history",
            "",
            "para before",
            HEADER,
            DELIMITER,
            "| 1 | 2 | 3 |",
            "> quote ends it",
            "",
            "- item",
            "",
            "  " + HEADER,
            "  " + DELIMITER,
            "  | in | a | list |",
            "",
            "> " + HEADER,
            "> " + DELIMITER,
            "> | in | a | quote |",
            "",
            HEADER,
            DELIMITER,
            "    | indented | code | line |",
        ]
    )
    library, rows = both(text)
    assert [t for t in rows if t[0] == "tr_open"], "the document has body rows"
    assert rows == library


def test_the_cap_on_auto_completed_cells_ends_the_table_where_the_library_does() -> None:
    # 300 columns and one-cell rows: each row auto-completes 299 cells, past 65,536 at row 220.
    header = "|" + "|".join(f"c{i}" for i in range(300)) + "|"
    delimiter = "|" + "---|" * 300
    text = "\n".join([header, delimiter, *(["| x |"] * 240), "after"]) + "\n"
    library, rows = both(text)
    assert rows == library
    body = [t for t in rows if t[0] == "tr_open"]
    assert body
    if hasattr(importlib.import_module("markdown_it.rules_block.table"), "MAX_AUTOCOMPLETED_CELLS"):
        assert len(body) < 240, "the cap ends the table before the last row"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=14), st.sampled_from(["\n", "\r\n"]))
def test_any_mix_of_table_lines_reads_the_same(lines: list[str], newline: str) -> None:
    text = newline.join([HEADER, DELIMITER, *lines])
    library, rows = both(text)
    assert rows == library
