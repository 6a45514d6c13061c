"""The tracked paths inside each hotspot, kept between runs of ``status`` and ``metrics``.

Finding them means matching every tracked path (100,000 in a big repository,
a third of a second); they change only when the index does, so the answer is
kept, keyed by the hotspot globs and the index file's size and time.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanewarden import __version__
from lanewarden.adapters import marshal_cache
from lanewarden.adapters.git import Repo
from lanewarden.domain.registry import Hotspots

__all__ = ["hotspot_members"]


def hotspot_members(repo: Repo, hotspots: Hotspots, globs: Sequence[str]) -> dict[str, list[str]]:
    """``hotspots.members`` of the tracked paths, from the cache while the index is unchanged."""
    index = repo.git_dir / "index"
    stamp = marshal_cache.file_stamp(index)
    cache = repo.state_dir / "hotspot-members.cache"
    key = [__version__, list(globs), stamp]
    if stamp is not None:
        data = marshal_cache.load(cache, key)
        if isinstance(data, dict):
            return {str(k): [str(p) for p in v] for k, v in data.items()}
    members = hotspots.members(repo.tracked_paths())
    if stamp is not None:
        marshal_cache.store(cache, key, members)
    return members
