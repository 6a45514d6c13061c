"""One scope pattern: parsing, validation, matching and its cache form.

The rules a pattern must pass, and why, are in the package docstring
(:mod:`lanewarden.domain.scopes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal, NamedTuple

from lanewarden.domain.scopes.linear import LinearGlob, needs_linear
from lanewarden.domain.scopes.translate import (
    BracketError,
    git_view,
    is_escaped,
    pathname_form,
    pattern_regex,
    segment_regex,
)

__all__ = ["Pattern", "ScopeError", "parse_pattern"]

_WILDCARDS = "*?["
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"[A-Za-z]:[\\/]")

Shape = tuple[Literal["exact", "dir", "wild", "name", "dirname", "suffix", "prefix"], str]
_SHAPES = frozenset({"exact", "dir", "wild", "name", "dirname", "suffix", "prefix"})


class ScopeError(ValueError):
    """A scope pattern is invalid; the message names the pattern, the caller adds file/line."""


class Pattern(NamedTuple):
    """One gitignore-style pattern of a scope.

    ``regex`` is the positive form for ``re.fullmatch`` over ``git_view(path)``
    (the path itself when ASCII): it matches the path or one of its parents.
    A pattern on which a regex could backtrack for minutes (several stars in
    one segment, several ``**``) has ``regex`` "" and ``glob`` set instead: its
    body in git's reading (two bodies, one a line, for ``/a**/b``: see
    :func:`~.translate.pathname_form`), for :class:`~.linear.LinearGlob`, whose
    work is bounded by len(path) x len(pattern). Most patterns keep the regex,
    as fast as before.
    ``literal_prefix`` starts every path an anchored pattern matches. ``shape``
    says how an index finds the pattern without running its regex:

    Anchored patterns: ``("exact", p)`` matches path ``p`` and everything
    under it; ``("dir", d)`` everything under directory ``d``; ``("wild", d)``
    only paths under directory ``d`` ("" = anywhere) can match.
    Unanchored patterns: ``("name", n)`` matches a path with a component
    ``n``; ``("dirname", n)`` a path under a directory ``n``; ``("suffix",
    s)`` a path with a component ending in ``s`` (``*.py``), ``("prefix", s)``
    one starting with ``s`` (``test_*``); else ``("wild", "")``.
    """

    text: str
    negated: bool
    regex: str
    literal_prefix: str
    shape: Shape
    glob: str

    def matches(self, path: str) -> bool:
        """Whether the positive form matches ``path`` or one of its parent directories."""
        if self.glob:
            return _linear(self.glob).matches(git_view(path))
        return _compiled(self.regex).fullmatch(git_view(path)) is not None

    def matches_view(self, view: str) -> bool:
        """Like :meth:`matches` for a path already passed through ``git_view``."""
        if self.glob:
            return _linear(self.glob).matches(view)
        return _compiled(self.regex).fullmatch(view) is not None

    def to_cache(self) -> tuple[str, bool, str, str, str, str, str]:
        """Plain data (marshal/JSON-able) that :meth:`from_cache` turns back into a Pattern."""
        kind, key = self.shape
        return (self.text, self.negated, self.regex, self.literal_prefix, kind, key, self.glob)

    @classmethod
    def from_cache(cls, data: Any) -> Pattern:
        """Rebuild a pattern from :meth:`to_cache` data without importing pathspec."""
        try:
            text, negated, regex, literal_prefix, kind, key, glob = data
        except (TypeError, ValueError):
            raise ScopeError(f"malformed cached scope pattern: {data!r}") from None
        if not (
            isinstance(text, str)
            and isinstance(negated, bool)
            and isinstance(regex, str)
            and isinstance(literal_prefix, str)
            and kind in _SHAPES
            and isinstance(key, str)
            and isinstance(glob, str)
            and bool(regex) != bool(glob)
        ):
            raise ScopeError(f"malformed cached scope pattern: {data!r}")
        return cls(text, negated, regex, literal_prefix, (kind, key), glob)


# Each distinct regex is compiled once a process, when a path first meets it:
# compiling every pattern of 200 locks up front would cost the hook more than
# matching, and ``re``'s own cache keeps only 512 expressions.
_COMPILED: dict[str, re.Pattern[str]] = {}


def _compiled(regex: str) -> re.Pattern[str]:
    compiled = _COMPILED.get(regex)
    if compiled is None:
        compiled = _COMPILED[regex] = re.compile(regex)
    return compiled


_LINEAR: dict[str, LinearGlob] = {}


def _linear(glob: str) -> LinearGlob:
    compiled = _LINEAR.get(glob)
    if compiled is None:
        compiled = _LINEAR[glob] = LinearGlob(glob)
    return compiled


def _either(regexes: Iterable[str]) -> str:
    """One fullmatch regex matching what any of ``regexes`` (each starting ``(?s)``) matches."""
    alternatives = [r.removeprefix("(?s)") for r in regexes]
    if len(alternatives) == 1:
        return "(?s)" + alternatives[0]
    return "(?s)" + "|".join(f"(?:{a})" for a in alternatives)


def _shape(body: str, literal_prefix: str) -> Shape:
    """The :attr:`Pattern.shape` of a validated pattern body (no leading ``!``)."""
    dir_only = body.endswith("/")
    name = body[:-1] if dir_only else body
    if "/" not in name:
        return _unanchored_shape(name, dir_only)
    if not literal_prefix:
        return ("wild", "")
    rest = _literal_head(body[1:] if body.startswith("/") else body)[1]
    if not rest:
        if literal_prefix.endswith("/"):
            return ("dir", literal_prefix[:-1])
        return ("exact", literal_prefix)
    if literal_prefix.endswith("/") and len(rest) >= 2 and rest.strip("*") == "":
        return ("dir", literal_prefix[:-1])
    return ("wild", literal_prefix[: literal_prefix.rfind("/")] if "/" in literal_prefix else "")


def _unanchored_shape(name: str, dir_only: bool) -> Shape:
    """The shape of a pattern matched against every path component."""
    literal, rest = _literal_head(name)
    if not rest:
        return ("dirname" if dir_only else "name", literal)
    if dir_only:
        return ("wild", "")
    if literal and rest.strip("*") == "":
        return ("prefix", literal)
    tail = name.lstrip("*")
    if tail != name:
        literal, rest = _literal_head(tail)
        if literal and not rest:
            return ("suffix", literal)
    return ("wild", "")


# Each valid pattern text, parsed once a process: a lock history repeats the same
# scopes over thousands of rows, and translating one costs about 0.1 ms.
_PARSED: dict[str, Pattern] = {}


def parse_pattern(text: str) -> Pattern:
    """Validate one scope pattern and translate it; raise :class:`ScopeError` when invalid."""
    if not isinstance(text, str):
        raise ScopeError(f"a scope pattern must be a string, not {type(text).__name__}")
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = _PARSED[text] = _parse_pattern(text)
    return parsed


def _parse_pattern(text: str) -> Pattern:
    try:
        negated, body = _validate(text)
        bodies = pathname_form(body)
        if any(needs_linear(b) for b in bodies):
            regex, glob = "", "\n".join(git_view(b) for b in bodies)
            _linear(glob)  # compiles every piece now, so a bad one fails here
        else:
            # The first call imports pathspec (30 ms); cached patterns never get here.
            regex, glob = _either(pattern_regex(b) for b in bodies), ""
    except (ScopeError, BracketError, re.error) as error:
        raise ScopeError(f"invalid scope pattern {text!r}: {error}") from None
    prefix = _literal_prefix(body)
    return Pattern(text, negated, regex, prefix, _shape(body, prefix), glob)


def _validate(text: str) -> tuple[bool, str]:
    """Return (negated, body) or raise with the reason the pattern is refused."""
    if not text.strip():
        raise ScopeError("it is empty")
    if _CONTROL.search(text):
        raise ScopeError("it contains a control character (tab, newline, ...); use ? or *")
    if text.startswith("#"):
        raise ScopeError("it would be a gitignore comment; write \\# for a literal '#'")
    negated = text.startswith("!")
    body = text[1:] if negated else text
    if not body:
        raise ScopeError("'!' needs a pattern after it")
    if body[0].isspace() or (body[-1].isspace() and not is_escaped(body, len(body) - 1)):
        raise ScopeError("it starts or ends with whitespace; write '\\ ' for a literal space")
    if _DRIVE.match(body):
        raise ScopeError("it is an absolute OS path; scope patterns are relative to the repository")
    if body.strip("/") == "":
        raise ScopeError("it names the repository root; use '**' for every path")
    inner = body[1:] if body.startswith("/") else body
    inner = inner[:-1] if inner.endswith("/") else inner
    for segment in inner.split("/"):
        if not segment:
            raise ScopeError("it contains an empty path segment ('//')")
        if _unescape(segment) in (".", ".."):
            raise ScopeError("'.' and '..' segments are not allowed; name the path from the root")
        try:
            segment_regex(segment)
        except BracketError as error:
            raise ScopeError(str(error)) from None
    return negated, body


def _unescape(segment: str) -> str:
    """The segment with backslash escapes resolved (wildcards kept as written)."""
    return re.sub(r"\\(.)", r"\1", segment, flags=re.DOTALL)


def _literal_prefix(body: str) -> str:
    """The anchored literal part of ``body`` up to its first wildcard; "" when unanchored."""
    if "/" not in (body[:-1] if body.endswith("/") else body):
        return ""
    return _literal_head(body[1:] if body.startswith("/") else body)[0]


def _literal_head(text: str) -> tuple[str, str]:
    """Split a validated pattern into (its literal start, unescaped; the rest as written)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            out.append(text[i + 1])
            i += 2
        elif char in _WILDCARDS:
            break
        else:
            out.append(char)
            i += 1
    return "".join(out), text[i:]
