"""``lanewarden select [--changed|--staged|--since REF] [--explain] [--json]``.

The test files a change selects, computed exactly as the pytest plugin does
(same git reading, configuration and import graph), without running pytest:
one path a line, or with ``--explain`` one chain of imports from a changed
file to each (``tests/test_x.py (uses p.foo) → pkg/sub/foo.py``).
"""

from __future__ import annotations

import argparse

from lanewarden.cli.output import emit_json
from lanewarden.pytest_selection import Options, compute_selector

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Print the selection; 0 whatever it holds (a listing refuses nothing)."""
    from pathlib import Path

    options = Options(
        changed=args.changed or not (args.staged or args.since or args.package),
        staged=args.staged,
        since=args.since,
        named=tuple(args.package),
        gate="select" if args.gate else None,
        explain=args.explain,
    )
    selection = compute_selector(Path.cwd(), options).selector.selection
    if args.json:
        emit_json(
            {
                "ok": True,
                "mode": selection.mode,
                "changed": list(selection.touched_files),
                "full_suite": selection.full_suite,
                "packages": {name: selection.selected[name] for name in selection.whole},
                "tests": dict(selection.tests) if args.explain else sorted(selection.tests),
                "untested": list(selection.untested),
                "untested_ok": list(selection.untested_ok),
                "test_files": selection.test_files,
            }
        )
        return 0
    for line in selection.warnings():
        print(f"lanewarden: {line}")
    if selection.full_suite:
        print(f"lanewarden: every test runs: {selection.full_suite}")
        return 0
    for name in selection.whole:
        print(f"lanewarden: every test of package {name}: {selection.selected[name]}")
    for path, why in sorted(selection.tests.items()):
        print(why if args.explain else path)
    if selection.empty:
        print("lanewarden: no test selected: the change maps to no tests")
    return 0
