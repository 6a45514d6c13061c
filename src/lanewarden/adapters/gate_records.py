"""Evidence records of ``gate run``: the plugin's format plus each step's details.

The file goes where :mod:`lanewarden.adapters.evidence_store` keeps every
record (same folder, same name pattern, written atomically), so ``gate
status``, the push check and ``evidence push`` read it like any other; the
extra ``steps`` field is ignored by readers that do not know it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lanewarden.adapters.evidence_store import GATE_NAME, evidence_dir
from lanewarden.adapters.files import atomic_write
from lanewarden.adapters.git import Repo
from lanewarden.domain.evidence import Evidence
from lanewarden.errors import InputError

__all__ = ["write_gate_record"]


def write_gate_record(repo: Repo, record: Evidence, steps: Sequence[dict[str, Any]]) -> Path:
    """Write ``record`` with its ``steps``; returns the file's path."""
    if not GATE_NAME.match(record.gate):
        raise InputError(f"{record.gate!r} is not a gate name (letters, digits, . _ -)")
    stamp = re.sub(r"[^0-9TZ]", "", record.time)
    path = evidence_dir(repo) / record.tree / f"gate-{record.gate}.{stamp}.{os.getpid()}.json"
    body = {**record.to_json(), "steps": list(steps)}
    atomic_write(path, json.dumps(body, indent=2, sort_keys=True) + "\n")
    return path
