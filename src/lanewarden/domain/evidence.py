"""Evidence: the record that a gate ran on an exact tree, with its result.

The record's schema is documented in ``docs/evidence.md``; ``version`` grows
when a field changes meaning or disappears (new fields do not bump it, and
readers ignore fields they do not know).

The gate names live here too: a record, the plugin's ``--lw-gate``, ``gate
run``, ``gate status`` and ``verify --gate`` all accept the same names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lanewarden.errors import InputError

__all__ = [
    "EVIDENCE_VERSION",
    "GATE_NAME",
    "GATE_NAMES",
    "STATUSES",
    "Evidence",
    "check_gate_name",
    "evidence_time",
    "gate_names",
    "latest_by_gate",
]

EVIDENCE_VERSION = 1
# passed: the gate's whole run passed; failed: it ran and something failed;
# narrowed: it ran less than the gate defines (``-k``, node ids, ``--lf``...).
STATUSES = ("passed", "failed", "narrowed")
# The built-in gates; the ``[gates]`` table may define more (see gate_names).
GATE_NAMES = ("1", "2", "3")
# What a configured gate may be called: it becomes part of a file name.
GATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def gate_names(configured: Iterable[str] = ()) -> tuple[str, ...]:
    """Every valid gate: 1, 2, 3, then the names the ``[gates]`` table adds."""
    extra = sorted({name for name in configured if name not in GATE_NAMES})
    return GATE_NAMES + tuple(extra)


def check_gate_name(name: str, valid: Iterable[str], *, where: str) -> str:
    """``name`` when it is one of ``valid``; else an input error listing them."""
    names = tuple(valid)
    if name in names:
        return name
    raise InputError(
        f"{where} {name!r} is not a gate; valid gates: {', '.join(names)}",
        hint="gates other than 1, 2 and 3 are defined in the [gates] table of the configuration",
    )


@dataclass(frozen=True)
class Evidence:
    """One gate run on one tree."""

    gate: str
    status: str  # one of STATUSES
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
    reasons: tuple[str, ...] = ()  # why the run is narrowed or failed, beyond test failures
    failures: tuple[str, ...] = ()  # the first failing tests (node ids) or steps
    run: Mapping[str, Any] = field(default_factory=dict)  # rootdir, testpaths, plugins, xdist
    steps: tuple[Mapping[str, Any], ...] = ()  # gate run: each command, its status and tail
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
            "reasons": list(self.reasons),
            "tree": self.tree,
            "head": self.head,
            "lane": self.lane,
            "worktree": self.worktree,
            "time": self.time,
            "duration": round(self.duration, 3),
            "exit_status": self.exit_status,
            "counts": dict(self.counts),
            "failures": list(self.failures),
            "touched_files": list(self.touched_files),
            "packages": list(self.packages),
            "selection": dict(self.selection),
            "command": list(self.command),
            "run": dict(self.run),
            "steps": [dict(step) for step in self.steps],
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
                touched_files=tuple(_text(f) for f in data.get("touched_files", ())),
                packages=tuple(_text(p) for p in data.get("packages", ())),
                selection=dict(data.get("selection", {})),
                counts={str(k): _count(v) for k, v in data.get("counts", {}).items()},
                exit_status=int(data.get("exit_status", 0)),
                duration=_seconds(data.get("duration", 0.0)),
                command=tuple(str(a) for a in data.get("command", ())),
                tools={str(k): str(v) for k, v in data.get("tools", {}).items()},
                reasons=tuple(str(r) for r in data.get("reasons", ())),
                failures=tuple(str(f) for f in data.get("failures", ())),
                run=dict(data.get("run", {})),
                steps=tuple(dict(s) for s in data.get("steps", ())),
                version=version,
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
            raise InputError(f"malformed evidence record: {e!r}", path=path) from None
        if record.status not in STATUSES:
            raise InputError(
                f"evidence status must be one of {', '.join(STATUSES)}, not {record.status!r}",
                path=path,
            )
        return record


def evidence_time() -> str:
    """The current UTC time, ISO 8601 with microseconds (orders runs within a second)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value


def _count(value: Any) -> int:
    """A count of tests: a whole number (a float such as ``1e999`` is refused, not truncated)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"expected a count (a whole number), got {value!r}")
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"expected a duration in seconds, got {value!r}")
    return float(value)


def latest_by_gate(records: Iterable[Evidence]) -> dict[str, Evidence]:
    """The most recent record of each gate (by start time), gates sorted by name."""
    latest: dict[str, Evidence] = {}
    for record in records:
        current = latest.get(record.gate)
        if current is None or record.time >= current.time:
            latest[record.gate] = record
    return dict(sorted(latest.items()))
