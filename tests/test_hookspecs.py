"""Extending lanewarden with pluggy: hookspecs, the plugin manager, entry points."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import pluggy
import pytest

from conftest import Cli, git
from lanewarden import hookspecs
from lanewarden.adapters.config import load_config
from lanewarden.adapters.git import Repo
from lanewarden.cli.bootstrap_check import check_bootstrap
from lanewarden.cli.init import scaffold
from lanewarden.domain.policies import Element, Policy
from lanewarden.domain.policies.builtin import BUILTIN_IDS
from lanewarden.errors import InputError
from lanewarden.plugins import BUILTIN_PLUGIN, get_plugin_manager
from scenario import lanewarden

RELEASE_NOTES = Policy.of(
    "release-notes",
    "Release notes",
    headings=["release notes|changelog"],
    elements=[Element("a changelog entry per change", "changelog", "entry")],
    text="## Release notes\n\nEvery change adds a changelog entry.\n",
)

PLUGIN_SOURCE = """
from lanewarden.domain.policies import Element, Policy
from lanewarden.hookspecs import hookimpl


@hookimpl
def lanewarden_policies(config):
    return [
        Policy.of(
            "release-notes",
            "Release notes",
            headings=["release notes|changelog"],
            elements=[Element("a changelog entry per change", "changelog", "entry")],
            text="## Release notes\\n\\nEvery change adds a changelog entry.\\n",
        )
    ]
"""


class ReleaseNotesPlugin:
    @hookspecs.hookimpl
    def lanewarden_policies(self) -> list[Policy]:  # takes only what it needs
        return [RELEASE_NOTES]


@pytest.fixture
def ready(repo: Path, cli: Cli) -> Path:
    assert cli(repo, "init").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    return repo


def install_plugin(site: Path, source: str = PLUGIN_SOURCE) -> Path:
    """A plugin as pip would leave it: a module and a dist-info with an entry point."""
    site.mkdir(exist_ok=True)
    (site / "lw_release_notes.py").write_text(source)
    info = site / "lw_release_notes-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lw-release-notes\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lanewarden]\nrelease-notes = lw_release_notes\n")
    return site


def check(repo: Path, manager: pluggy.PluginManager) -> Any:
    return check_bootstrap(Repo.discover(repo), load_config(repo), plugin_manager=manager)


def test_the_hookspec_module_is_the_public_extension_api() -> None:
    assert set(hookspecs.__all__) == {"PROJECT_NAME", "hookimpl", "hookspec", "lanewarden_policies"}
    assert hookspecs.hookspec.project_name == hookspecs.hookimpl.project_name == "lanewarden"
    spec = hookspecs.lanewarden_policies
    assert inspect.getdoc(spec)
    assert list(inspect.signature(spec).parameters) == ["config"]


def test_the_builtins_are_a_plugin_like_any_other() -> None:
    manager = get_plugin_manager(entry_points=False)
    assert manager.get_plugin(BUILTIN_PLUGIN) is not None
    assert [name for name, _ in manager.list_name_plugin()] == [BUILTIN_PLUGIN]


def test_a_registered_plugin_adds_a_policy(ready: Path) -> None:
    manager = get_plugin_manager(entry_points=False)
    manager.register(ReleaseNotesPlugin(), name="release-notes")
    report = check(ready, manager)
    assert not report.ok
    assert [r.policy.id for r in report.policies] == [*BUILTIN_IDS, "release-notes"]
    (violation,) = report.violations
    assert violation.rule == "missing-policy"
    assert "(release-notes)" in violation.message
    assert "Release notes" in report.render_text()


def test_init_appends_a_plugins_policy(ready: Path) -> None:
    manager = get_plugin_manager(entry_points=False)
    manager.register(ReleaseNotesPlugin(), name="release-notes")
    result = scaffold(Repo.discover(ready), plugin_manager=manager)
    assert result.appended == ["release-notes"]
    assert (ready / "AGENTS.md").read_text().endswith("\n" + RELEASE_NOTES.text)
    git(ready, "commit", "-qam", "release notes policy")
    assert check(ready, manager).ok


def test_a_plugin_installed_through_an_entry_point(
    ready: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = install_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    report = check(ready, get_plugin_manager())
    assert report.policies[-1].policy.id == "release-notes"
    assert report.policies[-1].status == "missing"


def test_an_entry_point_plugin_in_a_real_process(ready: Path, tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    done = lanewarden(ready, "bootstrap", "--json", env={"PYTHONPATH": path})
    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)
    assert [p["id"] for p in body["policies"]][-1] == "release-notes"
    assert done.stderr == ""


def test_a_plugin_that_fails_to_import_exits_2(ready: Path, tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site", "import no_such_module_here\n")
    done = lanewarden(ready, "bootstrap", env={"PYTHONPATH": str(site)})
    assert done.returncode == 2
    assert "cannot load a lanewarden plugin" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_plugin_returning_garbage_is_an_input_error(ready: Path) -> None:
    class Broken:
        @hookspecs.hookimpl
        def lanewarden_policies(self) -> object:
            return ["not a policy"]

    manager = get_plugin_manager(entry_points=False)
    manager.register(Broken())
    with pytest.raises(InputError, match="must return a list"):
        check(ready, manager)


def test_a_policy_id_given_twice_is_an_input_error(ready: Path) -> None:
    manager = get_plugin_manager(entry_points=False)
    manager.register(ReleaseNotesPlugin(), name="one")

    class Again:
        @hookspecs.hookimpl
        def lanewarden_policies(self) -> list[Policy]:
            return [RELEASE_NOTES]

    manager.register(Again(), name="two")
    with pytest.raises(InputError, match="'release-notes' is defined twice"):
        check(ready, manager)


def test_configuration_may_switch_off_a_plugins_policy(ready: Path) -> None:
    with (ready / "lanewarden.toml").open("a") as f:
        f.write('\n[policies]\ndisable = { release-notes = "no releases yet" }\n')
    manager = get_plugin_manager(entry_points=False)
    manager.register(ReleaseNotesPlugin(), name="release-notes")
    report = check(ready, manager)
    assert report.ok
    assert report.policies[-1].status == "disabled"
    assert report.policies[-1].reason == "no releases yet"


def test_hook_is_called_with_keyword_arguments() -> None:
    seen: dict[str, object] = {}

    class Spy:
        @hookspecs.hookimpl
        def lanewarden_policies(self, config: object) -> list[Policy]:
            seen["config"] = config
            return []

    manager = get_plugin_manager(entry_points=False)
    manager.register(Spy())
    config = load_config(Path("."))
    results = manager.hook.lanewarden_policies(config=config)
    assert seen["config"] is config
    assert len(results) == 2
