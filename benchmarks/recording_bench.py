"""The coverage map's recording cost on a real project's checkout.

Runs the project's whole suite alternately as it is and with
``--lw-record-coverage`` (same interpreter and arguments, bytecode cached),
and prints the median CPU and wall time of each. The plain run is the floor
the recording run is measured against; the target is at most 1.30x its CPU
time. Maps recorded in the checkout before are dropped first; the recording
runs (after one warm-up of each command) then add to one map of the tree, as
repeated gate runs do. Tests that fail count like the rest (both runs run the
same ones); any other exit status stops the benchmark.

Usage::

    python benchmarks/recording_bench.py CHECKOUT [--python PY] [--pythonpath P]
        [--runs 5] [--pytest-arg ARG ...]

``CHECKOUT`` is a git work tree of the project, clean or not; ``--python`` an
interpreter with pytest, lanewarden and the project's test dependencies.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from coverage_bench import forget_maps, paired_times
from plugin_bench import row

TARGET = 1.30


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
    # Tests that fail count like the rest: both runs run them (exit status 1).
    (wall, cpu), (recording_wall, recording_cpu) = paired_times(
        plain, [*plain, "--lw-record-coverage"], root, args.runs, ok=(0, 1)
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
