"""The audit log file: ``<git common dir>/lanewarden/audit.log``, one JSON entry a line.

Appends happen under an exclusive lock, so two writers never chain to the
same previous entry. Each append first anchors the new log
(:mod:`lanewarden.adapters.audit_anchor`, compare-and-swap on the ref), then
appends the line to the file (``O_APPEND``, flushed to disk) before the lock
is released. Nothing is appended to a trail that does not verify: a log
that differs from its anchor stays as it is for ``audit verify`` to report.
Every worktree shares the log and the anchor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanewarden.adapters.audit_anchor import (
    ANCHOR_REF,
    anchor_commit,
    anchored_log,
    move_anchor,
    read_anchor,
    set_anchor,
)
from lanewarden.adapters.commits import is_ancestor
from lanewarden.adapters.files import atomic_write, exclusive_lock
from lanewarden.adapters.git import Repo
from lanewarden.adapters.remote_ref import fetch_ref, push_ref
from lanewarden.domain.audit import GENESIS, AuditEntry, chain_problems, parse_log, seal
from lanewarden.domain.audit_trail import Trail, TrailProblem
from lanewarden.errors import InputError

__all__ = ["AuditLog", "FetchResult"]

_FETCHED = "refs/lanewarden/audit-fetched"


@dataclass(frozen=True)
class FetchResult:
    """What ``audit fetch`` did: whether the remote had an anchor, and what changed here."""

    found: bool
    anchor: str | None = None  # the local anchor afterwards
    moved: bool = False  # the local anchor fast-forwarded to the remote's
    log_kept: bool = False  # the local log does not lead to the fetched one: left as it was
    log_extended: bool = False  # the local log was behind the anchor and now matches it


class AuditLog:
    """The repository's append-only, hash-chained, anchored audit log."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.path: Path = repo.state_dir / "audit.log"
        self._lock = repo.state_dir / "audit.lock"

    def _bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise InputError(f"cannot read the audit log: {e.strerror}", path=self.path) from None

    def read(self) -> list[AuditEntry]:
        """Every entry of the local log, in order; a line that is not JSON is an input error."""
        data = self._bytes()
        return [] if data is None else parse_log(data, where=str(self.path))

    def trail(self) -> Trail:
        """The local log and its anchor, for checking which entries count."""
        try:
            data = self._bytes()
            local = None if data is None else tuple(parse_log(data, where=str(self.path)))
            unreadable = None
        except InputError as e:
            local = None
            unreadable = TrailProblem("log", e.message, line=e.line)
        return Trail(local=local, anchor=read_anchor(self.repo), unreadable=unreadable)

    def append(
        self,
        body: Mapping[str, Any],
        *,
        unless: Callable[[Sequence[AuditEntry]], str | None] | None = None,
    ) -> AuditEntry:
        """Chain ``body`` to the last entry, anchor it and append it; returns the entry written.

        Refused (an input error) when the trail does not verify: an entry
        chained to a truncated or forged log would make it look whole again.
        ``unless``, given the entries under the lock, may name a reason not to
        append (another writer got there first): then nothing is written and
        that reason is the input error.
        """
        with exclusive_lock(self._lock):
            self._require_intact()
            data = self._bytes() or b""
            entries = parse_log(data, where=str(self.path))
            why_not = unless(entries) if unless is not None else None
            if why_not:
                raise InputError(why_not, path=self.path)
            previous = entries[-1].hash if entries else GENESIS
            sealed = seal(body, previous)
            number = entries[-1].line + 1 if entries else 1
            entry = AuditEntry(line=number, body=sealed)
            line = _line(sealed)
            move_anchor(self.repo, data + line, [*entries, entry], anchor_commit(self.repo))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def adopt(self, body: Mapping[str, Any]) -> tuple[AuditEntry, int]:
        """Anchor a log written before anchors existed, ending it with ``body``.

        Allowed only while there is no anchor and the log's own chain is
        intact (else an input error: the caller checks both first and reports
        them; this is the check under the lock). The anchor gets one commit
        per entry, as if each had been anchored when written, so its history
        verifies like any other. Returns the entry written and how many
        entries were adopted before it.
        """
        with exclusive_lock(self._lock):
            if anchor_commit(self.repo) is not None:
                raise InputError(
                    f"{ANCHOR_REF} exists: only a log that never had an anchor is adopted",
                    hint="`lanewarden audit verify` says what is wrong with the trail",
                )
            data = self._bytes() or b""
            entries = parse_log(data, where=str(self.path))
            if not entries or chain_problems(entries):
                raise InputError(
                    "the audit log changed while it was being adopted",
                    path=self.path,
                    hint="run `lanewarden audit verify`, then `lanewarden audit anchor` again",
                )
            lines = data.split(b"\n")
            anchor = None
            for count, entry in enumerate(entries, start=1):
                prefix = b"".join(line + b"\n" for line in lines[: entry.line])
                anchor = move_anchor(self.repo, prefix, entries[:count], anchor)
            if not data.endswith(b"\n"):
                data += b"\n"
            sealed = seal(body, entries[-1].hash)
            entry = AuditEntry(line=entries[-1].line + 1, body=sealed)
            line = _line(sealed)
            move_anchor(self.repo, data + line, [*entries, entry], anchor)
            if not self.path.read_bytes().endswith(b"\n"):
                atomic_write(self.path, data)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry, len(entries)

    def _require_intact(self) -> None:
        problems = self.trail().problems
        if problems:
            first = problems[0]
            raise InputError(
                f"the audit trail does not verify ({first.what}): nothing more is recorded "
                "in it until it does",
                path=self.path if first.line is not None else ANCHOR_REF,
                line=first.line or None,
                hint="`lanewarden audit verify` says what is wrong and how to restore it",
            )

    def fetch(self, remote: str) -> FetchResult:
        """Fast-forward the anchor to ``remote``'s, and the log with it when it leads there.

        A remote anchor that does not descend from ours (the trails diverged)
        is refused: lanewarden never drops entries, here or there.
        """
        if not fetch_ref(self.repo, remote, ANCHOR_REF, _FETCHED):
            return FetchResult(found=False, anchor=anchor_commit(self.repo))
        try:
            with exclusive_lock(self._lock):
                return self._fast_forward(remote)
        finally:
            self.repo.git("update-ref", "-d", _FETCHED, ok_codes=(0, 1))

    def _fast_forward(self, remote: str) -> FetchResult:
        theirs = anchor_commit(self.repo, _FETCHED)
        ours = anchor_commit(self.repo)
        moved = False
        if theirs is None or theirs == ours or (ours and is_ancestor(self.repo, theirs, ours)):
            pass  # nothing new there
        elif ours is not None and not is_ancestor(self.repo, ours, theirs):
            raise InputError(
                f"the audit trails have diverged: {remote}'s {ANCHOR_REF} and ours each hold "
                "entries the other does not; lanewarden never overwrites either",
                hint="record approvals in one repository, and run `lanewarden audit fetch` "
                "before approving anywhere else",
            )
        else:
            set_anchor(self.repo, theirs, ours, why=f"lanewarden audit: fetched from {remote}")
            ours, moved = theirs, True
        if ours is None:
            return FetchResult(found=True)
        # The log follows the anchor when it leads there (a clone without one, or a
        # log cut short); one that does not is left for `audit verify` to report.
        carried = anchored_log(self.repo, ours)
        local = self._bytes() or b""
        if not carried.startswith(local):
            return FetchResult(found=True, anchor=ours, moved=moved, log_kept=True)
        if carried == local:
            return FetchResult(found=True, anchor=ours, moved=moved)
        atomic_write(self.path, carried)
        return FetchResult(found=True, anchor=ours, moved=moved, log_extended=True)

    def push(self, remote: str, *, attempts: int = 3) -> tuple[bool, list[TrailProblem]]:
        """Push the anchor to ``remote`` as a fast-forward, after taking in what it has.

        Returns ``(pushed, problems)``: nothing is pushed when the trail does
        not verify (the problems say why) or when there is no anchor yet.
        """
        for _ in range(attempts):
            # Checked before the fetch too: a fetch brings a log cut short back up to
            # its anchor, and a push must not be what hides that it was cut.
            problems = self.trail().problems
            if problems:
                return False, problems
            self.fetch(remote)
            problems = self.trail().problems
            if problems:
                return False, problems
            if anchor_commit(self.repo) is None:
                return False, []
            if push_ref(self.repo, remote, ANCHOR_REF):
                return True, []
        raise InputError(
            f"could not push {ANCHOR_REF} to {remote}: it kept changing",
            hint="run `lanewarden audit push` again",
        )


def _line(sealed: Mapping[str, Any]) -> bytes:
    return (json.dumps(sealed, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
