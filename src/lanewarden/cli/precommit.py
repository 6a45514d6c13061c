"""``lanewarden hook pre-commit``: check the staged change against the lock registry."""

from __future__ import annotations

from lanewarden.adapters.early_git import EarlyGit

# typing.TYPE_CHECKING would import typing before git starts.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    git = EarlyGit()
    # Imported here, while git finds the repository and compares the index with
    # HEAD: the hook's speed target counts both, and they take about as long.
    from lanewarden.adapters.registry_store import RegistryStore
    from lanewarden.adapters.scope_cache import cached_hotspots
    from lanewarden.cli.context import Context
    from lanewarden.cli.output import report
    from lanewarden.domain.commit_check import CommitPolicy, check_staged_change
    from lanewarden.domain.scopes import ScopeError
    from lanewarden.domain.times import now
    from lanewarden.errors import InputError

    ctx = Context.load(git.repo())
    changes = git.staged_changes(ctx.repo)
    paths = list(dict.fromkeys(path for change in changes for path in change.paths()))
    if (ctx.repo.git_dir / "MERGE_HEAD").exists():
        # Concluding a merge: judged on the merge's own change, as pre-merge-commit does.
        from lanewarden.cli.premergecommit import check_merge

        return check_merge(ctx, as_json=args.json)
    if not paths:
        return report(
            [], as_json=args.json, ok_text="lanewarden: nothing staged", extra={"paths": 0}
        )
    store = RegistryStore(ctx.repo, ctx.config)
    registry, tampered = store.read_for_commit(ctx.identity.lane)
    if tampered:  # an untrusted table judges nothing
        return report(tampered, as_json=args.json, ok_text="", extra={"paths": len(paths)})
    if ctx.config.ledger in paths and not ctx.identity.may_write_ledger:
        tampered = store.staged_ledger_violations()
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
    violations = tampered + check_staged_change(
        paths,
        identity=ctx.identity,
        branch=ctx.branch,
        registry=registry,
        policy=policy,
        at=now(),
        ledger=store.display_path(),
    )
    lane = ctx.identity.lane
    where = f"inside {lane}'s scope" if lane else "in no lock's scope"
    return report(
        violations,
        as_json=args.json,
        ok_text=f"lanewarden: {len(paths)} staged path(s) {where}",
        extra={"paths": len(paths), "lane": ctx.identity.lane, "role": ctx.identity.role},
    )
