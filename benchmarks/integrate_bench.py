"""How many gate-3 runs culprit isolation needs: test scope first, against bisection alone.

A wave of ``--lanes`` lanes (default 20) of which ``--culprits`` (default 2)
break a test of another package. The gate is simulated (a run fails with the
tests of the culprits it contains), and so is the import graph's answer: a
failing test reaches its culprit lane, and with probability ``--noise`` also
one other lane of the wave (an import the culprit shares with a clean lane),
and with probability ``--miss`` no lane at all (a failure through data, not
imports). Isolation is :func:`lanewarden.domain.integration.isolate`, the code
``lanewarden integrate`` runs; the baseline is the bisection-only figure
``2*log2(n)+1`` runs per culprit.

Usage::

    python benchmarks/integrate_bench.py [--lanes 20] [--culprits 2] [--trials 2000]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Sequence

from lanewarden.domain.integration import isolate


def trial(rng: random.Random, lanes: int, culprits: int, noise: float, miss: float, scope: bool):
    """Gate-3 runs isolation needed for one random wave, and whether it found the culprits."""
    names = [f"L-{n:02d}" for n in range(1, lanes + 1)]
    bad = rng.sample(names, culprits)
    tests = {lane: f"tests/test_{lane}.py::test_drift" for lane in bad}
    reach: dict[str, set[str]] = {}
    for lane, test in tests.items():
        draw = rng.random()
        if draw < miss:
            reach[test] = set()
        elif draw < miss + noise:
            reach[test] = {lane, rng.choice([n for n in names if n != lane])}
        else:
            reach[test] = {lane}

    def run(subset: Sequence[str]) -> frozenset[str]:
        return frozenset(tests[lane] for lane in bad if lane in subset)

    found = isolate(
        names,
        run(names),
        run,
        (lambda test: reach[test]) if scope else (lambda test: set()),
    )
    return len(found.runs), sorted(found.culprits) == sorted(bad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lanes", type=int, default=20)
    parser.add_argument("--culprits", type=int, default=2)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--miss", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    baseline = args.culprits * (2 * math.log2(args.lanes) + 1)
    print(
        f"{args.lanes} lanes, {args.culprits} culprits, {args.trials} waves; graph noise "
        f"{args.noise:.0%}, misses {args.miss:.0%}; seed {args.seed}"
    )
    print("| isolation | gate-3 runs (mean) | median | max | culprits found | baseline |")
    print("|---|---|---|---|---|---|")
    for label, scope in (("test scope, then bisection", True), ("bisection only", False)):
        rng = random.Random(args.seed)
        results = [
            trial(rng, args.lanes, args.culprits, args.noise, args.miss, scope)
            for _ in range(args.trials)
        ]
        runs = [r for r, _ in results]
        right = sum(ok for _, ok in results)
        print(
            f"| {label} | {statistics.mean(runs):.2f} | {statistics.median(runs):g} | "
            f"{max(runs)} | {right}/{args.trials} | {baseline:.1f} |"
        )


if __name__ == "__main__":
    main()
