"""The plugin's hooks on an xdist controller: hand the selection out, gather what workers saw.

Registered by :mod:`lanewarden.pytest_plugin` only when pytest-xdist is
present, and only on the controller.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lanewarden.pytest_selection import WORKER_KEY

if TYPE_CHECKING:
    from lanewarden.pytest_plugin import LanewardenPlugin

__all__ = ["XdistHooks"]


class XdistHooks:
    """Registered only when pytest-xdist is present, on the controller."""

    def __init__(self, plugin: LanewardenPlugin) -> None:
        self.plugin = plugin
        self.heard = False

    def pytest_configure_node(self, node: Any) -> None:
        """Hand each worker the controller's selection."""
        node.workerinput[WORKER_KEY] = self.plugin.shared()
        self.plugin.workers += 1

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Every worker collects the same tests: their number is the run's size."""
        self.plugin.total_tests = len(ids)

    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        """Merge what each worker loaded; selection counts are the same on every worker."""
        output = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if output is None:
            return
        data = json.loads(output)
        plugin = self.plugin
        plugin.loaded.update(data["loaded"])
        plugin.foreign_deselected = max(plugin.foreign_deselected, data["foreign_count"])
        if plugin.deselections is not None:
            known = set(plugin.deselections.unexplained)
            plugin.deselections.unexplained += [n for n in data["foreign"] if n not in known]
        if not self.heard:
            self.heard = True
            plugin.deselected += data["deselected"]
            plugin.uncollected.extend(data["not_collected"])
