"""Judge one policy against a parsed policy file: present, incomplete or missing."""

from __future__ import annotations

from dataclasses import dataclass

from lanewarden.domain.policies.document import PolicyDocument, Section, Unit, contains
from lanewarden.domain.policies.model import Element, Policy
from lanewarden.domain.policies.words import Phrase

__all__ = ["Finding", "assess", "element_in", "heading_matches"]


@dataclass(frozen=True)
class Finding:
    """What the file says about one policy."""

    status: str  # "present" | "incomplete" | "missing"
    line: int | None  # the heading of the section that says the most about it
    title: str | None  # that heading's text
    lacks: tuple[Element, ...]


def heading_matches(policy: Policy, section: Section) -> bool:
    """Whether ``section``'s heading says it is about ``policy``."""
    return any(
        any(contains(section.title_words, phrase) for phrase in concept)
        for concept in policy.compiled_headings
    )


def element_in(element: Element, unit: Unit) -> bool:
    """Whether one unit states ``element``: every concept, in any of its phrasings."""
    return all(_concept_in(concept, unit.words) for concept in element.compiled)


def assess(policy: Policy, document: PolicyDocument) -> Finding:
    """Find ``policy``'s sections and check that together they state every element.

    A policy may be spread over several matching sections ("Locks" and "Lock
    reclaim"); the reported line is the one of the section stating the most.
    """
    sections = [s for s in document.sections if heading_matches(policy, s)]
    if not sections:
        return Finding("missing", None, None, policy.elements)
    stated = [{e for e in policy.elements if _stated(e, s)} for s in sections]
    best = max(range(len(sections)), key=lambda i: len(stated[i]))  # the first on ties
    found = set().union(*stated)
    lacks = tuple(e for e in policy.elements if e not in found)
    section = sections[best]
    return Finding("incomplete" if lacks else "present", section.line, section.title, lacks)


def _stated(element: Element, section: Section) -> bool:
    return any(element_in(element, unit) for unit in section.units)


def _concept_in(concept: tuple[Phrase, ...], haystack: tuple[str, ...]) -> bool:
    return any(contains(haystack, phrase) for phrase in concept)
