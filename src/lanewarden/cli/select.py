"""``lanewarden select [--changed|--staged|--since REF] [--explain] [--json]``.

The test files a change selects, computed exactly as the pytest plugin does
(same git reading, configuration and import graph), without running pytest:
one path a line, or with ``--explain`` one chain of imports from a changed
file to each (``tests/test_x.py (uses p.foo) → pkg/sub/foo.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lanewarden.cli.output import emit_json
from lanewarden.pytest_selection import Computed, Options, compute_selector

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Print the selection; 0 whatever it holds (a listing refuses nothing)."""
    options = Options(
        changed=args.changed or not (args.staged or args.since or args.package),
        staged=args.staged,
        since=args.since,
        named=tuple(args.package),
        gate="select" if args.gate else None,
        explain=args.explain,
        coverage_map=not args.no_coverage_map,
    )
    computed = compute_selector(Path.cwd(), options)
    if computed.selector.refinement is not None:
        # Whether a test file would define the same tests depends on the pytest run's options.
        unknown = ["only a pytest run knows the options its collection reads"]
        computed.selector.refinement = computed.selector.refinement.collected_because(unknown)
    selection = computed.selector.selection
    why_not = _why_not(computed, args.why_not) if args.why_not else {}
    if args.json:
        emit_json(
            {
                "ok": True,
                "mode": selection.mode,
                "changed": list(selection.touched_files),
                "full_suite": selection.full_suite,
                "packages": {name: selection.selected[name] for name in selection.whole},
                "tests": dict(selection.tests) if args.explain else sorted(selection.tests),
                # test file -> why static analysis depended on a whole package on its chain
                "fallback": {
                    test: why
                    for test, why in selection.fallbacks.items()
                    if test in selection.tests
                },
                "untested": list(selection.untested),
                "untested_ok": list(selection.untested_ok),
                "test_files": selection.test_files,
                **({"why_not": why_not} if args.why_not else {}),
                **_coverage_map(computed, explain=args.explain),
            }
        )
        return 0
    for path, why in why_not.items():
        print(f"lanewarden: {path}: {why}")
    for line in selection.warnings():
        print(f"lanewarden: {line}")
    refinement = computed.selector.refinement
    if refinement is not None:
        print(f"lanewarden: {refinement.describe()}")
        for line in refinement.header()[1:]:  # its notes and module-level changes
            print(f"lanewarden: {line}")
    elif computed.selector.coverage_note:
        print(f"lanewarden: {computed.selector.coverage_note}")
    if selection.full_suite:
        print(f"lanewarden: every test runs: {selection.full_suite}")
        return 0
    for name in selection.whole:
        print(f"lanewarden: every test of package {name}: {selection.selected[name]}")
    for path, why in sorted(selection.tests.items()):
        # Listed even when the map drops every test of it it knows: only a pytest run can
        # tell whether its collection would define the same tests (the options it reads).
        print(why if args.explain else path)
    if selection.empty:
        print("lanewarden: no test selected: the change maps to no tests")
    return 0


def _coverage_map(computed: Computed, *, explain: bool) -> dict[str, object]:
    """The coverage map used (tree, stale, tests dropped); with ``explain``, each test's fate."""
    refinement = computed.selector.refinement
    if refinement is None:
        return {"coverage_map": None, "coverage_map_note": computed.selector.coverage_note}
    data = refinement.to_json()
    if not explain:
        keys = ("tree", "stale", "source", "notes", "module_level")
        data = {key: data[key] for key in keys}
        data["deselected"] = len(refinement.dropped)
    return {"coverage_map": data}


def _why_not(computed: Computed, paths: list[str]) -> dict[str, str]:
    """For each test file asked about: its chain when selected, else what it imports."""
    from lanewarden.adapters.import_facts import build_graph
    from lanewarden.errors import InputError

    selector, repo = computed.selector, computed.repo
    selection = selector.selection
    graph = build_graph(
        repo.root, selector.packages, repo.state_dir / "import-cache" / "facts.json"
    )
    answers: dict[str, str] = {}
    for given in paths:
        relative = selector.relative(Path(given).absolute())
        if relative is None or relative not in graph.depends:
            raise InputError(
                f"{given} is no Python file of the repository",
                hint="give a test file's path, e.g. `lanewarden select --why-not tests/test_x.py`",
            )
        if selection.runs_everything:
            answers[relative] = f"selected: every test runs ({selection.full_suite})"
        elif relative in selection.tests:
            answers[relative] = "selected: " + selection.tests[relative]
        elif any(p.name in selection.whole for p in selector.packages.test_owners(relative)):
            answers[relative] = "selected with its package"
        else:
            uses = sorted(set(graph.how.get(relative, {}).values()))
            what = "; ".join(uses) if uses else "it imports nothing of the project"
            answers[relative] = (
                f"not selected: no chain of imports reaches a changed file ({what}),"
                " and no conftest.py or __init__.py above it changed or reaches one"
            )
    return answers
