"""``lanewarden gate run 1|2|3|all``: run the gate ladder and record evidence.

Each gate runs its steps in order, showing which step runs and how long it
took, and stops at the first failure; the ladder stops at the first failing
gate. Every gate that ran gets an evidence record bound to the tree of the
work tree at the gate's start (as the pytest plugin binds its own), with
each step's command, exit status, duration and the tail of its output.

The record's ``time`` is when the gate *finished*: a pytest step records its
own evidence for the same gate when it starts, and the gate's verdict, which
covers every step, must be the latest word on the tree.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lanewarden import __version__
from lanewarden.adapters.changes import changed_files, head_commit, work_tree_id
from lanewarden.adapters.gate_records import write_gate_record
from lanewarden.cli.context import Context
from lanewarden.cli.output import emit_json
from lanewarden.domain.evidence import Evidence, evidence_time
from lanewarden.domain.gates import Gate, GateLadder

__all__ = ["ruff_command", "run"]

TAIL_LINES = 30


def ruff_command() -> str | None:
    """How to call ruff here, or None when it is not installed."""
    if shutil.which("ruff"):
        return "ruff"
    if importlib.util.find_spec("ruff") is not None:
        return "{python} -m ruff"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the chosen gates; 0 when all passed, 1 at the first failure."""
    ctx = Context.load()
    ladder = GateLadder.from_config(
        ctx.config.gates, source=ctx.config.source_name, ruff=ruff_command()
    )
    gates = ladder.select(args.gate)
    root = ctx.repo.root
    touched = [f for f in changed_files(ctx.repo) if (root / f).is_file()]
    results = []
    ok = True
    for gate in gates:
        result = _run_gate(ctx, gate, touched, args.gate)
        results.append(result)
        if result["status"] != "passed":
            ok = False
            break
    if args.json:
        emit_json({"ok": ok, "gates": results})
    else:
        for result in results:
            print(f"gate {result['gate']}: {result['status']} on tree {result['tree'][:12]}")
        if not ok:
            print(f"lanewarden: gate {results[-1]['gate']} failed: the ladder stopped there")
    return 0 if ok else 1


def _say(text: str) -> None:
    print(f"lanewarden: {text}", file=sys.stderr, flush=True)


def _run_gate(ctx: Context, gate: Gate, touched: list[str], which: str) -> dict[str, Any]:
    tree = work_tree_id(ctx.repo)
    started = time.monotonic()
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
        row = _run_step(command, ctx.repo.root)
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
    status = "passed" if exit_status == 0 else "failed"
    record = Evidence(
        gate=gate.name,
        status=status,
        tree=tree,
        time=evidence_time(),
        head=head_commit(ctx.repo),
        lane=ctx.identity.lane,
        worktree=str(ctx.repo.root),
        touched_files=tuple(touched),
        counts={
            "passed": sum(1 for s in steps if s.get("exit_status") == 0),
            "failed": sum(1 for s in steps if s.get("exit_status", 0) != 0),
            "skipped": sum(1 for s in steps if "skipped" in s),
        },
        exit_status=exit_status,
        duration=time.monotonic() - started,
        command=("lanewarden", "gate", "run", which),
        tools={"lanewarden": __version__, "python": platform.python_version()},
    )
    path = write_gate_record(ctx.repo, record, steps)
    _say(f"gate {gate.name}: {status} in {record.duration:.1f}s; evidence {path}")
    return {
        "gate": gate.name,
        "status": status,
        "tree": tree,
        "steps": steps,
        "duration": round(record.duration, 3),
        "evidence": str(path),
    }


def _run_step(command: str, cwd: Path) -> dict[str, Any]:
    """Run one shell command, streaming its output to stderr and keeping the tail."""
    started = time.monotonic()
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    with subprocess.Popen(
        command, shell=True, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stderr.buffer.write(line)
            sys.stderr.flush()
            tail.append(line.decode("utf-8", errors="replace").rstrip("\n"))
        status = process.wait()
    return {
        "command": command,
        "exit_status": status,
        "duration": round(time.monotonic() - started, 3),
        "tail": list(tail),
    }
