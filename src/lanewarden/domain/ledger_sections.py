"""The ledger's Checkpoints and Failures sections, as text lanewarden appends to.

Workers never write the execution ledger (it has one writer): their
checkpoints and the decided escalations live in their own files, and the
orchestrator folds them into the ledger when it next writes it. Folding only
*inserts* entries: each goes at the end of its section (``## Checkpoints``,
``## Failures ...``), after whatever is written there, and every byte already
in the file stays where it was. An entry is known by its heading
(``### L-001 CP-03``), so folding twice adds nothing, and an entry someone
wrote by hand under the same heading is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CHECKPOINTS", "FAILURES", "Entry", "fold_entries"]

CHECKPOINTS = re.compile(r"checkpoints?\b", re.IGNORECASE)
FAILURES = re.compile(r"failures?\b", re.IGNORECASE)

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@dataclass(frozen=True)
class Entry:
    """One entry: its heading text (its identity) and its body lines."""

    key: str
    lines: tuple[str, ...]


def _lines(text: str) -> list[str]:
    found = [m[0] for m in _LINE.finditer(text)]
    if found and found[-1] == "":
        found.pop()
    return found


def _headings(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(index, level, text)`` of every heading outside fenced code blocks."""
    headings = []
    fence: str | None = None
    for index, line in enumerate(lines):
        content = line.rstrip("\r\n")
        opened = _FENCE.match(content)
        if fence is not None:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened[1]
            continue
        match = _HEADING.match(content)
        if match:
            headings.append((index, len(match[1]), (match[2] or "").strip()))
    return headings


def _newline(lines: Sequence[str]) -> str:
    endings = [line[len(line.rstrip("\r\n")) :] for line in lines]
    return max(("\n", "\r\n", "\r"), key=endings.count)


def fold_entries(text: str, section: re.Pattern[str], title: str, entries: Sequence[Entry]) -> str:
    """``text`` with the ``entries`` it lacks appended to the section ``section`` names.

    The section is the first heading whose text ``section`` matches at its
    start; when there is none, a ``## {title}`` section is added at the end.
    Entries are ``### key`` headings followed by their lines.
    """
    lines = _lines(text)
    headings = _headings(lines)
    present = {heading_text for _, _, heading_text in headings}
    missing = [entry for entry in entries if entry.key not in present]
    if not missing:
        return text
    newline = _newline(lines)
    block: list[str] = []
    for entry in missing:
        block += ["", f"### {entry.key}", "", *entry.lines]
    found = next(((i, level) for i, level, t in headings if section.match(t)), None)
    if found is None:
        block = ["", f"## {title}", *block]
        at = len(lines)
    else:
        start, level = found
        ends = [i for i, lvl, _ in headings if i > start and lvl <= level]
        at = ends[0] if ends else len(lines)
        # The entries follow the section's last written line, before its blank lines.
        while at > start + 1 and not lines[at - 1].strip():
            at -= 1
    before = lines[:at]
    if before and not before[-1].endswith(("\n", "\r")):
        before[-1] += newline  # a file without a final newline gets one before our text
    inserted = [line + newline for line in block]
    after = lines[at:]
    if after and after[0].strip():
        inserted.append(newline)  # keep a blank line before the next heading
    return "".join(before + inserted + after)
