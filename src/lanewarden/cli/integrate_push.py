"""``integrate --push``: the target branch to ``origin``, through the normal pre-push hook.

Never forced: a plain ``git push origin refs/heads/<target>``, so git itself
refuses anything but a fast-forward, and the installed ``pre-push`` hook runs
its checks. The hook wants passing evidence of the target's required gate for
the pushed tree; the run ends with a commit of the ledger's new entries, whose
tree gate 3 has not seen yet, so that gate runs on it first (recorded as
evidence like every other run). A refusal is reported with what git and the
hook said.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from lanewarden.adapters.integration_git import IntegrationGit
from lanewarden.adapters.notes import all_evidence
from lanewarden.cli.context import Context
from lanewarden.cli.integrate_wave import run_gate, say
from lanewarden.domain.push_check import PushPolicy
from lanewarden.domain.violations import Violation

__all__ = ["push_target"]

SHOWN_LINES = 12


def push_target(ctx: Context, state: dict[str, Any]) -> tuple[bool, list[Violation], list[str]]:
    """Push the target; whether the remote has its tip now, the refusal, git's output."""
    target = state["target"]
    git = IntegrationGit(ctx.repo)
    head = git.head()
    gate = _required_gate(ctx, target)
    if gate is not None and not _has_passing(ctx, git.tree(head), gate):
        say(f"gate {gate} on the tip {head[:12]} (the ledger's entries), as the push needs")
        result = run_gate(ctx, gate, since=None, touched=())
        state["steps"].append(
            {"step": "gate-push", "gate": gate, "status": result["status"], "tree": result["tree"]}
        )
        if result["status"] != "passed":
            return False, [_refused(target, [f"gate {gate} {result['status']} on the tip"])], []
    done = subprocess.run(
        ["git", "push", "origin", f"refs/heads/{target}:refs/heads/{target}"],
        cwd=ctx.repo.root,
        capture_output=True,
        check=False,
    )
    said = [
        line.rstrip()
        for line in os.fsdecode(done.stdout + done.stderr).splitlines()
        if line.strip()
    ]
    for line in said:
        say(f"git push: {line}")
    remote = ctx.repo.git("ls-remote", "origin", f"refs/heads/{target}", ok_codes=(0, 2, 128))
    pushed = done.returncode == 0 and os.fsdecode(remote).split("\t", 1)[0] == head
    if pushed:
        say(f"pushed {target} at {head[:12]} to origin")
        return True, [], said
    return False, [_refused(target, said)], said


def _required_gate(ctx: Context, target: str) -> str | None:
    config = ctx.config
    policy = PushPolicy(
        mode=config.mode, target_branch=target, required_gates=config.required_gates
    )
    return policy.required_gate(target)


def _has_passing(ctx: Context, tree: str, gate: str) -> bool:
    records = [r for r in all_evidence(ctx.repo, tree) if r.gate == gate and r.tree == tree]
    return bool(records) and max(records, key=lambda r: r.time).passed


def _refused(target: str, said: list[str]) -> Violation:
    shown = [line for line in said if "lanewarden" in line or "error" in line.lower()] or said
    why = "; ".join(shown[-SHOWN_LINES:]) or f"git push exited without updating {target}"
    return Violation(
        rule="integrate-push-refused",
        message=f"the push of {target} to origin was refused (the wave is integrated "
        f"locally): {why}",
        path=None,
        fix=f"fix what the pre-push check names, then `git push origin {target}` (never forced)",
    )
