"""``lanewarden evidence push|fetch [REMOTE]``: evidence as git notes that travel."""

from __future__ import annotations

import argparse

from lanewarden.adapters.notes import NOTES_REF, export_evidence, fetch_notes, push_notes
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json

__all__ = ["fetch", "push"]


def push(args: argparse.Namespace) -> int:
    """Copy local evidence into notes, merge the remote's, and push them."""
    repo = Context.load().repo
    changed = export_evidence(repo)
    pushed = push_notes(repo, args.remote)
    if args.json:
        emit_json(
            {
                "ok": True,
                "notes_changed": changed,
                "pushed": pushed,
                "remote": args.remote,
                "ref": NOTES_REF,
            }
        )
    elif pushed:
        print(f"lanewarden: {changed} tree note(s) updated; {NOTES_REF} pushed to {args.remote}")
    else:
        print("lanewarden: no evidence recorded yet: nothing to push (run `lanewarden gate run`)")
    return 0


def fetch(args: argparse.Namespace) -> int:
    """Fetch the remote's evidence notes and merge them into ours (union of records)."""
    repo = Context.load().repo
    found = fetch_notes(repo, args.remote)
    if args.json:
        emit_json({"ok": True, "fetched": found, "remote": args.remote, "ref": NOTES_REF})
    elif found:
        print(f"lanewarden: merged {NOTES_REF} from {args.remote}")
    else:
        print(f"lanewarden: {args.remote} has no {NOTES_REF} yet")
    return 0
