"""The execution ledger's Markdown tables: finding, reading and rewriting them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from lanewarden.domain.ledger import (
    HISTORY_COLUMNS,
    LOCK_COLUMNS,
    HistoryRecord,
    Ledger,
    LockRecord,
    new_ledger_text,
)
from lanewarden.errors import InputError

PLAN = Path("PLAN.md")
LOCK_HEADER = "| lock_id | owner | scope | objective | start | heartbeat | expires |\n"
LOCK_DELIMITER = "|---|---|---|---|---|---|---|\n"
HISTORY_HEADER = (
    "| lock_id | owner | scope | objective | start | heartbeat | expires "
    "| ended | outcome | note |\n"
)
HISTORY_DELIMITER = "|---|---|---|---|---|---|---|---|---|---|\n"
TEMPLATE = (
    "# Plan\n\n"
    + LOCK_HEADER
    + LOCK_DELIMITER
    + "| L-001 | agent-a | `internal/tui/*` | search modal focus loop "
    "| 2026-11-28T14:10:00Z | 2026-11-28T14:22:00Z | 2026-11-28T15:00:00Z |\n"
)


def lock(lock_id: str = "L-001", *scope: str, line: int = 0) -> LockRecord:
    return LockRecord(
        lock_id=lock_id,
        owner="agent-a",
        scope=scope or ("src/*",),
        objective="do it",
        start="2026-11-28T14:10:00Z",
        heartbeat="2026-11-28T14:22:00Z",
        expires="2026-11-28T15:00:00Z",
        line=line,
    )


def ended(record: LockRecord, outcome: str = "released", note: str = "") -> HistoryRecord:
    return HistoryRecord(
        lock_id=record.lock_id,
        owner=record.owner,
        scope=record.scope,
        objective=record.objective,
        start=record.start,
        heartbeat=record.heartbeat,
        expires=record.expires,
        ended="2026-11-28T14:40:00Z",
        outcome=outcome,
        note=note,
    )


def scope_of(cell: str) -> tuple[str, ...]:
    text = LOCK_HEADER + LOCK_DELIMITER + f"| L-1 | a | {cell} | o | s | h | e |\n"
    return Ledger.parse(text, PLAN).locks[0].scope


def input_error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        Ledger.parse(text, PLAN)
    assert info.value.path == str(PLAN)
    return info.value


# --- reading ----------------------------------------------------------------


def test_reads_the_runbook_template() -> None:
    ledger = Ledger.parse(TEMPLATE, PLAN)
    assert ledger.has_lock_table
    assert ledger.history == ()
    assert ledger.locks == (
        LockRecord(
            lock_id="L-001",
            owner="agent-a",
            scope=("internal/tui/*",),
            objective="search modal focus loop",
            start="2026-11-28T14:10:00Z",
            heartbeat="2026-11-28T14:22:00Z",
            expires="2026-11-28T15:00:00Z",
            line=5,
        ),
    )


def test_reads_the_runbook_template_with_bare_times_and_plain_scope() -> None:
    row = "| L-001 | agent-a | internal/tui/* | search modal focus loop | 14:10 | 14:22 | 15:00 |"
    text = LOCK_HEADER + LOCK_DELIMITER + row + "\n"
    (record,) = Ledger.parse(text, PLAN).locks
    assert record.scope == ("internal/tui/*",)
    assert (record.start, record.heartbeat, record.expires) == ("14:10", "14:22", "15:00")


def test_header_matching_ignores_case_and_spaces() -> None:
    text = "|Lock_ID|  OWNER |Scope|objective|start|heartbeat|Expires|\n|:--|--|--|--|--|--|--:|\n"
    text += "|L-1|a|b|o|s|h|e|\n"
    assert [r.lock_id for r in Ledger.parse(text, PLAN).locks] == ["L-1"]


@pytest.mark.parametrize(
    ("cell", "patterns"),
    [
        ("`src/a\\|b`", ("src/a|b",)),
        ("src/a\\|b", ("src/a|b",)),
        ("`docs/a b.md`, `x,y`", ("docs/a b.md", "x,y")),
        ("a/*, b/** c/x.py", ("a/*", "b/**", "c/x.py")),
        ("`a b` c, `d`", ("a b", "c", "d")),
        ("src/__init__.py, *.md", ("src/__init__.py", "*.md")),
        ("a\\ b, c\\,d", ("a\\ b", "c\\,d")),
        ("\\`x", ("\\`x",)),
        ("`` a`b ``", ("a`b",)),
        ("`` `tick` ``", ("`tick`",)),
        ("`  spaced  `", (" spaced ",)),
        ("`a\\`", ("a\\",)),
        ("!src/keep.py, `!x`", ("!src/keep.py", "!x")),
        ("`données/**`", ("données/**",)),
    ],
)
def test_scope_cell_separators(cell: str, patterns: tuple[str, ...]) -> None:
    assert scope_of(cell) == patterns


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("`src/a", "unclosed code span"),
        ("`a`b", "between two patterns"),
        ("a`b`", "between two patterns"),
        ("` `", "empty code span"),
        (", ,", "no pattern"),
    ],
)
def test_unreadable_scope_is_an_input_error(cell: str, message: str) -> None:
    text = LOCK_HEADER + LOCK_DELIMITER + f"| L-1 | a | {cell} | o | s | h | e |\n"
    error = input_error(text)
    assert error.line == 3
    assert message in error.message


def test_other_cells_keep_backslashes_and_unescape_pipes() -> None:
    text = (
        LOCK_HEADER
        + LOCK_DELIMITER
        + "| L-1 | a | b | fix `x\\|y` and \\*z\\* \\\\ | s | h | e |\n"
    )
    assert Ledger.parse(text, PLAN).locks[0].objective == "fix `x|y` and \\*z\\* \\\\"


def test_cells_agree_with_markdown_it() -> None:
    text = LOCK_HEADER + LOCK_DELIMITER + "  |L-1 | a\\|b |`c\\|d`| e \\\\| f | s | h | e |  \n"
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    row = [t.content for t in tokens if t.type == "inline" and t.map == [2, 3]]
    record = Ledger.parse(text, PLAN).locks[0]
    assert [record.lock_id, record.owner, "`c|d`", record.objective] == row[:4]
    assert record.scope == ("c|d",)


@pytest.mark.parametrize(
    "wrapper",
    [
        "```markdown\n{table}```\n",
        "~~~\n{table}~~~\n",
        "<div>\n{table}</div>\n",
        "<!--\n{table}-->\n",
        "{indented}",
        "- item\n\n{listed}",
        "{quoted}",
    ],
)
def test_tables_that_are_not_top_level_are_not_the_lock_table(wrapper: str) -> None:
    table = LOCK_HEADER + LOCK_DELIMITER + "| L-9 | x | y | o | s | h | e |\n"
    lines = table.splitlines(keepends=True)
    text = "# Plan\n\n" + wrapper.format(
        table=table,
        indented="".join("    " + line for line in lines),
        listed="".join("  " + line for line in lines),
        quoted="".join("> " + line for line in lines),
    )
    ledger = Ledger.parse(text, PLAN)
    assert not ledger.has_lock_table
    assert ledger.locks == ()


def test_a_fenced_fake_table_next_to_the_real_one() -> None:
    fake = "```\n" + LOCK_HEADER + LOCK_DELIMITER + "| L-9 | x | y | o | s | h | e |\n```\n\n"
    ledger = Ledger.parse(fake + TEMPLATE, PLAN)
    assert [(r.lock_id, r.line) for r in ledger.locks] == [("L-001", 11)]


def test_reads_the_history_table() -> None:
    text = TEMPLATE + "\n## Lock history\n\n" + HISTORY_HEADER + HISTORY_DELIMITER
    text += "| L-000 | b | `docs/**` | old | s | h | e | en | reclaimed "
    text += "| heartbeat lost \\| agent gone |\n"
    (record,) = Ledger.parse(text, PLAN).history
    assert record.outcome == "reclaimed"
    assert record.note == "heartbeat lost | agent gone"
    assert record.scope == ("docs/**",)
    assert record.line == 11


# --- structural errors --------------------------------------------------------


ROW = "| L-2 | b | `x` | o | s | h | e |\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("| L-2 | b | `x` | o | s | h |\n", 4, "has 6 cells, expected 7"),
        ("| L-2 | b | `x` | o | s | h | e | extra |\n", 4, "has 8 cells"),
        ("| L-2 | b | x \\| o | s | h | e |\n", 4, "has 6 cells"),
        ("plain text after the table\n", 4, "has 1 cell,"),
        ("|  | b | `x` | o | s | h | e |\n", 4, "empty lock_id"),
        ("| L-2 |  | `x` | o | s | h | e |\n", 4, "empty owner"),
        ("| L-2 | b |   | o | s | h | e |\n", 4, "empty scope"),
        (ROW + ROW, 5, "appears twice"),
    ],
)
def test_malformed_lock_rows(body: str, line: int, message: str) -> None:
    error = input_error("\n" + LOCK_HEADER + LOCK_DELIMITER + body)
    assert error.line == line
    assert message in error.message
    assert error.hint


def test_two_lock_tables() -> None:
    error = input_error(TEMPLATE + "\ntext\n\n" + LOCK_HEADER + LOCK_DELIMITER)
    assert error.line == 9
    assert "second lock table" in error.message


def test_two_history_tables() -> None:
    history = HISTORY_HEADER + HISTORY_DELIMITER
    error = input_error(TEMPLATE + "\n" + history + "\n" + history)
    assert error.line == 10
    assert "second lock history table" in error.message


def test_malformed_history_rows() -> None:
    head = TEMPLATE + "\n" + HISTORY_HEADER + HISTORY_DELIMITER
    error = input_error(head + "| L-0 | b | `x` | o | s | h | e | en | released |\n")
    assert (error.line, "has 9 cells" in error.message) == (9, True)
    error = input_error(head + "| L-0 | b | `x` | o | s | h | e | en | dropped | |\n")
    assert (error.line, "outcome 'dropped'" in error.message) == (9, True)


def test_crlf_line_numbers() -> None:
    text = ("\n" + LOCK_HEADER + LOCK_DELIMITER + ROW + "| L-3 | b |\n").replace("\n", "\r\n")
    assert input_error(text).line == 5


# --- writing --------------------------------------------------------------------


def test_render_writes_canonical_rows() -> None:
    ledger = Ledger.parse(TEMPLATE, PLAN)
    record = LockRecord(
        lock_id="L-002",
        owner="agent-b",
        scope=("src/a|b", "docs/a b.md", "x,y", "`tick`", "a``b"),
        objective="multi\nline | objective ",
        start="s",
        heartbeat="h",
        expires="e",
    )
    text = ledger.render([*ledger.locks, record], [])
    assert text.splitlines()[-1] == (
        "| L-002 | agent-b | `src/a\\|b`, `docs/a b.md`, `x,y`, `` `tick` ``, ```a``b``` "
        "| multi line \\| objective | s | h | e |"
    )
    assert Ledger.parse(text, PLAN).locks[1] == LockRecord(
        lock_id="L-002",
        owner="agent-b",
        scope=("src/a|b", "docs/a b.md", "x,y", "`tick`", "a``b"),
        objective="multi line | objective",
        start="s",
        heartbeat="h",
        expires="e",
        line=6,
    )


def test_render_canonical_rows_unchanged_is_byte_for_byte() -> None:
    text = TEMPLATE.replace("\n", "\r\n") + "\r\ntrailing  \r\n| a | table |\r\n|---|---|"
    ledger = Ledger.parse(text, PLAN)
    assert ledger.render(ledger.locks, ledger.history) == text


def test_render_canonicalizes_hand_written_rows() -> None:
    text = LOCK_HEADER + LOCK_DELIMITER + "|L-1|a|x/*, `y z`|o|s|h|e|\n\nafter\n"
    ledger = Ledger.parse(text, PLAN)
    assert ledger.render(ledger.locks, []) == (
        LOCK_HEADER + LOCK_DELIMITER + "| L-1 | a | `x/*`, `y z` | o | s | h | e |\n\nafter\n"
    )


def test_render_removes_rows_and_keeps_a_missing_final_newline() -> None:
    ledger = Ledger.parse(TEMPLATE.rstrip("\n"), PLAN)
    assert ledger.render([], []) == "# Plan\n\n" + LOCK_HEADER + LOCK_DELIMITER.rstrip("\n")
    grown = ledger.render([lock("L-1"), lock("L-2")], [])
    row = "| {} | agent-a | `src/*` | do it | 2026-11-28T14:10:00Z | 2026-11-28T14:22:00Z "
    row += "| 2026-11-28T15:00:00Z |"
    assert grown == "# Plan\n\n" + LOCK_HEADER + LOCK_DELIMITER + row.format("L-1") + "\n" + (
        row.format("L-2")
    )


def test_history_table_is_appended_after_the_lock_table() -> None:
    text = "# Plan\r\n\r\n" + (LOCK_HEADER + LOCK_DELIMITER).replace("\n", "\r\n")
    text += "\r\n## Checkpoints\r\n\r\nCP-01 done  \r\n"
    ledger = Ledger.parse(text, PLAN)
    released = ended(lock("L-1"), note="done")
    new = ledger.render([], [released])
    assert new == text.replace(
        "|---|---|---|---|---|---|---|\r\n",
        "|---|---|---|---|---|---|---|\r\n\r\n## Lock history\r\n\r\n"
        + (HISTORY_HEADER + HISTORY_DELIMITER).replace("\n", "\r\n")
        + "| L-1 | agent-a | `src/*` | do it | 2026-11-28T14:10:00Z | 2026-11-28T14:22:00Z "
        "| 2026-11-28T15:00:00Z | 2026-11-28T14:40:00Z | released | done |\r\n",
    )
    reread = Ledger.parse(new, PLAN)
    assert reread.history == (HistoryRecord(**{**vars(released), "line": 10}),)
    # Once there, the history table is rewritten in place.
    assert reread.render([], [released, released]).count("| released | done |") == 2


def test_no_history_table_is_added_without_history() -> None:
    ledger = Ledger.parse(TEMPLATE, PLAN)
    assert ledger.render(ledger.locks, []) == TEMPLATE


def test_history_table_before_the_lock_table() -> None:
    text = HISTORY_HEADER + HISTORY_DELIMITER + "\n" + TEMPLATE
    ledger = Ledger.parse(text, PLAN)
    new = ledger.render([], [ended(lock("L-1"))])
    assert Ledger.parse(new, PLAN).history[0].line == 3
    assert new.endswith("# Plan\n\n" + LOCK_HEADER + LOCK_DELIMITER)


def test_missing_lock_table_parses_but_render_refuses() -> None:
    text = "# Plan\n\n> " + LOCK_HEADER + "> " + LOCK_DELIMITER
    ledger = Ledger.parse(text, PLAN)
    assert not ledger.has_lock_table
    with pytest.raises(InputError) as info:
        ledger.render([lock()], [])
    assert "no lock table" in info.value.message
    assert info.value.hint is not None
    assert "lanewarden init" in info.value.hint


@pytest.mark.parametrize("pattern", ["", "   ", "a\nb"])
def test_unwritable_pattern(pattern: str) -> None:
    with pytest.raises(InputError, match="cannot be written"):
        Ledger.parse(TEMPLATE, PLAN).render([lock("L-1", pattern)], [])


def test_new_ledger_text() -> None:
    text = new_ledger_text()
    ledger = Ledger.parse(text, PLAN)
    assert ledger.has_lock_table
    assert (ledger.locks, ledger.history) == ((), ())
    for heading in ("## Locks", "## Lock history", "## Checkpoints", "## Failures and remediation"):
        assert f"\n{heading}\n" in text
    assert "single-writer" in text
    # A fresh ledger takes rows and gives them back.
    record = lock("L-1")
    new = ledger.render([record], [ended(record)])
    reread = Ledger.parse(new, PLAN)
    assert [r.lock_id for r in reread.locks] == ["L-1"]
    assert [r.outcome for r in reread.history] == ["released"]


# --- properties -----------------------------------------------------------------

_WORD = st.text(alphabet="abcxyzé日 |*_,.\\-:", min_size=1, max_size=12)
_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"),
    max_size=15,
)
_PATTERN = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"),
    min_size=1,
    max_size=12,
).filter(lambda p: p.strip() != "")
_TRIM = "\t\n\v\f\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


def _cell(draw: st.DrawFn, *, required: bool = False) -> str:
    value = draw(_TEXT).strip(_TRIM)
    if required and not value:
        return "x"
    return value


@st.composite
def lock_records(draw: st.DrawFn, lock_id: str) -> LockRecord:
    return LockRecord(
        lock_id=lock_id,
        owner=_cell(draw, required=True),
        scope=tuple(draw(st.lists(_PATTERN, min_size=1, max_size=4))),
        objective=_cell(draw),
        start=_cell(draw),
        heartbeat=_cell(draw),
        expires=_cell(draw),
    )


@st.composite
def lock_tables(draw: st.DrawFn) -> list[LockRecord]:
    ids = draw(st.lists(_TEXT.map(lambda t: t.strip(_TRIM)).filter(bool), unique=True, max_size=4))
    return [draw(lock_records(lock_id)) for lock_id in ids]


@st.composite
def history_records(draw: st.DrawFn) -> HistoryRecord:
    record = draw(lock_records(_cell(draw, required=True)))
    return HistoryRecord(
        **{k: v for k, v in vars(record).items() if k != "line"},
        ended=_cell(draw),
        outcome=draw(st.sampled_from(["released", "reclaimed"])),
        note=_cell(draw),
    )


_FAKE_TABLE = LOCK_HEADER + LOCK_DELIMITER + "| L-9 | x | `y` | o | s | h | e |\n"
_BLOCKS = st.one_of(
    _WORD.map(lambda w: f"Para {w} | text {w}\n"),
    _WORD.map(lambda w: f"## Heading {w}\n"),
    st.lists(_WORD, min_size=1, max_size=3).map(lambda ws: "".join(f"- item {w}\n" for w in ws)),
    _WORD.map(lambda w: f"```\n| a | {w} |\n|---|---|\n{_FAKE_TABLE}```\n"),
    st.just("~~~md\n" + _FAKE_TABLE + "~~~\n"),
    st.just("".join("> " + line for line in _FAKE_TABLE.splitlines(keepends=True))),
    st.just("| other | table |\n|---|---|\n| a \\| b | c |\n"),
    st.just("---\ntitle: plan\n---\n"),
    st.just("<div>\n| not | a table |\n</div>\n"),
)


def _surroundings(blocks: list[str], trailing_spaces: bool) -> str:
    text = "\n".join(blocks)
    if trailing_spaces:
        text = text.replace("\n", "  \n")  # trailing spaces (hard breaks)
    return text


def _canonical_table(records: list[LockRecord]) -> str:
    ledger = Ledger.parse(LOCK_HEADER + LOCK_DELIMITER, PLAN)
    return ledger.render(records, [])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_surrounding_markdown_survives_a_rewrite(data: st.DataObject) -> None:
    before = _surroundings(data.draw(st.lists(_BLOCKS, max_size=4)), data.draw(st.booleans()))
    after = _surroundings(data.draw(st.lists(_BLOCKS, max_size=4)), data.draw(st.booleans()))
    old, new = data.draw(lock_tables()), data.draw(lock_tables())
    newline = data.draw(st.sampled_from(["\n", "\r\n"]))
    final_newline = data.draw(st.booleans())

    head = before + "\n" if before else ""
    tail = "\n" + after if after else ""
    text = head + _canonical_table(old) + tail
    if not final_newline:
        text = text.rstrip("\n")
    text = text.replace("\n", newline)
    prefix = head.replace("\n", newline)
    suffix = (tail.rstrip("\n") if not final_newline else tail).replace("\n", newline)

    ledger = Ledger.parse(text, PLAN)
    assert [r.lock_id for r in ledger.locks] == [r.lock_id for r in old]
    assert ledger.render(ledger.locks, ledger.history) == text
    rendered = ledger.render(new, ledger.history)
    assert rendered.startswith(prefix)
    assert rendered.endswith(suffix)
    table = rendered[len(prefix) : len(rendered) - len(suffix)]
    expected = _canonical_table(new)
    if not final_newline and not tail:
        expected = expected.rstrip("\n")
    assert table == expected.replace("\n", newline)


def _without_lines(records: tuple[LockRecord | HistoryRecord, ...]) -> list[dict[str, object]]:
    return [{k: v for k, v in vars(r).items() if k != "line"} for r in records]


@settings(max_examples=80, deadline=None)
@given(locks=lock_tables(), history=st.lists(history_records(), max_size=3))
def test_rows_round_trip(locks: list[LockRecord], history: list[HistoryRecord]) -> None:
    text = Ledger.parse(new_ledger_text(), PLAN).render(locks, history)
    ledger = Ledger.parse(text, PLAN)
    assert _without_lines(ledger.locks) == _without_lines(tuple(locks))
    assert _without_lines(ledger.history) == _without_lines(tuple(history))
    # markdown-it sees the same patterns as its code spans.
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    for record in ledger.locks:
        (scope,) = [
            t for t in tokens if t.type == "inline" and t.map == [record.line - 1, record.line]
        ][2:3]
        assert tuple(c.content for c in scope.children or [] if c.type == "code_inline") == (
            record.scope
        )
    assert ledger.render(ledger.locks, ledger.history) == text


def test_columns() -> None:
    assert HISTORY_COLUMNS[: len(LOCK_COLUMNS)] == LOCK_COLUMNS
    assert HISTORY_COLUMNS[len(LOCK_COLUMNS) :] == ("ended", "outcome", "note")
