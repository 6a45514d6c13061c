"""Packages of a repository: which files and which tests belong to which package.

A package is an importable Python package whose tests can run on their own.
Roots come from the ``packages`` globs of the configuration (matched against
whole folder paths, segment by segment: ``*`` within one folder name, ``**``
across folders, as in ``packages/*/src/*``; a wildcard never matches a test,
hidden or ``__pycache__`` folder) or are detected from the repository's file
list:

- a top-level import package (a folder with ``__init__.py`` whose parent has
  none), in a flat layout, a ``src/`` layout, or a monorepo's distributions
  (``packages/*/src/*``, workspace members: any folder with its own
  ``pyproject.toml``, ``setup.py`` or ``setup.cfg``);
- a nested subpackage that keeps a ``tests/`` folder beside its code.

A package owns the files under its folder (minus nested packages) and, when
it lives in a distribution folder other than the repository's top, the other
files of that distribution (its ``tests/``, its ``pyproject.toml``).

A test belongs to the package that owns its file, to ``<name>`` when it sits
under ``tests/<name>/``, to ``<name>`` when its file is named
``test_<name>*``, to the packages whose ``package_tests`` globs match it, and,
when every package lies inside one top-level import package, to that one.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

__all__ = ["Package", "PackageMap", "detect_packages", "is_test_path"]

TEST_DIRS = frozenset({"tests", "test", "testing"})
DISTRIBUTION_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class Package:
    """One package: its dotted import name, its folder, its distribution folder."""

    name: str
    root: str  # the import package's folder, relative to the repository top
    home: str | None = None  # a distribution folder whose other files it owns
    source_root: str = ""  # the folder the import name is relative to

    def module_name(self, path: str) -> str | None:
        """The dotted module name of a ``.py`` file inside this package's folder."""
        if not path.endswith(".py") or not path.startswith(self.root + "/"):
            return None
        relative = path[len(self.source_root) + 1 :] if self.source_root else path
        parts = relative[:-3].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        if not all(part.isidentifier() for part in parts):
            return None
        return ".".join(parts)

    @property
    def aliases(self) -> tuple[str, ...]:
        """Names tests may use for it: dotted, underscored, last part, distribution."""
        names = [self.name, self.name.replace(".", "_"), self.name.rsplit(".", 1)[-1]]
        if self.home:
            names.append(PurePosixPath(self.home).name.replace("-", "_"))
        return tuple(dict.fromkeys(names))


@dataclass
class PackageMap:
    """The packages of one repository and the rules mapping files to them."""

    packages: tuple[Package, ...]
    package_tests: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    all_files: tuple[str, ...] = ()  # the file list the packages were found in

    def __post_init__(self) -> None:
        self.by_name: dict[str, list[Package]] = {}
        self._by_dir: dict[str, list[Package]] = {}
        self._by_alias: dict[str, list[Package]] = {}
        for package in self.packages:
            self.by_name.setdefault(package.name, []).append(package)
            self._by_dir.setdefault(package.root, []).append(package)
            if package.home:
                self._by_dir.setdefault(package.home, []).append(package)
            for alias in package.aliases:
                self._by_alias.setdefault(alias, []).append(package)
        tops = {p.name.split(".", 1)[0] for p in self.packages}
        self._sole = self.by_name.get(tops.pop(), []) if len(tops) == 1 else []
        self._test_scopes = _test_scopes(self.package_tests)

    def to_json(self) -> dict[str, Any]:
        """The packages and test globs (not the file list), JSON-able."""
        return {
            "packages": [[p.name, p.root, p.home, p.source_root] for p in self.packages],
            "package_tests": {k: list(v) for k, v in self.package_tests.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PackageMap:
        """The inverse of :meth:`to_json`."""
        packages = tuple(Package(*row) for row in data["packages"])
        tests = {k: tuple(v) for k, v in data["package_tests"].items()}
        return cls(packages, tests)

    @property
    def names(self) -> list[str]:
        """Every package name, sorted."""
        return sorted(self.by_name)

    def owners(self, path: str) -> list[Package]:
        """The packages whose folder (or distribution folder) holds ``path``."""
        folder = path
        while folder:
            found = self._by_dir.get(folder)
            if found:
                # A package's own folder wins over a distribution folder.
                roots = [p for p in found if p.root == folder]
                return roots or found
            folder = _parent(folder)
        return []

    def module_name(self, path: str) -> str | None:
        """The dotted module name of a package's ``.py`` file, else None."""
        for package in self.owners(path):
            name = package.module_name(path)
            if name is not None:
                return name
        return None

    def test_owners(self, path: str) -> list[Package]:
        """The packages a test file (or a file among tests) belongs to."""
        found: dict[str, Package] = {}
        for name, scope in self._test_scopes:
            if scope.matches(path):
                for package in self.by_name.get(name, []):
                    found[package.root] = package
        for package in self.owners(path) or self._named_by(path) or self._sole:
            found.setdefault(package.root, package)
        return list(found.values())

    def is_test_path(self, path: str) -> bool:
        """Whether ``path`` looks like a test file or lives among tests."""
        return is_test_path(path)

    def _named_by(self, path: str) -> list[Package]:
        parts = PurePosixPath(path).parts
        for i, part in enumerate(parts[:-1]):
            if part in TEST_DIRS:
                below = parts[i + 1 : -1]
                for n in range(len(below), 0, -1):
                    hit = self.by_name.get(".".join(below[:n])) or self._by_alias.get(below[n - 1])
                    if hit:
                        return hit
        stem = PurePosixPath(path).stem
        if stem.startswith("test_"):
            return self._alias_prefix(stem[len("test_") :])
        if stem.endswith("_test"):
            return self._alias_prefix(stem[: -len("_test")])
        return []

    def _alias_prefix(self, stem: str) -> list[Package]:
        # The longest alias that the name starts with, up to an underscore.
        best = ""
        for alias in self._by_alias:
            if len(alias) > len(best) and (stem == alias or stem.startswith(alias + "_")):
                best = alias
        return self._by_alias.get(best, []) if best else []


def is_test_path(path: str) -> bool:
    """Whether ``path`` looks like a test file or lives among tests (a helper, a conftest.py)."""
    *folders, name = path.split("/")
    stem = name.rpartition(".")[0] or name
    return (
        stem.startswith("test_")
        or stem.endswith("_test")
        or name == "conftest.py"
        or not TEST_DIRS.isdisjoint(folders)
    )


def detect_packages(
    paths: Iterable[str],
    configured: tuple[str, ...] | None = None,
    package_tests: Mapping[str, tuple[str, ...]] | None = None,
) -> PackageMap:
    """Find the packages in a repository's file list (tracked plus untracked)."""
    files = list(paths)
    with_init = {p[: -len("/__init__.py")] for p in files if p.endswith("/__init__.py")}
    markers = {_parent(p) for p in files if p.rpartition("/")[2] in DISTRIBUTION_MARKERS}
    if configured is None:
        roots = _auto_roots(files, with_init)
    else:
        dirs: set[str] = set()
        for path in files:
            folder = _parent(path)
            while folder and folder not in dirs:
                dirs.add(folder)
                folder = _parent(folder)
        roots = sorted(d for d in dirs if any(_configured_root(g, d) for g in configured))
    packages = tuple(_package(root, with_init, markers) for root in roots)
    return PackageMap(packages, dict(package_tests or {}), tuple(files))


def _auto_roots(files: list[str], with_init: set[str]) -> list[str]:
    candidates = {d for d in with_init if not _in_test_dir(d) and not _hidden(d)}
    tests_beside = set()
    for path in files:
        parts = path.split("/")[:-1]
        if TEST_DIRS.isdisjoint(parts):
            continue
        for i, part in enumerate(parts):
            if part in TEST_DIRS and i > 0:
                tests_beside.add("/".join(parts[:i]))
    roots = []
    for folder in sorted(candidates):
        if _parent(folder) not in candidates or folder in tests_beside:
            roots.append(folder)
    return roots


def _package(root: str, with_init: set[str], markers: set[str]) -> Package:
    top = PurePosixPath(root)
    while str(top.parent) in with_init:
        top = top.parent
    source = top.parent
    for ancestor in top.parents:
        if ancestor.name == "src":
            source = ancestor
            break
    source_root = "" if str(source) == "." else str(source)
    relative = PurePosixPath(root).relative_to(source) if source_root else PurePosixPath(root)
    home = next((str(a) for a in top.parents if str(a) != "." and str(a) in markers), None)
    return Package(".".join(relative.parts), root, home, source_root)


def _parent(path: str) -> str:
    """The folder holding ``path`` ("" at the top)."""
    return path.rpartition("/")[0]


def _in_test_dir(folder: str) -> bool:
    return any(part in TEST_DIRS for part in PurePosixPath(folder).parts)


def _hidden(folder: str) -> bool:
    return any(part.startswith(".") for part in PurePosixPath(folder).parts)


def _configured_root(glob: str, folder: str) -> bool:
    """Whether a ``packages`` glob makes ``folder`` a package.

    A wildcard never reaches into test folders (``tests``, ``test``,
    ``testing``), hidden folders or ``__pycache__``: ``lib/algorithms/*`` means
    the algorithm subpackages, not ``lib/algorithms/tests``. A glob that spells
    such a folder's name out (``tools/testing/*``) still gets it.
    """
    if not _glob_matches(glob, folder):
        return False
    spelled = set(glob.strip("/").split("/"))
    return all(
        part in spelled
        for part in folder.split("/")
        if part in TEST_DIRS or part.startswith(".") or part == "__pycache__"
    )


def _glob_matches(glob: str, folder: str) -> bool:
    """Segment-wise glob match of a whole folder path; ``**`` spans folders."""
    return _match_parts(glob.strip("/").split("/"), folder.split("/"))


def _match_parts(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return (
        bool(parts)
        and fnmatch.fnmatchcase(parts[0], pattern[0])
        and (_match_parts(pattern[1:], parts[1:]))
    )


def _test_scopes(package_tests: Mapping[str, tuple[str, ...]]) -> list[tuple[str, _Matcher]]:
    if not package_tests:
        return []
    from lanewarden.domain.scopes import Scope

    return [(name, Scope.parse(list(globs))) for name, globs in package_tests.items()]


class _Matcher(Protocol):
    """The part of :class:`~lanewarden.domain.scopes.Scope` this module uses."""

    def matches(self, path: str) -> bool: ...
