"""Which tests to run for a change, and why each one.

Test files are nodes of the import graph: a test file runs when its static
import closure (through test helpers, the ``conftest.py`` files above it and
the ``__init__.py`` of its test folders) reaches a changed file. Packages stay
a way to name groups: ``--lw-package`` selects a package's tests whole.

A change to a whole-suite trigger (a root ``conftest.py``, ``pyproject.toml``,
requirements, the configured globs) or to a ``conftest.py`` outside every
package selects everything. Nothing is dropped silently: a changed Python
file no test reaches selects the tests of the package holding it; when no
package holds it either, it is *untested*, and a gate run then runs every
test unless ``untested_ok`` accepts that path. A changed file that is not
Python selects the tests of the package holding it (any module may read it).
A test file that imports nothing of the project follows its package: it runs
when a file of that package is affected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any, Protocol

from lanewarden.domain.imports import ImportGraph, Reach
from lanewarden.domain.module_names import path_module_name
from lanewarden.domain.packages import TEST_DIRS, Package, PackageMap

__all__ = ["Selection", "is_test_file", "select"]


class _Matcher(Protocol):
    def matches(self, path: str) -> bool: ...


@dataclass(frozen=True)
class Selection:
    """The outcome: everything, or these test files and packages, each for a reason."""

    mode: str
    touched_files: tuple[str, ...] = ()
    full_suite: str | None = None  # why everything runs
    touched: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    selected: Mapping[str, str] = field(default_factory=dict)  # package with tests run -> why
    unmapped: tuple[str, ...] = ()
    tests: Mapping[str, str] = field(default_factory=dict)  # test file -> why (a chain)
    untested: tuple[str, ...] = ()  # changed Python files no test reaches, no package holds
    untested_ok: tuple[str, ...] = ()  # of those, the ones the configuration accepts
    test_files: int = 0  # test files in the repository (``test_*.py``, ``*_test.py``)
    whole: tuple[str, ...] = ()  # the selected packages every test of which runs

    @property
    def runs_everything(self) -> bool:
        """True when no test is deselected."""
        return self.full_suite is not None

    @property
    def empty(self) -> bool:
        """True when the change selects no test at all."""
        return not self.runs_everything and not self.selected and not self.tests

    def describe(self, *, explain: bool = False) -> list[str]:
        """Lines for people: what was touched, what is selected and why."""
        lines = [f"selection: {self.mode}"]
        if self.touched_files and self.mode != "all":
            touched = ", ".join(
                f"{name} ({len(paths)} file{'s' if len(paths) > 1 else ''})"
                for name, paths in self.touched.items()
            )
            lines.append(f"touched packages: {touched or 'none'}")
            if self.unmapped:
                lines.append(f"changed outside every package: {_few(list(self.unmapped))}")
        lines += self.warnings()
        if self.full_suite:
            lines.append(f"running every test: {self.full_suite}")
            return lines
        if self.whole:
            lines.append("selected packages (every test of each):")
            lines.extend(f"  {name}: {self.selected[name]}" for name in self.whole)
        if self.tests:
            counted = sum(1 for path in self.tests if is_test_file(path))
            lines.append(
                f"selected test files: {counted} of {self.test_files}"
                + ("" if explain else " (--lw-explain shows why)")
            )
            if explain:
                lines.extend(f"  {why}" for why in self.tests.values())
        if self.empty:
            lines.append("no test selected: the change maps to no tests")
        return lines

    def warnings(self) -> list[str]:
        """The changed files no test checks: they must be seen, even under ``-q``."""
        accepted = set(self.untested_ok)
        return [
            f"NO TEST REACHES {path}: no test imports it and no package holds it"
            + (" (accepted by untested_ok)" if path in accepted else "")
            for path in self.untested
        ]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (evidence records, xdist workers)."""
        return {
            "mode": self.mode,
            "touched_files": list(self.touched_files),
            "full_suite": self.full_suite,
            "touched": {k: list(v) for k, v in self.touched.items()},
            "selected": dict(self.selected),
            "unmapped": list(self.unmapped),
            "tests": dict(self.tests),
            "untested": list(self.untested),
            "untested_ok": list(self.untested_ok),
            "test_files": self.test_files,
            "whole": list(self.whole),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Selection:
        """The inverse of :meth:`to_json`."""
        return cls(
            mode=data["mode"],
            touched_files=tuple(data["touched_files"]),
            full_suite=data["full_suite"],
            touched={k: tuple(v) for k, v in data["touched"].items()},
            selected=dict(data["selected"]),
            unmapped=tuple(data["unmapped"]),
            tests=dict(data.get("tests", {})),
            untested=tuple(data.get("untested", ())),
            untested_ok=tuple(data.get("untested_ok", ())),
            test_files=int(data.get("test_files", 0)),
            whole=tuple(data.get("whole", data["selected"])),
        )


def is_test_file(path: str) -> bool:
    """Whether pytest collects ``path`` by default (``test_*.py``, ``*_test.py``)."""
    name = path.rpartition("/")[2]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def select(
    packages: PackageMap,
    *,
    mode: str,
    changed: Iterable[str] = (),
    named: Iterable[str] = (),
    triggers: _Matcher | None = None,
    dependents: bool = True,
    graph: Callable[[], ImportGraph] | None = None,
    gate: bool = False,
    untested_ok: _Matcher | None = None,
) -> Selection:
    """Select test files and packages for ``changed`` files and ``named`` packages.

    ``dependents`` False keeps to the packages holding the changed files (no
    import graph). ``gate`` makes a changed file no test reaches run every
    test, unless ``untested_ok`` matches it.
    """
    files = tuple(sorted(p for p in set(changed) if not _is_bytecode(p)))
    named = list(named)
    for path in files:
        reason = _whole_suite_reason(
            packages, path, triggers, by_package=not dependents or graph is None
        )
        if reason:
            return Selection(mode, files, full_suite=reason)
    touched: dict[str, list[str]] = {}
    unmapped: list[str] = []
    for path in files:
        owners = _owners(packages, path)
        for package in owners:
            touched.setdefault(package.name, []).append(path)
        if not owners:
            unmapped.append(path)
    candidates = [p for p in packages.all_files if _is_test_node(packages, p)]
    base = Selection(
        mode,
        files,
        touched={k: tuple(v) for k, v in sorted(touched.items())},
        unmapped=tuple(unmapped),
        test_files=sum(1 for p in candidates if is_test_file(p)),
    )
    selected = {name: "named with --lw-package" for name in named}
    if not dependents or graph is None:
        for name, paths in sorted(touched.items()):
            selected.setdefault(name, "touched: " + _few(paths))
        for path in files:
            if PurePosixPath(path).name == "conftest.py":
                _add_tests_under(packages, path, selected)
        return replace(base, selected=selected, whole=tuple(selected))
    # Without a changed Python file or a named package, no import can matter.
    needed = bool(named) or any(p.endswith(".py") for p in files)
    walk = _Walk(packages, graph() if needed else ImportGraph({}, {}), candidates)
    tests = walk.select(files, named)
    for path in files:
        if not path.endswith(".py") and not packages.is_test_path(path):
            for package in packages.owners(path):
                selected.setdefault(
                    package.name, f"holds {path} (not Python: any module may read it)"
                )
        elif not path.endswith(".py"):
            walk.add_beside(path, tests)
    untested = []
    for path in walk.unreached(files, tests):
        holders = [p for p in packages.owners(path) if walk.has_tests(p.name)]
        for package in holders:
            selected.setdefault(package.name, f"holds {path}, which no test imports")
        if not holders:
            untested.append(path)
    whole = tuple(selected)
    for test, why in tests.items():
        for package in packages.test_owners(test):
            selected.setdefault(package.name, "test files selected, as " + why)
    accepted = tuple(p for p in untested if untested_ok is not None and untested_ok.matches(p))
    refused = [p for p in untested if p not in accepted]
    full = None
    if gate and refused:
        full = (
            f"{_few(refused)} changed and no test reaches it (a gate run then runs every test;"
            " `untested_ok` in the configuration accepts such paths)"
        )
    return replace(
        base,
        selected=selected,
        whole=whole,
        tests=tests,
        untested=tuple(untested),
        untested_ok=accepted,
        full_suite=full,
    )


class _Walk:
    """The import graph walked from the changed files to the test files."""

    def __init__(self, packages: PackageMap, graph: ImportGraph, candidates: list[str]) -> None:
        self.packages = packages
        self.graph = graph
        # A helper other files import is no test (unless its name says it is one).
        self.candidates = [
            path
            for path in candidates
            if is_test_file(path) or not graph.importers.get(graph.module_names.get(path) or "")
        ]
        self.files = set(packages.all_files)

    def select(self, changed: tuple[str, ...], named: list[str]) -> dict[str, str]:
        """Test file -> the chain from a changed file (or a named package) to it."""
        seeds: dict[str, str] = {}
        for path in changed:
            if path.endswith(".py"):
                seeds.update(self._seeds(path))
        for name in named:
            for package in self.packages.by_name.get(name, []):
                inside = package.root + "/"
                for path in self.packages.all_files:
                    module = package.module_name(path) if path.startswith(inside) else None
                    if module is not None and package in self.packages.owners(path):
                        seeds.setdefault(module, path)
        return self._tests(seeds, {p for p in changed if p.endswith(".py")})

    def _tests(self, seeds: Mapping[str, str], changed: set[str]) -> dict[str, str]:
        reached = self.graph.affected(seeds) if seeds else {}
        affected = set(seeds.values()) | {p for p, r in reached.items() if r.full}
        chosen: dict[str, str] = {}
        for test in self.candidates:
            chain = self._chain_to(test, affected, reached)
            if chain is not None:
                chosen[test] = self._words(chain, reached, changed)
        # Tests that import nothing of the project follow their package.
        hit: dict[str, str] = {}
        for path in sorted(affected):
            if not self.packages.is_test_path(path):
                for package in self.packages.owners(path):
                    hit.setdefault(package.name, path)
        if hit:
            for test in self.candidates:
                if test in chosen or self.graph.depends.get(test):
                    continue
                for package in self.packages.test_owners(test):
                    if package.name in hit:
                        chosen[test] = (
                            f"{test} (imports nothing of the project; it is a test of"
                            f" {package.name}) → {hit[package.name]}"
                        )
                        break
        return chosen

    def _chain_to(
        self, test: str, affected: set[str], reached: Mapping[str, Reach]
    ) -> list[str] | None:
        """One chain from an affected file to ``test``: itself, a conftest or __init__ above."""
        if test in affected:
            return _chain(reached, test)
        folder = test.rpartition("/")[0]
        in_package = True
        while True:
            prefix = folder + "/" if folder else ""
            conftest = prefix + "conftest.py"
            if conftest in affected:
                return [test, *_chain(reached, conftest)]
            init = prefix + "__init__.py"
            in_package = in_package and init in self.files
            if in_package and init in affected:
                return [test, *_chain(reached, init)]
            if not folder:
                return None
            folder = folder.rpartition("/")[0]

    def _words(self, chain: list[str], reached: Mapping[str, Reach], changed: set[str]) -> str:
        """``tests/t.py (from p import a) → p.a (uses p.foo) → p/sub/foo.py``."""
        if len(chain) == 1:
            return f"{chain[0]} (changed)" if chain[0] in changed else chain[0]
        parts = []
        for i, path in enumerate(chain[:-1]):
            label = path if self.packages.is_test_path(path) else self._name(path)
            reach = reached.get(path)
            if reach is not None and reach.source == chain[i + 1]:
                words = self.graph.how.get(path, {}).get(reach.module)
                label += f" ({words})" if words else ""
            else:
                label += f" (under {chain[i + 1].rpartition('/')[0] or 'the top'}/)"
            parts.append(label)
        return " → ".join([*parts, chain[-1]])

    def _seeds(self, path: str) -> dict[str, str]:
        """The modules a change of ``path`` affects, each with ``path`` as its origin.

        Importing ``pkg.sub.x`` runs ``pkg/__init__.py`` and ``pkg/sub/__init__.py``
        first: a change to a package's ``__init__.py`` affects every module under it.
        """
        module = self._module(path)
        seeds = {module: path}
        if path.endswith("__init__.py") and not self.packages.is_test_path(path):
            prefix = module + "."
            for name in self.graph.modules:
                if name.startswith(prefix):
                    seeds.setdefault(name, path)
        return seeds

    def _module(self, path: str) -> str:
        """A changed file's module name; a deleted file's from its path."""
        return (
            self.graph.module_names.get(path)
            or self.packages.module_name(path)
            or path_module_name(path)
            or path
        )

    def _name(self, path: str) -> str:
        return self.graph.module_names.get(path) or path

    def add_beside(self, path: str, tests: dict[str, str]) -> None:
        """A changed data file among tests: the tests of its package, else of its test folder."""
        owners = self.packages.test_owners(path)
        if owners:
            names = {p.name for p in owners}
            for test in self.candidates:
                if names & {p.name for p in self.packages.test_owners(test)}:
                    tests.setdefault(test, f"{test} (a test of its package) → {path}")
            return
        parts = path.split("/")
        top = next((i for i, part in enumerate(parts[:-1]) if part in TEST_DIRS), None)
        folder = "/".join(parts[: (top or 0) + 1]) + "/" if top is not None else ""
        for test in self.candidates:
            if test.startswith(folder):
                tests.setdefault(test, f"{test} (under {folder or 'the top'}) → {path}")

    def unreached(self, changed: tuple[str, ...], tests: Mapping[str, str]) -> list[str]:
        """Changed Python files (not tests) from which no chain reaches any test."""
        ends = {why.rpartition(" → ")[2] for why in tests.values()}
        missing = []
        for path in changed:
            if not path.endswith(".py") or self.packages.is_test_path(path) or path in ends:
                continue
            if not self._tests(self._seeds(path), {path}):
                missing.append(path)
        return missing

    def has_tests(self, package: str) -> bool:
        """Whether any test file belongs to ``package``."""
        return any(
            package in {p.name for p in self.packages.test_owners(t)} for t in self.candidates
        )


def _is_test_node(packages: PackageMap, path: str) -> bool:
    name = path.rpartition("/")[2]
    return (
        name.endswith(".py")
        and name not in ("conftest.py", "__init__.py")
        and packages.is_test_path(path)
    )


def _is_bytecode(path: str) -> bool:
    """Compiled caches are never source, even where no .gitignore hides them."""
    return path.endswith((".pyc", ".pyo")) or "__pycache__/" in path


def _whole_suite_reason(
    packages: PackageMap, path: str, triggers: _Matcher | None, *, by_package: bool
) -> str | None:
    if triggers is not None and triggers.matches(path):
        return f"{path} changed (it configures the whole suite)"
    # Selecting by package cannot name the tests below a conftest.py outside every package.
    if by_package and PurePosixPath(path).name == "conftest.py" and not _owners(packages, path):
        return f"{path} changed (a conftest.py outside every package)"
    return None


def _add_tests_under(packages: PackageMap, conftest: str, selected: dict[str, str]) -> None:
    """Select the packages of every test file below a changed ``conftest.py``."""
    folder = conftest.rpartition("/")[0]
    prefix = folder + "/" if folder else ""
    for path in packages.all_files:
        if is_test_file(path) and path.startswith(prefix):
            for package in packages.test_owners(path):
                selected.setdefault(package.name, f"tests under {conftest}")


def _owners(packages: PackageMap, path: str) -> list[Package]:
    owners = packages.owners(path)
    if not owners and packages.is_test_path(path):
        owners = packages.test_owners(path)
    return owners


def _few(paths: list[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _chain(reached: Mapping[str, Reach], path: str) -> list[str]:
    chain = [path]
    while chain[-1] in reached and len(chain) < 50:
        source = reached[chain[-1]].source
        if source in chain:
            break
        chain.append(source)
    return chain
