"""The plugin manager: the built-in policies plus every ``lanewarden`` entry point."""

from __future__ import annotations

import pluggy

from lanewarden import hookspecs
from lanewarden.errors import InputError

__all__ = ["BUILTIN_PLUGIN", "get_plugin_manager"]

BUILTIN_PLUGIN = "lanewarden.builtin-policies"


def get_plugin_manager(*, entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with lanewarden's hookspecs, its built-ins and (by default) plugins.

    Plugins are the entry points of the ``lanewarden`` group. A plugin that
    fails to import is an :class:`InputError` (exit 2) naming it.
    """
    from lanewarden.domain.policies import builtin

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(builtin, name=BUILTIN_PLUGIN)
    if entry_points:
        try:
            manager.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
        # A plugin is someone else's code: whatever breaks while loading it, the user
        # needs its name and the error, not a traceback through lanewarden.
        except Exception as e:
            raise InputError(
                f"cannot load a lanewarden plugin: {type(e).__name__}: {e}",
                hint="fix or uninstall the plugin (entry-point group `lanewarden`)",
            ) from None
    return manager
