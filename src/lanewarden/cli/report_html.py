"""The run's report as one self-contained HTML page: inline CSS and SVG, no script.

Every chart is an SVG drawn here, with a title and description for screen
readers, and the same numbers in a table beside it. Colours pass WCAG AA
contrast against the white page (text 4.5:1, bars 3:1), and each state is
also named in text, so nothing relies on colour alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from typing import Any

from lanewarden.cli.metrics import duration_words
from lanewarden.domain.timeline import Segment

__all__ = ["HEADLINES", "STATE_COLOURS", "render", "ticks"]

# The five runbook metrics: key in `headline`, label, and how the value reads.
HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("cycle_time_median_seconds", "Lane cycle time (median)", "duration"),
    ("merge_conflict_rate", "Merge conflict rate", "percent"),
    ("gate_pass_ratio", "Gate pass ratio (runs)", "percent"),
    ("escalations_per_lane", "Escalations per lane", "number"),
    ("rework_ratio", "Rework (lines reverted or rewritten)", "percent"),
)

STATE_COLOURS: Mapping[str, str] = {
    "assigned": "#6b6b6b",
    "working": "#0062a3",
    "blocked": "#b3410b",
    "handed-off": "#7a4fa0",
    "integrated": "#1b7f4c",
    "reopened": "#8f5f00",
    "abandoned": "#2b2b2b",
}

_CSS = """
:root { color: #1a1a1a; background: #ffffff; font: 15px/1.45 system-ui, sans-serif; }
body { margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; border-bottom: 1px solid #c8c8c8; }
.meta { color: #4a4a4a; margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
.card { border: 1px solid #c8c8c8; border-radius: 6px; padding: 10px 12px; margin: 0; }
.card figcaption { font-weight: 600; font-size: 0.9rem; }
.value { font-size: 1.7rem; font-weight: 700; margin: 2px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #dedede; padding: 4px 8px; text-align: left; }
th { background: #f2f2f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; list-style: none; padding: 0; margin: 6px 0; }
.swatch { display: inline-block; width: 14px; height: 14px; vertical-align: -2px;
  margin-right: 4px; border: 1px solid #1a1a1a; }
svg text { fill: #1a1a1a; font: 12px system-ui, sans-serif; }
details { margin-top: 8px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
"""


def _format(value: float | None, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "duration":
        return duration_words(value)
    if kind == "percent":
        return f"{value * 100:.1f}%"
    return f"{value:g}"


def _sparkline(key: str, label: str, kind: str, trend: Sequence[Mapping[str, Any]]) -> str:
    """Bars of one metric per wave, with its text alternative."""
    values = [point.get(key) for point in trend]
    known = [v for v in values if v is not None]
    top = max(known, default=0) or 1
    width, height, gap = 160, 48, 6
    bar = (width - gap * max(len(values) - 1, 0)) / max(len(values), 1)
    words = "; ".join(
        f"wave {p['wave']}: {_format(v, kind)}" for p, v in zip(trend, values, strict=True)
    )
    parts = [
        f'<svg role="img" width="{width}" height="{height + 14}" '
        f'aria-labelledby="t-{key} d-{key}" viewBox="0 0 {width} {height + 14}">',
        f'<title id="t-{key}">{escape(label)} per wave</title>',
        f'<desc id="d-{key}">{escape(words or "no wave yet")}</desc>',
    ]
    for index, (point, value) in enumerate(zip(trend, values, strict=True)):
        x = index * (bar + gap)
        h = 0 if value is None else max(2, height * value / top)
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="#0062a3"><title>wave {point["wave"]}: {_format(value, kind)}</title></rect>'
            f'<text x="{x + bar / 2:.1f}" y="{height + 12}" text-anchor="middle">'
            f"w{point['wave']}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _cards(headline: Mapping[str, Any], trend: Sequence[Mapping[str, Any]]) -> str:
    cards = []
    for key, label, kind in HEADLINES:
        value = headline.get(key)
        cards.append(
            f'<figure class="card"><figcaption id="c-{key}">{escape(label)}</figcaption>'
            f'<p class="value" data-metric="{key}" data-value="{escape(json.dumps(value))}" '
            f'aria-describedby="c-{key}">{escape(_format(value, kind))}</p>'
            f"{_sparkline(key, label, kind, trend)}</figure>"
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _trend_table(trend: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f'<th scope="col" class="num">{escape(label)}</th>' for _, label, _ in HEADLINES)
    rows = "".join(
        f'<tr><th scope="row">wave {p["wave"]}</th>'
        + "".join(
            f'<td class="num">{escape(_format(p.get(key), kind))}</td>'
            for key, _, kind in HEADLINES
        )
        + "</tr>"
        for p in trend
    )
    return (
        "<table><caption class=sr-only>The five metrics per wave</caption>"
        f'<thead><tr><th scope="col">wave</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _clock(moment: datetime, span_days: bool) -> str:
    return moment.strftime("%m-%d %H:%M" if span_days else "%H:%M")


# Steps between the time axis's ticks, in seconds: round values a reader counts in.
_TICK_STEPS = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800,
)  # fmt: skip


def ticks(start: datetime, finish: datetime, most: int = 6) -> list[datetime]:
    """The time axis's ticks: at most ``most`` whole multiples of one round step in the span."""
    span = max((finish - start).total_seconds(), 1.0)
    step = next((s for s in _TICK_STEPS if span / s <= most - 1), _TICK_STEPS[-1])
    first = math.ceil(start.timestamp() / step) * step
    found: list[datetime] = []
    at = first
    while at <= finish.timestamp() and len(found) < most:
        found.append(datetime.fromtimestamp(at, tz=timezone.utc))
        at += step
    return found


def _tick_label(moment: datetime, span_days: bool, step_seconds: float) -> str:
    if step_seconds < 60 and not span_days:
        return moment.strftime("%H:%M:%S")
    return _clock(moment, span_days)


def _timeline(segments: Sequence[Segment], lanes: Sequence[str], end: datetime) -> str:
    if not lanes:
        return "<p>No lane was started.</p>"
    start = min((s.start for s in segments), default=end)
    finish = max([end, *(s.end for s in segments)])
    span = max((finish - start).total_seconds(), 1.0)
    days = (finish - start).days > 0 or start.date() != finish.date()
    label_w, width, row_h, axis_h = 80, 960, 26, 24
    plot_w = width - label_w - 40  # room for the last tick's label
    height = axis_h + row_h * len(lanes)

    def x(moment: datetime) -> float:
        return label_w + plot_w * (moment - start).total_seconds() / span

    parts = [
        f'<svg role="img" width="100%" viewBox="0 0 {width} {height}" '
        'aria-labelledby="timeline-title timeline-desc" class="timeline">',
        '<title id="timeline-title">Lane timeline</title>',
        f'<desc id="timeline-desc">One row per lane ({len(lanes)} lanes) from '
        f"{_clock(start, days)} to {_clock(finish, days)} UTC; each bar is a state. "
        "The table below lists the same states.</desc>",
    ]
    moments = ticks(start, finish)
    step = (moments[1] - moments[0]).total_seconds() if len(moments) > 1 else span
    for moment in moments:
        tx = x(moment)
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{axis_h - 4}" y2="{height}" stroke="#d0d0d0"/>'
            f'<text x="{tx:.1f}" y="{axis_h - 8}" text-anchor="middle">'
            f"{_tick_label(moment, days, step)}</text>"
        )
    for row, lane in enumerate(lanes):
        y = axis_h + row * row_h
        mine = [s for s in segments if s.lane == lane]
        summary = ", ".join(
            f"{s.state} {_clock(s.start, days)}-{_clock(s.end, days)}" for s in mine
        )
        parts.append(
            f'<g class="lane-row" data-lane="{escape(lane)}" role="listitem" '
            f'aria-label="{escape(lane)}: {escape(summary)}">'
            f'<text x="4" y="{y + row_h / 2 + 4}">{escape(lane)}</text>'
        )
        for s in mine:
            left = x(s.start)
            w = max(x(s.end) - left, 3.0)
            parts.append(
                f'<rect x="{left:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{STATE_COLOURS.get(s.state, "#6b6b6b")}" data-state="{s.state}">'
                f"<title>{escape(lane)} {s.state} {_clock(s.start, days)}-"
                f"{_clock(s.end, days)}</title></rect>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{state}</li>'
        for state, colour in STATE_COLOURS.items()
    )
    rows = "".join(
        f"<tr><td>{escape(s.lane)}</td><td>{s.state}</td><td>{_clock(s.start, days)}</td>"
        f"<td>{_clock(s.end, days)}</td></tr>"
        for s in segments
    )
    table = (
        "<details><summary>The timeline as a table</summary><table>"
        '<thead><tr><th scope="col">lane</th><th scope="col">state</th>'
        '<th scope="col">from (UTC)</th><th scope="col">to (UTC)</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
    )
    return (
        f'<ul class="legend" aria-label="states">{legend}</ul>'
        f'<div role="list" aria-label="lanes">{"".join(parts)}</div>{table}'
    )


def _gates(per_gate: Mapping[str, Mapping[str, Any]]) -> str:
    if not per_gate:
        return "<p>No gate evidence recorded.</p>"
    rows = "".join(
        f'<tr><th scope="row">gate {escape(gate)}</th>'
        + "".join(
            f'<td class="num">{c[k]}</td>'
            for k in ("runs", "runs_passed", "runs_failed", "runs_narrowed")
        )
        + f'<td class="num">{_format(c["by_runs"], "percent")}</td>'
        + f'<td class="num">{c["trees_passed"]}/{c["trees"]}</td>'
        + f'<td class="num">{_format(c["by_trees"], "percent")}</td></tr>'
        for gate, c in per_gate.items()
    )
    head = "".join(
        f'<th scope="col" class="num">{h}</th>'
        for h in ("runs", "passed", "failed", "narrowed", "pass ratio", "trees passed", "by trees")
    )
    head = f'<th scope="col">gate</th>{head}'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _locks(rows: Sequence[Mapping[str, str]]) -> str:
    if not rows:
        return "<p>No lock recorded.</p>"
    columns = ("lock_id", "owner", "scope", "start", "ended", "outcome")
    head = "".join(f'<th scope="col">{c}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(row[c])}</td>" for c in columns) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(
    metrics: Mapping[str, Any],
    segments: Sequence[Segment],
    locks: Sequence[Mapping[str, str]],
    generated: datetime,
    end: datetime | None = None,
) -> str:
    """The whole page for ``metrics`` (the ``metrics --json`` object) and the timeline.

    ``end`` ends the time axis (``generated`` by default).
    """
    lanes = sorted({s.lane for s in segments} | set(metrics.get("lanes", [])))
    waves = metrics.get("waves", [])
    meta = (
        f"Generated {generated.strftime('%Y-%m-%d %H:%M')} UTC · {len(lanes)} lanes · "
        f"{len(waves)} waves · from lanewarden's records"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>lanewarden run report</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f'<h1>Run report</h1><p class="meta">{escape(meta)}</p>'
        '<section aria-labelledby="h-metrics"><h2 id="h-metrics">The five metrics</h2>'
        f"{_cards(metrics['headline'], metrics['trend'])}"
        '<h3 id="h-trend">Trend per wave</h3>'
        f"{_trend_table(metrics['trend'])}</section>"
        '<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>'
        f"{_timeline(segments, lanes, end or generated)}</section>"
        '<section aria-labelledby="h-gates"><h2 id="h-gates">Gate outcomes</h2>'
        f"{_gates(metrics['gate_pass_ratio']['per_gate'])}</section>"
        '<section aria-labelledby="h-locks"><h2 id="h-locks">Lock history</h2>'
        f"{_locks(locks)}</section>"
        "</main></body></html>\n"
    )
