"""``lanewarden metrics``: the run's throughput, from recorded facts only.

Each metric is defined in docs/metrics.md; the counting is in
:mod:`lanewarden.domain.metrics`, the reading in
:mod:`lanewarden.adapters.run_history`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from lanewarden.adapters.run_history import read_history
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json
from lanewarden.domain.metrics import HistoryFacts, Metrics, Window, compute
from lanewarden.domain.times import now, parse_duration, parse_time
from lanewarden.errors import InputError

__all__ = ["duration_words", "metrics_body", "run", "window_of"]


def window_of(since: str | None, wave: int | None, at: datetime) -> Window:
    """The window ``--since`` (a duration back from now, or a time) or ``--wave`` asks for."""
    if since is not None and wave is not None:
        raise InputError("--since and --wave are two windows: give one", hint="--wave 2")
    if wave is not None:
        if wave < 1:
            raise InputError(f"--wave {wave}: waves are numbered from 1", hint="--wave 1")
        return Window(wave=wave)
    if since is None:
        return Window()
    try:
        return Window(since=at - parse_duration(since))
    except ValueError:
        pass
    try:
        return Window(since=parse_time(since))
    except ValueError:
        raise InputError(
            f"--since {since!r} is neither a duration nor a time",
            hint="--since 7d, --since 12h or --since 2026-11-28T09:00:00Z",
        ) from None


def metrics_body(facts: HistoryFacts, window: Window, at: datetime) -> dict[str, Any]:
    """The ``--json`` object: the metrics of ``window`` and the headline of every wave."""
    metrics = compute(facts, window, at)
    waves = sorted({f.wave for f in facts.integrations})
    trend = [{"wave": w, **compute(facts, Window(wave=w), at).headline()} for w in waves]
    return {"ok": True, **metrics.to_json(), "headline": metrics.headline(), "trend": trend}


def duration_words(seconds: float | None) -> str:
    """``2h05m``, ``7m``, ``45s``; ``-`` when there is nothing to show."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes = whole // 60
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _ratio_words(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for index, inner in enumerate(value):
            yield from _flatten(f"{prefix}.{index}", inner)
    elif isinstance(value, list):
        yield prefix, " ".join(str(v) for v in value)
    else:
        yield prefix, "" if value is None else value


def _print_text(body: dict[str, Any], metrics: Metrics) -> None:
    cycle = metrics.cycle_time
    conflicts = metrics.merge_conflict_rate
    blocks = metrics.approval_blocks
    rework = metrics.rework
    print(f"metrics ({metrics.window}): {len(metrics.lanes)} lanes, waves {metrics.waves or '-'}")
    rows = [
        (
            "lane cycle time",
            f"median {duration_words(cycle['median_seconds'])}, "
            f"p90 {duration_words(cycle['p90_seconds'])} over {cycle['lanes']} lanes",
        ),
        (
            "merge conflict rate",
            f"{_ratio_words(conflicts['rate'])} ({len(conflicts['conflicted_lanes'])} of "
            f"{conflicts['integrated_lanes']} integrated lanes)",
        ),
        (
            "gate pass ratio",
            f"{_ratio_words(metrics.gate_pass_ratio['overall']['by_runs'])} of runs, "
            f"{_ratio_words(metrics.gate_pass_ratio['overall']['by_trees'])} of trees",
        ),
        (
            "approval blocks",
            f"{blocks['escalations']} escalations ({blocks['per_lane'] or 0} per lane), "
            f"{duration_words(blocks['blocked_seconds'])} blocked, {blocks['pending']} pending",
        ),
        (
            "rework",
            f"{len(rework['reopened_lanes'])} reopened lanes, "
            f"{_ratio_words(rework['lines_ratio'])} of lines reverted or rewritten "
            f"({rework['lines_reverted']} reverted + {rework['lines_rewritten']} rewritten "
            f"of {rework['lines_integrated']})",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for gate, counts in metrics.gate_pass_ratio["per_gate"].items():
        print(
            f"  gate {gate:<{width - 5}}  {counts['runs_passed']}/{counts['runs']} runs, "
            f"{counts['trees_passed']}/{counts['trees']} trees passed"
        )
    if metrics.lane_size["per_lane"]:
        print("size and cycle time per integrated lane:")
    for row in metrics.lane_size["per_lane"]:
        print(
            f"  {row['lane']:<{width}}  {row['files']} files, {row['lines']} lines, cycle "
            f"{duration_words(row['cycle_seconds'])}{', conflict' if row['conflicted'] else ''}"
        )
    if metrics.hotspot_contention:
        print("hotspot contention (holds and time held):")
    for hotspot, row in metrics.hotspot_contention.items():
        print(
            f"  {hotspot}: {row['holds']} holds by {', '.join(row['lanes'])}, "
            f"held {duration_words(row['held_seconds'])}"
        )
    if body["trend"]:
        print("trend per wave:")
    for point in body["trend"]:
        print(
            f"  wave {point['wave']}: cycle {duration_words(point['cycle_time_median_seconds'])}, "
            f"conflicts {_ratio_words(point['merge_conflict_rate'])}, "
            f"gates {_ratio_words(point['gate_pass_ratio'])}, "
            f"rework {_ratio_words(point['rework_ratio'])}"
        )


def run(args: argparse.Namespace) -> int:
    """Print the metrics of the window asked for, as text, JSON or CSV."""
    ctx = Context.load()
    at = now()
    window = window_of(args.since, args.wave, at)
    facts, _ = read_history(ctx.repo, ctx.config)
    body = metrics_body(facts, window, at)
    if args.json:
        emit_json(body)
    elif args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["metric", "value"])
        for key, value in _flatten("", {k: v for k, v in body.items() if k != "ok"}):
            writer.writerow([key, value])
    else:
        _print_text(body, compute(facts, window, at))
    return 0
