"""``lanewarden gate run|status``: run the gate ladder, and see its evidence for a tree.

``gate run 1|2|3|NAME|all`` runs each gate's steps in order and stops at the
first failure; the ladder stops at the first gate that does not pass. While a
step runs, a line every few seconds says which step, for how long, and (for
pytest) how many tests are done, so a long run never looks hung. Every gate
that ran gets an evidence record bound to the tree of the work tree at the
gate's start, with each step's command, exit status, duration and the tail
of its output. A pytest step records its own, finer evidence for the same
gate; when that record is ``narrowed`` or ``failed``, so is the gate.

The gate's record's ``time`` is when the gate *finished*, so that its
verdict, which covers every step, is the latest word on the tree.

``gate status`` reports, for the work tree's exact content (or ``--rev``'s
tree), the newest record of each gate.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from lanewarden import __version__
from lanewarden.adapters.changes import changed_files, head_commit, rev_tree, work_tree_id
from lanewarden.adapters.evidence_store import evidence_dir, write_evidence
from lanewarden.adapters.notes import all_evidence
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json
from lanewarden.domain.evidence import (
    Evidence,
    check_gate_name,
    evidence_time,
    gate_names,
    latest_by_gate,
)
from lanewarden.domain.gates import Gate, GateLadder
from lanewarden.domain.registry import shell_quote
from lanewarden.pytest_plugin import PROGRESS_ENV

__all__ = ["ruff_command", "run", "status"]

TAIL_LINES = 30
SHOWN_FAILURES = 5
# Seconds between two "still running" lines; tests set it lower.
TICK_ENV = "LANEWARDEN_PROGRESS_SECONDS"
_DEFAULT_TICK = 10.0


# -- gate status --------------------------------------------------------------


def status(args: argparse.Namespace) -> int:
    """Print the newest record of each gate for the tree; exit 0 on valid input."""
    ctx = Context.load()
    repo = ctx.repo
    valid = gate_names(ctx.config.gates)
    only: str | None = getattr(args, "gate", None)
    if only is not None:
        check_gate_name(only, valid, where="--gate")
    rev: str | None = getattr(args, "rev", None)
    tree = rev_tree(repo, rev) if rev else work_tree_id(repo)
    kept, ignored = [], []
    for record in all_evidence(repo, tree):
        if record.tree != tree:
            ignored.append((record, f"recorded for tree {record.tree}, not this one"))
        elif record.gate not in valid:
            ignored.append((record, f"{record.gate!r} is not a gate here"))
        elif only is None or record.gate == only:
            kept.append(record)
    latest = latest_by_gate(kept)
    ok = all(record.passed for record in latest.values())
    if getattr(args, "json", False):
        body = {
            "ok": ok,
            "tree": tree,
            "gates": [_gate_json(record) for record in latest.values()],
            "ignored": [
                {"gate": r.gate, "tree": r.tree, "time": r.time, "reason": why}
                for r, why in ignored
            ],
        }
        emit_json(body)
        return 0
    where = f"{rev}'s tree" if rev else "the work tree"
    print(f"{where}: {tree}")
    if not latest:
        print("  no gate evidence for this tree")
        print("  record it with: lanewarden gate run 2 (or 3, or all)")
    for record in latest.values():
        print(f"  gate {record.gate}: {record.status} ({_summary(record)})")
        for reason in record.reasons:
            print(f"    {reason}")
    for record, why in ignored:
        print(f"  ignored: a gate {record.gate} record of {record.time}: {why}")
    return 0


def _gate_json(record: Evidence) -> dict[str, object]:
    return {
        "gate": record.gate,
        "status": record.status,
        "reasons": list(record.reasons),
        "time": record.time,
        "head": record.head,
        "lane": record.lane,
        "exit_status": record.exit_status,
        "counts": dict(record.counts),
        "packages": list(record.packages),
    }


def _summary(record: Evidence) -> str:
    counts = ", ".join(f"{n} {k}" for k, n in record.counts.items() if n)
    lane = f", lane {record.lane}" if record.lane else ""
    return f"{counts or 'no tests'}, at {record.time}{lane}"


# -- gate run -----------------------------------------------------------------


def ruff_command() -> str | None:
    """How to call ruff here, or None when it is not installed."""
    if shutil.which("ruff"):
        return "ruff"
    if importlib.util.find_spec("ruff") is not None:
        return "{python} -m ruff"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the chosen gates; 0 when all passed, 1 at the first that did not."""
    ctx = Context.load()
    ladder = GateLadder.from_config(
        ctx.config.gates, source=ctx.config.source_name, ruff=ruff_command()
    )
    gates = ladder.select(args.gate)
    root = ctx.repo.root
    touched = [f for f in changed_files(ctx.repo) if (root / f).is_file()]
    results = []
    for gate in gates:
        result = _run_gate(ctx, gate, touched, args.gate)
        results.append(result)
        if result["status"] != "passed":
            break
    ok = all(result["status"] == "passed" for result in results)
    if args.json:
        emit_json({"ok": ok, "gates": results})
    else:
        for result in results:
            print(_summary_line(result))
        if not ok:
            _explain_failure(results[-1], root)
    return 0 if ok else 1


def _say(text: str) -> None:
    print(f"lanewarden: {text}", file=sys.stderr, flush=True)


def _summary_line(result: dict[str, Any]) -> str:
    record = result["record"]
    counts = ", ".join(f"{n} {k}" for k, n in record["counts"].items() if n)
    return (
        f"gate {result['gate']}: {result['status']} in {result['duration']:.1f}s"
        f" ({counts or 'no steps ran'}) on tree {result['tree'][:12]}"
    )


def _explain_failure(result: dict[str, Any], root: Path) -> None:
    record = result["record"]
    print(f"lanewarden: gate {result['gate']} {result['status']}: the ladder stopped there")
    for reason in record["reasons"]:
        print(f"  {reason}")
    if record["failures"]:
        print("  first failures:")
        for failure in record["failures"][:SHOWN_FAILURES]:
            print(f"    {failure}")
    ran = [s for s in result["steps"] if "exit_status" in s]
    failing = [s for s in ran if s["exit_status"] != 0]
    step = (failing or ran or [None])[-1]
    if step is not None and not record["failures"]:
        for line in step.get("tail", [])[-SHOWN_FAILURES:]:
            print(f"    | {line}")
    if step is not None:
        print(f"  reproduce: cd {shell_quote(str(root))} && {step['command']}")
    if record["failures"]:
        only = " ".join(shell_quote(f) for f in record["failures"][:SHOWN_FAILURES])
        python = shell_quote(sys.executable)
        print(f"  only those: cd {shell_quote(str(root))} && {python} -m pytest {only}")


def _run_gate(ctx: Context, gate: Gate, touched: list[str], which: str) -> dict[str, Any]:
    tree = work_tree_id(ctx.repo)
    started = time.monotonic()
    since = evidence_time()
    _say(f"gate {gate.name} ({gate.title}) on tree {tree[:12]}")
    steps: list[dict[str, Any]] = []
    exit_status = 0
    for number, step in enumerate(gate.steps, start=1):
        command = step.expand(touched, sys.executable)
        label = f"gate {gate.name} step {number}/{len(gate.steps)}"
        if command is None:
            _say(f"{label}: skipped, no touched files: {step.command}")
            steps.append({"command": step.command, "skipped": "no touched files"})
            continue
        _say(f"{label}: {command}")
        row = _run_step(command, ctx.repo, label)
        _say(
            f"{label}: {'passed' if row['exit_status'] == 0 else 'FAILED'} in "
            f"{row['duration']:.1f}s (exit status {row['exit_status']})"
        )
        steps.append(row)
        if row["exit_status"] != 0:
            exit_status = row["exit_status"]
            break
    if not gate.steps:
        _say(f"gate {gate.name}: no steps configured (nothing to check)")
    # What the pytest steps recorded for this gate on this tree since it started.
    inner = [
        r
        for r in all_evidence(ctx.repo, tree)
        if r.gate == gate.name and r.tree == tree and r.time >= since
    ]
    worst = next((r for r in inner if r.status == "failed"), None) or next(
        (r for r in inner if r.status == "narrowed"), None
    )
    state = "passed" if exit_status == 0 else "failed"
    if worst is not None and state == "passed":
        state = worst.status
    reasons = [reason for r in inner for reason in r.reasons if r.status != "passed"]
    if exit_status and not reasons:
        reasons = [f"step {steps[-1]['command']!r} exited with status {exit_status}"]
    failures = [failure for r in inner for failure in r.failures]
    counts = {
        "steps passed": sum(1 for s in steps if s.get("exit_status") == 0),
        "steps failed": sum(1 for s in steps if s.get("exit_status", 0) != 0),
        "steps skipped": sum(1 for s in steps if "skipped" in s),
    }
    for r in inner:  # the tests the pytest steps counted
        for key, number in r.counts.items():
            counts[key] = counts.get(key, 0) + number
    record = Evidence(
        gate=gate.name,
        status=state,
        reasons=tuple(dict.fromkeys(reasons)),
        failures=tuple(dict.fromkeys(failures)),
        tree=tree,
        time=evidence_time(),
        head=head_commit(ctx.repo),
        lane=ctx.identity.lane,
        worktree=str(ctx.repo.root),
        touched_files=tuple(touched),
        counts=counts,
        exit_status=exit_status,
        duration=time.monotonic() - started,
        command=("lanewarden", "gate", "run", which),
        run={"checked_files": touched, "pytest_records": [r.time for r in inner]},
        steps=tuple(steps),
        tools={"lanewarden": __version__, "python": platform.python_version()},
    )
    path = write_evidence(ctx.repo, record)
    _say(f"gate {gate.name}: {state} in {record.duration:.1f}s; evidence {path}")
    return {
        "gate": gate.name,
        "status": state,
        "tree": tree,
        "steps": steps,
        "duration": round(record.duration, 3),
        "evidence": str(path),
        "record": record.to_json(),
    }


def _tick() -> float:
    try:
        return max(0.01, float(os.environ.get(TICK_ENV, _DEFAULT_TICK)))
    except ValueError:
        return _DEFAULT_TICK


def _run_step(command: str, repo: Any, label: str) -> dict[str, Any]:
    """Run one shell command, streaming its output to stderr and keeping the tail.

    While it runs, a line every few seconds gives the elapsed time and, for a
    pytest step, the count of finished tests (from the plugin's progress file).
    """
    started = time.monotonic()
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    progress_dir = evidence_dir(repo).parent / "progress"
    progress_dir.mkdir(parents=True, exist_ok=True)
    progress = progress_dir / f"{os.getpid()}.json"
    progress.unlink(missing_ok=True)
    env = {**os.environ, PROGRESS_ENV: str(progress)}
    with subprocess.Popen(
        command,
        shell=True,
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    ) as process:
        assert process.stdout is not None
        reader = threading.Thread(target=_copy, args=(process.stdout, tail), daemon=True)
        reader.start()
        while True:
            try:
                status = process.wait(timeout=_tick())
                break
            except subprocess.TimeoutExpired:
                _say(f"{label}: still running, {time.monotonic() - started:.0f}s{_tests(progress)}")
        reader.join()
    progress.unlink(missing_ok=True)
    return {
        "command": command,
        "exit_status": status,
        "duration": round(time.monotonic() - started, 3),
        "tail": list(tail),
    }


def _copy(stream: Any, tail: collections.deque[str]) -> None:
    for line in stream:
        sys.stderr.buffer.write(line)
        sys.stderr.flush()
        tail.append(line.decode("utf-8", errors="replace").rstrip("\n"))


def _tests(progress: Path) -> str:
    try:
        data = json.loads(progress.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    total = data.get("total")
    return f", {data.get('done', 0)}{f'/{total}' if total else ''} tests done"
