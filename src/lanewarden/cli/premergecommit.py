"""``lanewarden hook pre-merge-commit``: a merge's own change, judged as a commit's.

Git runs pre-merge-commit, not pre-commit, when ``git merge`` commits by
itself. The merge's own change is where the index differs from the merge git
makes of HEAD and the merged commits (conflict resolutions included; see
:mod:`lanewarden.adapters.commit_change`). The work the merged branch brings
was its own commits' change, each judged by the push check; the merge commit
is a commit on the current branch all the same, so in single-branch mode only
the integrator merges onto the target branch.

Git writes ``MERGE_HEAD`` only after this hook, so here the own change is known
from ``AUTO_MERGE`` (the default strategy's result); other strategies leave
only the branch rule to this hook. The prepare-commit-msg hook, which git runs
next (even under ``--no-verify``), sees ``MERGE_HEAD`` and judges every merge
in full, as the pre-commit hook does when ``git commit`` concludes a merge
that stopped (conflicts, ``--no-commit``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lanewarden.adapters.commit_change import (
    auto_merge_tree,
    changes_against,
    merge_parents,
    own_change,
)
from lanewarden.adapters.git import Change
from lanewarden.cli.commit_rules import check_own_change, paths_of
from lanewarden.cli.context import Context
from lanewarden.cli.output import report
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.violations import Violation

__all__ = ["check_merge", "run"]


def run(args: argparse.Namespace) -> int:
    """Check the merge git is about to commit; exit 1 when it breaks a rule."""
    ctx = Context.load()
    parents = merge_parents(ctx.repo)
    if parents is not None:
        return _check(ctx, own_change(ctx.repo, parents), as_json=args.json)
    tree = auto_merge_tree(ctx.repo)
    return _check(ctx, None if tree is None else changes_against(ctx.repo, tree), as_json=args.json)


def check_merge(ctx: Context, *, as_json: bool) -> int:
    """Check the merge in progress (``MERGE_HEAD``) in ``ctx``; nothing to check without one."""
    parents = merge_parents(ctx.repo)
    if parents is None:
        return report([], as_json=as_json, ok_text="lanewarden: no merge in progress")
    return _check(ctx, own_change(ctx.repo, parents), as_json=as_json)


def _check(ctx: Context, changes: Sequence[Change] | None, *, as_json: bool) -> int:
    """``changes``: the merge's own change; None when it cannot be known yet."""
    paths = paths_of(changes or ())
    violations = [_merge_violation(v) for v in check_own_change(ctx, paths)]
    lane = ctx.identity.lane
    where = f"inside {lane}'s scope" if lane else "in no lock's scope"
    ok_text = (
        f"lanewarden: the merge changes {len(paths)} path(s) of its own, {where}"
        if changes is not None
        else "lanewarden: merge allowed on this branch; its own change is checked next"
    )
    return report(
        violations,
        as_json=as_json,
        ok_text=ok_text,
        extra={
            "merge": True,
            "paths": None if changes is None else len(paths),
            "lane": lane,
            "role": ctx.identity.role,
        },
    )


def _merge_violation(violation: Violation) -> Violation:
    """A path of the merge's own change: unstaging it would not undo the merge's part."""
    if violation.path is None or violation.rule not in ("out-of-scope", "foreign-lock"):
        return violation
    if violation.rule == "foreign-lock" and violation.lock:
        fix = (
            f"merge as the lane that owns it (LANEWARDEN_LANE={shell_quote(violation.lock)}), "
            "or `git merge --abort` and merge again, resolving conflicts only inside your "
            "lane's scope"
        )
    else:
        fix = (
            "`git merge --abort` and merge again without changes of its own outside the "
            "lane's scope (resolve conflicts only inside it); other changes go in a commit of "
            "the lane that owns the path"
        )
    # The push check's rule id for the same breach, so both name it alike.
    rule = "merge-out-of-scope" if violation.rule == "out-of-scope" else violation.rule
    return Violation(
        rule,
        f"{violation.message} (changed by the merge itself)",
        path=violation.path,
        lock=violation.lock,
        fix=fix,
    )
