"""Which test files a change reaches through the import graph, and by which chain.

A test file is reached when it, a ``conftest.py`` above it, or an
``__init__.py`` of the folders it is imported through is affected: changed,
or importing (transitively) what changed. A test file that imports nothing
of the project follows its package. Each reached test file gets one chain in
words, from itself to a changed file.
"""

from __future__ import annotations

from collections.abc import Mapping

from lanewarden.domain.imports import ImportGraph, Reach
from lanewarden.domain.module_names import path_module_name
from lanewarden.domain.packages import TEST_DIRS, PackageMap

__all__ = ["Reaching", "is_test_file"]


def is_test_file(path: str) -> bool:
    """Whether pytest collects ``path`` by default (``test_*.py``, ``*_test.py``)."""
    name = path.rpartition("/")[2]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


class Reaching:
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
        self.fallbacks: dict[str, str] = {}  # test file -> why its chain is coarser than a name
        self._labels: dict[tuple[str, str], str] = {}  # (file, next on its chain) -> words

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
        self._labels = {}  # words depend on this walk's reach
        affected = set(seeds.values()) | {p for p, r in reached.items() if r.full}
        chosen: dict[str, str] = {}
        for test in self.candidates:
            chain = self._chain_to(test, affected, reached)
            if chain is not None:
                chosen[test] = self._words(chain, reached, changed)
                reason = self._fallback(chain, reached)
                if reason:
                    self.fallbacks.setdefault(test, reason)
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
            key = (path, chain[i + 1])
            known = self._labels.get(key)  # chains share their tails: each step is told once
            if known is None:
                known = self._labels[key] = self._label(path, chain[i + 1], reached)
            parts.append(known)
        return " → ".join([*parts, chain[-1]])

    def _label(self, path: str, after: str, reached: Mapping[str, Reach]) -> str:
        """One step of a chain: ``path`` and how it reaches ``after``."""
        label = path if self.packages.is_test_path(path) else self._name(path)
        reach = reached.get(path)
        if reach is not None and reach.source == after:
            words = self.graph.how.get(path, {}).get(reach.module)
            if reach.runs:
                # Its import runs changed code: a call at import time, or a package's
                # __init__.py that does, run before anything under it.
                words = (
                    f"{words}; its import runs changed code"
                    if words
                    else (f"importing it runs {reach.module} first")
                )
            label += f" ({words})" if words else ""
        else:
            label += f" (under {after.rpartition('/')[0] or 'the top'}/)"
        return label

    def _fallback(self, chain: list[str], reached: Mapping[str, Reach]) -> str | None:
        """The first step of ``chain`` where static analysis fell back to a coarser dependency."""
        for i, path in enumerate(chain[:-1]):
            reach = reached.get(path)
            if reach is not None and reach.source == chain[i + 1]:
                reason = self.graph.fallbacks.get(path, {}).get(reach.module)
                if reason:
                    return f"{self._name(path) if i else path}: {reason}"
        return None

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


def _chain(reached: Mapping[str, Reach], path: str) -> list[str]:
    chain = [path]
    while chain[-1] in reached and len(chain) < 50:
        source = reached[chain[-1]].source
        if source in chain:
            break
        chain.append(source)
    return chain
