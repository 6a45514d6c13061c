"""Compiled scopes kept between processes, so a warm run skips pathspec (~30 ms)."""

from __future__ import annotations

import contextlib
import marshal
from collections.abc import Sequence
from pathlib import Path

from lanewarden import __version__
from lanewarden.adapters.files import atomic_write
from lanewarden.domain.scopes import Scope, ScopeError

__all__ = ["cached_scope"]


def cached_scope(cache: Path, texts: Sequence[str]) -> Scope:
    """``Scope.parse(texts)``, read from ``cache`` when it holds these very patterns."""
    key = [__version__, list(texts)]
    try:
        with open(cache, "rb") as f:
            stored_key, data = marshal.loads(f.read())
        if stored_key == key:
            return Scope.from_cache(data)
    except (OSError, EOFError, ValueError, TypeError, ScopeError):
        pass  # no cache, an old one, or a damaged one: parse again
    scope = Scope.parse(texts)
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        atomic_write(cache, marshal.dumps([key, scope.to_cache()]))
    return scope
