"""Autonomous mode's persistent warning (runbook §13: default off, always visible)."""

from __future__ import annotations

import sys

from lanewarden.adapters.config import Config

__all__ = ["WARNING", "warn_if_autonomous"]

WARNING = (
    "lanewarden: WARNING: autonomous mode is on (autonomous = true): agents act without a "
    "human in the loop; every commit must carry `Lane:` and `Agent:` trailers"
)

_warned: set[str] = set()


def warn_if_autonomous(config: Config) -> None:
    """Print the warning on stderr when autonomous mode is on (once per process)."""
    if config.autonomous and str(config.root) not in _warned:
        _warned.add(str(config.root))
        print(WARNING, file=sys.stderr)
