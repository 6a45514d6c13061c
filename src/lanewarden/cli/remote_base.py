"""The registry a push is judged by when it lives on a dedicated ref of the remote.

The pre-push hook and ``verify`` judge a range by the lock table on the
target branch as the remote has it. In remote registry mode with the
registry on ``refs/lanewarden/registry`` (a protected target branch), the
target branch's ledger is not the registry: the dedicated ref is, fetched
at the time of the push.
"""

from __future__ import annotations

from lanewarden.adapters.config import Config
from lanewarden.adapters.files import exclusive_lock
from lanewarden.adapters.git import Repo
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.adapters.remote_registry import RemoteRegistry, remote_spec
from lanewarden.cli.push_range import Base

__all__ = ["remote_base"]


def remote_base(repo: Repo, config: Config, base: Base) -> Base:
    """``base``, or the dedicated registry ref's lock table as the remote has it now."""
    if config.registry != "remote" or not remote_spec(config).dedicated:
        return base  # the target branch holds the registry: ``base`` already is it
    store = RegistryStore(repo, config)
    remote = RemoteRegistry(store)
    with exclusive_lock(store._write_lock):
        _, text = remote.fetch()
    _, registry = remote.parse(text)
    return Base(registry, adopted=True)
