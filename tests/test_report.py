"""`lanewarden report --html`: the fixture run's page, read as markup and opened in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import Cli
from run_fixture import SCOPES, build_run
from scenario import lanewarden

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium installed: `apt-get install -y chromium chromium-driver` (.ci/run does)",
)


class Page(HTMLParser):
    """What a reader of the page sees: lane rows, metric values, scripts, links, images."""

    def __init__(self) -> None:
        super().__init__()
        self.lanes: list[str] = []
        self.metrics: dict[str, object] = {}
        self.tags: list[str] = []
        self.svgs_without_title = 0
        self._svg_open = False
        self._svg_titled = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        if tag == "g" and "lane-row" in (found.get("class") or "").split():
            self.lanes.append(found["data-lane"] or "")
        if "data-metric" in found:
            self.metrics[found["data-metric"] or ""] = json.loads(found["data-value"] or "null")
        if tag == "svg":
            self._svg_open, self._svg_titled = True, False
            if found.get("role") != "img" or not found.get("aria-labelledby"):
                self.svgs_without_title += 1
        if tag == "title" and self._svg_open:
            self._svg_titled = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svgs_without_title += 0 if self._svg_titled else 1
            self._svg_open = False


def read_page(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


@pytest.fixture
def report(repo: Path, cli: Cli, tmp_path: Path) -> tuple[Path, Path, dict]:
    build_run(repo, cli)
    target = tmp_path / "report.html"
    done = lanewarden(repo, "report", "--html", str(target), "--json")
    assert done.returncode == 0, done.stderr
    metrics = json.loads(lanewarden(repo, "metrics", "--json").stdout)
    return repo, target, metrics


def test_the_page_is_self_contained_and_labelled(report: tuple[Path, Path, dict]) -> None:
    _, target, metrics = report
    text = target.read_text(encoding="utf-8")
    page = read_page(text)
    assert "script" not in page.tags  # the whole page works without JavaScript
    assert not {"link", "img", "iframe", "object"} & set(page.tags)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # nothing fetched
    assert "@import" not in text
    assert page.svgs_without_title == 0  # every chart has a text alternative
    assert sorted(page.lanes) == sorted(SCOPES)  # one timeline row per lane
    assert page.metrics == metrics["headline"]
    assert '<html lang="en">' in text


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    """Chromium's log lines of the page's console (errors, warnings, logs)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@needs_browser
def test_the_console_check_sees_a_broken_page(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); nope();</script>")
    done = _chromium(tmp_path, "--dump-dom", broken.as_uri())
    assert any("boom" in line for line in console_messages(done.stderr))
    assert any("nope is not defined" in line for line in console_messages(done.stderr))


@needs_browser
def test_the_report_in_a_real_browser(report: tuple[Path, Path, dict], tmp_path: Path) -> None:
    _, target, metrics = report
    done = _chromium(tmp_path, "--dump-dom", target.as_uri())
    assert done.returncode == 0, done.stderr
    assert console_messages(done.stderr) == []
    rendered = read_page(done.stdout)  # the DOM as the browser built it
    assert sorted(rendered.lanes) == sorted(SCOPES)
    assert rendered.metrics == metrics["headline"]
    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, "--window-size=1100,1700", f"--screenshot={shot}", target.as_uri())
    assert done.returncode == 0, done.stderr
    assert console_messages(done.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000  # a page was drawn, not a blank


def test_an_empty_run_still_makes_a_page_and_bad_targets_are_bad_input(
    repo: Path, tmp_path: Path
) -> None:
    assert lanewarden(repo, "init").returncode == 0
    target = tmp_path / "empty report.html"  # a space in the name
    done = lanewarden(repo, "report", "--html", str(target))
    assert done.returncode == 0, done.stderr
    page = read_page(target.read_text(encoding="utf-8"))
    assert page.lanes == []
    assert set(page.metrics) == {
        "cycle_time_median_seconds",
        "merge_conflict_rate",
        "gate_pass_ratio",
        "escalations_per_lane",
        "rework_ratio",
    }
    for bad in (tmp_path, tmp_path / "missing" / "r.html"):
        done = lanewarden(repo, "report", "--html", str(bad))
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert str(bad.parent if bad.suffix else bad) in done.stderr


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_keep_their_contrast() -> None:
    from lanewarden.cli.report_html import _CSS, STATE_COLOURS

    assert contrast("#000000", "#ffffff") == 21.0  # the formula, on the one known case
    for state, colour in STATE_COLOURS.items():
        assert contrast(colour, "#ffffff") >= 3.0, state  # graphics against the page
    # every text colour of the style sheet against white and the table headers' grey
    for colour in set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", _CSS)):
        assert contrast(colour, "#ffffff") >= 4.5, colour
        assert contrast(colour, "#f2f2f2") >= 4.5, colour


def test_the_time_axis_ticks_on_round_moments() -> None:
    from datetime import datetime, timedelta, timezone

    from lanewarden.cli.report_html import ticks

    start = datetime(2026, 11, 28, 10, 12, 37, tzinfo=timezone.utc)
    # 8 min 32 s: steps of 2 minutes, from the first whole one after the start
    found = ticks(start, start + timedelta(minutes=8, seconds=32))
    assert [t.strftime("%H:%M:%S") for t in found] == [
        "10:14:00",
        "10:16:00",
        "10:18:00",
        "10:20:00",
    ]
    # 40 seconds: steps of 10 s; three days: steps of a day
    assert [t.second for t in ticks(start, start + timedelta(seconds=40))] == [40, 50, 0, 10]
    days = ticks(start, start + timedelta(days=3))
    assert [(t.day, t.hour) for t in days] == [(29, 0), (30, 0), (1, 0)]
    assert all(len(ticks(start, start + timedelta(seconds=s))) <= 6 for s in (0, 1, 59, 3601))
