"""The coverage map's recording cost on a real project's checkout.

Runs the project's whole suite alternately as it is and with
``--lw-record-coverage`` (same interpreter and arguments, bytecode cached),
and prints the median CPU and wall time of each. The plain run is the floor
the recording run is measured against; the target is at most 1.30x its CPU
time. Maps recorded in the checkout before are dropped first, so each
recording run writes a map of its own. Tests that fail count like the rest
(both runs run the same ones); any other exit status stops the benchmark.

Usage::

    python benchmarks/recording_bench.py CHECKOUT [--python PY] [--pythonpath P]
        [--runs 5] [--pytest-arg ARG ...]

``CHECKOUT`` is a git work tree of the project, clean or not; ``--python`` an
interpreter with pytest, lanewarden and the project's test dependencies.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from coverage_bench import forget_maps
from plugin_bench import row

TARGET = 1.30


def timed(argv: list[str], root: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one pytest run; tests may fail, pytest itself may not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        last = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
        sys.exit(f"recording_bench: {' '.join(argv[3:])} ended with {done.returncode}: {last}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--pythonpath", action="append", default=[])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pytest-arg", action="append", default=[])
    args = parser.parse_args(argv)
    root = args.checkout.resolve()
    if not (root / ".git").exists():
        parser.error(f"{root} is not a git work tree")
    if shutil.which(args.python) is None:
        parser.error(f"--python {args.python}: no such interpreter")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.pop("PYTEST_ADDOPTS", None)
    if args.pythonpath:
        os.environ["PYTHONPATH"] = os.pathsep.join(str(root / p) for p in args.pythonpath)
    forget_maps(root)
    plain = [args.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_arg]
    recording = [*plain, "--lw-record-coverage"]
    timed(plain, root)  # fills the bytecode caches
    pairs = [(timed(plain, root), timed(recording, root)) for _ in range(args.runs)]
    (wall, cpu), (recording_wall, recording_cpu) = (
        (
            statistics.median(pair[side][0] for pair in pairs),
            statistics.median(pair[side][1] for pair in pairs),
        )
        for side in (0, 1)
    )
    version = subprocess.run(
        [args.python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"project: {root} (Python {version}), {args.runs} runs of each")
    print(f"{'figure':<44} {'time':>10}  {'baseline':>10}  {'ratio':>8}  {'target':<14}")
    print(
        row(
            "full run recording the map, CPU time",
            recording_cpu,
            cpu,
            f"<= {TARGET:.2f}x",
            recording_cpu <= TARGET * cpu,
        )
    )
    print(row("full run recording the map, wall time", recording_wall, wall, "(info)", True))
    return 0 if recording_cpu <= TARGET * cpu else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
