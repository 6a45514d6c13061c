"""The audit trail (runbook §9, §13): approvals, destructive actions, overrides.

The trail is append-only and tamper-evident: each entry carries the hash of
the previous entry and its own hash over its content, so editing, removing
or reordering an entry breaks the chain that ``audit verify`` checks.
A chain alone cannot show that its tail was cut off: :mod:`lanewarden.domain.audit_trail`
checks the log against an anchor of its head kept outside it.

An approval is narrow (one action on one ref), short-lived (it expires) and
consumed by the first push that uses it; a ``consumed`` entry names the
approval it used up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from lanewarden.domain.json_input import load_json
from lanewarden.domain.times import format_time, parse_time
from lanewarden.errors import InputError

__all__ = [
    "APPROVABLE",
    "GENESIS",
    "Approval",
    "AuditEntry",
    "approvals",
    "chain_problems",
    "entry_hash",
    "find_approval",
    "parse_log",
    "seal",
]

# The rules an approval can waive, one action on one ref at a time.
APPROVABLE = ("force-push", "branch-delete", "integrator-only", "missing-evidence")
GENESIS = "0" * 64


def entry_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 over the entry's canonical JSON (without its own ``hash``)."""
    content = {k: v for k, v in body.items() if k != "hash"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(body: Mapping[str, Any], previous: str) -> dict[str, Any]:
    """The entry as written: ``body`` chained to ``previous`` and hashed."""
    sealed = {**body, "prev": previous}
    sealed["hash"] = entry_hash(sealed)
    return sealed


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    line: int
    body: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """``approval`` or ``consumed``."""
        return str(self.body.get("kind", ""))

    @property
    def hash(self) -> str:
        """The entry's own hash, as recorded."""
        return str(self.body.get("hash", ""))


def parse_log(data: bytes, *, where: str) -> list[AuditEntry]:
    """The entries of a log's bytes, one JSON object a line (blank lines skipped).

    A line that is not a JSON object is an input error naming ``where`` and the line.
    """
    entries = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            body = load_json(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise InputError(
                "the audit log has a line that is not a JSON entry (tampered or corrupt)",
                path=where,
                line=number,
                hint="restore the log from a backup; `lanewarden audit verify` shows the "
                "state of the chain",
            )
        entries.append(AuditEntry(line=number, body=body))
    return entries


def chain_problems(entries: Sequence[AuditEntry]) -> list[tuple[int, str]]:
    """``(line, what is wrong)`` for every break in the chain (empty: intact)."""
    problems = []
    previous = GENESIS
    for entry in entries:
        if entry.body.get("prev") != previous:
            problems.append((entry.line, "does not follow the entry before it (prev hash)"))
        if entry_hash(entry.body) != entry.hash:
            problems.append((entry.line, "its content does not match its hash (edited)"))
        previous = entry.hash
    return problems


@dataclass(frozen=True)
class Approval:
    """A recorded approval for one action on one ref."""

    id: str
    action: str
    ref: str
    reason: str
    by: str
    time: datetime
    expires: datetime
    consumed: str | None = None  # when it was used

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> Approval:
        """The approval an ``approval`` entry records; its id is its hash's prefix."""
        body = entry.body
        return cls(
            id=entry.hash[:16],
            action=str(body["action"]),
            ref=str(body["ref"]),
            reason=str(body.get("reason", "")),
            by=str(body.get("by", "")),
            time=parse_time(str(body["time"])),
            expires=parse_time(str(body["expires"])),
        )

    def to_json(self) -> dict[str, Any]:
        """The approval as ``approve --json`` prints it."""
        return {
            "id": self.id,
            "action": self.action,
            "ref": self.ref,
            "reason": self.reason,
            "by": self.by,
            "time": format_time(self.time),
            "expires": format_time(self.expires),
            "consumed": self.consumed,
        }


def approvals(entries: Sequence[AuditEntry]) -> list[Approval]:
    """Every approval in the trail, each marked with when it was consumed (if it was)."""
    found: dict[str, Approval] = {}
    for entry in entries:
        if entry.kind == "approval":
            approval = Approval.from_entry(entry)
            found[approval.id] = approval
        elif entry.kind == "consumed":
            used = found.get(str(entry.body.get("approval")))
            if used is not None and used.consumed is None:
                found[used.id] = replace(used, consumed=str(entry.body.get("time")))
    return list(found.values())


def find_approval(
    entries: Sequence[AuditEntry], action: str, ref: str, at: datetime
) -> tuple[Approval | None, str | None]:
    """A usable approval for exactly ``action`` on ``ref``, or why the recorded ones are not.

    Returns ``(approval, None)`` when one is usable, else ``(None, reason)``
    where the reason names an expired or consumed approval (None if there
    was never one).
    """
    matching = [a for a in approvals(entries) if a.action == action and a.ref == ref]
    for approval in reversed(matching):
        if approval.consumed is None and at < approval.expires:
            return approval, None
    if not matching:
        return None, None
    last = matching[-1]
    if last.consumed is not None:
        return None, f"approval {last.id} was already used at {last.consumed}"
    return None, f"approval {last.id} expired at {format_time(last.expires)}"
