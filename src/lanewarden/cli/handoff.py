"""``lanewarden lane handoff``: the record that proves a lane done, built from facts.

It refuses (exit 1, one ``handoff-incomplete`` violation per missing item)
until gate 2 passed on exactly the tree handed off with a selection that
started from every file of the lane's change (local records and records that
arrived as git notes both count), every lane commit stays
in its scope, every acceptance criterion is marked ``--met``, and no
escalation waits for an answer. The record goes to the lane's folder in the
common git dir and, as a git note (``refs/notes/lanewarden-handoff``), onto
the lane's tip, so it travels with the commits; it is printed in the
runbook's handoff format.
"""

from __future__ import annotations

import argparse

from lanewarden.adapters.changes import changed_files
from lanewarden.adapters.commits import PINNED_CONFIG, TREE_DIFF_ARGS
from lanewarden.adapters.git import split_z
from lanewarden.adapters.lane_store import LaneStore
from lanewarden.adapters.notes import HANDOFF_NOTES_REF, all_evidence
from lanewarden.adapters.registry_store import RegistryStore
from lanewarden.cli.context import Context
from lanewarden.cli.lane_facts import (
    known_lane,
    lane_id_argument,
    read_decisions,
    refuse_foreign,
    refuse_released,
    view,
)
from lanewarden.cli.lane_sharing import share_worker_state
from lanewarden.cli.output import emit_json, report
from lanewarden.domain.handoff import (
    HANDOFF_GATE,
    covering_evidence,
    marked_criteria,
    missing_items,
)
from lanewarden.domain.lane_paths import lane_path_violations
from lanewarden.domain.lanes import Handoff
from lanewarden.domain.registry import shell_quote
from lanewarden.domain.times import now
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = ["NOTES_REF", "run"]

NOTES_REF = HANDOFF_NOTES_REF


def run(args: argparse.Namespace) -> int:
    """Hand the lane off, or name every item still missing."""
    ctx = Context.load()
    lane_id = lane_id_argument(args.lane_id)
    refused = refuse_foreign(ctx, lane_id, "lane handoff", args.json)
    if refused is not None:
        return refused
    store = LaneStore(ctx.repo)
    record = known_lane(store, lane_id)
    registry = RegistryStore(ctx.repo, ctx.config).read()
    lane = view(ctx, store, record, registry, read_decisions(ctx))
    refused = refuse_released(lane, "handoff", args.json)
    if refused is not None:
        return refused
    marked = marked_criteria(record.criteria, args.met or [])
    uncommitted: list[str] = []
    if record.branch is not None:
        if ctx.branch != record.branch:
            where = record.worktree or f"a worktree of branch {record.branch}"
            violation = Violation(
                rule="wrong-worktree",
                lock=lane_id,
                message=f"lane {lane_id} works on branch {record.branch}, but this work tree "
                f"is on {ctx.branch or 'a detached HEAD'}",
                fix=f"hand off from the lane's worktree: `cd {shell_quote(str(where))} && "
                f"lanewarden lane handoff {shell_quote(lane_id)} ...`",
            )
            return report([violation], as_json=args.json, ok_text="")
        uncommitted = changed_files(ctx.repo)
    tree = lane.tree
    if tree is None:
        raise InputError(
            f"the lane's tip {lane.facts.tip[:12]} is gone (was branch {record.branch} deleted?)",
            hint=f"recreate the branch at the lane's last commit: `git branch {record.branch} "
            "<commit>`",
        )
    assert lane.scope is not None
    scope_violations = [
        violation
        for commit in lane.commits
        for violation in lane_path_violations(
            commit.paths,
            lane=lane_id,
            scope=lane.scope,
            registry=registry,
            staged=False,
            where=f"commit {commit.short}: ",
        )
    ]
    files = sorted({path for commit in lane.commits for path in commit.paths})
    # A file the lane changed and changed back is no change to test.
    changed = [path for path in files if path in _changed_since(ctx, record.base, lane.facts.tip)]
    # Evidence recorded here, and evidence that arrived as git notes (`evidence fetch`).
    evidence = covering_evidence(all_evidence(ctx.repo, tree), changed)
    missing = missing_items(
        lane_id=lane_id,
        tree=tree,
        evidence=evidence,
        scope_violations=scope_violations,
        criteria=record.criteria,
        marked=marked,
        pending=lane.facts.pending,
        uncommitted=uncommitted,
        changed=changed,
        base=record.base,
    )
    if missing:
        return report(missing, as_json=args.json, ok_text="")
    assert evidence is not None
    last = lane.last_checkpoint
    at = now()

    def make(number: int) -> Handoff:
        return Handoff(
            lane_id=lane_id,
            number=number,
            time=at,
            commit=lane.facts.tip,
            tree=tree,
            checkpoint=last.id if last else None,
            objective=lane.objective,
            files=tuple(files),
            acceptance=tuple(marked),
            commands=(" ".join(evidence.command) or f"gate {HANDOFF_GATE}",),
            result="pass" if evidence.passed else "fail",
            risks="; ".join(" ".join(r.split()) for r in args.risk or []) or "none",
            next=" ".join((args.next or "").split()) or "integrator apply + full wave gate",
        )

    # The note first: a handoff stored without its note would not travel with the commits.
    text = make(0).markdown()
    _attach_note(ctx, lane.facts.tip, text)
    handoff = store.add_handoff(lane_id, make)
    share_worker_state(ctx, lane_id)
    if args.json:
        emit_json({"ok": True, "violations": [], "handoff": handoff.to_json(), "markdown": text})
    else:
        print(text, end="")
    return 0


def _changed_since(ctx: Context, base: str, tip: str) -> set[str]:
    """The paths whose content differs between ``base`` and ``tip``."""
    out = ctx.repo.git(*PINNED_CONFIG, "diff-tree", *TREE_DIFF_ARGS, base, tip)
    return set(split_z(out))


def _attach_note(ctx: Context, commit: str, text: str) -> None:
    """The record as a note on the lane's tip, replacing an earlier handoff's note."""
    ctx.repo.git("notes", f"--ref={NOTES_REF}", "add", "-f", "-F", "-", commit, stdin=text.encode())
