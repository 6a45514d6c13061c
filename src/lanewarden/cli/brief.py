"""``lanewarden lane brief ID``: the worker's assignment, from the registry and the config.

Printed ready to paste into a worker's prompt; ``--json`` gives the same as
data. The wording comes from the built-in template, or from the file the
``brief_template`` key names.
"""

from __future__ import annotations

import argparse
import os
import re

from lanewarden.adapters.changes import listed_files
from lanewarden.adapters.files import read_text
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_facts import known_lane, lane_id_argument, read_decisions, view
from lanewarden.cli.output import emit_json
from lanewarden.domain.brief import DEFAULT_TEMPLATE, Brief, policy_section
from lanewarden.domain.packages import detect_packages
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.scopes import Scope

__all__ = ["run"]

_TEST_PKG = re.compile(r"^test-pkg\b", re.MULTILINE)


def run(args: argparse.Namespace) -> int:
    """Print the lane's brief (or its data with ``--json``)."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    store = LaneStore(ctx.repo)
    record = known_lane(store, lane_id)
    registry = RegistryStore(ctx.repo, ctx.config).read()
    lane = view(ctx, store, record, registry, read_decisions(ctx))
    scope = lane.scope or Scope.parse([])
    in_scope = tuple(p for p in scope.texts() if not p.startswith("!"))
    carved = [f"`{p[1:]}` (carved out of this lane)" for p in scope.texts() if p.startswith("!")]
    others = [
        f"`{pattern}` (lane {lock.lock_id}, {lock.owner})"
        for lock in registry.locks
        if lock.lock_id != lane_id
        for pattern in lock.scope.texts()
    ]
    hotspots = [f"`{pattern}` (hotspot: one lane at a time)" for pattern in ctx.config.hotspots]
    main = ctx.repo.main_worktree()
    files = listed_files(ctx.repo)
    packages = detect_packages(files, ctx.config.packages, ctx.config.package_tests)
    covered = sorted(
        {p.name for path in files if scope.matches(path) for p in packages.owners(path)}
    )
    brief = Brief(
        lane_id=lane_id,
        objective=lane.objective,
        owner=lane.owner,
        workspace=_workspace(record.worktree, record.branch, record.target),
        in_scope=in_scope,
        out_of_scope=tuple(carved + others + hotspots),
        acceptance=record.criteria,
        packages=tuple(covered),
        test_commands=_test_commands(main, covered),
        doc_policy=_doc_policy(main / ctx.config.policy_file),
        policy_file=ctx.config.policy_file,
        base=record.base,
    )
    if args.json:
        emit_json({"ok": True, "brief": brief.to_json()})
        return 0
    template, source = DEFAULT_TEMPLATE, "(built-in template)"
    if ctx.config.brief_template:
        path = ctx.repo.root / ctx.config.brief_template
        template, source = read_text(path, what="brief template"), str(path)
    print(brief.render(template, source), end="")
    return 0


def _workspace(worktree: str | None, branch: str | None, target: str) -> str:
    if worktree and branch:
        return f"worktree {worktree} on branch {branch} (cd {shell_quote(worktree)})"
    return f"the shared work tree on {target} (single-branch mode: the integrator commits)"


def _test_commands(root: os.PathLike[str], packages: list[str]) -> tuple[str, ...]:
    """``just test-pkg PKG`` when the justfile has that recipe, else the plugin's option."""
    if not packages:
        return ("python -m pytest --lw-changed  # no package found under the scope",)
    try:
        with open(os.path.join(root, "justfile"), encoding="utf-8") as f:
            justfile = f.read()
    except (OSError, UnicodeDecodeError):
        justfile = ""
    if _TEST_PKG.search(justfile):
        return tuple(f"just test-pkg {shell_quote(name)}" for name in packages)
    named = " ".join(f"--lw-package {shell_quote(name)}" for name in packages)
    return (f"python -m pytest {named}",)


def _doc_policy(path: os.PathLike[str]) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return policy_section(f.read())
    except (OSError, UnicodeDecodeError):
        return None
