"""The coverage map's cost and gain on the generated 200-package monorepo (5,000 tests).

Figures, each beside its baseline measured in the same run:

- a full run recording the map (``--lw-record-coverage``) against the same
  full run without it: the recording overhead on a gate-3 run, target <= 30%;
- a change to the body of ``pkg_000.core.value``, the function of the
  package every other one imports: the static selection runs every test,
  the map keeps the tests that execute it (``--lw-changed`` against
  ``--lw-changed --lw-no-coverage-map``), target >= 10x faster;
- (information) a change to a function no test runs (``pkg_000.helpers``):
  the map cannot vouch for it, so the static rule decides; the time shows
  that using the map costs nothing then.

The workload is ``plugin_bench.py``'s. Usage: ``python benchmarks/coverage_bench.py [FOLDER]``.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plugin_bench import LEAF, PACKAGES, PYTEST, TEST_FILES, TESTS, build, paired_medians, row

BODY = "    return sum(range(n)) % 7\n"


def reset(root: Path) -> None:
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)


def change_value_body(root: Path) -> None:
    """A change inside ``pkg_000.core.value``: same result, so every test still passes."""
    path = root / "packages/pkg_000/src/pkg_000/core.py"
    text = path.read_text()
    assert BODY in text
    path.write_text(text.replace(BODY, "    total = sum(range(n))\n    return total % 7\n"))


def change_unrun_helper(root: Path) -> None:
    path = root / "packages/pkg_000/src/pkg_000/helpers.py"
    path.write_text(path.read_text().replace("return x * 2", "return x + x"))


def count(root: Path, *args: str) -> str:
    """The plugin's one-line summary of a selection."""
    done = subprocess.run([*PYTEST, *args], cwd=root, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if "tests selected" in line]
    return lines[0] if lines else done.stdout.strip().splitlines()[-1]


def timed(argv: list[str], root: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, of the process and its children) of one run.

    An exit status outside ``ok`` ends the benchmark with pytest's last line.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        last = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
        sys.exit(f"{' '.join(argv[3:])} ended with {done.returncode}: {last}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def paired_times(
    baseline: list[str], measured: list[str], root: Path, runs: int, ok: tuple[int, ...] = (0,)
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, CPU) of two commands run alternately, after a warm-up of each.

    CPU time is the steadier figure on a shared machine: other processes
    lengthen the wall time of a run, hardly its own CPU time.
    """
    timed(baseline, root, ok)
    timed(measured, root, ok)
    pairs = [(timed(baseline, root, ok), timed(measured, root, ok)) for _ in range(runs)]

    def median(side: int, part: int) -> float:
        return statistics.median(pair[side][part] for pair in pairs)

    return (median(0, 0), median(0, 1)), (median(1, 0), median(1, 1))


def forget_maps(root: Path) -> None:
    """Drop maps of earlier runs in a reused folder: recording adds to a map of the same tree,
    and inputs read differently by other versions or interpreters would vary."""
    shutil.rmtree(root / ".git" / "lanewarden" / "coverage", ignore_errors=True)
    subprocess.run(
        ["git", "update-ref", "-d", "refs/notes/lanewarden-coverage"], cwd=root, check=False
    )


def main(argv: list[str]) -> int:
    """Build the workload, measure, print the figures; exit 1 when a target is missed."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    folder = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="lw-coverage-bench-"))
    root = folder / "repo"
    if not root.exists():
        root.mkdir(parents=True)
        build(root)
    reset(root)
    forget_maps(root)
    print(f"workload: {PACKAGES} packages, {PACKAGES * TEST_FILES * TESTS} tests in {root}")

    (full, full_cpu), (recording, recording_cpu) = paired_times(
        PYTEST, [*PYTEST, "--lw-record-coverage"], root, runs=3
    )
    maps = list((root / ".git" / "lanewarden" / "coverage").glob("*.lwcov"))
    size = sum(p.stat().st_size for p in maps)

    change_value_body(root)
    static_args = [*PYTEST, "--lw-changed", "--lw-no-coverage-map"]
    static, refined = paired_medians(static_args, [*PYTEST, "--lw-changed"], root, runs=3)
    static_line, refined_line = (
        count(root, *static_args[len(PYTEST) :]),
        count(root, "--lw-changed"),
    )
    reset(root)

    change_unrun_helper(root)
    unrun_static, unrun_map = paired_medians(static_args, [*PYTEST, "--lw-changed"], root, runs=3)
    unrun_line = count(root, "--lw-changed")
    reset(root)

    print(f"{'figure':<44} {'time':>10}  {'baseline':>10}  {'ratio':>8}  {'target':<14}")
    lines = [
        row(
            "full run recording the map, CPU time",
            recording_cpu,
            full_cpu,
            "<= 1.30x",
            recording_cpu <= 1.30 * full_cpu,
        ),
        row("full run recording the map, wall time", recording, full, "(info)", True),
        row(
            "--lw-changed with map vs static (value body)",
            refined,
            static,
            "<= 0.10x",
            refined * 10 <= static,
        ),
        row("change no test runs: with map vs static", unrun_map, unrun_static, "(info)", True),
    ]
    print("\n".join(lines))
    print(f"map size: {size:,} bytes compressed ({len(maps)} file)")
    print(f"static:   {static_line}")
    print(f"with map: {refined_line}")
    print(f"unrun:    {unrun_line}")
    print(f"the map's run is {static / refined:.1f}x faster than the static selection's")
    print(f"(leaf package for reference: {LEAF})")
    return 0 if all(line.endswith("ok") for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
