"""``lanewarden report --html FILE``: the run on one self-contained page."""

from __future__ import annotations

import argparse
from pathlib import Path

from lanewarden.adapters.files import atomic_write
from lanewarden.adapters.run_history import lock_rows, read_events, read_history
from lanewarden.cli.context import Context
from lanewarden.cli.metrics import metrics_body
from lanewarden.cli.output import emit_json
from lanewarden.cli.report_html import render
from lanewarden.domain.metrics import Window
from lanewarden.domain.timeline import segments
from lanewarden.domain.times import now
from lanewarden.errors import InputError

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Write the report; the page's numbers are those of ``lanewarden metrics --json``."""
    ctx = Context.load()
    target = Path(args.html)
    if target.is_dir():
        raise InputError("--html names a folder", path=target, hint="--html report.html")
    if not target.parent.is_dir():
        raise InputError("the report's folder does not exist", path=target.parent)
    at = now()
    facts, runs = read_history(ctx.repo, ctx.config)
    body = metrics_body(facts, Window(), at)
    events = read_events(ctx.repo, ctx.config, runs)
    # The axis ends now, or a little after the last record when records are dated later
    # (imported from another clock), so the last state still shows as a bar.
    first = min((e.time for e in events), default=at)
    last = max((e.time for e in events), default=at)
    end = max(at, last + (last - first) / 20)
    timeline = segments(events, end)
    page = render(body, timeline, lock_rows(ctx.repo, ctx.config), at, end)
    atomic_write(target, page)
    lanes = sorted({s.lane for s in timeline} | set(body["lanes"]))
    if args.json:
        emit_json({"ok": True, "path": str(target), "lanes": lanes, "headline": body["headline"]})
    else:
        print(f"report written to {target} ({len(lanes)} lanes, {len(body['waves'])} waves)")
    return 0
