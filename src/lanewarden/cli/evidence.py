"""``lanewarden evidence push|fetch [REMOTE]``: evidence and handoffs as git notes that travel.

Both carry the gate evidence notes (``refs/notes/lanewarden``) and the lane
handoff notes (``refs/notes/lanewarden-handoff``), so an integrator or CI
that fetches sees every record a lane's handoff was judged on, and the
handoff itself; and the coverage maps (``refs/notes/lanewarden-coverage``),
so every clone selects with the map of the integrator's full run.
"""

from __future__ import annotations

import argparse

from lanewarden.adapters.notes import (
    COVERAGE_NOTES_REF,
    HANDOFF_NOTES_REF,
    NOTES_REF,
    export_evidence,
    fetch_notes,
    push_notes,
)
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json

__all__ = ["fetch", "push"]


def push(args: argparse.Namespace) -> int:
    """Copy local evidence into notes, merge the remote's, and push them with the handoffs."""
    repo = Context.load().repo
    changed = export_evidence(repo)
    pushed = push_notes(repo, args.remote)
    handoffs = push_notes(repo, args.remote, ref=HANDOFF_NOTES_REF)
    maps = push_notes(repo, args.remote, ref=COVERAGE_NOTES_REF)
    if args.json:
        emit_json(
            {
                "ok": True,
                "notes_changed": changed,
                "pushed": pushed,
                "handoffs_pushed": handoffs,
                "coverage_maps_pushed": maps,
                "remote": args.remote,
                "ref": NOTES_REF,
                "refs": [
                    ref
                    for ref, done in (
                        (NOTES_REF, pushed),
                        (HANDOFF_NOTES_REF, handoffs),
                        (COVERAGE_NOTES_REF, maps),
                    )
                    if done
                ],
            }
        )
        return 0
    if pushed:
        print(f"lanewarden: {changed} tree note(s) updated; {NOTES_REF} pushed to {args.remote}")
    else:
        print("lanewarden: no evidence recorded yet: nothing to push (run `lanewarden gate run`)")
    if handoffs:
        print(f"lanewarden: {HANDOFF_NOTES_REF} pushed to {args.remote}")
    if maps:
        print(f"lanewarden: {COVERAGE_NOTES_REF} pushed to {args.remote}")
    return 0


def fetch(args: argparse.Namespace) -> int:
    """Fetch the remote's evidence and handoff notes and merge them into ours."""
    repo = Context.load().repo
    found = fetch_notes(repo, args.remote)
    handoffs = fetch_notes(repo, args.remote, HANDOFF_NOTES_REF)
    maps = fetch_notes(repo, args.remote, COVERAGE_NOTES_REF)
    if args.json:
        emit_json(
            {
                "ok": True,
                "fetched": found,
                "handoffs_fetched": handoffs,
                "coverage_maps_fetched": maps,
                "remote": args.remote,
                "ref": NOTES_REF,
            }
        )
        return 0
    if found:
        print(f"lanewarden: merged {NOTES_REF} from {args.remote}")
    else:
        print(f"lanewarden: {args.remote} has no {NOTES_REF} yet")
    if handoffs:
        print(f"lanewarden: merged {HANDOFF_NOTES_REF} from {args.remote}")
    if maps:
        print(f"lanewarden: merged {COVERAGE_NOTES_REF} from {args.remote}")
    return 0
