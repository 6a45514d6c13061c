"""lanewarden's record of the lock table it last wrote.

The file ``<git common dir>/lanewarden/ledger.digest`` holds one JSON object:
the table's rows as lanewarden reads them and their SHA-256.
Every worktree shares it, like the ledger it describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lanewarden.adapters.files import atomic_write

# json and hashlib are imported where used: the pre-commit hook's warm path
# loads this module, and reads the record only when its cached verdict is stale.
Row = list[Any]  # as in lanewarden.domain.tampering

__all__ = ["LedgerDigest", "rows_digest"]


def rows_digest(rows: Sequence[Row]) -> str:
    """The SHA-256 of a lock table's rows (what the audit log records of an accepted edit)."""
    import hashlib
    import json

    text = json.dumps(list(rows), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class LedgerDigest:
    """The record file of one repository."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, rows: Sequence[Row]) -> str:
        """Record ``rows`` as the table lanewarden wrote; returns their digest."""
        import json

        digest = rows_digest(rows)
        body = {"format": 1, "sha256": digest, "rows": list(rows)}
        atomic_write(self.path, json.dumps(body, ensure_ascii=False, indent=1) + "\n")
        return digest

    def recorded(self) -> list[Row] | None:
        """The recorded rows; None when there is no record, or one that does not verify."""
        from lanewarden.domain.json_input import load_json
        from lanewarden.domain.tampering import is_row_list

        try:
            body = load_json(self.path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(body, dict):
            return None
        rows = body.get("rows")
        if not isinstance(rows, list) or not is_row_list(rows):
            return None
        return rows if body.get("sha256") == rows_digest(rows) else None
