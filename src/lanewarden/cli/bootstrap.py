"""``lanewarden bootstrap``: may a parallel run start? (runbook §16.1)."""

from __future__ import annotations

import argparse
import json
import sys

from lanewarden.cli.bootstrap_check import check_bootstrap
from lanewarden.cli.context import Context

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Print the bootstrap report; 0 when it passes, 1 when a policy is missing or broken."""
    ctx = Context.load()
    report = check_bootstrap(ctx.repo, ctx.config)
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.render_text())
    return 0 if report.ok else 1
