"""The push check: per ref, and per commit.

Per updated branch: deleting or rewriting a protected branch needs an
approval (``branch-delete``, ``force-push``); in single-branch mode only the
integrator updates the target branch (``integrator-only``); every pushed
commit's changed paths are inside the scope of the lane its ``Lane:`` trailer
names (``out-of-scope``, ``foreign-lock``; for a merge, its own change beyond
the merge git makes of its parents: ``merge-out-of-scope``), and a commit
without the trailer touches no locked path (``missing-trailer``); the tip's tree has passing
evidence for the branch's required gate (``missing-evidence``,
``gate-failed``). Lock scopes come from the registry of the target branch as
the remote has it, never from the pushed commits. ``verify --range`` runs the
commit and evidence rules over a range in CI.

Everything here is pure: git is read by :mod:`lanewarden.adapters.commits`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from lanewarden.domain.evidence import Evidence
from lanewarden.domain.identity import Identity
from lanewarden.domain.lane_paths import lane_path_violations
from lanewarden.domain.registry import LockRegistry, shell_quote
from lanewarden.domain.scopes import Scope
from lanewarden.domain.trailers import AGENT, LANE, Trailers
from lanewarden.domain.violations import Violation
from lanewarden.errors import InputError

__all__ = [
    "BRANCH_PREFIX",
    "PushPolicy",
    "PushedCommit",
    "RefUpdate",
    "attribution_violations",
    "commit_violations",
    "evidence_violation",
    "lane_scope",
    "parse_push_lines",
    "ref_violations",
    "unclaimed_path_violations",
]

BRANCH_PREFIX = "refs/heads/"
_OBJECT_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


@dataclass(frozen=True)
class RefUpdate:
    """One line of git's pre-push input: what a ref becomes on the remote."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str
    zero: str

    @property
    def deleting(self) -> bool:
        """The push deletes the remote ref."""
        return self.local_sha == self.zero

    @property
    def creating(self) -> bool:
        """The push creates the remote ref."""
        return self.remote_sha == self.zero

    @property
    def branch(self) -> str | None:
        """The remote branch's short name, or None for tags and other refs."""
        if self.remote_ref.startswith(BRANCH_PREFIX):
            return self.remote_ref[len(BRANCH_PREFIX) :]
        return None


def parse_push_lines(text: str, zero: str) -> list[RefUpdate]:
    """Parse every line of the pre-push protocol; a malformed line is an input error."""
    updates = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(" ")
        if len(fields) != 4:
            raise _bad_line(number, "expected `<local ref> <local id> <remote ref> <remote id>`")
        local_ref, local_sha, remote_ref, remote_sha = fields
        for sha in (local_sha, remote_sha):
            if len(sha) != len(zero) or not _OBJECT_ID.fullmatch(sha):
                raise _bad_line(number, f"{sha!r} is not a {len(zero) * 4}-bit object id")
        updates.append(RefUpdate(local_ref, local_sha, remote_ref, remote_sha, zero))
    return updates


def _bad_line(number: int, message: str) -> InputError:
    return InputError(
        f"malformed pre-push input: {message}",
        path="<stdin>",
        line=number,
        hint="lanewarden hook pre-push reads what git gives a pre-push hook; run it from git push",
    )


@dataclass(frozen=True)
class PushPolicy:
    """The configuration the push check needs."""

    mode: str
    target_branch: str
    protected: tuple[str, ...] = ()
    autonomous: bool = False
    required_gates: Mapping[str, str] = field(default_factory=dict)

    def is_protected(self, branch: str) -> bool:
        """The target branch and the configured globs are protected."""
        return branch == self.target_branch or any(fnmatchcase(branch, g) for g in self.protected)

    def required_gate(self, branch: str) -> str | None:
        """The gate whose evidence a push of ``branch`` needs (configured globs first).

        Defaults: gate 3 for the target branch, gate 2 for ``lane/*`` branches,
        nothing for other branches. An empty configured value requires nothing.
        """
        for glob, gate in self.required_gates.items():
            if fnmatchcase(branch, glob):
                return gate or None
        if branch == self.target_branch:
            return "3"
        if branch.startswith("lane/"):
            return "2"
        return None


@dataclass(frozen=True)
class PushedCommit:
    """A commit being pushed (or verified): its trees, paths and trailers."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    paths: tuple[str, ...]
    trailers: Trailers

    @property
    def short(self) -> str:
        """The abbreviated commit id, for messages."""
        return self.sha[:12]

    @property
    def is_merge(self) -> bool:
        """A merge: its paths are its own change, not what its parents bring."""
        return len(self.parents) > 1


def ref_violations(
    update: RefUpdate, *, identity: Identity, policy: PushPolicy, fast_forward: bool
) -> list[Violation]:
    """The rules on the ref itself: deletion, rewrite, integrator-only."""
    branch = update.branch
    if branch is None:
        return []
    violations = []
    ref = update.remote_ref
    if update.deleting and policy.is_protected(branch):
        violations.append(
            Violation(
                rule="branch-delete",
                path=None,
                message=f"deleting protected branch {branch} needs an approval",
                fix=f"ask the maintainer or orchestrator: `lanewarden approve --action "
                f"branch-delete --ref {shell_quote(ref)} --reason WHY`",
            )
        )
    elif not update.deleting and not fast_forward and policy.is_protected(branch):
        violations.append(
            Violation(
                rule="force-push",
                message=f"rewriting protected branch {branch} (not a fast-forward of "
                f"{update.remote_sha[:12]}) needs an approval",
                fix=f"fetch and rebase onto it, or ask for an approval: `lanewarden approve "
                f"--action force-push --ref {shell_quote(ref)} --reason WHY`",
            )
        )
    if (
        policy.mode == "single-branch"
        and branch == policy.target_branch
        and identity.role != "integrator"
    ):
        violations.append(
            Violation(
                rule="integrator-only",
                lock=identity.lane,
                message=f"only the integrator updates {branch} in single-branch mode "
                f"(you are a {identity.role})",
                fix="hand the patch to the integrator, who pushes with LANEWARDEN_ROLE=integrator",
            )
        )
    return violations


def lane_scope(registry: LockRegistry, lane: str) -> Scope | None:
    """A lane's scope: its lock, or (for a lane already released) its last history row."""
    lock = registry.get(lane)
    if lock is not None:
        return lock.scope
    ended = [entry for entry in registry.history if entry.lock.lock_id == lane]
    return ended[-1].lock.scope if ended else None


def unclaimed_path_violations(
    paths: Sequence[str], registry: LockRegistry, *, where: str = ""
) -> list[Violation]:
    """A commit without a ``Lane:`` trailer may change only paths no lock claims."""
    violations = []
    for path in paths:
        owners = registry.owners(path)
        if owners:
            violations.append(
                Violation(
                    rule="missing-trailer",
                    path=path,
                    lock=owners[0],
                    message=f"{where}inside lock {owners[0]}'s scope, but the commit names no lane",
                    fix=f"commit it as that lane, with a `{LANE}: {owners[0]}` trailer "
                    f"(`git commit --trailer '{LANE}: {owners[0]}'`)",
                )
            )
    return violations


def attribution_violations(trailers: Trailers, *, where: str = "") -> list[Violation]:
    """Autonomous mode (runbook §13): every commit names its lane and its agent."""
    return [
        Violation(
            rule="missing-trailer",
            message=f"{where}autonomous mode requires a `{key}:` trailer (attribution)",
            fix=f"add it: `git commit --amend --trailer '{key}: <{key.lower()}>'`",
        )
        for key, values in ((LANE, trailers.lanes), (AGENT, trailers.agents))
        if not values
    ]


def commit_violations(
    commit: PushedCommit, registry: LockRegistry, *, autonomous: bool
) -> list[Violation]:
    """Every rule a pushed commit breaks (empty: it may go).

    A merge is judged like any commit on its own change: the paths where its
    tree differs from the merge git makes of its parents (conflict resolutions
    included). Its trailer names the lane that change belongs to.
    """
    where = (
        f"merge {commit.short} (its own change, beyond what git merges): "
        if commit.is_merge
        else f"commit {commit.short}: "
    )
    violations = attribution_violations(commit.trailers, where=where) if autonomous else []
    lanes = commit.trailers.lanes
    if len(lanes) > 1:
        return [
            *violations,
            Violation(
                rule="lane-mismatch",
                message=f"{where}names {len(lanes)} lanes ({', '.join(lanes)}); a commit "
                "belongs to one lane",
                fix="split the commit per lane, each with one `Lane:` trailer",
            ),
        ]
    if not lanes:
        return violations + unclaimed_path_violations(commit.paths, registry, where=where)
    lane = lanes[0]
    scope = lane_scope(registry, lane)
    if scope is None:
        known = ", ".join(lock.lock_id for lock in registry.locks) or "none"
        violations.append(
            Violation(
                rule="unknown-lane",
                lock=lane,
                message=f"{where}names lane {lane}, which the target branch's lock registry "
                f"does not know (locks: {known})",
                fix="the orchestrator commits the lane's lock and pushes it to the target branch "
                "first (scopes come from there; `git fetch` if it is there already), or correct "
                "the trailer",
            )
        )
        return violations
    found = lane_path_violations(
        commit.paths, lane=lane, scope=scope, registry=registry, staged=False, where=where
    )
    return violations + ([_merge_violation(v) for v in found] if commit.is_merge else found)


def _merge_violation(violation: Violation) -> Violation:
    """A merge's own change out of its lane's scope: redo the merge, do not trim a commit."""
    fix = (
        "redo the merge without changes of its own (resolve conflicts only inside the lane's "
        "scope; `git merge --abort`, then `git merge` again), and make any other change in a "
        "commit of the lane that owns the path"
    )
    if violation.rule == "out-of-scope":
        return Violation(
            "merge-out-of-scope", violation.message, violation.path, violation.lock, fix
        )
    return Violation(violation.rule, violation.message, violation.path, violation.lock, fix)


def evidence_violation(
    ref: str, tree: str, gate: str, records: Sequence[Evidence], *, fix: str
) -> Violation | None:
    """None when ``tree`` has passing evidence for ``gate``; else why not, and ``fix``.

    Only a record whose own ``tree`` is ``tree`` counts: where a record was
    found (a folder, a note attached to a tree) proves nothing, since a note
    or a file can be copied onto another tree. The newest such record decides.
    """
    own = [r for r in records if r.gate == gate]
    matching = [r for r in own if r.tree == tree]
    record = max(matching, key=lambda r: r.time) if matching else None
    if record is not None and record.passed:
        return None
    if record is None:
        elsewhere = sorted((r for r in own if r.tree != tree), key=lambda r: r.time)
        if elsewhere:
            return Violation(
                rule="evidence-tree-mismatch",
                message=f"{ref}: the gate {gate} evidence found for tree {tree[:12]} was "
                f"recorded for tree {elsewhere[-1].tree[:12]}: it proves nothing about this tree",
                fix=fix,
            )
        return Violation(
            rule="missing-evidence",
            message=f"{ref}: no evidence that gate {gate} passed on tree {tree[:12]}",
            fix=fix,
        )
    if record.status == "narrowed":
        why = "; ".join(record.reasons) or "it ran less than the gate's suite"
        return Violation(
            rule="narrowed-run",
            message=f"{ref}: gate {gate} ran narrowed on tree {tree[:12]} at {record.time} ({why})",
            fix=f"run the gate's whole suite, without narrowing options: {fix}",
        )
    return Violation(
        rule="gate-failed",
        message=f"{ref}: gate {gate} failed on tree {tree[:12]} (exit status "
        f"{record.exit_status} at {record.time})",
        fix=f"fix the failure, then {fix}",
    )
