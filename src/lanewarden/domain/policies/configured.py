"""The ``[tool.lanewarden.policies]`` table: switch policies off, add policies.

::

    [tool.lanewarden.policies]
    disable = { context7 = "no Context7 access here; see DECISIONS.md D-004" }

    [[tool.lanewarden.policies.extra]]
    id = "release-notes"
    title = "Release notes"
    headings = ["release notes|changelog"]
    text = "## Release notes\\n\\nEvery user-visible change adds a changelog entry.\\n"
    [tool.lanewarden.policies.extra.requires]
    "a changelog entry per change" = ["changelog|release note", "entry|line|add"]

(In a ``lanewarden.toml`` the table is ``[policies]``.) ``text`` is optional;
without it the suggested text is built from the title and the requirements.
Every mistake is an :class:`~lanewarden.errors.InputError` naming the key and
the configuration file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanewarden.domain.policies.detection import assess
from lanewarden.domain.policies.document import PolicyDocument, contains
from lanewarden.domain.policies.model import Element, Policy
from lanewarden.domain.policies.words import parse_alternatives, words
from lanewarden.errors import InputError

__all__ = ["PolicySettings", "read_policy_settings"]

_KEYS = ("disable", "extra")
_EXTRA_KEYS = ("id", "title", "headings", "requires", "text")


@dataclass(frozen=True)
class PolicySettings:
    """What configuration says about policies."""

    disabled: Mapping[str, str]  # policy id -> the reason it is off
    extra: tuple[Policy, ...]


def read_policy_settings(table: Mapping[str, Any], source: Path | None) -> PolicySettings:
    """Validate the raw ``policies`` table of the configuration."""
    where = source if source is not None else "(defaults)"
    for key in table:
        if key not in _KEYS:
            raise _error(f"unknown key policies.{key} (known keys: disable, extra)", where)
    disabled = _disabled(table.get("disable", {}), where)
    raw_extra = table.get("extra", [])
    if not isinstance(raw_extra, list):
        raise _error("policies.extra must be an array of tables ([[...policies.extra]])", where)
    extra = tuple(_extra(item, i, where) for i, item in enumerate(raw_extra))
    return PolicySettings(disabled, extra)


def _disabled(raw: Any, where: Path | str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _error('policies.disable must be a table: {policy-id = "reason"}', where)
    for policy_id, reason in raw.items():
        if not isinstance(reason, str) or not reason.strip():
            raise _error(
                f"policies.disable.{policy_id} needs the reason the policy is off, as text",
                where,
            )
    return dict(raw)


def _extra(item: Any, index: int, where: Path | str) -> Policy:
    key = f"policies.extra[{index}]"
    if not isinstance(item, dict):
        raise _error(f"{key} must be a table", where)
    for name in item:
        if name not in _EXTRA_KEYS:
            raise _error(f"unknown key {key}.{name} (known: {', '.join(_EXTRA_KEYS)})", where)
    for name in ("id", "title", "headings", "requires"):
        if name not in item:
            raise _error(f"{key} needs {name!r}", where)
    policy_id, title = item["id"], item["title"]
    if not isinstance(policy_id, str) or not isinstance(title, str):
        raise _error(f"{key}: id and title must be strings", where)
    key = f"policies.extra[{index}] ({policy_id})"
    headings = _strings(item["headings"], f"{key}.headings", where)
    elements = _requires(item["requires"], f"{key}.requires", where)
    text = item.get("text")
    if text is not None and not isinstance(text, str):
        raise _error(f"{key}.text must be a string", where)
    try:
        policy = Policy.of(
            policy_id,
            title,
            headings=headings,
            elements=elements,
            text=text if text is not None else _suggested_text(title, headings, elements),
            origin=str(where if isinstance(where, str) else where.name),
        )
    except ValueError as e:
        raise _error(f"{key}: {e}", where) from None
    if text is not None and assess(policy, PolicyDocument.parse(text)).status != "present":
        raise _error(
            f"{key}.text does not satisfy its own requirements (its heading must match "
            "'headings' and its body must state every requirement)",
            where,
        )
    return policy


def _requires(raw: Any, key: str, where: Path | str) -> list[Element]:
    if not isinstance(raw, dict) or not raw:
        raise _error(f'{key} must be a table: {{"requirement" = ["concept|alternative"]}}', where)
    elements = []
    for name, concepts in raw.items():
        if isinstance(concepts, str):
            concepts = [concepts]
        try:
            elements.append(Element(name, *_strings(concepts, f"{key}.{name}", where)))
        except ValueError as e:
            raise _error(f"{key}.{name}: {e}", where) from None
    return elements


def _strings(raw: Any, key: str, where: Path | str) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise _error(f"{key} must be a non-empty list of strings", where)
    return raw


def _suggested_text(title: str, headings: list[str], elements: list[Element]) -> str:
    """A section that states each requirement by its first phrasings (a starting point)."""
    heading = title
    if not any(contains(words(title), p) for h in headings for p in parse_alternatives(h)):
        heading = f"{title} ({headings[0].split('|')[0].strip()})"
    lines = [f"## {heading}", ""]
    for element in elements:
        phrasing = " ".join(concept.split("|")[0].strip() for concept in element.concepts)
        lines.append(f"- {element.name}: {phrasing}.")
    return "\n".join(lines) + "\n"


def _error(message: str, where: Path | str) -> InputError:
    return InputError(
        message,
        path=where,
        hint="see docs/policies.md for the [tool.lanewarden.policies] table",
    )
