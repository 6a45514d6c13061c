"""Evidence: the record that a gate ran on an exact tree, with its result.

The record's schema is documented in ``docs/evidence.md``; ``version`` grows
when a field changes meaning or disappears (new fields do not bump it, and
readers ignore fields they do not know).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lanewarden.errors import InputError

__all__ = ["EVIDENCE_VERSION", "STATUSES", "Evidence", "evidence_time", "latest_by_gate"]

EVIDENCE_VERSION = 1
STATUSES = ("passed", "failed")


@dataclass(frozen=True)
class Evidence:
    """One gate run on one tree."""

    gate: str
    status: str  # "passed" or "failed"
    tree: str  # git tree id of exactly the content tested
    time: str  # ISO 8601 UTC with microseconds, when the run started
    head: str | None = None
    lane: str | None = None
    worktree: str | None = None
    touched_files: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    selection: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    exit_status: int = 0
    duration: float = 0.0  # seconds
    command: tuple[str, ...] = ()
    tools: Mapping[str, str] = field(default_factory=dict)
    version: int = EVIDENCE_VERSION

    @property
    def passed(self) -> bool:
        """Whether the gate passed on this tree."""
        return self.status == "passed"

    def to_json(self) -> dict[str, Any]:
        """The record as written to disk (see docs/evidence.md)."""
        return {
            "version": self.version,
            "gate": self.gate,
            "status": self.status,
            "tree": self.tree,
            "head": self.head,
            "lane": self.lane,
            "worktree": self.worktree,
            "time": self.time,
            "duration": round(self.duration, 3),
            "exit_status": self.exit_status,
            "counts": dict(self.counts),
            "touched_files": list(self.touched_files),
            "packages": list(self.packages),
            "selection": dict(self.selection),
            "command": list(self.command),
            "tools": dict(self.tools),
        }

    @classmethod
    def from_json(cls, data: Any, *, path: str | None = None) -> Evidence:
        """Read a record; a malformed one is an :class:`InputError` naming the file."""
        if not isinstance(data, dict):
            raise InputError("an evidence record must be a JSON object", path=path)
        version = data.get("version")
        if not isinstance(version, int) or version > EVIDENCE_VERSION or version < 1:
            raise InputError(
                f"unsupported evidence version {version!r} (this lanewarden reads 1 to "
                f"{EVIDENCE_VERSION})",
                path=path,
                hint="upgrade lanewarden, or run the gate again to record new evidence",
            )
        try:
            record = cls(
                gate=_text(data["gate"]),
                status=_text(data["status"]),
                tree=_text(data["tree"]),
                time=_text(data["time"]),
                head=data.get("head"),
                lane=data.get("lane"),
                worktree=data.get("worktree"),
                touched_files=tuple(data.get("touched_files", ())),
                packages=tuple(data.get("packages", ())),
                selection=dict(data.get("selection", {})),
                counts={str(k): int(v) for k, v in data.get("counts", {}).items()},
                exit_status=int(data.get("exit_status", 0)),
                duration=float(data.get("duration", 0.0)),
                command=tuple(str(a) for a in data.get("command", ())),
                tools={str(k): str(v) for k, v in data.get("tools", {}).items()},
                version=version,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise InputError(f"malformed evidence record: {e!r}", path=path) from None
        if record.status not in STATUSES:
            raise InputError(
                f"evidence status must be passed or failed, not {record.status!r}", path=path
            )
        return record


def evidence_time() -> str:
    """The current UTC time, ISO 8601 with microseconds (orders runs within a second)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value


def latest_by_gate(records: Iterable[Evidence]) -> dict[str, Evidence]:
    """The most recent record of each gate (by start time), gates sorted by name."""
    latest: dict[str, Evidence] = {}
    for record in records:
        current = latest.get(record.gate)
        if current is None or record.time >= current.time:
            latest[record.gate] = record
    return dict(sorted(latest.items()))
