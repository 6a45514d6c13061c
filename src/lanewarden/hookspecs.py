"""The hooks a lanewarden plugin can implement.

A plugin is a module or object with functions marked ``@hookimpl``, published
under the ``lanewarden`` entry-point group::

    # pyproject.toml of the plugin
    [project.entry-points.lanewarden]
    release-notes = "my_package.lanewarden_plugin"

    # my_package/lanewarden_plugin.py
    from lanewarden.hookspecs import hookimpl
    from lanewarden.domain.policies import Element, Policy

    @hookimpl
    def lanewarden_policies(config):
        return [Policy.of("release-notes", "Release notes", headings=["release notes"],
                          elements=[Element("a changelog entry", "changelog")],
                          text="## Release notes\\n\\nEvery change adds a changelog entry.\\n")]

lanewarden calls every hook with keyword arguments, so an implementation may
accept only the arguments it needs. The built-in policies are registered as a
plugin like any other (:mod:`lanewarden.domain.policies.builtin`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from lanewarden.adapters.config import Config
    from lanewarden.domain.policies.model import Policy

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec", "lanewarden_policies"]

PROJECT_NAME = "lanewarden"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def lanewarden_policies(config: Config) -> list[Policy]:  # type: ignore[empty-body]
    """Return the policies the agent policy file must encode.

    Called once per bootstrap check (and by ``lanewarden init``) with the
    repository's validated :class:`~lanewarden.adapters.config.Config`; every
    plugin's list is added to the others. Policy ids must be unique across all
    plugins. A policy can be switched off in configuration
    (``[tool.lanewarden.policies] disable = {id = "reason"}``).
    """
