"""Policy files as sections and units, read with markdown-it-py."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lanewarden.domain.policies.document import PolicyDocument, contains


def titles(text: str) -> list[tuple[str, int]]:
    return [(s.title, s.line) for s in PolicyDocument.parse(text).sections]


def test_headings_become_sections_with_their_lines() -> None:
    text = "# Top\n\nintro\n\n## Locks\n\nbody\n\nSetext\n------\n\nmore\n"
    assert titles(text) == [("Top", 1), ("Locks", 5), ("Setext", 9)]


def test_a_section_includes_its_subsections_but_not_its_siblings() -> None:
    text = "# A\n\na text\n\n## B\n\nb text\n\n# C\n\nc text\n"
    sections = {s.title: [u.text for u in s.units] for s in PolicyDocument.parse(text).sections}
    assert sections == {"A": ["a text", "b text"], "B": ["b text"], "C": ["c text"]}


def test_units_are_paragraphs_items_rows_and_code() -> None:
    text = (
        "# P\n\npara one\nstill one\n\n- item\n  - nested\n\n| a | b |\n|---|---|\n| x | y |\n\n"
        "```\njust test-pkg app\n```\n"
    )
    document = PolicyDocument.parse(text)
    assert [(u.line, u.text) for u in document.units] == [
        (3, "para one\nstill one"),
        (6, "item"),
        (7, "nested"),
        (9, "a | b"),
        (11, "x | y"),
        (13, "just test-pkg app\n"),
    ]


def test_a_heading_inside_a_code_block_is_not_a_section() -> None:
    assert titles("# Real\n\n```\n# not a heading\n```\n") == [("Real", 1)]


def test_bold_list_items_are_sections_of_their_own_item() -> None:
    text = "# Rules\n\n- **Locks:** stay in scope\n  - nested rule\n- **Gates.** run them\n"
    document = PolicyDocument.parse(text)
    lead_ins = {s.title: [u.text for u in s.units] for s in document.sections[1:]}
    assert lead_ins == {"Locks:": [" stay in scope", "nested rule"], "Gates.": [" run them"]}
    assert document.sections[0].units[0].text == "**Locks:** stay in scope"


def test_a_bold_paragraph_leads_until_the_next_one() -> None:
    text = "**Locks.** first\n\nsecond\n\n**Gates.** third\n\n# H\n\nfourth\n"
    sections = {s.title: [u.text for u in s.units] for s in PolicyDocument.parse(text).sections}
    assert sections == {"Locks.": [" first", "second"], "Gates.": [" third"], "H": ["fourth"]}


def test_bold_in_the_middle_of_a_paragraph_is_not_a_lead_in() -> None:
    assert titles("# H\n\nsome **bold** text\n") == [("H", 1)]


def test_crlf_files_keep_their_line_numbers() -> None:
    assert titles("# A\r\n\r\ntext\r\n\r\n## B\r\n") == [("A", 1), ("B", 5)]


def test_contains_matches_phrases_in_order() -> None:
    haystack = ("run", "just", "test", "pkg")
    assert contains(haystack, ("test", "pkg"))
    assert contains(haystack, ("run",))
    assert not contains(haystack, ("pkg", "test"))
    assert not contains(haystack, ("pkg", "x"))


@given(st.text())
def test_any_text_parses_and_lines_stay_in_the_file(text: str) -> None:
    document = PolicyDocument.parse(text)
    last = len(text.splitlines()) + 1
    for section in document.sections:
        assert 1 <= section.line <= last
    for unit in document.units:
        assert 1 <= unit.line <= last
