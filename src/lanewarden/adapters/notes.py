"""Evidence that travels: git notes on tree objects, under ``refs/notes/lanewarden``.

Each tree's note holds its evidence records, one JSON object a line, sorted.
Notes from elsewhere are merged with git's ``cat_sort_uniq`` strategy, which
keeps the union of the lines, so two people recording evidence at once never
overwrite each other. CI fetches the notes and checks what the integrator
recorded (``verify --require-evidence``).

Lane handoff records travel the same way, as notes on the lanes' tips under
``refs/notes/lanewarden-handoff``. A handoff note is Markdown, whose lines
must keep their order: two different notes for one commit are merged with
git's ``union`` strategy (both records, one after the other), never sorted.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from lanewarden.adapters.evidence_store import evidence_dir, read_evidence
from lanewarden.adapters.git import LANEWARDEN_IDENTITY, Repo
from lanewarden.domain.evidence import Evidence
from lanewarden.domain.json_input import load_json
from lanewarden.errors import InputError

__all__ = [
    "COVERAGE_NOTES_REF",
    "HANDOFF_NOTES_REF",
    "NOTES_REF",
    "all_evidence",
    "export_evidence",
    "fetch_notes",
    "note_records",
    "push_notes",
]

NOTES_REF = "refs/notes/lanewarden"
HANDOFF_NOTES_REF = "refs/notes/lanewarden-handoff"
_FETCHED = {NOTES_REF: "refs/lanewarden/notes-fetched"}
# Coverage maps (adapters/coverage_store.py) are binary: two maps of one tree are never mixed.
COVERAGE_NOTES_REF = "refs/notes/lanewarden-coverage"
_STRATEGY = {NOTES_REF: "cat_sort_uniq", HANDOFF_NOTES_REF: "union", COVERAGE_NOTES_REF: "ours"}
# Committing a notes merge needs an identity; CI machines often have none.


def _git(repo: Repo, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    if args[0] == "notes" and _no_identity(repo):
        env.update(LANEWARDEN_IDENTITY)
    return subprocess.run(
        ["git", *args], cwd=repo.root, input=stdin, capture_output=True, env=env, check=False
    )


def _no_identity(repo: Repo) -> bool:
    done = subprocess.run(
        ["git", "config", "user.email"], cwd=repo.root, capture_output=True, check=False
    )
    return done.returncode != 0 and "GIT_COMMITTER_EMAIL" not in os.environ


def _note_lines(repo: Repo, tree: str) -> list[str]:
    done = _git(repo, "notes", f"--ref={NOTES_REF}", "show", tree)
    if done.returncode != 0:
        return []  # no note for this tree
    return [line for line in os.fsdecode(done.stdout).splitlines() if line.strip()]


def note_records(repo: Repo, tree: str) -> list[Evidence]:
    """The evidence records in ``tree``'s note (none when it has no note)."""
    records = []
    for number, line in enumerate(_note_lines(repo, tree), start=1):
        where = f"git notes --ref={NOTES_REF} show {tree}"
        try:
            data = load_json(line)
        except ValueError as e:
            raise InputError(
                f"an evidence note line is not a record: {e}", path=where, line=number
            ) from None
        records.append(Evidence.from_json(data, path=where))
    return records


def all_evidence(repo: Repo, tree: str) -> list[Evidence]:
    """Evidence recorded here and evidence that arrived as notes, oldest first."""
    return sorted([*read_evidence(repo, tree), *note_records(repo, tree)], key=lambda r: r.time)


def _local_lines(folder: Path) -> list[str]:
    lines = []
    for path in sorted(folder.glob("gate-*.json")):
        try:
            data: Any = load_json(path.read_bytes())
        except (OSError, ValueError) as e:
            raise InputError(f"unreadable evidence record: {e}", path=path) from None
        Evidence.from_json(data, path=str(path))  # validate before it travels
        lines.append(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return lines


def export_evidence(repo: Repo) -> int:
    """Copy every local record into its tree's note; returns how many notes changed."""
    root = evidence_dir(repo)
    changed = 0
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for folder in folders:
        tree = folder.name
        existing = _note_lines(repo, tree)
        merged = sorted(set(existing) | set(_local_lines(folder)))
        if merged == sorted(set(existing)):
            continue
        if _git(repo, "cat-file", "-e", tree).returncode != 0:
            continue  # the tree is not in this repository (copied evidence): nothing to annotate
        text = "\n".join(merged) + "\n"
        done = _git(
            repo, "notes", f"--ref={NOTES_REF}", "add", "-f", "-F", "-", tree, stdin=text.encode()
        )
        _check(done, "git notes add")
        changed += 1
    return changed


def fetch_notes(repo: Repo, remote: str, ref: str = NOTES_REF) -> bool:
    """Fetch the remote's notes under ``ref`` and merge them in; False when it has none."""
    fetched = _FETCHED.get(ref, f"refs/lanewarden/notes-fetched-{ref.rsplit('/', 1)[-1]}")
    done = _git(repo, "fetch", "--quiet", remote, f"+{ref}:{fetched}")
    if done.returncode != 0:
        message = os.fsdecode(done.stderr)
        if "couldn't find remote ref" in message:
            return False
        _check(done, "git fetch")
    try:
        has_local = _git(repo, "rev-parse", "--verify", "--quiet", ref).returncode == 0
        if has_local:
            merge = _git(
                repo, "notes", f"--ref={ref}", "merge", "--quiet", "-s", _STRATEGY[ref], fetched
            )
            _check(merge, "git notes merge")
        else:
            _check(_git(repo, "update-ref", ref, fetched), "git update-ref")
    finally:
        _git(repo, "update-ref", "-d", fetched)
    return True


def push_notes(repo: Repo, remote: str, *, ref: str = NOTES_REF, attempts: int = 3) -> bool:
    """Merge the remote's notes, then push ours; retried when someone pushed in between.

    Returns False when there is nothing to push (no such notes recorded anywhere).
    """
    for _ in range(attempts):
        fetch_notes(repo, remote, ref)
        if _git(repo, "rev-parse", "--verify", "--quiet", ref).returncode != 0:
            return False
        done = _git(repo, "push", "--quiet", remote, f"{ref}:{ref}")
        if done.returncode == 0:
            return True
        message = os.fsdecode(done.stderr)
        if "rejected" not in message and "fetch first" not in message:
            _check(done, "git push")
    raise InputError(
        f"could not push {ref} to {remote}: it kept changing",
        hint="run `lanewarden evidence push` again",
    )


def _check(done: subprocess.CompletedProcess[bytes], what: str) -> None:
    if done.returncode != 0:
        message = os.fsdecode(done.stderr).strip() or f"exit status {done.returncode}"
        raise InputError(f"{what} failed: {message}")
