"""The remote registry under load: acquires per second, p95 latency and retries.

    python benchmarks/remote_bench.py [--levels 1,8,32] [--per-orchestrator N]

A local bare repository is the git server; each concurrent orchestrator is a
clone of its own that runs ``lanewarden lock acquire`` (a whole process: fetch,
ledger-only commit, push as compare-and-swap) on disjoint scopes, one after
another. Every acquire lands, so contention shows as retries (attempts beyond
the first push), read from the clone's record of its last push. Prints a
Markdown table for ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PYTHON = sys.executable
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run(cwd: Path, *args: str, role: str = "integrator") -> None:
    subprocess.run(
        args, cwd=cwd, env={**ENV, "LANEWARDEN_ROLE": role}, check=True, capture_output=True
    )


def make_server(work: Path) -> Path:
    """A bare server whose ``main`` holds a parallel-ready repository in remote mode."""
    seed = work / "seed"
    seed.mkdir()
    run(seed, "git", "init", "-q", "-b", "main")
    (seed / "README.md").write_text("# bench\n")
    run(seed, PYTHON, "-m", "lanewarden", "init")
    config = seed / "lanewarden.toml"
    config.write_text(config.read_text() + '\nregistry = "remote"\n')
    run(seed, "git", "add", "-A")
    run(seed, "git", "commit", "-qm", "seed")
    server = work / "server.git"
    run(work, "git", "init", "-q", "--bare", "-b", "main", str(server))
    run(seed, "git", "push", "-q", "--no-verify", str(server), "main")
    return server


class Sample:
    def __init__(self, seconds: float, attempts: int, code: int) -> None:
        self.seconds = seconds
        self.attempts = attempts
        self.code = code


def orchestrator(clone: Path, name: str, count: int, out: list[Sample]) -> None:
    """``count`` acquires in a row from one clone, each timed as a whole process."""
    record = clone / ".git" / "lanewarden" / "registry" / "last-push.json"
    for n in range(count):
        lock_id = f"{name}-{n:03}"
        started = time.perf_counter()
        done = subprocess.run(
            [
                PYTHON,
                "-m",
                "lanewarden",
                "lock",
                "acquire",
                lock_id,
                "--owner",
                name,
                "--objective",
                "bench",
                "--scope",
                f"work/{lock_id}/",
            ],
            cwd=clone,
            env={**ENV, "LANEWARDEN_ROLE": "orchestrator"},
            capture_output=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            print(f"{lock_id}: exit {done.returncode}: {os.fsdecode(done.stderr)}", file=sys.stderr)
        attempts = json.loads(record.read_text())["attempts"] if done.returncode == 0 else 0
        out.append(Sample(seconds, attempts, done.returncode))


def level(work: Path, concurrency: int, per: int) -> dict[str, float]:
    """One row: ``concurrency`` orchestrators, ``per`` acquires each, on a fresh server."""
    folder = work / f"c{concurrency}"
    folder.mkdir()
    server = make_server(folder)
    clones = []
    for n in range(concurrency):
        clone = folder / f"o{n}"
        run(folder, "git", "clone", "-q", str(server), str(clone))
        clones.append(clone)
    samples: list[Sample] = []
    threads = [
        threading.Thread(target=orchestrator, args=(clone, f"O{n}", per, samples))
        for n, clone in enumerate(clones)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    landed = [s for s in samples if s.code == 0]
    latencies = sorted(s.seconds for s in landed)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    retries = [s.attempts - 1 for s in landed]
    return {
        "concurrency": concurrency,
        "acquires": len(samples),
        "landed": len(landed),
        "per_second": len(landed) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": p95 * 1000,
        "retries_mean": statistics.mean(retries),
        "retries_max": max(retries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,8,32", help="concurrent orchestrators per row")
    parser.add_argument(
        "--per-orchestrator",
        type=int,
        default=0,
        help="acquires per orchestrator (default: 48 in all per row, at least 2)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lanewarden-remote-bench-"))
    try:
        rows = []
        for concurrency in (int(x) for x in args.levels.split(",")):
            per = args.per_orchestrator or max(2, 48 // concurrency)
            rows.append(level(work, concurrency, per))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| orchestrators | acquires (landed) | acquires/s | p50 | p95 | retries mean | max |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['concurrency']} | {r['acquires']} ({r['landed']}) | {r['per_second']:.1f} "
            f"| {r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['retries_mean']:.2f} "
            f"| {r['retries_max']} |"
        )


if __name__ == "__main__":
    main()
