"""Translate one gitignore pattern into a regular expression that matches as git does.

pathspec does the structural part (anchoring, ``**`` segments, trailing ``/``);
this module fixes where pathspec and git disagree:

- git compares BYTES, so ``?`` and ``[...]`` consume one byte of a UTF-8 name.
  Patterns and paths are therefore matched in the *git view*: one character per
  byte (:func:`git_view`); an ASCII path is its own view.
- inside ``[...]`` git honours backslash escapes (``[\\]]`` is the set ``]``);
  pathspec takes the first ``]`` and makes backslashes literal. Every segment
  glob is translated here instead (:func:`segment_regex`, mirroring git's
  ``wildmatch.c``).
- a segment of three or more ``*`` is ``**`` to git; pathspec treats it as ``*``.
- pathspec folds a trailing ``**/`` into ``**`` (``a/**/`` would match ``a/x``).
- git knows ``[:alpha:]``-style classes (ASCII only); pathspec passes them to
  Python's ``re``, which reads them as plain members.
- pathspec's regex is for ``re.match`` with ``$`` and without DOTALL: a name
  ending in a newline would match ``foo`` and ``**`` would stop at a newline.
  The result here is for ``re.fullmatch`` with ``(?s)`` and ``\\Z``.
- pathspec strips every trailing whitespace character (``str.rstrip``), git
  only unescaped spaces; a pattern body that starts with ``#`` or ``!`` (after
  the caller removed its own ``!``) would be a comment or negated again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

__all__ = [
    "BracketError",
    "Token",
    "git_view",
    "is_escaped",
    "pathname_form",
    "pattern_regex",
    "segment_pieces",
    "segment_regex",
]

_STAR_RUN = re.compile(r"\*{3,}")
_SPECIAL = re.compile(r"[*?\[\\]")
_STARS = re.compile(r"\*{2,}")


class BracketError(ValueError):
    """A segment glob git cannot use; the caller turns it into a ScopeError."""


def git_view(text: str) -> str:
    """Return ``text`` as git compares it: one character per UTF-8 byte (ASCII unchanged)."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def segment_regex(segment: str) -> str:
    """Translate one path segment glob (no ``/``) to a regex, exactly as git's wildmatch."""
    # A run of stars is one star inside a segment; collapsing it keeps the
    # regex from backtracking over each star of the run.
    return "".join("[^/]*" if token is None else token[0] for token in _tokens(segment))


Token = tuple[str, str | None]


def segment_pieces(segment: str) -> list[list[Token]]:
    """The segment glob cut at its runs of stars: each piece a list of one-character tokens.

    A token is (its regex, the literal character or None for ``?`` and ``[...]``).
    ``*a*`` gives three pieces, the first and last empty; a segment without a star one.
    """
    pieces: list[list[Token]] = [[]]
    for token in _tokens(segment):
        if token is None:
            pieces.append([])
        else:
            pieces[-1].append(token)
    return pieces


def _tokens(segment: str) -> list[Token | None]:
    """The segment glob as tokens: None for a run of stars, else one character's :data:`Token`."""
    out: list[Token | None] = []
    i, end = 0, len(segment)
    while i < end:
        char = segment[i]
        if char == "\\":
            if i + 1 == end:
                raise BracketError("a backslash must escape a character other than '/'")
            out.append((re.escape(segment[i + 1]), segment[i + 1]))
            i += 2
        elif char == "*":
            while i < end and segment[i] == "*":
                i += 1
            out.append(None)
        elif char == "?":
            out.append(("[^/]", None))
            i += 1
        elif char == "[":
            bracket, i = _bracket_regex(segment, i + 1)
            out.append((bracket, None))
        else:
            out.append((re.escape(char), char))
            i += 1
    return out


def _bracket_regex(segment: str, i: int) -> tuple[str, int]:
    """Translate the ``[...]`` starting just after its ``[``; return (regex, index after ``]``)."""
    end = len(segment)
    negated = i < end and segment[i] in "!^"
    if negated:
        i += 1
    items: list[str] = []
    previous: str | None = None
    first = True
    while True:
        if i >= end:
            raise BracketError("unbalanced '[' (and '/' cannot appear inside [...])")
        char = segment[i]
        # Like git's do-while loop: a ']' right after '[' or '[!' is a member.
        if char == "]" and not first:
            i += 1
            break
        first = False
        if char == "\\":
            if i + 1 >= end:
                raise BracketError("unbalanced '[' (and '/' cannot appear inside [...])")
            previous = segment[i + 1]
            items.append(re.escape(previous))
            i += 2
        elif char == "-" and previous is not None and i + 1 < end and segment[i + 1] != "]":
            high_at = i + 1
            if segment[high_at] == "\\":
                high_at += 1
                if high_at >= end:
                    raise BracketError("unbalanced '[' (and '/' cannot appear inside [...])")
            high = segment[high_at]
            # git's reversed range matches nothing; its low end already matched as a member.
            if previous <= high:
                items.append(f"{re.escape(previous)}-{re.escape(high)}")
            previous = None
            i = high_at + 1
        elif char == "[" and i + 1 < end and segment[i + 1] == ":" and _class_at(segment, i):
            items.append(_class_at(segment, i))
            previous = None
            i = segment.index("]", i + 2) + 1
        else:
            previous = char
            items.append(re.escape(char))
            i += 1
    # With git's WM_PATHNAME a bracket never matches '/'.
    return ("[^/" if negated else "[") + "".join(items) + "]", i


# git's own ctype (ASCII only; bytes from 0x80 are in no class), as regex set members.
_CLASSES = {
    "alnum": "A-Za-z0-9",
    "alpha": "A-Za-z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\r ",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _class_at(segment: str, i: int) -> str:
    """The set members for a ``[:name:]`` at ``segment[i]``; "" when it is no class.

    Like git: without a closing ``:]`` the ``[`` is an ordinary member; a name
    git does not know makes git match nothing, so it is refused.
    """
    close = segment.find("]", i + 2)
    if close == -1:
        raise BracketError("unbalanced '[' (and '/' cannot appear inside [...])")
    if close - 1 < i + 2 or segment[close - 1] != ":":
        return ""
    name = segment[i + 2 : close - 1]
    if name not in _CLASSES:
        raise BracketError(f"unknown character class [:{name}:]")
    return _CLASSES[name]


def pattern_regex(body: str) -> str:
    """Return the fullmatch regex (over :func:`git_view` of a path) for a validated pattern body.

    ``body`` is the pattern without its negating ``!``. The regex matches a path
    when the pattern matches the path itself or one of its parent directories.
    """
    segments = ["**" if _STAR_RUN.fullmatch(s) else s for s in body.split("/")]
    if len(segments) >= 3 and segments[-1] == "" and segments[-2] == "**":
        # pathspec folds "a/**/" into "a/**", which also matches files directly
        # in a/; git's "a/**/" names directories under a/, as "a/*/" does.
        segments[-2] = "*"
    body = "/".join(segments)
    if body[0] in "#!":
        body = "\\" + body
    body = _protect_trailing_whitespace(git_view(body))
    raw, include = _spec_pattern_class().pattern_to_regex(body)
    if not isinstance(raw, str) or include is not True:
        raise BracketError(f"pathspec could not translate {body!r}")
    raw = raw.replace("(?:(?P<ps_d>/)|$)", r"(?:/|\Z)").replace("(?P<ps_d>/)", "/")
    # pathspec anchors real patterns with '^'; its shortcuts ('.' = any path,
    # '/' = any path in a subdirectory) are meant for re.search.
    core = raw[1:] if raw.startswith("^") else ".*" + raw
    if core.endswith(r"(?:/|\Z)"):
        return "(?s)" + core[: -len(r"(?:/|\Z)")] + "(?:/.*)?"
    return "(?s)" + core + ".*"


def pathname_form(body: str) -> list[str]:
    """The validated pattern body as git's matcher reads it: one body, or two that are ORed.

    git compares the literal start of a pattern with a slash (up to its first
    ``*?[\\``) on its own and hands only the rest to its glob matcher, where a
    ``**`` at the very start counts as a whole ``**`` segment even when glued to
    that literal start. So ``/a**/R`` is ``a`` followed by either ``R`` right
    away (``**/`` matched nothing, the slash included: ``/a**/??`` matches
    ``abc``) or by anything, a slash and ``R`` (``ax/y/bc``): the two bodies
    ``/aR`` and ``/a*/**/R``. ``/a**`` at the end is ``/a*``. Anywhere else a
    ``**`` glued to other characters is a ``*``, as in every segment glob here.
    """
    dir_only = body.endswith("/")
    core = body[:-1] if dir_only else body
    if "/" not in core:
        return [body]  # matched against each name alone: no literal start is split off
    rest = core[1:] if core.startswith("/") else core
    first = _SPECIAL.search(rest)
    if first is None or rest[first.start()] != "*" or first.start() == 0:
        return [body]
    start = end = first.start()
    while end < len(rest) and rest[end] == "*":
        end += 1
    if rest[start - 1] == "/" or end - start < 2 or (end < len(rest) and rest[end] != "/"):
        return [body]
    literal, after = rest[:start], rest[end + 1 :]
    # More whole ** segments right after it add nothing: **/** reads as **.
    while after.split("/", 1)[0] and _STARS.fullmatch(after.split("/", 1)[0]):
        after = after.split("/", 1)[1] if "/" in after else ""
    trail = "/" if dir_only else ""
    if not after:
        return ["/" + literal + "*" + trail]
    return ["/" + literal + after + trail, "/" + literal + "*/**/" + after + trail]


def _protect_trailing_whitespace(body: str) -> str:
    """Wrap a final whitespace character in ``[...]`` so pathspec's rstrip keeps it."""
    if not body or not body[-1].isspace():
        return body
    escaped = is_escaped(body, len(body) - 1)
    head = body[:-2] if escaped else body[:-1]
    return f"{head}[{body[-1]}]"


def is_escaped(text: str, index: int) -> bool:
    """Whether ``text[index]`` is escaped by an odd run of backslashes before it."""
    run = 0
    while index - run - 1 >= 0 and text[index - run - 1] == "\\":
        run += 1
    return run % 2 == 1


_SPEC_CLASS: type[GitIgnoreSpecPattern] | None = None


def _spec_pattern_class() -> type[GitIgnoreSpecPattern]:
    """pathspec's gitignore pattern with git's segment globbing; imported on first use only."""
    global _SPEC_CLASS
    if _SPEC_CLASS is None:
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        class _GitExactPattern(GitIgnoreSpecPattern):
            __slots__ = ()

            @staticmethod
            def _translate_segment_glob(
                pattern: str, range_error: Literal["literal", "raise"]
            ) -> str:
                return segment_regex(pattern)

        _SPEC_CLASS = _GitExactPattern
    return _SPEC_CLASS
