"""The selection service of the pytest plugin: which tests of the repository run.

The plugin's hooks (``pytest_plugin``) call it; it reads git and the
configuration once, on the controller, and answers per file whether it is
selected (a selected test file, or a test of a package selected whole). xdist
workers rebuild it from :meth:`Selector.to_json` so every worker deselects
exactly like the controller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lanewarden.adapters.git import Repo
    from lanewarden.domain.collection_inputs import CollectionInputs, Now
    from lanewarden.domain.coverage_refine import Refinement
    from lanewarden.domain.imports import ImportGraph
    from lanewarden.domain.packages import PackageMap
    from lanewarden.domain.scopes import Scope
    from lanewarden.domain.selection import Selection

__all__ = ["WORKER_KEY", "Computed", "Options", "Selector", "compute_selector"]

WORKER_KEY = "lanewarden"  # the key of the selection in xdist's workerinput and workeroutput


@dataclass(frozen=True)
class Options:
    """The plugin's selection options, as given on the command line."""

    changed: bool = False
    staged: bool = False
    since: str | None = None
    named: tuple[str, ...] = ()
    no_dependents: bool = False
    gate: str | None = None
    explain: bool = False
    coverage_map: bool = True  # refine with the nearest coverage map (--lw-no-coverage-map: off)
    runxfail: bool = False  # pytest's --runxfail: xfailed tests are failing ones

    @property
    def modes(self) -> list[str]:
        """The selection modes given, in the words the record uses."""
        modes = []
        if self.changed:
            modes.append("changed")
        if self.staged:
            modes.append("staged")
        if self.since:
            modes.append(f"since {self.since}")
        if self.named:
            modes.append("package " + ",".join(self.named))
        return modes


@dataclass
class Selector:
    """Which test files a selected package owns, cached per file and folder."""

    root: Path
    packages: PackageMap
    selection: Selection
    refinement: Refinement | None = None  # what the coverage map deselected among those
    coverage_note: str | None = None  # why no map refined the selection, when one was there
    collection: CollectionInputs | None = None  # what the map's collection read (controller)
    _selected_files: dict[str, bool] = field(default_factory=dict)
    _relative_dirs: dict[str, str] = field(default_factory=dict)
    _test_dirs: set[str] | None = None

    def to_json(self) -> dict[str, Any]:
        """What an xdist worker needs to deselect exactly like the controller."""
        return {
            "root": str(self.root),
            "packages": self.packages.to_json(),
            "selection": self.selection.to_json(),
            "refinement": None if self.refinement is None else self.refinement.to_json(),
            "coverage_note": self.coverage_note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selector:
        """The controller's selector, on a worker."""
        from lanewarden.domain.coverage_refine import Refinement
        from lanewarden.domain.packages import PackageMap
        from lanewarden.domain.selection import Selection

        refinement = data.get("refinement")
        return cls(
            Path(data["root"]),
            PackageMap.from_json(data["packages"]),
            Selection.from_json(data["selection"]),
            None if refinement is None else Refinement.from_json(refinement),
            data.get("coverage_note"),
        )

    def settle_collection(self, now: Callable[[], Now]) -> None:
        """Compare the map's recording run with this one (``now``), once.

        Another interpreter, platform or set of installed distributions: the
        map is not used. Anything else collection read that differs: every
        test file is collected. Asked once every plugin is configured (an ini
        setting a plugin adds counts), before the first file is collected or
        the header is shown.
        """
        inputs, self.collection = self.collection, None
        refinement = self.refinement
        if inputs is None or refinement is None:
            return
        current = now()
        other = inputs.environment_differences(current)
        if other:
            self.refinement = None
            self.coverage_note = (
                f"coverage map of tree {refinement.tree[:12]} not used: {other[0]}"
                " (a map describes the runs of one environment)"
            )
        elif refinement.uncollected:
            self.refinement = refinement.collected_because(inputs.differences(current))

    def is_selected(self, path: Path) -> bool:
        """Whether the test file ``path`` is selected, itself or with its package."""
        key = str(path)
        cached = self._selected_files.get(key)
        if cached is None:
            relative = self.relative(path)
            cached = False if relative is None else self.selects(relative)
            self._selected_files[key] = cached
        return cached

    def selects(self, relative: str) -> bool:
        """Whether the static selection runs the file ``relative`` (from the repository top)."""
        if relative in self.selection.tests or relative in self.selection.touched_files:
            return True  # a changed module's own doctests (--doctest-modules) run too
        whole = self.selection.whole
        owners = self.packages.test_owners(relative) if whole else []
        return any(p.name in whole for p in owners)

    def selected_among(self, paths: Sequence[str]) -> set[str]:
        """The files of ``paths`` the static selection runs."""
        return {path for path in paths if self.selects(path)}

    def dropped_by_map(self, path: Path, nodeid: str) -> bool:
        """Whether the coverage map deselects the test ``nodeid`` of the file ``path``."""
        refinement = self.refinement
        if refinement is None:
            return False
        relative = self.relative(path)
        if relative is None:
            return False
        _, sep, name = nodeid.partition("::")
        return (relative + sep + name) in refinement.dropped

    def relative(self, path: Path) -> str | None:
        """``path`` relative to the repository top, resolving each folder once."""
        folder = self._relative_dirs.get(str(path.parent))
        if folder is None:
            try:
                folder = path.parent.resolve().relative_to(self.root).as_posix()
            except ValueError:
                folder = ""  # outside the repository: no package owns it
            self._relative_dirs[str(path.parent)] = folder
        if not folder:
            return None
        return path.name if folder == "." else f"{folder}/{path.name}"

    def folder_is_unselected(self, relative: str) -> bool:
        """Whether a folder holds only files of packages that were not selected."""
        owners = self.packages.owners(relative)
        if not owners or any(p.name in self.selection.whole for p in owners):
            return False
        if self._test_dirs is None:
            self._test_dirs = {
                "/".join(parts[:i])
                for parts in (
                    path.split("/")
                    for path in (*self.selection.tests, *self.selection.touched_files)
                )
                for i in range(1, len(parts))
            }
        if relative in self._test_dirs:
            return False
        inside = relative + "/"
        return not any(
            p.root.startswith(inside) or (p.home or "").startswith(inside)
            for name in self.selection.whole
            for p in self.packages.by_name.get(name, [])
        )


@dataclass(frozen=True)
class Computed:
    """The controller's view: the selector, the repository and the valid gates."""

    selector: Selector
    repo: Repo
    gate_names: tuple[str, ...]
    mode: str  # the configured mode: single-branch or worktrees


def compute_selector(
    start: Path,
    options: Options,
    *,
    changed_files: Sequence[str] | None = None,
) -> Computed:
    """Read git and the configuration, and select; bad input is an InputError.

    ``changed_files`` selects for those files as they are in the work tree (what
    ``integrate --dry-run`` asks for each lane's change), beside any mode.
    """
    from lanewarden.adapters import changes
    from lanewarden.adapters.config import load_config
    from lanewarden.adapters.git import Repo
    from lanewarden.adapters.import_facts import build_graph
    from lanewarden.domain.evidence import gate_names
    from lanewarden.domain.packages import detect_packages
    from lanewarden.domain.selection import Selection, select
    from lanewarden.errors import InputError

    repo = Repo.discover(start)
    settings = load_config(repo.root)
    changed: set[str] = set(changed_files or ())
    if options.changed:
        changed.update(changes.changed_files(repo))
    if options.staged:
        changed.update(changes.staged_files(repo))
    if options.since:
        changed.update(changes.files_since(repo, options.since))
    packages = detect_packages(
        changes.listed_files(repo), settings.packages, settings.package_tests
    )
    unknown = [name for name in options.named if name not in packages.by_name]
    if unknown:
        known = ", ".join(packages.names) or "(none found)"
        raise InputError(
            f"unknown package {', '.join(map(repr, unknown))}; known packages: {known}",
            hint="set `packages` in [tool.lanewarden] if a package was not detected",
        )
    modes = options.modes + (["files given"] if changed_files is not None else [])
    graphs: list[ImportGraph] = []

    def graph() -> ImportGraph:  # built once, for the selection and the coverage map's
        if not graphs:
            graphs.append(
                build_graph(repo.root, packages, repo.state_dir / "import-cache" / "facts.json")
            )
        return graphs[0]

    triggers = (
        _configured_scope(
            "full_suite_triggers",
            settings.full_suite_triggers,
            settings.source,
            repo.state_dir / "triggers.cache",
        )
        if changed
        else None
    )
    if not modes:
        touched = tuple(changes.changed_files(repo)) if options.gate else ()
        selection = Selection("all", touched, full_suite="no selection option given")
    else:
        selection = select(
            packages,
            mode=" + ".join(modes),
            changed=changed,
            named=list(options.named),
            triggers=triggers,
            dependents=not options.no_dependents,
            graph=graph,
            gate=options.gate is not None,
            untested_ok=_configured_scope(
                "untested_ok",
                settings.untested_ok,
                settings.source,
                repo.state_dir / "untested.cache",
            )
            if changed
            else None,
        )
    selector = Selector(repo.root, packages, selection)
    # Packages named with --lw-package run whole: the map refines only what a change selects.
    refinable = options.coverage_map and not options.named and not selection.runs_everything
    if modes and changed and refinable:
        from lanewarden.coverage_selection import refine_with_map

        def reach(paths: list[str]) -> Selection:
            return select(
                packages,
                mode="files the coverage map leaves to the static rule",
                changed=paths,
                triggers=triggers,
                dependents=not options.no_dependents,
                graph=graph,
            )

        def test_files(alone: Selection) -> set[str]:
            # Every file, not only test paths: a whole package's source modules are
            # selected for their doctests, and the static rule keeps those too.
            return Selector(repo.root, packages, alone).selected_among(packages.all_files)

        outcome = refine_with_map(
            repo,
            selection,
            statically_selected=selector.selects,
            is_test_path=packages.is_test_path,
            reach=reach,
            test_files=test_files,
            runxfail=options.runxfail,
        )
        selector.refinement, selector.coverage_note = outcome.refinement, outcome.note
        selector.collection = outcome.collection
    return Computed(selector, repo, gate_names(settings.gates), settings.mode)


def _configured_scope(
    key: str, globs: tuple[str, ...], source: Path | None, cache: Path
) -> Scope | None:
    """The globs of configuration ``key`` as one scope, compiled once and kept in ``cache``."""
    if not globs:
        return None  # nothing to import, nothing to compile: most repositories
    from lanewarden.adapters.scope_cache import cached_scope
    from lanewarden.domain.scopes import ScopeError
    from lanewarden.errors import InputError

    try:
        return cached_scope(cache, globs)
    except ScopeError as e:
        raise InputError(f"bad value for {key!r}: {e}", path=source) from None
