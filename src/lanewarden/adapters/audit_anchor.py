"""The audit log's anchor in git: ``refs/lanewarden/audit``.

The ref points at a commit whose tree holds the whole log as ``audit.log``
and whose message names the entry count and the head hash; its parent is
the previous anchor, so the ref's own history lists every head the log ever
had. It moves only by compare-and-swap (``git update-ref REF NEW OLD``) and
keeps a reflog, so moving it back by hand leaves a trace that
:mod:`lanewarden.domain.audit_trail` reports. Its commits carry a fixed
identity: who approved is in the entries, and CI machines often have no
``user.email``.
"""

from __future__ import annotations

import os

from lanewarden.adapters.git import LANEWARDEN_IDENTITY, Repo, run_git
from lanewarden.domain.audit import AuditEntry, parse_log
from lanewarden.domain.audit_trail import (
    Anchor,
    AnchorPoint,
    anchor_message,
    entries_text,
    parse_anchor_message,
)
from lanewarden.errors import InputError

__all__ = [
    "ANCHOR_REF",
    "LOG_NAME",
    "anchor_commit",
    "anchored_log",
    "move_anchor",
    "read_anchor",
    "set_anchor",
]

ANCHOR_REF = "refs/lanewarden/audit"
LOG_NAME = "audit.log"


def anchor_commit(repo: Repo, ref: str = ANCHOR_REF) -> str | None:
    """The commit ``ref`` points at, or None when there is no anchor."""
    out = repo.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", ok_codes=(0, 1, 128))
    return os.fsdecode(out).strip() or None


def anchored_log(repo: Repo, commit: str) -> bytes:
    """The log the anchor commit carries (empty when its tree has none)."""
    return repo.git("cat-file", "blob", f"{commit}:{LOG_NAME}", ok_codes=(0, 128))


def _points(repo: Repo, *args: str) -> list[AnchorPoint]:
    out = os.fsdecode(repo.git("log", "-z", "--format=%H%n%P%n%B", *args, ok_codes=(0, 128)))
    points = []
    for record in out.split("\0"):
        commit, _, rest = record.partition("\n")
        if not commit.strip():
            continue
        parents, _, message = rest.partition("\n")
        points.append(AnchorPoint(commit, len(parents.split()), parse_anchor_message(message)))
    return points


def read_anchor(repo: Repo) -> Anchor | None:
    """The anchor with the log it carries, its history and the values it was moved back from."""
    commit = anchor_commit(repo)
    if commit is None:
        return None
    history = tuple(_points(repo, commit))
    known = {point.commit for point in history}
    out = repo.git("reflog", "show", "--format=%H", ANCHOR_REF, ok_codes=(0, 128))
    earlier = [c for c in dict.fromkeys(os.fsdecode(out).split()) if c not in known]
    moved_from = tuple(_moved_from(repo, c) for c in earlier)
    try:
        entries = parse_log(anchored_log(repo, commit), where=f"{ANCHOR_REF}:{LOG_NAME}")
    except InputError as e:
        return Anchor(commit, (), history, moved_from, unreadable=str(e).split("\n")[0])
    return Anchor(commit, tuple(entries), history, moved_from)


def _moved_from(repo: Repo, commit: str) -> AnchorPoint:
    found = _points(repo, "-1", commit)
    return found[0] if found else AnchorPoint(commit, 0, None)  # pruned since


def move_anchor(repo: Repo, log: bytes, entries: list[AuditEntry], old: str | None) -> str:
    """Anchor ``log`` (whose entries are ``entries``) as the child of ``old``; returns the commit.

    The ref moves only if it still points at ``old`` (absent when None):
    a writer that lost a race fails instead of dropping the other's entry.
    """
    blob = os.fsdecode(repo.git("hash-object", "-w", "--stdin", stdin=log)).strip()
    tree_line = f"100644 blob {blob}\t{LOG_NAME}\n".encode()
    tree = os.fsdecode(repo.git("mktree", stdin=tree_line)).strip()
    parent = ["-p", old] if old else []
    out = run_git(
        ["commit-tree", tree, *parent, "-m", anchor_message(entries)],
        cwd=repo.root,
        env={**os.environ, **LANEWARDEN_IDENTITY},
    )
    commit = os.fsdecode(out).strip()
    set_anchor(repo, commit, old, why=f"lanewarden audit: {entries_text(len(entries))}")
    return commit


def set_anchor(repo: Repo, commit: str, old: str | None, *, why: str) -> None:
    """Point the anchor at ``commit`` if it still points at ``old``; keep a reflog of it."""
    try:
        repo.git("update-ref", "--create-reflog", "-m", why, ANCHOR_REF, commit, old or "")
    except InputError as e:
        raise InputError(
            f"{ANCHOR_REF} moved while lanewarden was updating it: {e.message}",
            hint="someone changed it outside lanewarden; run `lanewarden audit verify`",
        ) from None
