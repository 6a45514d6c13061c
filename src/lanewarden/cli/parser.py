"""The whole command-line interface as one argparse parser.

Each command names its handler as a ``"module:function"`` string, imported
only when that command runs, so ``--help`` pays for nothing else.
"""

from __future__ import annotations

import argparse
import sys

from lanewarden import __version__

__all__ = ["build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"lanewarden: error: {message}\n  fix: see `{self.prog} --help`\n")


def _command(
    subparsers: argparse._SubParsersAction[_Parser],
    name: str,
    handler: str,
    help_text: str,
    *,
    json_flag: bool = True,
) -> _Parser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser


def build_parser() -> _Parser:
    """The whole command-line interface."""
    parser = _Parser(
        prog="lanewarden",
        description="Make the parallel-agent runbook enforceable: lock scopes, hooks, gates.",
    )
    parser.add_argument("--version", action="version", version=f"lanewarden {__version__}")
    parser.add_argument(
        "-C", dest="directory", metavar="DIR", help="run as if started in DIR (like git -C)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    _command(
        commands,
        "init",
        "lanewarden.cli.init",
        "scaffold configuration, the policy file, the ledger and the decision register",
    )
    _command(commands, "bootstrap", "lanewarden.cli.bootstrap", "check the agent policy file")

    lock = commands.add_parser("lock", help="the lock registry in the execution ledger")
    lock_commands = lock.add_subparsers(dest="lock_command", metavar="ACTION", parser_class=_Parser)
    lock_commands.required = True
    acquire = _command(lock_commands, "acquire", "lanewarden.cli.lock:acquire", "add a lock")
    acquire.add_argument("lock_id", metavar="ID")
    acquire.add_argument("--owner", required=True)
    acquire.add_argument(
        "--scope", required=True, action="append", metavar="PATTERN", help="gitignore-style glob"
    )
    acquire.add_argument("--objective", required=True)
    acquire.add_argument("--ttl", metavar="DURATION", help="lifetime, like 45m (default: lock_ttl)")
    heartbeat = _command(
        lock_commands, "heartbeat", "lanewarden.cli.lock:heartbeat", "refresh a lock's heartbeat"
    )
    heartbeat.add_argument("lock_id", metavar="ID")
    heartbeat.add_argument("--ttl", metavar="DURATION", help="extend expiry to now + DURATION")
    release = _command(lock_commands, "release", "lanewarden.cli.lock:release", "end a lock")
    release.add_argument("lock_id", metavar="ID")
    reclaim = _command(
        lock_commands, "reclaim", "lanewarden.cli.lock:reclaim", "take over an expired/stale lock"
    )
    reclaim.add_argument("lock_id", metavar="ID")
    reclaim.add_argument("--owner", required=True)
    reclaim.add_argument("--note", required=True, help="why the lock is taken over (recorded)")
    reclaim.add_argument("--ttl", metavar="DURATION")
    listing = _command(lock_commands, "list", "lanewarden.cli.lock:list_locks", "list locks")
    listing.add_argument("--all", action="store_true", help="include released locks")
    _command(lock_commands, "check", "lanewarden.cli.lock:check", "check registry health")
    who = _command(lock_commands, "who", "lanewarden.cli.lock:who", "which lock owns each path")
    who.add_argument("paths", nargs="+", metavar="PATH")

    hook = commands.add_parser("hook", help="the git hooks' checks")
    hook_commands = hook.add_subparsers(dest="hook_command", metavar="HOOK", parser_class=_Parser)
    hook_commands.required = True
    _command(hook_commands, "pre-commit", "lanewarden.cli.precommit", "check the staged change")
    commit_msg = _command(
        hook_commands,
        "commit-msg",
        "lanewarden.cli.commitmsg",
        "check the commit message's Lane: trailer against the staged change",
    )
    commit_msg.add_argument("file", metavar="FILE", help="the commit message file git passes")
    pre_push = _command(
        hook_commands,
        "pre-push",
        "lanewarden.cli.prepush",
        "check a push (git's pre-push input on stdin, or pre-commit's PRE_COMMIT_* variables)",
    )
    pre_push.add_argument("remote", nargs="?", metavar="REMOTE", help="the remote's name")
    pre_push.add_argument("url", nargs="?", metavar="URL", help="the remote's URL")

    verify = _command(
        commands,
        "verify",
        "lanewarden.cli.verify",
        "the push check over a commit range, for CI (the backstop --no-verify cannot skip)",
    )
    verify.add_argument("--range", required=True, metavar="A..B", help="the pushed commits")
    verify.add_argument(
        "--format", choices=("text", "json", "github"), default="text", help="github: annotations"
    )
    verify.add_argument(
        "--require-evidence",
        action="store_true",
        help="also require passing evidence (local or git notes) for the tip's tree",
    )
    verify.add_argument("--gate", metavar="GATE", help="the gate required (default: the target's)")

    approve = _command(
        commands,
        "approve",
        "lanewarden.cli.approve",
        "record a narrow, short-lived approval (orchestrator or maintainer)",
    )
    approve.add_argument(
        "--action",
        required=True,
        # domain.audit.APPROVABLE, spelled out so that --help imports nothing more.
        choices=("force-push", "branch-delete", "integrator-only", "missing-evidence"),
    )
    approve.add_argument("--ref", required=True, metavar="REF", help="the ref, like main")
    approve.add_argument("--reason", required=True, metavar="TEXT", help="why (recorded)")
    approve.add_argument("--ttl", metavar="DURATION", help="lifetime (default 15m)")

    audit = commands.add_parser("audit", help="the audit trail of approvals and overrides")
    audit_commands = audit.add_subparsers(
        dest="audit_command", metavar="ACTION", parser_class=_Parser
    )
    audit_commands.required = True
    _command(audit_commands, "verify", "lanewarden.cli.audit:verify", "check the hash chain")

    evidence = commands.add_parser("evidence", help="share gate evidence as git notes")
    evidence_commands = evidence.add_subparsers(
        dest="evidence_command", metavar="ACTION", parser_class=_Parser
    )
    evidence_commands.required = True
    for action, text in (
        ("push", "record local evidence as notes and push them"),
        ("fetch", "fetch and merge the remote's evidence notes"),
    ):
        sub = _command(evidence_commands, action, f"lanewarden.cli.evidence:{action}", text)
        sub.add_argument("remote", nargs="?", default="origin", metavar="REMOTE")

    gate = commands.add_parser("gate", help="the gate ladder and its evidence")
    gate_commands = gate.add_subparsers(dest="gate_command", metavar="ACTION", parser_class=_Parser)
    gate_commands.required = True
    status = _command(
        gate_commands, "status", "lanewarden.cli.gate:status", "gates with evidence for a tree"
    )
    status.add_argument("--rev", metavar="REV", help="a revision's tree instead of the work tree")
    gate_run = _command(
        gate_commands, "run", "lanewarden.cli.gaterun", "run the gate ladder, recording evidence"
    )
    gate_run.add_argument("gate", choices=("1", "2", "3", "all"), metavar="1|2|3|all")

    hooks = commands.add_parser("hooks", help="manage installed git hooks")
    hooks_commands = hooks.add_subparsers(
        dest="hooks_command", metavar="ACTION", parser_class=_Parser
    )
    hooks_commands.required = True
    install = _command(
        hooks_commands, "install", "lanewarden.cli.install", "install lanewarden's git hooks"
    )
    install.add_argument(
        "--use-hooks-path",
        action="store_true",
        help="install into the folder core.hooksPath names instead of refusing",
    )
    return parser
