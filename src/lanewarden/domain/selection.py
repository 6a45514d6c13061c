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

from lanewarden.domain.imports import ImportGraph
from lanewarden.domain.packages import Package, PackageMap
from lanewarden.domain.reaching import Reaching, is_test_file

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
    # test file -> where its chain depends on a whole package because analysis cannot see
    fallbacks: Mapping[str, str] = field(default_factory=dict)

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
            "fallbacks": dict(self.fallbacks),
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
            fallbacks=dict(data.get("fallbacks", {})),
        )


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
    walk = Reaching(packages, graph() if needed else ImportGraph({}, {}), candidates)
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
        fallbacks=walk.fallbacks,
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
