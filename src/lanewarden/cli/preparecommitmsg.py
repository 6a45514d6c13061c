"""``lanewarden hook prepare-commit-msg FILE [SOURCE [COMMIT]]``: amends and merges in full.

``git commit --amend`` replaces HEAD: the new commit's change is the index
against HEAD's parents, so it carries the paths of the commit it replaces. The
pre-commit and commit-msg hooks compare the index with HEAD and never see
those paths, so an amend could relabel another lane's commit as the caller's.
This hook judges the new commit's whole change with the pre-commit rules.

Git gives prepare-commit-msg no sure sign of an amend
(:mod:`lanewarden.adapters.commit_command`): the command line of the
``git commit`` that runs the hook decides, and where it cannot be read, the
hook's arguments ``commit <HEAD>`` (an amend that keeps HEAD's message, and
``git commit -C HEAD`` alike). Git runs this hook even for ``git commit
--no-verify``, and for the commits of cherry-pick, revert and rebase, which
are not amends and pass untouched.

A merge being committed (SOURCE ``merge``) is judged on its own change here
too (:mod:`lanewarden.cli.premergecommit`): ``MERGE_HEAD`` exists by now,
which it does not yet for the pre-merge-commit hook.
"""

from __future__ import annotations

import argparse
import os

from lanewarden.adapters.commit_command import invoking_git_amends

# Git runs this hook for every commit, cherry-pick and rebase step: the check's
# modules are imported only for the amends and merges it judges.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from lanewarden.adapters.git import Repo
    from lanewarden.domain.violations import Violation

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Check the commit about to be made when it amends HEAD; exit 1 when it breaks a rule."""
    # The pre-commit framework passes only the file, and the rest in its variables.
    source = args.source or os.environ.get("PRE_COMMIT_COMMIT_MSG_SOURCE", "")
    commit = args.commit or os.environ.get("PRE_COMMIT_COMMIT_OBJECT_NAME", "")
    if source == "merge":  # a merge being committed: MERGE_HEAD is there by now
        from lanewarden.cli.context import Context
        from lanewarden.cli.premergecommit import check_merge

        return check_merge(Context.load(), as_json=args.json)
    amend = invoking_git_amends()
    repo = None
    if amend is None:  # no command line to read: git's arguments, `commit HEAD`
        from lanewarden.adapters.git import Repo

        repo = Repo.discover() if source == "commit" and commit else None
        amend = repo is not None and _is_head(repo, commit)
    if not amend:
        if args.json:
            from lanewarden.cli.output import emit_json

            emit_json({"ok": True, "violations": [], "amend": False})
        return 0
    return _check_amend(repo, as_json=args.json)


def _check_amend(repo: Repo | None, *, as_json: bool) -> int:
    from lanewarden.adapters.commit_change import amended_parents, own_change
    from lanewarden.cli.commit_rules import check_own_change, paths_of
    from lanewarden.cli.context import Context
    from lanewarden.cli.output import report

    ctx = Context.load(repo)
    paths = paths_of(own_change(ctx.repo, amended_parents(ctx.repo)))
    staged = set(paths_of(ctx.repo.staged_changes()))
    violations = [
        v if v.path is None or v.path in staged else _from_amended_commit(v)
        for v in check_own_change(ctx, paths)
    ]
    lane = ctx.identity.lane
    where = f"inside {lane}'s scope" if lane else "in no lock's scope"
    return report(
        violations,
        as_json=as_json,
        ok_text=f"lanewarden: the amended commit changes {len(paths)} path(s), {where}",
        extra={"paths": len(paths), "amend": True, "lane": lane, "role": ctx.identity.role},
    )


def _is_head(repo: Repo, commit: str) -> bool:
    if commit.startswith("-"):
        return False
    ids = [
        repo.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok_codes=(0, 1))
        for rev in ("HEAD", commit)
    ]
    return bool(ids[0].strip()) and ids[0] == ids[1]


def _from_amended_commit(violation: Violation) -> Violation:
    """A path the amended commit changed (not the index): unstaging cannot fix it."""
    from lanewarden.domain.violations import Violation

    return Violation(
        violation.rule,
        f"{violation.message}; the commit being amended (HEAD) changes it, so the amended "
        "commit would too",
        path=violation.path,
        lock=violation.lock,
        fix="leave that commit as it is and make a new one (`git commit` without `--amend`)",
    )
