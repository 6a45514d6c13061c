"""Where evidence lives: ``<git common dir>/lanewarden/evidence/<tree>/``.

The common git directory is shared by every linked worktree, so evidence
recorded in one worktree is seen from all of them (and by the pre-push check).
Each run writes its own file, atomically, so concurrent gates never collide:
``gate-<gate>.<UTC time>.<pid>.json``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from lanewarden.adapters.files import atomic_write
from lanewarden.adapters.git import Repo
from lanewarden.domain.evidence import GATE_NAME, Evidence
from lanewarden.domain.json_input import load_json
from lanewarden.errors import InputError

__all__ = ["evidence_dir", "read_evidence", "write_evidence"]

_TREE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def evidence_dir(repo: Repo) -> Path:
    """The folder holding every tree's evidence."""
    return repo.state_dir / "evidence"


def write_evidence(repo: Repo, record: Evidence) -> Path:
    """Write one record atomically; returns its path.

    The gate name is checked only as a file name here: whether it is a gate
    of this repository is for the caller, who knows the configuration.
    """
    if not GATE_NAME.match(record.gate):
        raise InputError(f"{record.gate!r} is not a gate name (letters, digits, . _ -)")
    if not _TREE.match(record.tree):
        raise InputError(f"{record.tree!r} is not a git tree id")
    stamp = re.sub(r"[^0-9TZ]", "", record.time)
    path = evidence_dir(repo) / record.tree / f"gate-{record.gate}.{stamp}.{os.getpid()}.json"
    atomic_write(path, json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n")
    return path


def read_evidence(repo: Repo, tree: str) -> list[Evidence]:
    """Every record for ``tree``, oldest first; a malformed file is an input error."""
    if not _TREE.match(tree):
        raise InputError(f"{tree!r} is not a git tree id")
    folder = evidence_dir(repo) / tree
    try:
        names = sorted(
            n for n in os.listdir(folder) if n.startswith("gate-") and n.endswith(".json")
        )
    except FileNotFoundError:
        return []
    records = []
    for name in names:
        if not (name.startswith("gate-") and name.endswith(".json")):
            continue  # atomic_write's temporary files, anything else
        path = folder / name
        try:
            data = load_json(path.read_bytes())
        except ValueError as e:
            raise InputError(f"evidence record is not valid JSON: {e}", path=path) from None
        except OSError as e:
            raise InputError(f"cannot read evidence: {e.strerror}", path=path) from None
        records.append(Evidence.from_json(data, path=str(path)))
    return sorted(records, key=lambda r: r.time)
