"""A policy file as sections of paragraphs, read with a real Markdown parser.

A *section* is a heading with everything under it, subsections included, or
a *lead-in*: a list item or a top-level paragraph that starts with bold text
(``- **Locks:** ...``), whose body is the rest of that item, or the following
paragraphs up to the next heading or bold lead-in. A *unit* is one paragraph,
list-item paragraph, table row or code block: the words of one requirement
must share a unit, so a bare list of policy names cannot satisfy a policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lanewarden.domain.policies.words import Phrase, words

if TYPE_CHECKING:
    from markdown_it.token import Token

__all__ = ["PolicyDocument", "Section", "Unit", "contains"]

_LEAD_IN_LEVEL = 7  # below every heading level


@dataclass(frozen=True)
class Unit:
    """One paragraph, list-item paragraph, table row or code block."""

    line: int  # 1-based
    text: str
    words: tuple[str, ...]


@dataclass
class Section:
    """A heading (or bold lead-in) and the units of its body."""

    title: str
    line: int  # 1-based line of the heading
    level: int
    title_words: tuple[str, ...]
    units: list[Unit] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyDocument:
    """The sections of a policy file and every unit of its body."""

    sections: tuple[Section, ...]
    units: tuple[Unit, ...]

    @classmethod
    def parse(cls, text: str) -> PolicyDocument:
        """Split Markdown ``text`` into sections and units (never fails: any text is Markdown)."""
        from markdown_it import MarkdownIt  # lazy: 43 ms, off the hook path

        tokens = MarkdownIt("commonmark").enable("table").parse(text)
        return _Builder().build(tokens)


def contains(haystack: tuple[str, ...], phrase: Phrase) -> bool:
    """Whether the words of ``phrase`` occur together, in order, in ``haystack``."""
    n = len(phrase)
    if n == 1:
        return phrase[0] in haystack
    first = phrase[0]
    return any(
        haystack[i] == first and haystack[i : i + n] == phrase for i in range(len(haystack) - n + 1)
    )


class _Builder:
    """One pass over markdown-it's token stream."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.units: list[Unit] = []
        self.headings: list[Section] = []  # the open heading sections, outermost first
        self.lead_ins: list[tuple[Section, int]] = []  # (section, list depth; 0 = top level)
        self.depth = 0
        self.row: list[str] = []
        self.row_line = 0

    def build(self, tokens: list[Token]) -> PolicyDocument:
        for i, token in enumerate(tokens):
            kind = token.type
            if kind == "heading_open":
                self._heading(token, tokens[i + 1])
            elif kind == "list_item_open":
                self.depth += 1
            elif kind == "list_item_close":
                self.lead_ins = [(s, d) for s, d in self.lead_ins if d != self.depth]
                self.depth -= 1
            elif kind == "tr_open":
                self.row, self.row_line = [], _line(token)
            elif kind == "tr_close":
                self._add(Unit(self.row_line, " | ".join(self.row), words(" ".join(self.row))))
            elif kind == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
                self.row.append(token.content)
            elif kind == "inline" and tokens[i - 1].type == "paragraph_open":
                self._paragraph(token, tokens, i)
            elif kind in ("fence", "code_block"):
                self._add(Unit(_line(token), token.content, words(token.content)))
        return PolicyDocument(tuple(self.sections), tuple(self.units))

    def _heading(self, token: Token, inline: Token) -> None:
        level = int(token.tag[1:])
        self.lead_ins = []
        while self.headings and self.headings[-1].level >= level:
            self.headings.pop()
        section = Section(inline.content, _line(token), level, words(inline.content))
        self.sections.append(section)
        self.headings.append(section)

    def _paragraph(self, inline: Token, tokens: list[Token], i: int) -> None:
        unit = Unit(_line(inline), inline.content, words(inline.content))
        title, rest = _bold_lead(inline)
        first_in_item = i >= 2 and tokens[i - 2].type == "list_item_open"
        at_top = inline.level == 1  # a paragraph directly in the document
        if title is not None and (first_in_item or at_top):
            if at_top:
                self.lead_ins = [(s, d) for s, d in self.lead_ins if d != 0]
            self._add(unit)
            section = Section(title, unit.line, _LEAD_IN_LEVEL, words(title))
            self.sections.append(section)
            self.lead_ins.append((section, self.depth if first_in_item else 0))
            section.units.append(Unit(unit.line, rest, words(rest)))
            return
        self._add(unit)

    def _add(self, unit: Unit) -> None:
        self.units.append(unit)
        for section in self.headings:
            section.units.append(unit)
        for section, _ in self.lead_ins:
            section.units.append(unit)


def _bold_lead(inline: Token) -> tuple[str | None, str]:
    """``("Locks:", " only inside scope")`` for ``**Locks:** only inside scope``."""
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content)]
    if not children or children[0].type != "strong_open":
        return None, inline.content
    title: list[str] = []
    for j, child in enumerate(children[1:], start=1):
        if child.type == "strong_close":
            rest = "".join(
                c.content or (" " if "break" in c.type else "") for c in children[j + 1 :]
            )
            return "".join(title), rest
        title.append(child.content)
    return None, inline.content


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0
