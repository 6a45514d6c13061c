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
    from lanewarden.cli.commit_rules import check_own_change, paths_of
    from lanewarden.cli.context import Context
    from lanewarden.cli.output import report

    ctx = Context.load(git.repo())
    changes = git.staged_changes(ctx.repo)
    paths = paths_of(changes)
    if (ctx.repo.git_dir / "MERGE_HEAD").exists():
        # Concluding a merge: judged on the merge's own change, as pre-merge-commit does.
        from lanewarden.cli.premergecommit import check_merge

        return check_merge(ctx, as_json=args.json)
    if not paths:
        return report(
            [], as_json=args.json, ok_text="lanewarden: nothing staged", extra={"paths": 0}
        )
    violations = check_own_change(ctx, paths)
    lane = ctx.identity.lane
    where = f"inside {lane}'s scope" if lane else "in no lock's scope"
    return report(
        violations,
        as_json=args.json,
        ok_text=f"lanewarden: {len(paths)} staged path(s) {where}",
        extra={"paths": len(paths), "lane": ctx.identity.lane, "role": ctx.identity.role},
    )
