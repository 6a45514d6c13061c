"""Integrating a wave one lane at a time: the plan, the failure record, culprit isolation.

Pure rules for ``lanewarden integrate``; git, gates and files stay in the
adapters and the command.

Isolation (runbook § 12): when the wave's full gate fails, the failing tests
are first mapped to the lanes whose changed files they reach (test scope). A
lane named that way alone is taken out and the gate re-run to confirm; when
the scope names no single lane, or the confirmation still shows that lane's
tests failing, the wave is bisected over its lanes in the order applied,
testing prefixes only (the whole set is known to fail and is never rerun,
nor is any set already run: the confirmation after a bisection often is the
last prefix that passed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "INTEGRATED",
    "REOPENED",
    "REVERTED",
    "Isolation",
    "failure_text",
    "isolate",
    "overlaps",
]

INTEGRATED = "integrated"
REOPENED = "reopened"
REVERTED = "reverted"

# A gate-3 run on a set of lanes (in applied order): the failing test ids, empty when green.
GateRun = Callable[[Sequence[str]], frozenset[str]]


def overlaps(files: Mapping[str, Sequence[str]]) -> list[dict[str, list[str]]]:
    """Pairs of lanes (in the given order) that change the same paths: likely conflicts."""
    lanes = list(files)
    found = []
    for i, first in enumerate(lanes):
        mine = set(files[first])
        for second in lanes[i + 1 :]:
            shared = sorted(mine.intersection(files[second]))
            if shared:
                found.append({"lanes": [first, second], "paths": shared})
    return found


def failure_text(
    lane: str, reason: str, run: str, signature: Sequence[str], before: str
) -> dict[str, str]:
    """The runbook's failure template (signature, impact, remediation) for a lane sent back."""
    what = {
        "conflict": "a textual conflict with the target branch in",
        "gate-2": "its own gate 2 failing on",
        "gate-3": "the wave's full gate (gate 3) failing on",
    }[reason]
    remediation = {
        "conflict": "rebase the lane onto the target branch, resolve the conflicting paths, "
        "re-run `lanewarden gate run 2` and hand off again",
        "gate-2": "fix the failing tests on the lane, re-run `lanewarden gate run 2` and hand "
        "off again",
        "gate-3": "the lane breaks tests outside its own packages: fix them on the lane, run "
        "`lanewarden gate run 3`, and hand off again",
    }[reason]
    return {
        "signature": f"{reason}: " + "; ".join(signature or ["(no detail)"]),
        "impact": f"lane {lane} was not integrated by run {run} ({what} "
        f"{', '.join(signature) or 'the tree'}); the target branch stays at {before[:12]}",
        "remediation": remediation,
    }


@dataclass
class Isolation:
    """The culprits found, and every gate run isolation needed."""

    culprits: list[str] = field(default_factory=list)
    runs: list[tuple[list[str], frozenset[str]]] = field(default_factory=list)
    by_scope: list[str] = field(default_factory=list)  # culprits the test scope named
    failing: dict[str, frozenset[str]] = field(default_factory=dict)  # culprit -> its tests


def isolate(
    lanes: Sequence[str],
    failing: frozenset[str],
    run: GateRun,
    reach: Callable[[str], set[str]],
) -> Isolation:
    """Find the lanes whose removal makes the gate pass.

    ``lanes`` in applied order, their full set failing with ``failing``;
    ``run(subset)`` runs the gate on those lanes only (always the lanes in
    applied order, with earlier culprits left out); ``reach(test)`` is the set
    of lanes whose changed files the test reaches. The wave's start is taken
    as green, so a prefix of length zero is never run.
    """
    result = Isolation()
    # A set of lanes always builds the same tree: a set already run (or the full
    # set, known to fail) is answered from here, never run again.
    known: dict[tuple[str, ...], frozenset[str]] = {tuple(lanes): failing}

    def gate(subset: list[str]) -> frozenset[str]:
        key = tuple(subset)
        if key not in known:
            known[key] = run(subset)
            result.runs.append((list(subset), known[key]))
        return known[key]

    while failing:
        active = [lane for lane in lanes if lane not in result.culprits]
        if not active:  # the wave's start itself fails: no lane to blame
            break
        suspect = _scope_suspect(failing, active, reach)
        if suspect is not None:
            rest = [lane for lane in active if lane != suspect]
            after = gate(rest)
            named = {t for t in failing if reach(t) & set(active) == {suspect}}
            if not named & after:  # its tests pass without it: it is a culprit
                result.culprits.append(suspect)
                result.by_scope.append(suspect)
                result.failing[suspect] = frozenset(named)
                failing = after
                continue
        # Bisection: the shortest failing prefix; its last lane is a culprit.
        low, high = 0, len(active)  # prefix[:low] passes, prefix[:high] fails
        while high - low > 1:
            middle = (low + high) // 2
            if gate(active[:middle]):
                high = middle
            else:
                low = middle
        culprit = active[high - 1]
        result.culprits.append(culprit)
        before = failing
        failing = gate([lane for lane in active if lane != culprit])
        result.failing[culprit] = frozenset(before - failing)
    return result


def _scope_suspect(
    failing: frozenset[str], active: Sequence[str], reach: Callable[[str], set[str]]
) -> str | None:
    """The lane the failing tests name alone most often, or None when none is named alone."""
    counts: dict[str, int] = {}
    for test in sorted(failing):
        named = reach(test) & set(active)
        if len(named) == 1:
            lane = next(iter(named))
            counts[lane] = counts.get(lane, 0) + 1
    if not counts:
        return None
    return max(active, key=lambda lane: counts.get(lane, 0))
