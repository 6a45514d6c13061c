"""Which packages' tests to run for a change, and why each one.

A change to a whole-suite trigger (a root ``conftest.py``, ``pyproject.toml``,
requirements, the configured globs) or to a ``conftest.py`` that belongs to
no package selects everything; a ``conftest.py`` inside a package selects the
packages of every test below its folder. Otherwise the packages owning the changed
files are *touched*, named packages are added, and the packages whose files
import a touched module (transitively, through the import graph) follow
unless dependents are turned off. Every selected package carries the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Protocol

from lanewarden.domain.imports import ImportGraph, Reach
from lanewarden.domain.packages import Package, PackageMap

__all__ = ["Selection", "select"]


class _Matcher(Protocol):
    def matches(self, path: str) -> bool: ...


@dataclass(frozen=True)
class Selection:
    """The outcome: everything, or these packages for these reasons."""

    mode: str
    touched_files: tuple[str, ...] = ()
    full_suite: str | None = None  # why everything runs
    touched: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    selected: Mapping[str, str] = field(default_factory=dict)  # package -> why
    unmapped: tuple[str, ...] = ()

    @property
    def runs_everything(self) -> bool:
        """True when no test is deselected."""
        return self.full_suite is not None

    def describe(self) -> list[str]:
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
        if self.full_suite:
            lines.append(f"running every test: {self.full_suite}")
        elif self.selected:
            lines.append("selected packages:")
            lines.extend(f"  {name}: {why}" for name, why in self.selected.items())
        else:
            lines.append("no package selected: the change maps to no tests")
        return lines

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (evidence records, xdist workers)."""
        return {
            "mode": self.mode,
            "touched_files": list(self.touched_files),
            "full_suite": self.full_suite,
            "touched": {k: list(v) for k, v in self.touched.items()},
            "selected": dict(self.selected),
            "unmapped": list(self.unmapped),
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
) -> Selection:
    """Select packages for ``changed`` files and ``named`` packages."""
    files = tuple(sorted(p for p in set(changed) if not _is_bytecode(p)))
    for path in files:
        reason = _whole_suite_reason(packages, path, triggers)
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
    selected = {name: "touched: " + _few(paths) for name, paths in sorted(touched.items())}
    for path in files:
        if PurePosixPath(path).name == "conftest.py":
            _add_tests_under(packages, path, selected)
    for name in named:
        selected.setdefault(name, "named with --lw-package")
    if dependents and selected and graph is not None:
        seeds = _seeds(packages, touched, named)
        if seeds:
            _add_dependents(packages, graph(), seeds, selected)
    return Selection(
        mode,
        files,
        touched={k: tuple(v) for k, v in sorted(touched.items())},
        selected=selected,
        unmapped=tuple(unmapped),
    )


def _is_bytecode(path: str) -> bool:
    """Compiled caches are never source, even where no .gitignore hides them."""
    return path.endswith((".pyc", ".pyo")) or "__pycache__/" in path


def _whole_suite_reason(packages: PackageMap, path: str, triggers: _Matcher | None) -> str | None:
    if triggers is not None and triggers.matches(path):
        return f"{path} changed (it configures the whole suite)"
    if PurePosixPath(path).name == "conftest.py" and not _owners(packages, path):
        return f"{path} changed (a conftest.py outside every package)"
    return None


def _add_tests_under(packages: PackageMap, conftest: str, selected: dict[str, str]) -> None:
    """Select the packages of every test file below a changed ``conftest.py``.

    pytest applies a conftest to everything under its folder, so
    ``lib/conftest.py`` above the tests of ``lib.sub`` concerns them too.
    """
    folder = conftest.rpartition("/")[0]
    prefix = folder + "/" if folder else ""
    for path in packages.all_files:
        name = path.rpartition("/")[2]
        collected = name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
        if collected and path.startswith(prefix):
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


def _seeds(
    packages: PackageMap, touched: Mapping[str, list[str]], named: Iterable[str]
) -> dict[str, str]:
    """Touched modules (module → file); a package touched otherwise seeds all its modules."""
    seeds: dict[str, str] = {}
    whole: set[str] = set(named)
    for name, paths in touched.items():
        for path in paths:
            module = packages.module_name(path)
            if module is not None:
                seeds[module] = path
            elif not packages.is_test_path(path):
                whole.add(name)  # data or config inside the package: any module may read it
    if whole:
        for path in packages.all_files:
            for package in packages.owners(path):
                if package.name in whole:
                    module = package.module_name(path)
                    if module is not None:
                        seeds.setdefault(module, path)
    return seeds


def _add_dependents(
    packages: PackageMap, graph: ImportGraph, seeds: Mapping[str, str], selected: dict[str, str]
) -> None:
    reached = graph.affected(seeds)
    chains = {path: _chain(reached, path) for path, reach in reached.items() if reach.full}
    for path, chain in sorted(chains.items(), key=lambda item: (len(item[1]), item[0])):
        for package in _owners(packages, path):
            if package.name in selected:
                continue
            origin = _owners(packages, chain[-1])
            via = origin[0].name if origin else chain[-1]
            selected[package.name] = f"imports {via}: " + " → ".join(chain)


def _chain(reached: Mapping[str, Reach], path: str) -> list[str]:
    chain = [path]
    while chain[-1] in reached and len(chain) < 50:
        source = reached[chain[-1]].source
        if source in chain:
            break
        chain.append(source)
    return chain
