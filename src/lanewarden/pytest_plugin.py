"""lanewarden's pytest plugin: run the tests of touched packages, record gate evidence.

Inert unless one of its options is given (then it needs a git repository):

- ``--lw-changed`` / ``--lw-staged`` / ``--lw-since REF`` select the packages
  a change touches, plus the packages importing them (``--lw-no-dependents``
  turns that off); ``--lw-package PKG`` names packages outright;
- ``--lw-gate NAME`` records evidence of the run for the tree tested.

The selection is computed once, by the controller; xdist workers receive it
(so every worker deselects the same tests) and never write evidence.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.packages import PackageMap
    from lanewarden.domain.scopes import Scope
    from lanewarden.domain.selection import Selection

__all__ = ["pytest_addoption", "pytest_configure"]

_WORKER_KEY = "lanewarden"
_SELECTING = ("lw_changed", "lw_staged", "lw_since", "lw_package")


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``lanewarden`` option group."""
    group = parser.getgroup("lanewarden", "lanewarden: tests of touched packages, gate evidence")
    group.addoption(
        "--lw-changed",
        action="store_true",
        help="run the tests of packages changed against HEAD (staged, unstaged, untracked)",
    )
    group.addoption(
        "--lw-staged", action="store_true", help="run the tests of packages the index changes"
    )
    group.addoption(
        "--lw-since",
        metavar="REF",
        help="run the tests of packages changed since the merge base with REF",
    )
    group.addoption(
        "--lw-package",
        action="append",
        default=[],
        metavar="PKG",
        help="run the tests of package PKG (repeatable)",
    )
    group.addoption(
        "--lw-no-dependents",
        action="store_true",
        help="do not add the packages that import a selected package",
    )
    group.addoption(
        "--lw-gate",
        metavar="NAME",
        help="record evidence of this run as gate NAME for the tree tested",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Switch on when one of the plugin's options is given."""
    used = [name for name in (*_SELECTING, "lw_gate") if config.getoption(name)]
    if not used:
        if config.getoption("lw_no_dependents"):
            raise pytest.UsageError(
                "--lw-no-dependents needs --lw-changed, --lw-staged, --lw-since or --lw-package"
            )
        return
    plugin = LanewardenPlugin(config)
    config.pluginmanager.register(plugin, "lanewarden-session")
    if config.pluginmanager.hasplugin("xdist") and not plugin.is_worker:
        config.pluginmanager.register(_XdistHooks(plugin), "lanewarden-xdist")


def _usage_errors(compute: Callable[[], Any]) -> Any:
    from lanewarden.errors import InputError

    try:
        return compute()
    except InputError as error:
        raise pytest.UsageError(f"lanewarden: {error}") from None


class LanewardenPlugin:
    """The per-session state: what was selected, what ran, the evidence."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.monotonic()
        self.is_worker = hasattr(config, "workerinput")
        self.gate: str | None = config.getoption("lw_gate")
        self.counts: dict[str, int] = {}
        self.deselected = 0
        self.uncollected: list[str] = []  # test files and folders skipped unread
        self.selected_tests = 0
        self.repo: Repo | None = None
        self.tree: str | None = None
        self.head: str | None = None
        self.start_time = ""
        self._selected_files: dict[str, bool] = {}
        self._relative_dirs: dict[str, str] = {}
        shared = getattr(config, "workerinput", {}).get(_WORKER_KEY)
        if shared is not None:
            self._from_controller(json.loads(shared))
        else:
            _usage_errors(self._compute)

    def _from_controller(self, data: dict[str, Any]) -> None:
        from lanewarden.domain.packages import PackageMap
        from lanewarden.domain.selection import Selection

        self.root = Path(data["root"])
        self.packages: PackageMap = PackageMap.from_json(data["packages"])
        self.selection: Selection = Selection.from_json(data["selection"])

    def shared(self) -> str:
        """What xdist workers need to deselect exactly like the controller."""
        data = {
            "root": str(self.root),
            "packages": self.packages.to_json(),
            "selection": self.selection.to_json(),
        }
        return json.dumps(data)

    def _compute(self) -> None:
        from lanewarden.adapters import changes
        from lanewarden.adapters.config import load_config
        from lanewarden.adapters.git import Repo
        from lanewarden.adapters.import_facts import build_graph
        from lanewarden.domain.packages import detect_packages
        from lanewarden.domain.selection import Selection, select
        from lanewarden.errors import InputError

        if self.gate is not None:
            from lanewarden.adapters.evidence_store import GATE_NAME

            if not GATE_NAME.match(self.gate):
                raise InputError(f"--lw-gate {self.gate!r}: use letters, digits, . _ - (like 2)")
        repo = self.repo = Repo.discover(self.config.rootpath)
        self.root = repo.root
        settings = load_config(repo.root)
        option = self.config.getoption
        changed: set[str] = set()
        modes = []
        if option("lw_changed"):
            changed.update(changes.changed_files(repo))
            modes.append("changed")
        if option("lw_staged"):
            changed.update(changes.staged_files(repo))
            modes.append("staged")
        if option("lw_since"):
            changed.update(changes.files_since(repo, option("lw_since")))
            modes.append(f"since {option('lw_since')}")
        named: list[str] = option("lw_package")
        if named:
            modes.append("package " + ",".join(named))
        self.packages = detect_packages(
            changes.listed_files(repo), settings.packages, settings.package_tests
        )
        unknown = [name for name in named if name not in self.packages.by_name]
        if unknown:
            known = ", ".join(self.packages.names) or "(none found)"
            raise InputError(
                f"unknown package {', '.join(map(repr, unknown))}; known packages: {known}",
                hint="set `packages` in [tool.lanewarden] if a package was not detected",
            )
        if not modes:
            touched = tuple(changes.changed_files(repo)) if self.gate else ()
            self.selection = Selection("all", touched, full_suite="no selection option given")
        else:
            self.selection = select(
                self.packages,
                mode=" + ".join(modes),
                changed=changed,
                named=named,
                triggers=_triggers(
                    settings.full_suite_triggers, settings.source, repo.state_dir / "triggers.cache"
                )
                if changed
                else None,
                dependents=not option("lw_no_dependents"),
                graph=lambda: build_graph(
                    repo.root, self.packages, repo.state_dir / "import-cache" / "facts.json"
                ),
            )
        if self.gate is not None:
            from lanewarden.domain.evidence import evidence_time

            self.start_time = evidence_time()
            self.tree = changes.work_tree_id(repo)
            self.head = changes.head_commit(repo)

    # -- hooks ---------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Say what was touched, what is selected and why."""
        lines = [f"lanewarden: {line}" for line in self.selection.describe()]
        if self.gate is not None:
            lines.append(f"lanewarden: recording gate {self.gate} evidence for tree {self.tree}")
        return lines

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        """Skip collecting test files (and package folders) no selected package owns.

        Importing thousands of test modules only to deselect them would cost
        more than the tests of one package take to run; the tests skipped
        this way are counted as files, not as deselected tests.
        """
        if self.selection.runs_everything:
            return None
        relative = self._relative(collection_path)
        if relative is None:
            return None
        if collection_path.is_dir():
            # package_tests globs may reach into any folder: then prune files only.
            if not self.packages.package_tests and self._folder_is_unselected(relative):
                self.uncollected.append(relative + "/")
                return True
            return None
        name = collection_path.name
        if (
            name.endswith(".py")
            and name not in ("conftest.py", "__init__.py")
            and self.packages.is_test_path(relative)
            and not self._is_selected(collection_path)
        ):
            self.uncollected.append(relative)
            return True
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Deselect the tests of packages that were not selected."""
        if self.selection.runs_everything:
            self.selected_tests = len(items)
            return
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            (keep if self._is_selected(item.path) else drop).append(item)
        if drop:
            items[:] = keep
            config.hook.pytest_deselected(items=drop)
        self.selected_tests = len(keep)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Count every deselection (ours, ``-k``, ``-m``) for the evidence."""
        self.deselected += len(items)

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str]:
        """How many tests the selection kept."""
        if self.selection.runs_everything:
            return []
        line = f"lanewarden: {self.selected_tests} tests selected, {self.deselected} deselected"
        if self.uncollected:
            shown = ", ".join(self.uncollected[:3])
            more = len(self.uncollected) - 3
            line += f"; not collected (other packages): {shown}"
            line += f" and {more} more" if more > 0 else ""
        return [line]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count outcomes the way the terminal does (xfail, xpass, error...)."""
        category = self.config.hook.pytest_report_teststatus(report=report, config=self.config)[0]
        if category:
            self.counts[category] = self.counts.get(category, 0) + 1

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A collection error is an error of the run."""
        if report.failed:
            self.counts["error"] = self.counts.get("error", 0) + 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """No tests selected is a success; then the controller records evidence."""
        if self.is_worker:
            output = {"deselected": self.deselected, "not_collected": self.uncollected}
            self.config.workeroutput[_WORKER_KEY] = json.dumps(output)  # type: ignore[attr-defined]
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and (
            not self.selection.runs_everything
        ):
            session.exitstatus = pytest.ExitCode.OK
            if reporter is not None:
                reporter.write_line("lanewarden: no tests selected for this change; nothing to run")
        if self.gate is not None:
            path = _usage_errors(lambda: self._record(int(session.exitstatus)))
            if reporter is not None:
                outcome = "passed" if session.exitstatus == 0 else "failed"
                reporter.write_line(f"lanewarden: gate {self.gate} {outcome}; evidence: {path}")

    def _record(self, exit_status: int) -> Path:
        from lanewarden import __version__
        from lanewarden.adapters.evidence_store import write_evidence
        from lanewarden.domain.evidence import Evidence

        assert self.repo is not None
        assert self.tree is not None
        assert self.gate is not None
        selection = self.selection
        packages = self.packages.names if selection.runs_everything else list(selection.selected)
        counts = dict(sorted(self.counts.items()))
        counts["deselected"] = self.deselected
        record = Evidence(
            gate=self.gate,
            status="passed" if exit_status == 0 else "failed",
            tree=self.tree,
            time=self.start_time,
            head=self.head,
            lane=os.environ.get("LANEWARDEN_LANE", "").strip() or None,
            worktree=str(self.repo.root),
            touched_files=selection.touched_files,
            packages=tuple(packages),
            selection={**selection.to_json(), "not_collected": len(self.uncollected)},
            counts=counts,
            exit_status=exit_status,
            duration=time.monotonic() - self.started,
            command=("pytest", *self.config.invocation_params.args),
            tools={
                "lanewarden": __version__,
                "pytest": pytest.__version__,
                "python": sys.version.split()[0],
                "git": _git_version(self.repo),
            },
        )
        return write_evidence(self.repo, record)

    def _is_selected(self, path: Path) -> bool:
        key = str(path)
        cached = self._selected_files.get(key)
        if cached is None:
            relative = self._relative(path)
            owners = self.packages.test_owners(relative) if relative else []
            cached = any(p.name in self.selection.selected for p in owners)
            self._selected_files[key] = cached
        return cached

    def _relative(self, path: Path) -> str | None:
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

    def _folder_is_unselected(self, relative: str) -> bool:
        """Whether a folder holds only files of packages that were not selected."""
        owners = self.packages.owners(relative)
        if not owners or any(p.name in self.selection.selected for p in owners):
            return False
        inside = relative + "/"
        return not any(
            p.root.startswith(inside) or (p.home or "").startswith(inside)
            for name in self.selection.selected
            for p in self.packages.by_name.get(name, [])
        )


class _XdistHooks:
    """Registered only when pytest-xdist is present, on the controller."""

    def __init__(self, plugin: LanewardenPlugin) -> None:
        self.plugin = plugin
        self.heard = False

    def pytest_configure_node(self, node: Any) -> None:
        """Hand each worker the controller's selection."""
        node.workerinput[_WORKER_KEY] = self.plugin.shared()

    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        """Every worker collects and deselects the same tests: take one worker's count."""
        output = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if output is not None and not self.heard:
            self.heard = True
            data = json.loads(output)
            self.plugin.deselected += data["deselected"]
            self.plugin.uncollected.extend(data["not_collected"])


def _triggers(globs: tuple[str, ...], source: Path | None, cache: Path) -> Scope | None:
    from lanewarden.adapters.scope_cache import cached_scope
    from lanewarden.domain.scopes import ScopeError
    from lanewarden.errors import InputError

    try:
        return cached_scope(cache, globs) if globs else None
    except ScopeError as e:
        raise InputError(f"bad value for 'full_suite_triggers': {e}", path=source) from None


def _git_version(repo: Repo) -> str:
    return os.fsdecode(repo.git("version")).strip().removeprefix("git version ")
