"""Cells of the ledger's tables: splitting a row, reading and writing a scope cell.

Cells follow GFM: ``\\|`` is a literal ``|`` (also inside a code span); any
other backslash is kept as written. The scope cell holds one or more patterns:
each code span is one pattern (so a pattern may contain spaces or commas), and
plain text outside code spans is split on commas and whitespace. Backslashes
in plain text stay in the pattern, where gitignore reads ``\\X`` as a literal
``X`` just as Markdown shows it, and an escaped character never separates.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lanewarden.errors import InputError

__all__ = ["parse_scope", "render_row", "split_row"]

# The characters markdown-it-py trims from a cell (CommonMark whitespace), so
# the cells read here are exactly the cells it renders.
_TRIM = "\t\n\v\f\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(code) for code in range(0x2000, 0x200B)
)
_NEWLINES = re.compile(r"\r\n|\r|\n")


def split_row(line: str) -> list[str]:
    r"""A table line's cells, as markdown-it-py's GFM table rule splits them.

    Splits on ``|`` unless a backslash precedes it (then ``\|`` becomes ``|``),
    drops the empty cells outside the enclosing pipes, and trims each cell.
    """
    text = line.strip(_TRIM)
    if "\\" not in text:
        # No backslash, no escaped pipe: every pipe separates (the common row, fast).
        cells = text.split("|")
        if cells and cells[0] == "":
            cells.pop(0)
        if cells and cells[-1] == "":
            cells.pop()
        return [cell.strip(_TRIM) for cell in cells]
    cells = []
    current: list[str] = []
    escaped = False
    for ch in text:
        if ch == "|" and not escaped:
            cells.append("".join(current))
            current = []
        elif ch == "|":
            current[-1] = "|"  # replaces the escaping backslash
        else:
            current.append(ch)
        escaped = ch == "\\"
    cells.append("".join(current))
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return [cell.strip(_TRIM) for cell in cells]


def parse_scope(cell: str) -> tuple[str, ...]:
    """Split a scope cell into patterns: code spans, or plain text split on , and spaces."""
    patterns: list[str] = []
    plain: list[str] = []
    after_span = False  # a code span must be followed by a separator
    i, n = 0, len(cell)
    while i < n:
        ch = cell[i]
        if ch == "`":
            if plain or after_span:
                raise ValueError("put a comma or a space between two patterns")
            content, i = _code_span(cell, i)
            patterns.append(content)
            after_span = True
        elif ch == "," or ch.isspace():
            if plain:
                patterns.append("".join(plain))
                plain = []
            after_span = False
            i += 1
        elif after_span:
            raise ValueError("put a comma or a space between two patterns")
        else:
            # A backslash keeps the next character, which then never separates.
            step = 2 if ch == "\\" and i + 1 < n else 1
            plain.append(cell[i : i + step])
            i += step
    if plain:
        patterns.append("".join(plain))
    if not patterns:
        raise ValueError("no pattern")
    return tuple(patterns)


def _code_span(cell: str, start: int) -> tuple[str, int]:
    """The content of the code span opening at ``start``, and the index after it."""
    opened = start
    while opened < len(cell) and cell[opened] == "`":
        opened += 1
    fence = opened - start
    for closer in re.finditer(r"`+", cell[opened:]):
        if len(closer[0]) == fence:
            content = cell[opened : opened + closer.start()]
            # CommonMark strips one space each side, so `` `x` `` can hold a backtick.
            if len(content) >= 2 and content[0] == content[-1] == " " and content.strip(" "):
                content = content[1:-1]
            if not content.strip():
                raise ValueError("empty code span")
            return content, opened + closer.end()
    raise ValueError(f"unclosed code span {cell[start:]!r}: end it with {'`' * fence}")


def render_row(cells: list[Any], path: Path) -> str:
    """One canonical table line (no newline): ``| a | b | ... |``."""
    texts = []
    for cell in cells:
        if isinstance(cell, tuple):
            text = ", ".join(_render_pattern(pattern, path) for pattern in cell)
        else:
            text = _NEWLINES.sub(" ", cell).strip(_TRIM)
        texts.append(text.replace("|", "\\|"))
    return "| " + " | ".join(texts) + " |"


def _render_pattern(pattern: str, path: Path) -> str:
    """A pattern as a code span whose fence is longer than any backtick run in it."""
    if not pattern.strip() or _NEWLINES.search(pattern):
        raise InputError(
            f"scope pattern {pattern!r} cannot be written to the ledger",
            path=path,
            hint="a scope pattern must be one line and not blank",
        )
    longest = max((len(run) for run in re.findall(r"`+", pattern)), default=0)
    fence = "`" * (longest + 1)
    # Padding keeps an edge backtick off the fence; the reader strips one space each side.
    if pattern[0] in "` " or pattern[-1] in "` ":
        pattern = f" {pattern} "
    return fence + pattern + fence
