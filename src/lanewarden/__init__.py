"""lanewarden: make the parallel-agent runbook enforceable."""

from __future__ import annotations

__all__ = ["__version__"]

# The package's one version: pyproject.toml reads it from here (hatch's dynamic
# version). Kept literal: importlib.metadata would cost the hook ~10 ms at start-up.
__version__ = "0.1.0"
