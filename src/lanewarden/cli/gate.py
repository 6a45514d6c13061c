"""``lanewarden gate status``: which gates have evidence for a tree.

The tree is the work tree as it is now (HEAD plus staged, unstaged and
untracked changes, exactly as the pytest plugin computes it when it records
evidence), or the tree of ``--rev REV``. For each gate the latest record
decides: ``passed`` or ``failed``.
"""

from __future__ import annotations

import argparse
import json

from lanewarden.adapters.changes import rev_tree, work_tree_id
from lanewarden.adapters.evidence_store import read_evidence
from lanewarden.cli.context import Context
from lanewarden.domain.evidence import Evidence, latest_by_gate

__all__ = ["status"]


def status(args: argparse.Namespace) -> int:
    """Print the gates with evidence for the tree; always exit 0 on valid input."""
    repo = Context.load().repo
    rev: str | None = getattr(args, "rev", None)
    tree = rev_tree(repo, rev) if rev else work_tree_id(repo)
    latest = latest_by_gate(read_evidence(repo, tree))
    if getattr(args, "json", False):
        body = {"tree": tree, "gates": [_gate_json(record) for record in latest.values()]}
        print(json.dumps(body))
        return 0
    where = f"{rev}'s tree" if rev else "the work tree"
    print(f"{where}: {tree}")
    if not latest:
        print("  no gate evidence for this tree")
        print("  record it with: python -m pytest --lw-gate 2 (or lanewarden gate run)")
    for record in latest.values():
        print(f"  gate {record.gate}: {record.status} ({_summary(record)})")
    return 0


def _gate_json(record: Evidence) -> dict[str, object]:
    return {
        "gate": record.gate,
        "status": record.status,
        "time": record.time,
        "head": record.head,
        "lane": record.lane,
        "exit_status": record.exit_status,
        "counts": dict(record.counts),
        "packages": list(record.packages),
    }


def _summary(record: Evidence) -> str:
    counts = ", ".join(f"{n} {k}" for k, n in record.counts.items() if n)
    lane = f", lane {record.lane}" if record.lane else ""
    return f"{counts or 'no tests'}, at {record.time}{lane}"
