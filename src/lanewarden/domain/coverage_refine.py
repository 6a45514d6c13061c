"""Refining a static selection with a coverage map: which selected tests can see the change.

A statically selected test stays when, for some file changed since the
map's tree:

- the file cannot be judged by the map (not Python, a test-side file, new,
  deleted or renamed, not parseable, unknown to the map, or no test in the
  map runs the changed code): the static rule decides for that file;
- the change touches module-level code (anything outside a function body:
  imports, class bodies, decorators, default values, constants), or a
  changed function ran at import time (outside every test, or in a test that
  imported a module first): every test the static rule reaches stays;
- the test executed a line of a changed function (the whole function counts,
  not only the changed lines: code added at its end runs for every caller);
- or the map does not know the test.

A test file every test of which the map drops is left uncollected when the
map knows every test collected from it, nothing collection read differs
(:mod:`lanewarden.domain.collection_inputs`), and no ``conftest.py`` or
``__init__.py`` above it changed: it then defines the same tests again, and
importing it would only cost time. Otherwise it is collected and its tests
are deselected one by one.

Everything here is pure: git and the files are read by the caller.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lanewarden.domain.coverage_map import CoverageMap, parse_ranges

__all__ = [
    "FileChange",
    "Hunk",
    "Refinement",
    "analyse_change",
    "parse_hunks",
    "refine",
    "unjudged",
]

Hunk = tuple[int, int, int, int]  # old start, old count, new start, new count
_MODULE = ""  # the "function" of module-level lines
_LOCALS = ".<locals>."  # between a function's qualified name and its inner functions' names


@dataclass(frozen=True)
class FileChange:
    """What the map can say about one changed file."""

    path: str
    regions: frozenset[int] = frozenset()  # map-tree lines of the changed functions' bodies
    module_level: bool = False
    fallback: str | None = None  # why the static rule decides for this file

    @property
    def judged(self) -> bool:
        """Whether the map refines the tests this file's change selects."""
        return self.fallback is None and not self.module_level


def unjudged(path: str, why: str) -> FileChange:
    """A change the map cannot judge: the static rule decides for ``path``."""
    return FileChange(path, fallback=why)


def parse_hunks(diff: bytes) -> list[Hunk]:
    """The ``@@ -a,b +c,d @@`` headers of a ``git diff -U0`` of one file."""
    hunks: list[Hunk] = []
    for line in diff.split(b"\n"):
        if not line.startswith(b"@@ "):
            continue
        old, new = line.split(b" ")[1:3]
        hunks.append((*_span(old[1:]), *_span(new[1:])))
    return hunks


def _span(text: bytes) -> tuple[int, int]:
    start, _, count = text.partition(b",")
    return int(start), int(count) if count else 1


class _Functions:
    """Per line of a module, the innermost function whose body holds it."""

    def __init__(self, source: bytes) -> None:
        tree = ast.parse(source)
        self.spans: list[tuple[int, int, str]] = []  # (first, last, qualified name)
        self._walk(tree.body, "")
        self.spans.sort(key=lambda span: span[1] - span[0])  # innermost first

    def _walk(self, body: list[ast.stmt], prefix: str) -> None:
        stack: list[tuple[ast.AST, str]] = [(node, prefix) for node in body]
        while stack:
            node, where = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{where}{node.name}"
                # A body sharing a line with the signature: that line is the def's (module-level).
                first = max(min(_first_line(stmt) for stmt in node.body), _signature_end(node) + 1)
                last = node.end_lineno or first
                if first <= last:
                    self.spans.append((first, last, name))
                inner = name + _LOCALS
                stack += [(child, inner) for child in node.body]
                stack += [(child, where) for child in node.decorator_list]
                stack += [(child, where) for child in ast.iter_child_nodes(node.args)]
            elif isinstance(node, ast.ClassDef):
                stack += [(child, f"{where}{node.name}.") for child in node.body]
            else:
                stack += [(child, where) for child in ast.iter_child_nodes(node)]

    def function_of(self, line: int) -> str:
        for first, last, name in self.spans:
            if first <= line <= last:
                return name
        return _MODULE

    def body_lines(self, name: str) -> set[int]:
        return {
            line
            for first, last, span_name in self.spans
            if span_name == name
            for line in range(first, last + 1)
        }


def _signature_end(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The last line of a def's signature (defaults, annotations)."""
    parts: list[ast.AST] = [*ast.iter_child_nodes(node.args), *node.decorator_list]
    if node.returns is not None:
        parts.append(node.returns)
    ends: list[int] = [node.lineno]
    for part in parts:
        end = getattr(part, "end_lineno", None)
        ends.append(end if isinstance(end, int) else node.lineno)
    return max(ends)


def _first_line(stmt: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def analyse_change(path: str, old: bytes, new: bytes, hunks: Iterable[Hunk]) -> FileChange:
    """The changed functions of ``path`` (lines as in ``old``), or that it is module-level."""
    try:
        before, after = _Functions(old), _Functions(new)
    except (SyntaxError, ValueError) as error:
        return unjudged(path, f"not parseable ({type(error).__name__})")
    names: set[str] = set()
    for old_start, old_count, new_start, new_count in hunks:
        names.update(before.function_of(n) for n in range(old_start, old_start + old_count))
        names.update(after.function_of(n) for n in range(new_start, new_start + new_count))
    if _MODULE in names:
        return FileChange(path, module_level=True)
    regions: set[int] = set()
    for name in names:
        lines = before.body_lines(name)
        while not lines and _LOCALS in name:  # a new inner function runs only in its encloser
            name = name.rpartition(_LOCALS)[0]
            lines = before.body_lines(name)
        if not lines:  # a function (or method) the map's tree does not have
            return FileChange(path, module_level=True)
        regions |= lines
    return FileChange(path, regions=frozenset(regions))


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
) -> Refinement:
    """Which of the map's tests the change cannot affect, among those statically selected.

    ``reach(paths)`` is the static rule for those changed files: the test
    files it selects, or None for every test. It is asked once, for the
    files the map leaves to it. ``changed_since_map`` holds every file that
    differs from the map's tree (a test file there keeps its tests). Only
    statically selected tests are candidates: among them, a test that
    executed a changed function stays (code it ran is code it depends on);
    the map never adds a test the static rule did not select.
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
    reached = reach(static_paths) if static_paths else set()
    if reached is None:
        shown = ", ".join(static_paths[:3])
        return Refinement(
            coverage.tree, stale, notes=(f"{shown}: the static rule runs every test",)
        )
    keep_files = reached | changed_since_map
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
            why = next(
                (
                    change.path
                    for change in judged
                    if coverage.lines(test, change.path) & change.regions
                ),
                None,
            )
            if why is None:
                dropped.add(test)
            else:
                kept[test] = why
    gone = {
        path
        for path, tests in by_file.items()
        if path in coverage.complete and all(test in dropped for test in tests)
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
    """A judged change the map cannot vouch for falls back, or counts as module-level."""
    if not change.judged:
        return change
    if change.path not in known:
        return unjudged(change.path, "unknown to the coverage map (no test ran it)")
    regions = change.regions
    if regions & parse_ranges(coverage.outside.get(change.path, "")):
        return FileChange(change.path, module_level=True)  # ran at import time
    runners = [t for t in coverage.tests if coverage.lines(t, change.path) & regions]
    if not runners:
        return unjudged(change.path, "no test in the coverage map runs the changed code")
    if any(t in coverage.importers for t in runners):
        return FileChange(change.path, module_level=True)  # may have run at an import
    return change
