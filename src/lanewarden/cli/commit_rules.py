"""The pre-commit check's rules, applied to the change a commit makes of its own.

The pre-commit hook judges the index against HEAD here. An amend
(prepare-commit-msg) and a merge (pre-merge-commit, or pre-commit while
``MERGE_HEAD`` exists) make a commit whose change is not the index against
HEAD; their hooks work out that change and judge it here too, with the same
registry, configuration and rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanewarden.adapters.git import Change
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.adapters.scope_cache import cached_hotspots
from lanewarden.cli.context import Context
from lanewarden.domain.commit_check import CommitPolicy, branch_violations, check_staged_change
from lanewarden.domain.scopes import ScopeError
from lanewarden.domain.times import now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["check_own_change", "paths_of"]


def paths_of(changes: Sequence[Change]) -> list[str]:
    """Every path the changes touch, both sides of renames, each once."""
    return list(dict.fromkeys(path for change in changes for path in change.paths()))


def _warn_stale_copy(store: RegistryStore, ctx: Context) -> None:
    """Remote mode: say so when the registry copy judging this commit is old."""
    import sys

    from lanewarden.adapters.registry_age import stale_copy_warning

    config = ctx.config
    warning = stale_copy_warning(store.ledger_path, config.registry_max_age, config.registry_remote)
    if warning:
        print(warning, file=sys.stderr)


def check_own_change(ctx: Context, paths: Sequence[str]) -> list[Violation]:
    """The pre-commit rules for a commit whose own change is ``paths``, as the caller.

    A hand-edited lock table judges nothing (``ledger-tampered``), and a worker's
    staged ledger must carry the registry's table. A commit on the target branch
    is one even when it changes no path of its own (a clean merge): the
    single-branch ``integrator-only`` rule still applies.
    """
    store = RegistryStore(ctx.repo, ctx.config)
    registry, tampered = store.read_for_commit(ctx.identity.lane)
    if tampered:  # an untrusted table judges nothing
        return tampered
    if store.remote:
        _warn_stale_copy(store, ctx)
    violations = []
    if ctx.config.ledger in paths and not ctx.identity.may_write_ledger:
        violations += store.staged_ledger_violations()
    try:
        hotspots = cached_hotspots(ctx.repo.state_dir / "hotspots.cache", ctx.config.hotspots)
    except ScopeError as e:
        raise InputError(f"bad glob in hotspots: {e}", path=ctx.config.source_name) from None
    policy = CommitPolicy(
        mode=ctx.config.mode,
        target_branch=ctx.config.target_branch,
        hotspots=hotspots,
        stale_after=ctx.config.heartbeat_stale_after,
    )
    if not paths:
        return branch_violations(ctx.identity, ctx.branch, policy)
    return violations + check_staged_change(
        paths,
        identity=ctx.identity,
        branch=ctx.branch,
        registry=registry,
        policy=policy,
        at=now(),
        ledger=store.display_path(),
    )
