"""Compiled scopes kept between processes, so a warm run skips pathspec (~30 ms).

The pytest plugin keeps its full-suite triggers here, the pre-commit hook its hotspots.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lanewarden import __version__
from lanewarden.adapters import marshal_cache
from lanewarden.domain.registry import Hotspots
from lanewarden.domain.scopes import Scope, ScopeError

__all__ = ["cached_hotspots", "cached_scope", "cached_scopes"]


def cached_scopes(cache: Path, scopes: Sequence[Sequence[str]]) -> list[Scope]:
    """``Scope.parse`` of each of ``scopes``, read from ``cache`` when it holds these very ones."""
    key = [__version__, [list(texts) for texts in scopes]]
    data = marshal_cache.load(cache, key)
    if data is not marshal_cache.MISSING:
        try:
            return [Scope.from_cache(item) for item in data]
        except (ValueError, TypeError, ScopeError):
            pass  # a damaged cache: parse again
    parsed = [Scope.parse(texts) for texts in scopes]
    marshal_cache.store(cache, key, [scope.to_cache() for scope in parsed])
    return parsed


def cached_scope(cache: Path, texts: Sequence[str]) -> Scope:
    """``Scope.parse(texts)``, read from ``cache`` when it holds these very patterns."""
    return cached_scopes(cache, [texts])[0]


def cached_hotspots(cache: Path, globs: Sequence[str]) -> Hotspots:
    """``Hotspots.parse(globs)``, read from ``cache`` when it holds these very globs."""
    if not globs:
        return Hotspots({})
    scopes = cached_scopes(cache, [[glob] for glob in globs])
    return Hotspots(dict(zip(globs, scopes, strict=True)))
