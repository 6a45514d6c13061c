"""Culprit isolation after a failing wave gate: test scope first, then bisection of prefixes."""

from __future__ import annotations

import math
from collections.abc import Sequence

from lanewarden.domain.integration import failure_text, isolate, overlaps

LANES = [f"L-{n:02d}" for n in range(1, 17)]


def gate(culprits: dict[str, str]):
    """A gate-3 run: each culprit present breaks its own test."""
    seen: list[list[str]] = []

    def run(subset: Sequence[str]) -> frozenset[str]:
        seen.append(list(subset))
        return frozenset(test for lane, test in culprits.items() if lane in subset)

    return run, seen


def test_the_test_scope_names_one_culprit_and_one_run_confirms_it() -> None:
    run, seen = gate({"L-07": "tests/test_g.py::t"})
    found = isolate(LANES, frozenset({"tests/test_g.py::t"}), run, lambda t: {"L-07"})
    assert found.culprits == ["L-07"]
    assert found.by_scope == ["L-07"]
    assert seen == [[lane for lane in LANES if lane != "L-07"]]


def test_without_scope_bisection_tests_prefixes_never_the_whole_set() -> None:
    run, seen = gate({"L-11": "a", "L-03": "b"})
    found = isolate(LANES, frozenset({"a", "b"}), run, lambda t: set())
    assert sorted(found.culprits) == ["L-03", "L-11"]
    assert found.by_scope == []
    assert LANES not in seen  # the full set already failed: never rerun
    # per culprit: log2(n) prefixes and one confirmation
    assert len(seen) <= 2 * (math.ceil(math.log2(len(LANES))) + 1)
    assert found.failing == {"L-03": frozenset({"b"}), "L-11": frozenset({"a"})}


def test_no_set_of_lanes_is_run_twice() -> None:
    # The last lane is the culprit: the confirmation without it is the last
    # prefix bisection already ran (passing), so it is not run again.
    run, seen = gate({"L-16": "t"})
    found = isolate(LANES, frozenset({"t"}), run, lambda t: set())
    assert found.culprits == ["L-16"]
    assert seen == [LANES[:8], LANES[:12], LANES[:14], LANES[:15]]
    assert len(found.runs) == 4 == math.log2(len(LANES))
    assert found.failing == {"L-16": frozenset({"t"})}


def test_a_wrong_scope_guess_falls_back_to_bisection() -> None:
    run, _ = gate({"L-05": "t"})
    found = isolate(LANES, frozenset({"t"}), run, lambda t: {"L-09"})  # the graph blames L-09
    assert found.culprits == ["L-05"]
    assert found.by_scope == []


def test_a_red_start_tries_every_lane_then_stops() -> None:
    found = isolate(["L-1", "L-2"], frozenset({"t"}), lambda s: frozenset({"t"}), lambda t: set())
    assert found.culprits == ["L-1", "L-2"]  # every lane tried, then it stops


def test_overlaps_and_failure_text() -> None:
    pairs = overlaps({"L-1": ["a.py", "b.py"], "L-2": ["b.py"], "L-3": ["c.py"]})
    assert pairs == [{"lanes": ["L-1", "L-2"], "paths": ["b.py"]}]
    text = failure_text("L-2", "conflict", "R1", ["b.py"], "0123456789abcdef")
    assert text["signature"] == "conflict: b.py"
    assert "0123456789ab" in text["impact"]
    assert "resolve" in text["remediation"]
