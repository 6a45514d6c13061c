"""Wall-clock timing of whole processes: the median of repeated runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def once_seconds(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, expect: int = 0
) -> float:
    """Wall time of one run of ``argv``, with no warm-up."""
    begin = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True)
    elapsed = time.perf_counter() - begin
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}, expected {expect}")
    return elapsed


def median_seconds(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    runs: int = 21,
) -> float:
    """Median wall time of ``argv`` over ``runs`` runs (after one warm-up run)."""
    return interleaved_medians({"only": argv}, cwd=cwd, env=env, runs=runs)["only"]


def interleaved_medians(
    commands: Mapping[str, Sequence[str]],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    runs: int = 21,
) -> dict[str, float]:
    """Median wall time of each command, run in turn ``runs`` times (after a warm-up round).

    Taking the samples of a figure and of its floor round by round, rather than
    one command's samples after the other's, exposes both to the same moments of
    a noisy machine.
    """
    full_env = {**os.environ, **(env or {})}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(runs + 1):
        for name, argv in commands.items():
            begin = time.perf_counter()
            done = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, check=False)
            elapsed = time.perf_counter() - begin
            if done.returncode != 0:
                raise SystemExit(
                    f"{' '.join(argv)} exited {done.returncode}:\n"
                    f"{done.stdout.decode()}{done.stderr.decode()}"
                )
            if round_number:
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}
