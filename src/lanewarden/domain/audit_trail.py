"""The audit trail's anchor: the chain's head kept outside the log.

A hash chain cannot show that its tail was cut off, so its head is also
anchored outside the log: a git ref whose commit carries the whole log, one
commit per append, each the child of the one before. The anchor's history
names every past head, so a log that does not extend all of them (truncated,
deleted, rewritten, or moved back together with the ref) does not verify,
and only entries in a verified anchor count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lanewarden.domain.audit import GENESIS, AuditEntry, chain_problems

__all__ = [
    "Anchor",
    "AnchorPoint",
    "Trail",
    "TrailProblem",
    "anchor_message",
    "entries_text",
    "parse_anchor_message",
]


def entries_text(count: int) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{count} entry" if count == 1 else f"{count} entries"


def anchor_message(entries: Sequence[AuditEntry]) -> str:
    """The anchor commit's message: how many entries it anchors and the hash of the last."""
    head = entries[-1].hash if entries else GENESIS
    count = len(entries)
    return f"lanewarden audit: {entries_text(count)}\n\nEntries: {count}\nHead: {head}\n"


def parse_anchor_message(message: str) -> tuple[int, str] | None:
    """``(entries, head)`` from an anchor commit's message, or None when it names neither."""
    fields = {}
    for line in message.splitlines():
        name, _, value = line.partition(": ")
        if name in ("Entries", "Head"):
            fields[name] = value.strip()
    count = fields.get("Entries", "")
    if not count.isdecimal() or "Head" not in fields:
        return None
    return int(count), fields["Head"]


@dataclass(frozen=True)
class AnchorPoint:
    """One commit of the anchor: what it says it anchors (None: it does not say)."""

    commit: str
    parents: int
    anchored: tuple[int, str] | None  # (entries, head hash)


@dataclass(frozen=True)
class Anchor:
    """The anchor as found: its commit, the log it carries, its history, where it was before."""

    commit: str
    entries: tuple[AuditEntry, ...]
    history: tuple[AnchorPoint, ...]  # newest first, the anchor's own commit included
    moved_from: tuple[AnchorPoint, ...] = ()  # earlier values it does not descend from
    unreadable: str | None = None  # why the log it carries could not be read


@dataclass(frozen=True)
class TrailProblem:
    """One reason the trail does not verify.

    ``kind`` says which copy is wrong: ``log`` (the log differs from its
    anchor), ``anchor`` (the anchor is not what lanewarden wrote),
    ``rewound`` (the anchor was moved back) or ``unanchored`` (a log with no
    anchor). ``line`` is a line of the local log, when one is to blame.
    """

    kind: str
    what: str
    line: int | None = None
    commit: str | None = None


def _anchor_problems(anchor: Anchor) -> list[TrailProblem]:
    if anchor.unreadable is not None:
        return [TrailProblem("anchor", f"the log it carries is unreadable: {anchor.unreadable}")]
    problems = [
        TrailProblem("anchor", f"entry {line} of the log it carries {what}")
        for line, what in chain_problems(anchor.entries)
    ]
    entries = anchor.entries
    oldest_first = list(reversed(anchor.history))
    for position, point in enumerate(oldest_first, start=1):
        where = f"anchor commit {point.commit[:12]}"
        if point.parents > 1:
            problems.append(
                TrailProblem("anchor", f"{where} is a merge: lanewarden never writes one")
            )
            break
        if point.anchored is None:
            problems.append(TrailProblem("anchor", f"{where} does not say which head it anchors"))
            break
        count, head = point.anchored
        if count != position or count > len(entries) or entries[count - 1].hash != head:
            problems.append(
                TrailProblem(
                    "anchor",
                    f"{where} anchored {entries_text(count)} ending in {head[:16]}, which the log "
                    f"it carries now does not extend (its history was rewritten)",
                )
            )
            break
    else:
        if oldest_first and oldest_first[-1].anchored != (len(entries), _head(entries)):
            problems.append(
                TrailProblem("anchor", f"it carries {entries_text(len(entries))}, not what it says")
            )
    for point in anchor.moved_from:
        held = f" ({entries_text(point.anchored[0])})" if point.anchored else ""
        problems.append(
            TrailProblem(
                "rewound",
                f"the anchor was moved back: it pointed at {point.commit}{held} before, and "
                "what it points at now does not descend from it",
                commit=point.commit,
            )
        )
    return problems


def _head(entries: Sequence[AuditEntry]) -> str:
    return entries[-1].hash if entries else GENESIS


def _log_problems(
    local: Sequence[AuditEntry] | None, anchored: Sequence[AuditEntry]
) -> list[TrailProblem]:
    mine = list(local or [])
    for index, (entry, kept) in enumerate(zip(mine, anchored, strict=False), start=1):
        if dict(entry.body) != dict(kept.body):
            return [
                TrailProblem(
                    "log",
                    f"the entry at line {entry.line} is not anchored entry {index} "
                    "(edited or replaced)",
                    line=entry.line,
                )
            ]
    if len(mine) < len(anchored):
        last = mine[-1].line if mine else 0
        state = "is missing (deleted)" if local is None else f"ends at line {last}"
        return [
            TrailProblem(
                "log",
                f"the audit log {state}, but its anchor holds {entries_text(len(anchored))}: the "
                f"entries after line {last} are missing (truncated)",
                line=last,
            )
        ]
    if len(mine) > len(anchored):
        extra = mine[len(anchored)]
        return [
            TrailProblem(
                "log",
                f"the entries from line {extra.line} on ({len(mine) - len(anchored)}) are not "
                "in the anchored chain: written by hand, not by lanewarden",
                line=extra.line,
            )
        ]
    return []


@dataclass(frozen=True)
class Trail:
    """The local log and its anchor, as read, and every reason they do not verify."""

    local: tuple[AuditEntry, ...] | None  # None: no log file
    anchor: Anchor | None
    unreadable: TrailProblem | None = None  # the local log has a line that is not JSON

    @property
    def problems(self) -> list[TrailProblem]:
        """Empty when the log is exactly what its anchor carries and the anchor verifies."""
        problems = [] if self.unreadable is None else [self.unreadable]
        if self.anchor is None:
            if self.local:
                problems.append(
                    TrailProblem(
                        "unanchored",
                        f"the audit log has {entries_text(len(self.local))} but no anchor: none of "
                        "them is in the anchored chain",
                        line=self.local[0].line,
                    )
                )
            return problems
        problems += _anchor_problems(self.anchor)
        if self.unreadable is None:
            problems += _log_problems(self.local, self.anchor.entries)
        return problems

    def honoured(self) -> list[AuditEntry]:
        """The entries that count: the anchored ones, when the anchor itself verifies."""
        if self.anchor is None or _anchor_problems(self.anchor):
            return []
        return list(self.anchor.entries)

    def anchor_verifies(self) -> bool:
        """Whether the anchor (if any) is one lanewarden wrote and was never moved back."""
        return self.anchor is None or not _anchor_problems(self.anchor)

    def ignored_approvals(self) -> list[AuditEntry]:
        """Approval lines of the local log that are not honoured (not in a verified anchor)."""
        honoured = {entry.hash for entry in self.honoured()}
        return [e for e in self.local or () if e.kind == "approval" and e.hash not in honoured]
