"""What a policy is: an id, a title, how to find its section, and what it must say.

A policy's section is found by its heading (see :attr:`Policy.headings`); the
section then has to state each of the policy's :class:`Element`. An element
is a small pattern language, the same in code, in configuration and in the
docs (``docs/policies.md``):

- an element is a list of *concepts* that must all occur in one paragraph,
  list item, table row or code block of the section's body;
- a concept is a ``|``-separated list of alternative phrasings, any of which
  will do;
- a phrasing is one or more words that must occur together and in order,
  compared after lower-casing and light stemming (:mod:`.words`), so
  ``"edit"`` also matches "edits", "edited" and "editing".

``Element("only the integrator applies patches", "only|sole|nobody else",
"integrator", "apply|commit|merge")`` is satisfied by "Nobody else but the
integrator merges lane patches."
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from lanewarden.domain.policies.words import Phrase, parse_alternatives

__all__ = ["Element", "Policy", "Status"]

_POLICY_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")

# The verdict on one policy, as the report and its JSON spell it.
Status = str  # "present" | "incomplete" | "missing" | "disabled"


@dataclass(frozen=True)
class Element:
    """One thing a policy section must state, as concepts that share a paragraph."""

    name: str
    concepts: tuple[str, ...]

    def __init__(self, name: str, *concepts: str) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "concepts", tuple(concepts))
        if not name.strip():
            raise ValueError("an element needs a name")
        if not concepts:
            raise ValueError(f"element {name!r} needs at least one concept")
        self.compiled  # noqa: B018 - fail at definition, not at the first check

    @cached_property
    def compiled(self) -> tuple[tuple[Phrase, ...], ...]:
        """Each concept as its stemmed alternative phrases."""
        return tuple(parse_alternatives(c) for c in self.concepts)


@dataclass(frozen=True)
class Policy:
    """One required policy of the agent policy file.

    ``headings`` are concepts (same language as :class:`Element`): a section
    whose heading matches any of them is about this policy. ``text`` is a
    Markdown section that satisfies the policy; ``lanewarden init`` appends it
    and the bootstrap report shows it as the fix. ``origin`` says where the
    policy comes from (``builtin``, the configuration file, or a plugin).
    """

    id: str
    title: str
    headings: tuple[str, ...]
    elements: tuple[Element, ...]
    text: str
    origin: str = "plugin"
    compiled_headings: tuple[tuple[Phrase, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _POLICY_ID.match(self.id):
            raise ValueError(f"policy id {self.id!r} must be lower-case letters, digits and -")
        if not self.title.strip():
            raise ValueError(f"policy {self.id!r} needs a title")
        if not self.headings:
            raise ValueError(f"policy {self.id!r} needs at least one heading concept")
        if not self.elements:
            raise ValueError(f"policy {self.id!r} needs at least one required element")
        if not self.text.strip():
            raise ValueError(f"policy {self.id!r} needs the text that satisfies it")
        compiled = tuple(parse_alternatives(h) for h in self.headings)
        object.__setattr__(self, "compiled_headings", compiled)

    @classmethod
    def of(
        cls,
        id: str,
        title: str,
        *,
        headings: Sequence[str],
        elements: Sequence[Element],
        text: str,
        origin: str = "plugin",
    ) -> Policy:
        """Build a policy from lists (the constructor wants tuples)."""
        return cls(id, title, tuple(headings), tuple(elements), text, origin)
