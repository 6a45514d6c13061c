"""Where coverage maps live, how they travel, and what changed since one was recorded.

A map is one file per tree, ``<git common dir>/lanewarden/coverage/<tree>.lwcov``
(seen from every linked worktree), and the same bytes as a git note on the
tree object under ``refs/notes/lanewarden-coverage``: ``lanewarden evidence
push`` and ``fetch`` carry that ref with the evidence notes, so another
clone gets the map of the integrator's full run. A map found only as a note
is copied into the folder the first time it is read.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lanewarden.adapters.files import atomic_write
from lanewarden.adapters.git import Repo, split_z
from lanewarden.adapters.notes import COVERAGE_NOTES_REF, _check, _git
from lanewarden.domain.code_changes import (
    DOC_READERS,
    FileChange,
    analyse_change,
    reads_docstrings,
    unjudged,
)
from lanewarden.domain.coverage_map import CoverageMap, CoverageMapError

__all__ = [
    "COVERAGE_NOTES_REF",
    "Found",
    "changed_since",
    "file_change",
    "find_map",
    "map_path",
    "read_map",
    "write_map",
]

_TREE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_SEARCH_DEPTH = 200  # first-parent commits searched for the nearest map


def map_path(repo: Repo, tree: str) -> Path:
    """The file of ``tree``'s map."""
    if not _TREE.match(tree):
        raise CoverageMapError(f"{tree!r} is not a git tree id")
    return repo.state_dir / "coverage" / f"{tree}.lwcov"


def write_map(repo: Repo, coverage: CoverageMap) -> Path:
    """Store ``coverage`` (merged into a readable map of the same tree) and note it."""
    path = map_path(repo, coverage.tree)
    try:
        older = read_map(repo, coverage.tree)
    except CoverageMapError:
        older = None  # an unreadable map is replaced
    if older is not None:
        coverage = older[0].merged(coverage)
    data = coverage.encode()
    atomic_write(path, data)
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=data)
    _check(blob, "git hash-object")
    added = _git(
        repo,
        "notes",
        f"--ref={COVERAGE_NOTES_REF}",
        "add",
        "-f",
        "-C",
        os.fsdecode(blob.stdout).strip(),
        coverage.tree,
    )
    _check(added, "git notes add")
    return path


def read_map(repo: Repo, tree: str) -> tuple[CoverageMap, str] | None:
    """``tree``'s map and where it was read (``file`` or ``note``); None when there is none.

    A map that is there but unreadable is a CoverageMapError.
    """
    path = map_path(repo, tree)
    try:
        data = path.read_bytes()
        source = "file"
    except FileNotFoundError:
        done = _git(repo, "notes", f"--ref={COVERAGE_NOTES_REF}", "show", tree)
        if done.returncode != 0:
            return None
        data, source = done.stdout, "note"
    except OSError as error:
        raise CoverageMapError(f"cannot read {path}: {error.strerror}") from None
    coverage = CoverageMap.decode(data)
    if coverage.tree != tree:
        raise CoverageMapError(f"the map stored for tree {tree} is for tree {coverage.tree}")
    if source == "note":
        with contextlib.suppress(OSError):  # a copy is a convenience: the note stays
            atomic_write(path, data)
    return coverage, source


@dataclass(frozen=True)
class Found:
    """The nearest map: its tree, and how many commits behind HEAD it was recorded."""

    tree: str
    behind: int


def find_map(repo: Repo) -> Found | None:
    """The map of HEAD's tree or of its nearest first-parent ancestor's, if any."""
    folder = repo.state_dir / "coverage"
    known = {name[: -len(".lwcov")] for name in _names(folder) if name.endswith(".lwcov")}
    listed = _git(repo, "notes", f"--ref={COVERAGE_NOTES_REF}", "list")
    if listed.returncode == 0:
        known |= {
            line.split()[1] for line in os.fsdecode(listed.stdout).splitlines() if " " in line
        }
    if not known:
        return None
    log = _git(repo, "log", "--first-parent", f"-n{_SEARCH_DEPTH}", "--format=%T", "HEAD")
    if log.returncode != 0:
        return None  # an unborn branch: no history to search
    for behind, tree in enumerate(os.fsdecode(log.stdout).split()):
        if tree in known:
            return Found(tree, behind)
    return None


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def changed_since(repo: Repo, tree: str) -> set[str]:
    """Every file that differs between ``tree`` and the work tree (untracked ones too)."""
    diff = repo.git(
        "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-relative", tree
    )
    untracked = repo.git("ls-files", "-z", "--others", "--exclude-standard", "--full-name")
    return set(split_z(diff)) | set(split_z(untracked))


def doc_reading_lines(repo: Repo, tree: str) -> dict[str, set[int]]:
    """The lines of ``tree``'s Python files that read docstrings, by file."""
    done = _git(
        repo, "grep", "-z", "-n", "-I", "--no-color", "-E", "-e", DOC_READERS, tree, "--", "*.py"
    )
    found: dict[str, set[int]] = {}
    if done.returncode not in (0, 1):  # 1: no line matches
        _check(done, "git grep")
    prefix, data, at = tree.encode() + b":", done.stdout, 0
    while (name_end := data.find(b"\0", at)) != -1:  # tree:path NUL line NUL text NEWLINE
        number_end = data.find(b"\0", name_end + 1)
        text_end = data.find(b"\n", number_end + 1)
        name, number = data[at:name_end], data[name_end + 1 : number_end]
        if number_end == -1 or text_end == -1 or not name.startswith(prefix):
            break
        if reads_docstrings(data[number_end + 1 : text_end]):
            found.setdefault(os.fsdecode(name[len(prefix) :]), set()).add(int(number))
        at = text_end + 1
    return found


def file_change(repo: Repo, tree: str, path: str, *, test_file: bool = False) -> FileChange:
    """The changed functions of ``path`` between ``tree`` and the work tree."""
    old = _git(repo, "cat-file", "blob", f"{tree}:{path}")
    if old.returncode != 0:
        return unjudged(path, "new since the map's tree (or renamed)")
    try:
        new = (repo.root / path).read_bytes()
    except OSError:
        return unjudged(path, "deleted since the map's tree (or renamed)")
    return analyse_change(path, old.stdout, new, test_file=test_file)
