"""The execution ledger's two Markdown tables: the lock table and the lock history.

The ledger (default ``PLAN.md``) is written by people and by lanewarden, so
this module reads it with a real Markdown parser (markdown-it-py with the GFM
table rule) and rewrites nothing but the table rows: every other byte of the
file is kept. It works on cell text only; times and globs are checked by
:mod:`lanewarden.domain.locks`, using the line numbers recorded here.

The cells themselves (escaped pipes, scope patterns) are read and written by
:mod:`lanewarden.domain.ledger_cells`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanewarden.domain.ledger_cells import parse_scope, render_row, split_row
from lanewarden.errors import InputError

__all__ = [
    "HISTORY_COLUMNS",
    "LOCK_COLUMNS",
    "OUTCOMES",
    "HistoryRecord",
    "Ledger",
    "LockRecord",
    "new_ledger_text",
]

LOCK_COLUMNS = ("lock_id", "owner", "scope", "objective", "start", "heartbeat", "expires")
HISTORY_COLUMNS = (*LOCK_COLUMNS, "ended", "outcome", "note")
OUTCOMES = ("released", "reclaimed", "integrated")

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_REQUIRED = ("lock_id", "owner", "scope")
_BOM = "\ufeff"
_INIT_HINT = (
    "run `lanewarden init` to add an empty lock table (a table inside a list, a quote "
    "or a code block does not count)"
)


@dataclass(frozen=True)
class LockRecord:
    """One lock-table row, cells as text."""

    lock_id: str
    owner: str
    scope: tuple[str, ...]
    objective: str
    start: str
    heartbeat: str
    expires: str
    line: int = 0  # 1-based source line; 0 for a row not yet written


@dataclass(frozen=True)
class HistoryRecord:
    """One lock-history row: a released or reclaimed lock, cells as text."""

    lock_id: str
    owner: str
    scope: tuple[str, ...]
    objective: str
    start: str
    heartbeat: str
    expires: str
    ended: str
    outcome: str
    note: str
    line: int = 0


@dataclass(frozen=True)
class _Table:
    """Where a table sits: 0-based line indexes, header at ``start``, ``end`` exclusive."""

    start: int
    end: int


@dataclass(frozen=True)
class Ledger:
    """A parsed execution ledger: its text, its rows, and where its tables sit."""

    path: Path
    text: str
    locks: tuple[LockRecord, ...]
    history: tuple[HistoryRecord, ...]
    has_lock_table: bool
    _lock_table: _Table | None = field(default=None, repr=False, compare=False)
    _history_table: _Table | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(cls, text: str, path: Path) -> Ledger:
        """Find the top-level lock and history tables and read their rows.

        Raises :class:`InputError` (with the 1-based line) for a row with the
        wrong number of cells, an empty ``lock_id``, ``owner`` or ``scope``, an
        unreadable scope, a duplicate ``lock_id`` in the lock table, a history
        outcome other than ``released``/``reclaimed``, or a second lock or
        history table.
        """
        # A byte order mark (at the top, or where a file was pasted in) is no text of
        # its line: it would hide the table. Lines keep their numbers without it.
        pairs = [(content.lstrip(_BOM), eol) for content, eol in _split_lines(text)]
        lines = [content for content, _ in pairs]
        tables = _find_tables("".join(c + e for c, e in pairs), lines, path)
        lock_table, lock_rows = tables.get(LOCK_COLUMNS, (None, []))
        history_table, history_rows = tables.get(HISTORY_COLUMNS, (None, []))
        locks = tuple(LockRecord(**f) for f in _read_rows(lines, lock_rows, LOCK_COLUMNS, path))
        _check_unique(locks, path)
        history = tuple(
            HistoryRecord(**f) for f in _read_rows(lines, history_rows, HISTORY_COLUMNS, path)
        )
        return cls(
            path=path,
            text=text,
            locks=locks,
            history=history,
            has_lock_table=lock_table is not None,
            _lock_table=lock_table,
            _history_table=history_table,
        )

    def render(self, locks: Sequence[LockRecord], history: Sequence[HistoryRecord]) -> str:
        """The ledger's text with these rows; only the two tables' lines change.

        Rows are written as ``| a | b |``, each scope pattern as a code span.
        A missing history table is added after the lock table when there is
        history to write. Raises :class:`InputError` when there is no lock table.
        """
        if self._lock_table is None:
            raise InputError("the ledger has no lock table", path=self.path, hint=_INIT_HINT)
        lines = _split_lines(self.text)
        newline = _dominant_newline(lines)
        lock_rows = [render_row(_cells(r, LOCK_COLUMNS), self.path) for r in locks]
        history_rows = [render_row(_cells(r, HISTORY_COLUMNS), self.path) for r in history]
        edits = [(self._lock_table, lock_rows)]
        if self._history_table is not None:
            edits.append((self._history_table, history_rows))
        elif history_rows:
            lock_rows += ["", "## Lock history", "", *_header_lines(HISTORY_COLUMNS)]
            lock_rows += history_rows

        out: list[str] = []
        done = 0
        for table, rows in sorted(edits, key=lambda edit: edit[0].start):
            out.extend(content + eol for content, eol in lines[done : table.start])
            old = lines[table.start : table.end]
            new = [content for content, _ in old[:2]] + rows
            out.extend(_with_newlines(new, [eol for _, eol in old], newline))
            done = table.end
        out.extend(content + eol for content, eol in lines[done:])
        return "".join(out)


def new_ledger_text() -> str:
    """The content of a fresh execution ledger, as ``lanewarden init`` writes it."""
    locks, history = ("\n".join(_header_lines(c)) for c in (LOCK_COLUMNS, HISTORY_COLUMNS))
    return f"""# Execution ledger

This is the single-writer execution ledger (runbook §6.1): only the orchestrator \
or integrator writes it, and lanewarden edits the tables below in place.

## Locks

{locks}

## Lock history

{history}

## Checkpoints

One entry per lane checkpoint: checkpoint_id, completed steps, pending steps, \
blockers, next command (runbook §10).

## Failures and remediation

One entry per failure: failure signature, impact, requested approval, \
remediation (runbook §15).
"""


# --- reading ---------------------------------------------------------------


def _split_lines(text: str) -> list[tuple[str, str]]:
    """``(content, newline)`` per line, split where markdown-it splits lines."""
    pairs = [(m[1], m[2]) for m in _LINE.finditer(text)]
    # The pattern also matches the empty string at the very end of the text.
    if pairs and pairs[-1] == ("", ""):
        pairs.pop()
    return pairs


def _find_tables(
    text: str, lines: list[str], path: Path
) -> dict[tuple[str, ...], tuple[_Table, list[int]]]:
    """The top-level lock and history tables, by columns, with their body rows' lines."""
    from markdown_it import MarkdownIt  # lazy: 43 ms, off the hook path

    from lanewarden.domain.ledger_table_rule import use_row_table_rule

    # Only block structure matters: no inline parsing, and no cell tokens in the
    # tables (a long lock history would make hundreds of thousands of them).
    md = use_row_table_rule(MarkdownIt("commonmark").enable("table").disable("inline"))
    tables: dict[tuple[str, ...], tuple[_Table, list[int]]] = {}
    rows: list[int] | None = None
    in_body = False
    for token in md.parse(text):
        if token.type == "table_open":
            rows = None
            if token.level == 0 and token.map is not None:
                start, end = token.map
                header = tuple(c.lower() for c in split_row(lines[start]))
                if header in (LOCK_COLUMNS, HISTORY_COLUMNS):
                    if header in tables:
                        raise _duplicate_table(header, tables[header][0], start, path)
                    rows = []
                    tables[header] = (_Table(start, end), rows)
        elif token.type == "tbody_open":
            in_body = True
        elif token.type == "tr_open" and in_body and rows is not None and token.map:
            rows.append(token.map[0])
        elif token.type == "table_close":
            rows, in_body = None, False
    return tables


def _read_rows(
    lines: list[str], rows: list[int], columns: tuple[str, ...], path: Path
) -> list[dict[str, Any]]:
    """Check and read body rows: record fields by column, scope split into patterns."""
    table = "lock table" if columns == LOCK_COLUMNS else "lock history table"
    read: list[dict[str, Any]] = []

    def fail(line: int, message: str, hint: str) -> InputError:
        return InputError(f"{table} row {message}", path=path, line=line, hint=hint)

    for index in rows:
        line = index + 1
        cells = split_row(lines[index])
        if len(cells) != len(columns):
            count = f"{len(cells)} cell" + ("" if len(cells) == 1 else "s")
            raise fail(
                line,
                f"has {count}, expected {len(columns)}: " + ", ".join(columns),
                "write one cell per column (escape a `|` inside a cell as `\\|`), "
                "and end the table with a blank line",
            )
        fields: dict[str, Any] = dict(zip(columns, cells, strict=True))
        for column in _REQUIRED:
            if not fields[column]:
                raise fail(line, f"has an empty {column}", f"fill in the {column} column")
        if fields.get("outcome", OUTCOMES[0]) not in OUTCOMES:
            raise fail(
                line,
                f"{cells[0]}: outcome {fields['outcome']!r} is not " + " or ".join(OUTCOMES),
                "set the outcome column to `released` or `reclaimed`",
            )
        try:
            fields["scope"] = parse_scope(fields["scope"])
        except ValueError as e:
            raise fail(
                line,
                f"{cells[0]}: bad scope cell: {e}",
                "write each pattern as a code span, like `src/app/*`, `docs/a b.md`",
            ) from None
        read.append({**fields, "line": line})
    return read


def _check_unique(locks: tuple[LockRecord, ...], path: Path) -> None:
    """Reject a lock id that appears twice in the lock table."""
    seen: dict[str, int] = {}
    for record in locks:
        if record.lock_id in seen:
            raise InputError(
                f"lock {record.lock_id} appears twice in the lock table "
                f"(first on line {seen[record.lock_id]})",
                path=path,
                line=record.line,
                hint="keep one row per lock id",
            )
        seen[record.lock_id] = record.line


def _duplicate_table(header: tuple[str, ...], first: _Table, start: int, path: Path) -> InputError:
    what = "lock table" if header == LOCK_COLUMNS else "lock history table"
    return InputError(
        f"a second {what} (the first starts on line {first.start + 1})",
        path=path,
        line=start + 1,
        hint=f"keep one {what} in the ledger: merge the rows and delete the other table",
    )


# --- writing ---------------------------------------------------------------


def _header_lines(columns: tuple[str, ...]) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def _cells(record: LockRecord | HistoryRecord, columns: tuple[str, ...]) -> list[Any]:
    return [getattr(record, column) for column in columns]


def _dominant_newline(lines: list[tuple[str, str]]) -> str:
    """The file's most common line ending (``\\n`` for a file with none)."""
    endings = [eol for _, eol in lines]
    return max(("\n", "\r\n", "\r"), key=endings.count)


def _with_newlines(new: list[str], old_eols: list[str], newline: str) -> list[str]:
    """Give replaced lines endings: the old line's where it had one, else ``newline``.

    The last line keeps a missing final newline, so a file that ended without
    one still does.
    """
    out = []
    for i, content in enumerate(new):
        eol = old_eols[i] if i < len(old_eols) and old_eols[i] else newline
        if i == len(new) - 1 and old_eols[-1] == "":
            eol = ""
        out.append(content + eol)
    return out
