"""lanewarden: make the parallel-agent runbook enforceable."""

from __future__ import annotations

__all__ = ["__version__"]

# Kept literal: importlib.metadata would cost the hook path ~10 ms at start-up.
__version__ = "0.1.0"
