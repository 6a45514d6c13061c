"""Refining a static selection with a coverage map: which selected tests can see the change.

A statically selected test stays when, for some file changed since the
map's tree:

- the file cannot be judged by the map (not Python, a ``conftest.py``, new,
  deleted or renamed, not parseable, unknown to the map, or no test in the
  map runs the changed code): the static rule decides for that file;
- the change touches module-level code (anything outside a function body:
  imports, class bodies, decorators, default values, constants), or a
  changed function's code ran at import time (outside every test, or in a
  test that imported a module first): every test the static rule reaches
  stays (:mod:`lanewarden.domain.code_changes` says what changed);
- the test executed a line of a changed function (the whole function counts,
  not only the changed lines: code added at its end runs for every caller),
  or is that function (a changed test) or its doctest;
- a function's docstring alone changed, and the test is its doctest or ran a
  line that reads docstrings (``__doc__``, ``getdoc``, ``pydoc``, ``doctest``,
  ``help(``): running the function does not read its docstring;
- or the map does not know the test (a new one, among others).

Test files are judged like the code: a test whose function did not change,
in a file whose module-level code did not, stays only for what it ran.

A test file every test of which the map drops is left uncollected when it
did not change since the map's tree, the map knows every test collected
from it, nothing collection read differs
(:mod:`lanewarden.domain.collection_inputs`), and no ``conftest.py`` or
``__init__.py`` above it changed: it then defines the same tests again, and
importing it would only cost time. Otherwise it is collected and its tests
are deselected one by one.

Everything here is pure: git and the files are read by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lanewarden.domain.code_changes import FileChange, unjudged
from lanewarden.domain.coverage_map import CoverageMap, parse_ranges

__all__ = ["Refinement", "refine"]


@dataclass(frozen=True)
class Refinement:
    """What a coverage map did to a static selection; shared with xdist workers."""

    tree: str
    stale: bool
    dropped: frozenset[str] = frozenset()  # tests (``path::name``) the map deselects
    notes: tuple[str, ...] = ()  # the files the static rule decided for, and why
    module_level: tuple[str, ...] = ()  # changed files whose module-level code changed
    source: str = "file"  # where the map was read: a file of the git dir, or a git note
    kept: Mapping[str, str] = field(default_factory=dict)  # kept test -> why (a changed file)
    uncollected: frozenset[str] = frozenset()  # test files left uncollected on the map's word
    collected_why: str | None = None  # why files whose tests all went are collected still

    def collected_because(self, differences: list[str]) -> Refinement:
        """This refinement with every file collected, for what collection read that differs."""
        if not differences or not self.uncollected:
            return self
        return replace(self, uncollected=frozenset(), collected_why="; ".join(differences[:3]))

    def describe(self) -> str:
        """One line: which map, how old, what it did."""
        age = "stale: the base moved since" if self.stale else "current"
        return (
            f"coverage map of tree {self.tree[:12]} ({age}) deselected"
            f" {len(self.dropped):,} test{'' if len(self.dropped) == 1 else 's'}"
        )

    def header(self, *, explain: bool = False, limit: int = 20) -> list[str]:
        """The lines of the run's header: the map, then what it left to the static rule.

        With ``explain``, the tests the map kept and the changed file each ran.
        """
        lines = [self.describe() + f" (read from its {self.source})"]
        lines += [f"  coverage map: {why}" for why in self.notes]
        lines += [
            f"  coverage map: {path}: module-level code changed; every test reaching it runs"
            for path in self.module_level
        ]
        if self.uncollected:
            count = len(self.uncollected)
            lines.append(
                f"  coverage map: {count:,} test file{'' if count == 1 else 's'} left"
                " uncollected: the map drops all their tests, and nothing collection read"
                " differs"
            )
        elif self.collected_why:
            lines.append(f"  coverage map: every test file is collected: {self.collected_why}")
        if explain:
            kept = sorted(self.kept.items())
            lines += [
                f"  coverage map kept {test}: it ran changed code of {why}"
                for test, why in kept[:limit]
            ]
            if len(kept) > limit:
                lines.append(
                    f"  coverage map kept {len(kept) - limit:,} more"
                    " (`lanewarden select --explain --json` lists them)"
                )
        return lines

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (xdist workers, evidence, ``select --json``)."""
        return {
            "tree": self.tree,
            "stale": self.stale,
            "dropped": sorted(self.dropped),
            "notes": list(self.notes),
            "module_level": list(self.module_level),
            "source": self.source,
            "kept": dict(self.kept),
            "uncollected": sorted(self.uncollected),
            "collected_why": self.collected_why,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Refinement:
        """The inverse of :meth:`to_json`."""
        return cls(
            tree=data["tree"],
            stale=bool(data["stale"]),
            dropped=frozenset(data["dropped"]),
            notes=tuple(data["notes"]),
            module_level=tuple(data["module_level"]),
            source=data.get("source", "file"),
            kept=dict(data.get("kept", {})),
            uncollected=frozenset(data.get("uncollected", ())),
            collected_why=data.get("collected_why"),
        )


def refine(
    coverage: CoverageMap,
    changes: Iterable[FileChange],
    *,
    statically_selected: Callable[[str], bool],
    reach: Callable[[list[str]], set[str] | None],
    changed_since_map: set[str],
    stale: bool,
    collection_known: bool = False,
    doc_readers: Callable[[], Mapping[str, set[int]]] = dict,
) -> Refinement:
    """Which of the map's tests the change cannot affect, among those statically selected.

    ``reach(paths)`` is the static rule for those changed files: the test
    files it selects, or None for every test. It is asked once, for the
    files the map leaves to it. ``changed_since_map`` holds every file that
    differs from the map's tree (a test file there the map cannot judge keeps
    its tests). Only statically selected tests are candidates: among them, a
    test that executed a changed function stays (code it ran is code it
    depends on), and so does a changed test or the doctest of a changed
    function; the map never adds a test the static rule did not select.
    A docstring is read by its doctest, and by code that reads docstrings:
    ``doc_readers()`` gives the lines of the map's tree that do (``__doc__``,
    ``inspect.getdoc``, ``pydoc``, ``doctest``, ``help()``), asked only when a
    docstring changed.
    Files every test of which goes are left uncollected only when the map
    says what collection read (``collection_known``); the caller still checks
    that none of it differs (:meth:`Refinement.collected_because`).
    """
    judged: list[FileChange] = []
    notes: list[str] = []
    module_level: list[str] = []
    static_paths: list[str] = []
    known = coverage.files()
    for change in changes:
        change = _checked(change, coverage, known)
        if change.fallback is not None:
            notes.append(f"{change.path}: {change.fallback}; the static rule decides")
            static_paths.append(change.path)
        elif change.module_level:
            module_level.append(change.path)
            static_paths.append(change.path)
        else:
            judged.append(change)
            if not (change.regions or change.documented or change.new_tests):
                notes.append(f"{change.path}: no code changed (comments, blank lines, layout)")
            elif change.documented and not change.regions:
                shown = ", ".join(sorted(change.documented)[:3])
                notes.append(
                    f"{change.path}: only docstrings changed ({shown}): their doctests and the"
                    " tests that read docstrings stay"
                )
    reached = reach(static_paths) if static_paths else set()
    if reached is None:
        shown = ", ".join(static_paths[:3])
        return Refinement(
            coverage.tree, stale, notes=(f"{shown}: the static rule runs every test",)
        )
    keep_files = reached | (changed_since_map - {change.path for change in judged})
    readers = doc_readers() if any(change.documented for change in judged) else {}
    dropped: set[str] = set()
    kept: dict[str, str] = {}
    by_file: dict[str, list[str]] = {}
    for test in coverage.tests:
        path = test.partition("::")[0]
        by_file.setdefault(path, []).append(test)
    for path, tests in by_file.items():
        if path in keep_files or not statically_selected(path):
            continue
        for test in tests:
            why = next((c.path for c in judged if _sees(test, c, coverage, readers)), None)
            if why is None:
                dropped.add(test)
            else:
                kept[test] = why
    gone = {
        path
        for path, tests in by_file.items()
        if path in coverage.complete
        and path not in changed_since_map  # it may define tests the map never saw
        and all(test in dropped for test in tests)
    }
    collected_why = None
    if gone and not collection_known:
        collected_why, gone = "the map does not say what collection read", set()
    elif gone:
        above = _folders_above_changes(changed_since_map)
        gone = {path for path in gone if not (_folders_of(path) & above)}
    return Refinement(
        coverage.tree,
        stale,
        dropped=frozenset(dropped),
        notes=tuple(notes),
        module_level=tuple(module_level),
        kept=kept,
        uncollected=frozenset(gone),
        collected_why=collected_why,
    )


def _folders_of(path: str) -> set[str]:
    """The folders holding ``path``, the top ("") included."""
    parts = path.split("/")[:-1]
    return {"/".join(parts[:i]) for i in range(len(parts) + 1)}


def _folders_above_changes(changed: set[str]) -> set[str]:
    """The folders a changed ``conftest.py`` or ``__init__.py`` configures for collection."""
    return {
        path.rpartition("/")[0]
        for path in changed
        if path.rpartition("/")[2] in ("conftest.py", "__init__.py")
    }


def _checked(change: FileChange, coverage: CoverageMap, known: set[str]) -> FileChange:
    """A judged change the map cannot vouch for falls back, or counts as module-level.

    Only code counts here: a docstring runs nowhere, and is judged by its readers.
    """
    code = change.regions
    if not change.judged or not code:
        return change
    if change.path not in known:
        return unjudged(change.path, "unknown to the coverage map (no test ran it)")
    if code & parse_ranges(coverage.outside.get(change.path, "")):
        return FileChange(change.path, module_level=True)  # ran at import time
    runners = [t for t in coverage.tests if coverage.lines(t, change.path) & code]
    if not runners and not any(_named(t, change) for t in coverage.tests):
        return unjudged(change.path, "no test in the coverage map runs the changed code")
    if any(t in coverage.importers for t in runners):
        return FileChange(change.path, module_level=True)  # may have run at an import
    return change


def _sees(
    test: str, change: FileChange, coverage: CoverageMap, doc_readers: Mapping[str, set[int]]
) -> bool:
    """Whether ``test`` can see ``change``: it ran changed code, is a changed test or the
    doctest of a changed function, may be a new test's namesake, or read docstrings."""
    if coverage.lines(test, change.path) & change.regions or _named(test, change):
        return True
    return bool(change.documented) and any(
        coverage.lines(test, path) & lines for path, lines in doc_readers.items()
    )


def _named(test: str, change: FileChange) -> bool:
    """Whether ``test`` is a changed function of ``change`` (a test, a doctest) by name, or
    has the name of one of its new tests (a new method may override one it inherited)."""
    path, _, name = test.partition("::")
    name = name.partition("[")[0].replace("::", ".")  # tests/t.py::C::test_a[1] -> C.test_a
    if name.rpartition(".")[2] in change.new_tests:
        return True
    return path == change.path and any(
        name == f or name.endswith("." + f) for f in change.functions
    )
