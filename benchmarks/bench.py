"""lanewarden's speed targets, each figure printed beside its floor from the same run.

    python benchmarks/bench.py [--runs N] [--rebuild]

Builds the reference workload once (``benchmarks/.work/reference``, reused
while it exists) and measures whole processes, as a commit or a person
would run them. Prints a Markdown table for ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from reference_workload import ENV, LOCKS, build, git, lock_patterns
from timing import interleaved_medians, median_seconds, once_seconds

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "reference"
PYTHON = sys.executable
LANE = {"LANEWARDEN_LANE": "L-000", "LANEWARDEN_ROLE": "integrator"}


# What any Python hook pays at the least: the same two git commands, the paths
# decoded and matched against the lane's scope, with nothing imported but re,
# subprocess and marshal.
LEAN_HOOK = """
import marshal, os, re, subprocess
subprocess.run(["git", "rev-parse", "--absolute-git-dir", "--git-common-dir",
                "--show-toplevel"], capture_output=True, check=True)
out = subprocess.run(["git", "diff", "--cached", "--name-status", "-z", "-M", "-C"],
                     capture_output=True, check=True).stdout
paths = [os.fsdecode(p) for p in out.split(b"\\0")[1::2]]
scope = re.compile(r"pkg000/src/.*")
assert all(scope.fullmatch(p) for p in paths)
"""


def combined_pattern_floor(repo: Path) -> float:
    """Seconds to match every tracked path against all locks' patterns as one set."""
    import pathspec

    patterns = [p for i in range(LOCKS) for p in lock_patterns(i)]
    paths = (
        subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")[:-1]
    )
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    begin = time.perf_counter()
    matched = sum(1 for _ in spec.match_files(paths))
    elapsed = time.perf_counter() - begin
    assert matched > 0
    return elapsed


# A scope that makes a backtracking regex try every way to share a name among
# its stars; the names are all ``a`` (no final ``b``), so nothing matches.
WORST_PATTERN = "/x/" + "*a" * 12 + "*b"
WORST_SIZES = (40, 4_000)


def worst_pattern_times(runs: int) -> dict[int, tuple[float, float]]:
    """Per name size: (``lanewarden lock who`` on it, ``git check-ignore --no-index`` on it)."""
    # Built afresh each run (a second), so the lock has not expired.
    repo = HERE / ".work" / "worst-pattern"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q")

    def lanewarden(*args: str) -> str:
        env = {**ENV, "LANEWARDEN_ROLE": "orchestrator"}
        argv = [PYTHON, "-m", "lanewarden", *args]
        return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True).stdout

    lanewarden("init")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "adopt lanewarden")
    lanewarden(
        "lock", "acquire", "L-001", "--owner", "a", "--objective", "o", "--scope", WORST_PATTERN
    )
    (repo / ".gitignore").write_text(WORST_PATTERN + "\n")
    owned = "x/" + "a" * 40 + "b"
    who = lanewarden("lock", "who", owned)
    assert who.split() == [owned, "L-001"], who  # the scope is live
    times = {}
    for size in WORST_SIZES:
        name = "x/" + "a" * size
        ours = [PYTHON, "-m", "lanewarden", "lock", "who", name]
        floor = ["git", "check-ignore", "--no-index", "-q", name]
        samples: dict[str, list[float]] = {"ours": [], "git": []}
        for _ in range(runs + 1):  # round by round; the first round is a warm-up
            samples["ours"].append(once_seconds(ours, cwd=repo))
            samples["git"].append(once_seconds(floor, cwd=repo, expect=1))
        times[size] = (
            statistics.median(samples["ours"][1:]),
            statistics.median(samples["git"][1:]),
        )
    return times


def main() -> int:
    # Measure start-up as users see it, with compiled bytecode cached: some
    # environments (this project's CI among them) set PYTHONDONTWRITEBYTECODE,
    # which makes every process recompile every module it imports.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-plugin", action="store_true", help="skip plugin_bench.py")
    args = parser.parse_args()
    if args.rebuild and WORK.exists():
        shutil.rmtree(WORK)
    if not WORK.exists():
        print(f"building the reference workload in {WORK} ...", file=sys.stderr)
        build(WORK)
    runs = args.runs
    lanewarden = [PYTHON, "-m", "lanewarden"]

    cache = WORK / ".git" / "lanewarden" / "registry.cache"
    cold_samples = []
    for _ in range(7):
        cache.unlink(missing_ok=True)
        cold_samples.append(once_seconds([*lanewarden, "hook", "pre-commit"], cwd=WORK, env=LANE))
    cold = statistics.median(cold_samples)
    warm = interleaved_medians(
        {
            "pass": [PYTHON, "-c", "pass"],
            "diff": ["git", "diff", "--cached", "--name-status", "-z"],
            "hook": [*lanewarden, "hook", "pre-commit"],
            "lean": [PYTHON, "-c", LEAN_HOOK],
            "help": [*lanewarden, "--help"],
        },
        cwd=WORK,
        env=LANE,
        runs=runs,
    )
    python_pass, hook, lean, help_time = warm["pass"], warm["hook"], warm["lean"], warm["help"]
    hook_floor = python_pass + warm["diff"]
    check = median_seconds([*lanewarden, "lock", "check"], cwd=WORK, runs=max(5, runs // 4))
    check_floor = combined_pattern_floor(WORK)
    worst = worst_pattern_times(runs)

    rows = [
        (
            "`hook pre-commit`, whole process (warm cache)",
            hook,
            hook_floor,
            "`python -c pass` + `git diff --cached --name-status -z`",
            hook / hook_floor,
            "<= 2x",
        ),
        (
            "`hook pre-commit`, first run after a ledger change",
            cold,
            hook_floor,
            "(same floor)",
            cold / hook_floor,
            "(not a target)",
        ),
        (
            "a minimal Python hook (information: see README)",
            lean,
            hook_floor,
            "(same floor)",
            lean / hook_floor,
            "(none)",
        ),
        (
            "`lock check` over all tracked paths, whole process",
            check,
            check_floor,
            "all patterns as one pathspec set, in-process",
            None,
            "< 1 s",
        ),
        *(
            (
                f"`lock who` on a {size:,}-character name, scope `{WORST_PATTERN}`",
                ours,
                git,
                "`git check-ignore --no-index` on the same name",
                ours / git,
                "(none: no stall)",
            )
            for size, (ours, git) in worst.items()
        ),
        (
            "`lanewarden --help`",
            help_time,
            python_pass,
            "`python -c pass`",
            help_time / python_pass,
            "<= 3x",
        ),
    ]
    print(
        f"Reference workload: 100,000 tracked files, 2,000 staged paths, {LOCKS} locks x 5 "
        f"patterns; median of {runs} runs; {os.cpu_count()} CPUs; Python "
        f"{sys.version.split()[0]}\n"
    )
    print("| figure | time | floor | floor is | ratio | target |")
    print("|---|---|---|---|---|---|")
    for name, value, floor, what, ratio, target in rows:
        shown = f"{ratio:.2f}x" if ratio is not None else "-"
        print(
            f"| {name} | {value * 1000:.1f} ms | {floor * 1000:.1f} ms | {what} | {shown} "
            f"| {target} |"
        )
    parts = [] if args.no_plugin else [[str(HERE / "plugin_bench.py")]]
    # status and metrics: their own section of benchmarks/README.md
    parts.append([str(HERE / "run_bench.py"), "--runs", str(max(5, runs // 2))])
    missed = []
    for part in parts:
        print()
        sys.stdout.flush()
        if subprocess.run([PYTHON, *part], check=False).returncode != 0:
            missed.append(Path(part[0]).name)
    if missed:  # every part still ran: one missed target hides no other figure
        print(f"\ntargets missed or runs failed in: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
