"""Which of an integrated lane's lines are still there at a later commit (``git blame``).

A lane's integration record lists the commits it put on the target
(``commits``: cherry-picks, a merge, or the lane's own commits in place) and
the files it touched (``files``). The lines a lane *integrated* are the lines
of those files that ``git blame`` attributes to the lane's commits right after
its last one; the lines it still *has* at a later commit are counted the same
way there. The difference is the lines later commits changed or deleted:
rewritten after integration.

The lane's commits are each recorded commit and everything it brought in that
its first parent did not have (a merge's lane commits). Blame stops at the
first recorded commit's first parent, so it never walks the history before the
lane. Reverted lanes and their revert commits (both recorded) are passed to
``--ignore-rev``: a line a reverted lane changed and its revert put back is
still the earlier lane's line, not a rewrite.

Blame results are fixed by the commits they name, so each (commit, boundary,
file, ignored commits) answer is kept in ``line-survival.cache``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from lanewarden.adapters import marshal_cache
from lanewarden.adapters.git import Repo
from lanewarden.errors import InputError

__all__ = ["LineSurvival"]

_HEX = frozenset("0123456789abcdef")


def _is_commit_id(word: str) -> bool:
    return len(word) in (40, 64) and set(word) <= _HEX


class LineSurvival:
    """Counts a lane's lines with ``git blame``; one instance per command run."""

    def __init__(self, repo: Repo, ignored: Iterable[str] = ()) -> None:
        self.repo = repo
        self._cache_path = repo.state_dir / "line-survival.cache"
        loaded = marshal_cache.load(self._cache_path, 1)
        self._cache: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self._dirty = False
        self._used: set[str] = set()
        self._known: dict[str, bool] = {}
        self._lane_commits: dict[tuple[str, ...], frozenset[str]] = {}
        self._parents: dict[str, str | None] = {}
        present = [c for c in dict.fromkeys(ignored) if self._exists(c)]
        self.ignored = tuple(sorted(self._expand(present)))

    # -- commits -------------------------------------------------------------------

    def _exists(self, commit: str) -> bool:
        if commit not in self._known:
            try:
                self.repo.git("cat-file", "-e", f"{commit}^{{commit}}")
                self._known[commit] = True
            except InputError:
                self._known[commit] = False
        return self._known[commit]

    def _expand(self, commits: Sequence[str]) -> set[str]:
        """The commits and what each brought in beyond its first parent (a merge's lane)."""
        found: set[str] = set()
        for commit in commits:
            parents = self.repo.git("rev-list", "--parents", "-n", "1", commit).split()
            if len(parents) <= 2:  # a root commit or an ordinary one
                found.add(commit)
                continue
            out = self.repo.git("rev-list", commit, f"^{parents[1].decode()}")
            found |= {line.decode() for line in out.split()}
        return found

    def lane_commits(self, commits: Sequence[str]) -> frozenset[str] | None:
        """The lane's commits as blame names them; None when one is no longer in the repository."""
        key = tuple(commits)
        if key not in self._lane_commits:
            if not commits or not all(self._exists(c) for c in commits):
                return None
            self._lane_commits[key] = frozenset(self._expand(commits))
        return self._lane_commits[key]

    # -- blame ---------------------------------------------------------------------

    def _blame(self, rev: str, boundary: str | None, path: str) -> dict[str, int]:
        """Lines of ``path`` at ``rev`` per commit blame gives them (past ``boundary``)."""
        key = "\0".join([rev, boundary or "", path, *self.ignored])
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
        self._used.add(digest)
        cached = self._cache.get(digest)
        if isinstance(cached, dict):
            return cached
        args = ["blame", "--porcelain", *(f"--ignore-rev={c}" for c in self.ignored)]
        args += [f"{boundary}..{rev}" if boundary else rev, "--", path]
        counts: Counter[str] = Counter()
        try:
            out = self.repo.git(*args)
        except InputError:
            out = b""  # no such file at ``rev``: deleted, so none of its lines are left
        for line in out.decode("utf-8", "surrogateescape").split("\n"):
            if line.startswith("\t"):
                continue  # the line's text
            word = line.split(" ", 1)[0]
            if _is_commit_id(word):
                counts[word] += 1  # porcelain: one header per line of the file
        found = dict(counts)
        self._cache[digest] = found
        self._dirty = True
        return found

    def _boundary(self, commit: str) -> str | None:
        """Where blame stops for a lane starting at ``commit``: its first parent (None: a root)."""
        if commit not in self._parents:
            parents = self.repo.git("rev-list", "--parents", "-n", "1", commit).split()
            self._parents[commit] = parents[1].decode() if len(parents) > 1 else None
        return self._parents[commit]

    def _common(self, boundaries: Sequence[str | None]) -> str | None:
        """A boundary below all of ``boundaries``: their common ancestor (None: no boundary)."""
        distinct = list(dict.fromkeys(boundaries))
        if None in distinct:
            return None
        found = [b for b in distinct if b is not None]
        if len(found) == 1:
            return found[0]
        try:
            out = self.repo.git("merge-base", "--octopus", *found)
        except InputError:
            return None  # unrelated histories: blame the whole history
        words = out.split()
        return words[0].decode() if words else None

    def lines(self, commits: Sequence[str], files: Sequence[str], rev: str) -> int | None:
        """Lines of ``files`` at ``rev`` that blame attributes to the lane's ``commits``."""
        owned = self.lane_commits(commits)
        if owned is None or not self._exists(rev):
            return None
        boundary = self._boundary(commits[0])
        return sum(
            count
            for path in dict.fromkeys(files)
            for commit, count in self._blame(rev, boundary, path).items()
            if commit in owned
        )

    def rewritten(self, commits: Sequence[str], files: Sequence[str], end: str) -> int | None:
        """Lines the lane integrated (at its last commit) that are gone at ``end``."""
        return self.rewritten_many([(commits, files)], end)[0]

    def rewritten_many(
        self, lanes: Sequence[tuple[Sequence[str], Sequence[str]]], end: str
    ) -> list[int | None]:
        """:meth:`rewritten` of each (commits, files) at one ``end``.

        At ``end`` each file is blamed once for all the lanes that touched it, from
        a boundary below all of theirs: blame names the same commit for a line
        whichever boundary it starts from, as long as the commit is past it.
        """
        if not self._exists(end):
            return [None] * len(lanes)
        owned = [self.lane_commits(commits) if commits else None for commits, _ in lanes]
        boundaries: dict[str, list[str | None]] = {}
        for (commits, files), own in zip(lanes, owned, strict=True):
            if own is not None:
                for path in dict.fromkeys(files):
                    boundaries.setdefault(path, []).append(self._boundary(commits[0]))
        at_end = {
            path: self._blame(end, self._common(found), path) for path, found in boundaries.items()
        }
        results: list[int | None] = []
        for (commits, files), own in zip(lanes, owned, strict=True):
            integrated = None if own is None else self.lines(commits, files, commits[-1])
            if own is None or integrated is None:
                results.append(None)
                continue
            left = sum(
                count
                for path in dict.fromkeys(files)
                for commit, count in at_end[path].items()
                if commit in own
            )
            results.append(max(0, integrated - left))
        return results

    def save(self) -> None:
        """Keep the answers this run used (skipped when nothing changed).

        Answers for an end that is no longer the last run's are dropped, so the
        file holds what the next run asks for, not every end there ever was.
        """
        if self._dirty or self._used != set(self._cache):
            kept = {digest: self._cache[digest] for digest in self._used}
            marshal_cache.store(self._cache_path, 1, kept)
            self._dirty = False
