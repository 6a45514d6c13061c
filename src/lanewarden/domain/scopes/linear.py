"""Matching whose work grows with len(path) x len(pattern), for patterns a regex would backtrack on.

Python's ``re`` backtracks: ``/x/*a*a*a*a*a*a*a*b`` against a long name of
``a``'s tries every way to share the name among the stars and runs for
minutes. git's own matcher bounds its work by never moving an earlier star
once a later one has matched; this matcher places parts the same way, never
undoing a choice:

- Within a path component, a segment ``P0*P1*...*Pk`` (each piece a fixed
  number of characters: literals, ``?``, ``[...]``) matches when the component
  starts with ``P0``, ends with ``Pk`` and holds ``P1`` ... ``Pk-1`` in this
  order between them. Taking each middle piece at its earliest place leaves
  the most room for the next, so it is never worse than any later place.
- Across components, an anchored pattern ``G0/**/G1/**/.../Gn`` (each ``Gi``
  a run of segments matching one component each) puts ``G0`` at the start,
  each middle run at its earliest place after the one before, and then looks
  for the last run at every place where a match may end (the path itself, or a
  parent directory: a pattern matches a path when it matches the path or one
  of its parent directories).
- A pattern without a slash is one segment tried against every component.

Each piece is searched once per component and each run tried once per start
position, so the work is bounded by about len(path) x len(pattern) character
comparisons; :meth:`LinearGlob.run` counts them for the tests. Before any of
that, each literal piece is looked for in the whole path, which turns most
paths away at C speed.
"""

from __future__ import annotations

import re

from lanewarden.domain.scopes.translate import segment_pieces

__all__ = ["LinearGlob", "needs_linear"]

_STAR_RUN = re.compile(r"\*{2,}")


class _Piece:
    """A fixed-width part of a segment: a literal, or a regex for ``?`` and ``[...]``."""

    __slots__ = ("literal", "regex", "width")

    def __init__(self, tokens: list[tuple[str, str | None]]) -> None:
        self.width = len(tokens)
        literal = [char for _, char in tokens if char is not None]
        self.literal: str | None = "".join(literal) if len(literal) == len(tokens) else None
        self.regex = None if self.literal is not None else re.compile("".join(r for r, _ in tokens))

    def at(self, text: str, pos: int) -> bool:
        """Whether the piece matches ``text`` at ``pos``."""
        if self.literal is not None:
            return text.startswith(self.literal, pos)
        assert self.regex is not None
        return self.regex.match(text, pos) is not None

    def find(self, text: str, pos: int, end: int) -> int:
        """Where the piece first matches wholly inside ``text[pos:end]``; -1 when nowhere."""
        if self.literal is not None:
            return text.find(self.literal, pos, end)
        assert self.regex is not None
        found = self.regex.search(text, pos, end)
        return -1 if found is None else found.start()


class _Segment:
    """One segment glob matching a whole path component."""

    __slots__ = ("pieces", "size")

    def __init__(self, glob: str) -> None:
        self.pieces = [_Piece(tokens) for tokens in segment_pieces(glob)]
        self.size = len(glob)

    def matches(self, name: str, work: list[int]) -> bool:
        """Whether the segment matches ``name``; adds the characters it compared to ``work``."""
        pieces = self.pieces
        size = len(name)
        head = pieces[0]
        if len(pieces) == 1:
            work[0] += head.width + 1
            return size == head.width and head.at(name, 0)
        tail = pieces[-1]
        work[0] += head.width + tail.width + 1
        end = size - tail.width
        if end < head.width or not head.at(name, 0) or not tail.at(name, end):
            return False
        pos = head.width
        for piece in pieces[1:-1]:
            # Scanning name[pos:end] for a piece of this width compares at most this many.
            work[0] += (end - pos) * piece.width + 1
            found = piece.find(name, pos, end)
            if found < 0:
                return False
            pos = found + piece.width
        return True


def needs_linear(body: str) -> bool:
    """Whether ``re`` could backtrack badly on the regex of this (validated) pattern body.

    Its regex is safe when each segment has at most one run of stars and at
    most one segment is ``**``: whatever a star tries, the match goes on past
    its segment from one place only (the next ``/`` or the end), so nothing
    nests, and only one unbounded ``.*`` tries the slashes: about
    len(path) x len(pattern) steps. Anything more (``*a*b``, ``a/**/b/**/c``)
    goes to :class:`LinearGlob`.
    """
    core = body[:-1] if body.endswith("/") else body
    segments = (core[1:] if core.startswith("/") else core).split("/")
    double = 0
    for segment in segments:
        if _STAR_RUN.fullmatch(segment) and len(segments) > 1:
            double += 1
        elif len(segment_pieces(segment)) > 2:
            return True
    return double > 1


class LinearGlob:
    """Validated pattern bodies in git's reading (git view, one a line, ORed), compiled.

    The bodies come from :func:`~.translate.pathname_form`: one, or two for ``/a**/b``.
    """

    __slots__ = ("bodies",)

    def __init__(self, glob: str) -> None:
        self.bodies = [_Body(body) for body in glob.split("\n")]

    def matches(self, view: str) -> bool:
        """Whether a body matches the path (git view) or one of its parent directories."""
        return self.run(view)[0]

    def run(self, view: str) -> tuple[bool, int]:
        """(:meth:`matches`, the number of character comparisons it took at most)."""
        work = [0]
        for body in self.bodies:
            if body.run(view, work):
                return True, work[0]
        return False, work[0]


class _Body:
    """One pattern body, anchored (with a slash) or matched against each name (without)."""

    __slots__ = ("dir_only", "groups", "literals", "name")

    def __init__(self, body: str) -> None:
        self.dir_only = body.endswith("/")
        core = body[:-1] if self.dir_only else body
        self.name: _Segment | None = None
        self.groups: list[list[_Segment]] = [[]]
        if "/" not in core:
            self.name = _Segment(core)
            segments = [self.name]
        else:
            for segment in (core[1:] if core.startswith("/") else core).split("/"):
                if _STAR_RUN.fullmatch(segment):
                    self.groups.append([])
                else:
                    self.groups[-1].append(_Segment(segment))
            segments = [segment for group in self.groups for segment in group]
        # Every literal piece must occur in a matching path: one C-speed look each
        # turns most paths away before any segment is tried.
        self.literals = sorted(
            {p.literal for s in segments for p in s.pieces if p.literal}, key=len, reverse=True
        )

    def run(self, view: str, work: list[int]) -> bool:
        """Whether the body matches; adds the characters it compared to ``work``."""
        work[0] += len(view) + 1
        for literal in self.literals:
            work[0] += len(view) * len(literal)
            if literal not in view:
                return False
        names = view.split("/")
        # The last component the match may end on: the path, or its parent for a directory pattern.
        top = len(names) - 1 if self.dir_only else len(names)
        if self.name is not None:
            return any(self.name.matches(names[i], work) for i in range(top))
        return self._anchored(names, top, work)

    def _anchored(self, names: list[str], top: int, work: list[int]) -> bool:
        groups = self.groups
        first, last = groups[0], groups[-1]
        if len(groups) == 1:
            return len(first) <= top and _run_at(first, names, 0, work)
        if len(first) > top or not _run_at(first, names, 0, work):
            return False
        # A trailing ** needs one component at least (a path is never a directory's own "a/").
        limit = top - (len(last) or 1)
        pos = len(first)
        for group in groups[1:-1]:
            start = pos
            while start + len(group) <= limit and not _run_at(group, names, start, work):
                start += 1
            if start + len(group) > limit:
                return False
            pos = start + len(group)
        if not last:
            return pos <= limit
        return any(_run_at(last, names, start, work) for start in range(pos, limit + 1))


def _run_at(group: list[_Segment], names: list[str], start: int, work: list[int]) -> bool:
    """Whether each segment of ``group`` matches the component at ``start`` onwards."""
    for offset, segment in enumerate(group):
        if not segment.matches(names[start + offset], work):
            return False
    work[0] += 1
    return True
