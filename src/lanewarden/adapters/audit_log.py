"""The audit log file: ``<git common dir>/lanewarden/audit.log``, one JSON entry a line.

Appends happen under an exclusive lock, so two writers never chain to the
same previous entry; the file is only ever appended to (``O_APPEND``) and
flushed to disk before the lock is released. Every worktree shares it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lanewarden.adapters.files import exclusive_lock
from lanewarden.adapters.git import Repo
from lanewarden.domain.audit import GENESIS, AuditEntry, seal
from lanewarden.errors import InputError

__all__ = ["AuditLog"]


class AuditLog:
    """The repository's append-only, hash-chained audit log."""

    def __init__(self, repo: Repo) -> None:
        self.path: Path = repo.state_dir / "audit.log"
        self._lock = repo.state_dir / "audit.lock"

    def read(self) -> list[AuditEntry]:
        """Every entry, in order; a line that is not a JSON object is an input error."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as e:
            raise InputError(f"cannot read the audit log: {e.strerror}", path=self.path) from None
        entries = []
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise InputError(
                    "the audit log has a line that is not a JSON entry (tampered or corrupt)",
                    path=self.path,
                    line=number,
                    hint="restore the log from a backup; `lanewarden audit verify` shows the "
                    "state of the chain",
                )
            entries.append(AuditEntry(line=number, body=body))
        return entries

    def append(self, body: Mapping[str, Any]) -> AuditEntry:
        """Chain ``body`` to the last entry and append it; returns the entry written."""
        with exclusive_lock(self._lock):
            entries = self.read()
            previous = entries[-1].hash if entries else GENESIS
            sealed = seal(body, previous)
            line = json.dumps(sealed, sort_keys=True, ensure_ascii=False) + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        number = entries[-1].line + 1 if entries else 1
        return AuditEntry(line=number, body=sealed)
