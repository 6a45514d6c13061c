"""The whole command-line interface as one argparse parser.

Each command names its handler as a ``"module:function"`` string, imported
only when that command runs. Each top-level command's arguments are added by
its own builder, and only the command being run is built in full: ``--help``
and every command pay for one command's parser, not all of them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from lanewarden import __version__

__all__ = ["build_parser"]

_Subparsers = argparse._SubParsersAction  # the type argparse's add_subparsers returns


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"lanewarden: error: {message}\n  fix: see `{self.prog} --help`\n")


def _leaf(parser: _Parser, handler: str, *, json_flag: bool = True) -> _Parser:
    parser.set_defaults(handler=handler)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser


def _command(subparsers: _Subparsers[_Parser], name: str, handler: str, help_text: str) -> _Parser:
    return _leaf(subparsers.add_parser(name, help=help_text, description=help_text), handler)


def _actions(parser: _Parser, dest: str, metavar: str = "ACTION") -> _Subparsers[_Parser]:
    actions = parser.add_subparsers(dest=dest, metavar=metavar, parser_class=_Parser)
    actions.required = True
    return actions


def _init(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.init")


def _bootstrap(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.bootstrap")


def _lock(parser: _Parser) -> None:
    actions = _actions(parser, "lock_command")
    acquire = _command(actions, "acquire", "lanewarden.cli.lock:acquire", "add a lock")
    acquire.add_argument("lock_id", metavar="ID")
    acquire.add_argument("--owner", required=True)
    acquire.add_argument(
        "--scope", required=True, action="append", metavar="PATTERN", help="gitignore-style glob"
    )
    acquire.add_argument("--objective", required=True)
    acquire.add_argument("--ttl", metavar="DURATION", help="lifetime, like 45m (default: lock_ttl)")
    heartbeat = _command(
        actions, "heartbeat", "lanewarden.cli.lock:heartbeat", "refresh a lock's heartbeat"
    )
    heartbeat.add_argument("lock_id", metavar="ID")
    heartbeat.add_argument("--ttl", metavar="DURATION", help="extend expiry to now + DURATION")
    release = _command(actions, "release", "lanewarden.cli.lock:release", "end a lock")
    release.add_argument("lock_id", metavar="ID")
    reclaim = _command(
        actions, "reclaim", "lanewarden.cli.lock:reclaim", "take over an expired/stale lock"
    )
    reclaim.add_argument("lock_id", metavar="ID")
    reclaim.add_argument("--owner", required=True)
    reclaim.add_argument("--note", required=True, help="why the lock is taken over (recorded)")
    reclaim.add_argument("--ttl", metavar="DURATION")
    listing = _command(actions, "list", "lanewarden.cli.lock:list_locks", "list locks")
    listing.add_argument("--all", action="store_true", help="include released locks")
    _command(actions, "check", "lanewarden.cli.lock:check", "check registry health")
    who = _command(actions, "who", "lanewarden.cli.lock:who", "which lock owns each path")
    who.add_argument("paths", nargs="+", metavar="PATH")
    accept = _command(
        actions,
        "accept-edit",
        "lanewarden.cli.lock:accept_edit",
        "accept a hand edit of the lock table (recorded in the audit log)",
    )
    accept.add_argument("--note", required=True, help="why the edit is accepted (recorded)")


def _hook(parser: _Parser) -> None:
    hooks = _actions(parser, "hook_command", "HOOK")
    _command(hooks, "pre-commit", "lanewarden.cli.precommit", "check the staged change")
    prepare = _command(
        hooks,
        "prepare-commit-msg",
        "lanewarden.cli.preparecommitmsg",
        "check an amend: the new commit's change includes the amended commit's paths",
    )
    prepare.add_argument("file", metavar="FILE", help="the commit message file git passes")
    prepare.add_argument("source", nargs="?", metavar="SOURCE", help="message, commit, merge...")
    prepare.add_argument("commit", nargs="?", metavar="COMMIT", help="the commit of SOURCE commit")
    _command(
        hooks,
        "pre-merge-commit",
        "lanewarden.cli.premergecommit",
        "check a merge's own change (what it changes beyond git's automatic merge)",
    )
    commit_msg = _command(
        hooks,
        "commit-msg",
        "lanewarden.cli.commitmsg",
        "check the commit message's Lane: trailer against the staged change",
    )
    commit_msg.add_argument("file", metavar="FILE", help="the commit message file git passes")
    pre_push = _command(
        hooks,
        "pre-push",
        "lanewarden.cli.prepush",
        "check a push (git's pre-push input on stdin, or pre-commit's PRE_COMMIT_* variables)",
    )
    pre_push.add_argument("remote", nargs="?", metavar="REMOTE", help="the remote's name")
    pre_push.add_argument("url", nargs="?", metavar="URL", help="the remote's URL")


def _verify(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.verify")
    parser.add_argument("--range", required=True, metavar="A..B", help="the pushed commits")
    parser.add_argument(
        "--format", choices=("text", "json", "github"), default="text", help="github: annotations"
    )
    parser.add_argument(
        "--require-evidence",
        action="store_true",
        help="also require passing evidence (local or git notes) for the tip's tree",
    )
    parser.add_argument("--gate", metavar="GATE", help="the gate required (default: the target's)")


def _approve(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.approve")
    parser.add_argument(
        "--action",
        # domain.audit.APPROVABLE, spelled out so that --help imports nothing more.
        choices=("force-push", "branch-delete", "integrator-only", "missing-evidence"),
        help="required unless --request",
    )
    parser.add_argument("--ref", metavar="REF", help="the ref, like main (unless --request)")
    parser.add_argument("--reason", metavar="TEXT", help="why (recorded; unless --request)")
    parser.add_argument("--ttl", metavar="DURATION", help="lifetime (default 15m)")
    parser.add_argument(
        "--request", type=int, metavar="N", help="answer a lane's escalation N instead"
    )
    parser.add_argument("--deny", action="store_true", help="with --request: refuse it")


def _audit(parser: _Parser) -> None:
    actions = _actions(parser, "audit_command")
    _command(actions, "verify", "lanewarden.cli.audit:verify", "check the chain and its anchor")
    for action, text in (
        ("push", "push the audit trail's anchor (fast-forward only)"),
        ("fetch", "fast-forward the audit trail's anchor and log to the remote's"),
    ):
        sub = _command(actions, action, f"lanewarden.cli.audit:{action}", text)
        sub.add_argument("remote", nargs="?", default="origin", metavar="REMOTE")
    adopt = _command(
        actions,
        "anchor",
        "lanewarden.cli.audit:anchor",
        "anchor a log written before anchors existed (recorded in the log)",
    )
    adopt.add_argument("--note", required=True, help="why the log is adopted (recorded)")


def _evidence(parser: _Parser) -> None:
    actions = _actions(parser, "evidence_command")
    for action, text in (
        ("push", "record local evidence as notes and push them"),
        ("fetch", "fetch and merge the remote's evidence notes"),
    ):
        sub = _command(actions, action, f"lanewarden.cli.evidence:{action}", text)
        sub.add_argument("remote", nargs="?", default="origin", metavar="REMOTE")


def _gate(parser: _Parser) -> None:
    actions = _actions(parser, "gate_command")
    status = _command(
        actions, "status", "lanewarden.cli.gate:status", "gates with evidence for a tree"
    )
    status.add_argument("--rev", metavar="REV", help="a revision's tree instead of the work tree")
    status.add_argument("--gate", metavar="GATE", help="only this gate's record")
    gate_run = _command(
        actions, "run", "lanewarden.cli.gate:run", "run the gate ladder, recording evidence"
    )
    gate_run.add_argument(
        "gate", metavar="GATE", help="1, 2, 3, a gate the [gates] table defines, or all"
    )


def _hooks(parser: _Parser) -> None:
    actions = _actions(parser, "hooks_command")
    install = _command(actions, "install", "lanewarden.cli.hooks", "install lanewarden's git hooks")
    install.add_argument(
        "--use-hooks-path",
        action="store_true",
        help="install into the folder core.hooksPath names instead of refusing",
    )


def _lane(parser: _Parser) -> None:
    actions = _actions(parser, "lane_command")
    start = _command(
        actions, "start", "lanewarden.cli.lane_lifecycle:start", "start a lane (orchestrator)"
    )
    start.add_argument("lane_id", metavar="ID")
    start.add_argument("--objective", required=True)
    start.add_argument(
        "--scope", required=True, action="append", metavar="PATTERN", help="gitignore-style glob"
    )
    start.add_argument(
        "--out-of-scope", action="append", metavar="PATTERN", help="carved out of the scope"
    )
    start.add_argument(
        "--accept", action="append", metavar="CRITERION", help="an acceptance criterion"
    )
    start.add_argument("--owner", help="who works the lane (default: the lane id)")
    start.add_argument("--ttl", metavar="DURATION", help="lock lifetime (default: lock_ttl)")
    brief = _command(actions, "brief", "lanewarden.cli.brief", "the worker's assignment")
    brief.add_argument("lane_id", metavar="ID")
    checkpoint = _command(
        actions, "checkpoint", "lanewarden.cli.lane:checkpoint", "record checkpoint CP-NN"
    )
    checkpoint.add_argument("lane_id", metavar="ID")
    checkpoint.add_argument("--done", action="append", metavar="STEP", help="a completed step")
    checkpoint.add_argument("--pending", action="append", metavar="STEP", help="a pending step")
    checkpoint.add_argument("--blocker", action="append", metavar="TEXT", help="a blocker")
    checkpoint.add_argument("--next", required=True, metavar="COMMAND", help="the next command")
    checkpoint.add_argument("--failure", metavar="SIGNATURE", help="a failure met (on retry)")
    checkpoint.add_argument("--remediation", metavar="TEXT", help="what remedies --failure")
    resume = _command(actions, "resume", "lanewarden.cli.lane:resume", "where the lane stands")
    resume.add_argument("lane_id", metavar="ID")
    handoff = _command(actions, "handoff", "lanewarden.cli.handoff", "hand the lane off")
    handoff.add_argument("lane_id", metavar="ID")
    handoff.add_argument(
        "--met", action="append", metavar="CRITERION", help="a criterion met (text or number)"
    )
    handoff.add_argument("--risk", action="append", metavar="TEXT", help="an unresolved risk")
    handoff.add_argument("--next", metavar="TEXT", help="the next step for integration")
    _command(actions, "list", "lanewarden.cli.lane:list_lanes", "every lane and its state")
    finish = _command(
        actions, "finish", "lanewarden.cli.lane_lifecycle:finish", "end a lane (orchestrator)"
    )
    finish.add_argument("lane_id", metavar="ID")
    finish.add_argument(
        "--force", action="store_true", help="delete an unmerged branch (recorded in the audit)"
    )


def _escalate(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.escalate")
    parser.add_argument("lane_id", metavar="ID")
    parser.add_argument("--command", required=True, help="the blocked command")
    parser.add_argument("--reason", required=True, metavar="TEXT", help="why it is needed")
    parser.add_argument("--prefix", help="the command prefix to approve (default: the command)")


def _status(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.status")


def _metrics(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.metrics")
    window = parser.add_mutually_exclusive_group()
    window.add_argument("--since", metavar="WHEN", help="a duration back from now (7d) or a time")
    window.add_argument("--wave", type=int, metavar="N", help="only integration wave N")
    parser.add_argument("--csv", action="store_true", help="print metric,value rows")


def _report(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.report")
    parser.add_argument("--html", required=True, metavar="FILE", help="write the report here")


def _sync(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.sync")


def _integrate(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.integrate")
    parser.add_argument("lane_ids", nargs="*", metavar="ID", help="lanes, in order (default: all)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    how.add_argument(
        "--continue", dest="resume", action="store_true", help="resume an interrupted run"
    )
    how.add_argument("--abort", action="store_true", help="roll an interrupted run back")
    parser.add_argument("--push", action="store_true", help="push the target branch at the end")
    parser.add_argument("--keep", action="store_true", help="do not finish integrated lanes")


def _select(parser: _Parser) -> None:
    _leaf(parser, "lanewarden.cli.select")
    parser.add_argument("--changed", action="store_true", help="changed against HEAD (default)")
    parser.add_argument("--staged", action="store_true", help="what the index changes")
    parser.add_argument("--since", metavar="REF", help="changed since the merge base with REF")
    parser.add_argument(
        "--package", action="append", default=[], metavar="PKG", help="name a package"
    )
    parser.add_argument(
        "--explain", action="store_true", help="one chain from a changed file to each test file"
    )
    parser.add_argument("--gate", action="store_true", help="select as a gate run would")
    parser.add_argument(
        "--why-not",
        action="append",
        default=[],
        metavar="TEST",
        help="say why a test file is not selected: what it imports (repeatable)",
    )
    parser.add_argument("--no-coverage-map", action="store_true", help="static selection only")


_COMMANDS: dict[str, tuple[str, Callable[[_Parser], None]]] = {
    "init": (
        "scaffold configuration, the policy file, the ledger and the decision register",
        _init,
    ),
    "bootstrap": ("check the agent policy file", _bootstrap),
    "lock": ("the lock registry in the execution ledger", _lock),
    "hook": ("the git hooks' checks", _hook),
    "verify": (
        "the push check over a commit range, for CI (the backstop --no-verify cannot skip)",
        _verify,
    ),
    "approve": ("record a narrow, short-lived approval (orchestrator or maintainer)", _approve),
    "audit": ("the audit trail of approvals and overrides", _audit),
    "evidence": ("share gate evidence as git notes", _evidence),
    "gate": ("the gate ladder and its evidence", _gate),
    "hooks": ("manage installed git hooks", _hooks),
    "lane": ("a lane from assignment to handoff", _lane),
    "escalate": ("ask the orchestrator to approve a blocked command (worker)", _escalate),
    "status": ("where the whole run stands, on one screen", _status),
    "metrics": ("the run's throughput metrics, from recorded facts", _metrics),
    "report": ("write the run's report as one self-contained HTML file", _report),
    "sync": ("refresh the remote registry's copy; push or fetch the lanes' state", _sync),
    "integrate": ("apply the handed-off lanes one at a time, gated (integrator)", _integrate),
    "select": ("the test files a change selects, without running pytest", _select),
}


def build_parser(argv: Sequence[str] | None = None) -> _Parser:
    """The command-line interface; given ``argv``, only the command it names is built in full."""
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
    wanted = None if argv is None else _command_named(argv)
    for name, (help_text, build) in _COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if argv is None or name == wanted:
            build(sub)
    return parser


def _command_named(argv: Sequence[str]) -> str | None:
    """The top-level command ``argv`` names: its first word that is not an option."""
    words = iter(argv)
    for word in words:
        if word == "-C":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None
