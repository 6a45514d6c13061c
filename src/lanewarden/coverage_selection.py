"""The coverage map's part of the selection: find the nearest map and refine with it.

Called by :func:`lanewarden.pytest_selection.compute_selector` after the
static selection, unless it runs every test or ``--lw-no-coverage-map`` is
given. Whatever goes wrong with a map (unreadable, another version, too far
behind) leaves the static selection as it is and says so: never a narrower
run without a word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.collection_inputs import CollectionInputs
    from lanewarden.domain.coverage_refine import Refinement
    from lanewarden.domain.selection import Selection

__all__ = ["MAX_CHANGED", "MapOutcome", "refine_with_map"]

MAX_CHANGED = 200  # files changed since the map's tree beyond which it is not used


@dataclass(frozen=True)
class MapOutcome:
    """The refinement, or why there is none (a note for the header; None: no map at all)."""

    refinement: Refinement | None = None
    note: str | None = None
    collection: CollectionInputs | None = None  # what the map's collection read


def refine_with_map(
    repo: Repo,
    selection: Selection,
    *,
    statically_selected: Callable[[str], bool],
    is_test_path: Callable[[str], bool],
    reach: Callable[[list[str]], Selection],
    test_files: Callable[[Selection], set[str]],
    runxfail: bool = False,
) -> MapOutcome:
    """Refine ``selection`` with the nearest coverage map, if there is one.

    ``reach(paths)`` is the static selection for those changed files alone, and
    ``test_files`` the test files a selection runs. Under ``runxfail`` the tests
    that xfailed when the map was recorded are failing tests: not covered.
    """
    from dataclasses import replace

    from lanewarden.adapters.coverage_store import (
        changed_since,
        doc_reading_lines,
        file_change,
        find_map,
        read_map,
    )
    from lanewarden.domain.code_changes import FileChange, unjudged
    from lanewarden.domain.coverage_map import CoverageMapError
    from lanewarden.domain.coverage_refine import refine

    found = find_map(repo)
    if found is None:
        return MapOutcome()
    tree = found.tree
    try:
        read = read_map(repo, tree)
    except CoverageMapError as error:
        return MapOutcome(note=f"coverage map of tree {tree[:12]} not used ({error})")
    if read is None:
        return MapOutcome()
    coverage, source = read
    if runxfail:
        coverage = coverage.without_xfailed()
    since = changed_since(repo, tree)
    if len(since) > MAX_CHANGED:
        return MapOutcome(
            note=f"coverage map of tree {tree[:12]} not used: {len(since):,} files changed"
            " since it was recorded"
        )
    changes: list[FileChange] = []
    for path in sorted(since | set(selection.touched_files)):
        if path not in since:
            changes.append(unjudged(path, "unchanged since the map's tree"))
        elif not path.endswith(".py"):
            changes.append(unjudged(path, "not Python"))
        elif path.rpartition("/")[2] == "conftest.py":
            changes.append(unjudged(path, "a conftest.py configures the tests below it"))
        else:
            changes.append(file_change(repo, tree, path, test_file=is_test_path(path)))

    def static(paths: list[str]) -> set[str] | None:
        alone = reach(paths)
        return None if alone.runs_everything else test_files(alone)

    refinement = refine(
        coverage,
        changes,
        statically_selected=statically_selected,
        reach=static,
        changed_since_map=since,
        stale=found.behind > 0,
        collection_known=coverage.collection is not None,
        doc_readers=lambda: doc_reading_lines(repo, tree),
    )
    return MapOutcome(replace(refinement, source=source), collection=coverage.collection)
