"""``integrate --push``: the target branch to ``origin``, through the normal pre-push hook.

Never forced: a plain ``git push origin refs/heads/<target>``, so git itself
refuses anything but a fast-forward, and the installed ``pre-push`` hook runs
its checks. The hook wants passing evidence of the target's required gate for
the pushed tree; the run ends with a commit of the ledger's new entries, whose
tree gate 3 has not seen yet, so that gate runs on it first (recorded as
evidence like every other run). A refusal (git's ``[rejected]``, or the hook's)
is a refusal by policy, reported with what git and the hook said; a push that
failed for any other reason (the remote unreachable) is an error of its own.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any, NamedTuple

from lanewarden.adapters.integration_git import IntegrationGit
from lanewarden.adapters.notes import all_evidence
from lanewarden.cli.context import Context
from lanewarden.cli.integrate_wave import run_gate, say
from lanewarden.domain.push_check import PushPolicy
from lanewarden.domain.violations import Violation

__all__ = ["PushOutcome", "push_target"]

SHOWN_LINES = 12
# What git prints when the remote or the pre-push hook refused the update (not a failure to
# reach the remote): a rejected ref, or a hook's refusal.
_REFUSED = ("[rejected]", "[remote rejected]", "hook declined", "lanewarden")


class PushOutcome(NamedTuple):
    """Whether the target reached the remote; the refusal, or the error that stopped it."""

    pushed: bool
    refusals: list[Violation]
    said: list[str]  # git's output, line by line
    error: str | None = None  # the push failed without a refusal (e.g. the remote unreachable)


def push_target(ctx: Context, state: dict[str, Any]) -> PushOutcome:
    """Push the target to ``origin``, never forced."""
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
            why = [f"gate {gate} {result['status']} on the tip"]
            return PushOutcome(False, [_refused(target, why)], [])
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
    if done.returncode == 0:
        say(f"pushed {target} at {head[:12]} to origin")
        return PushOutcome(True, [], said)
    if any(marker in line for line in said for marker in _REFUSED):
        return PushOutcome(False, [_refused(target, said)], said)
    error = "; ".join(said[-SHOWN_LINES:]) or f"git push exited with {done.returncode}"
    return PushOutcome(False, [], said, error=error)


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
    shown = [
        line
        for line in said
        if any(word in line for word in ("lanewarden", "rejected", "hint:"))
        or "error" in line.lower()
    ] or said
    why = "; ".join(shown[-SHOWN_LINES:]) or f"git push exited without updating {target}"
    diverged = any("[rejected]" in line for line in said)
    return Violation(
        rule="integrate-push-refused",
        message=f"the push of {target} to origin was refused (the wave is integrated "
        f"locally): {why}",
        path=None,
        fix=(
            f"the remote's {target} has commits this one lacks: `git pull --no-rebase origin "
            f"{target}`, run the gate it needs, then `git push origin {target}` (never forced)"
            if diverged
            else f"fix what the pre-push check names, then `git push origin {target}` "
            "(never forced)"
        ),
    )
