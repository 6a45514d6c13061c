"""A lock's scope: an ordered list of patterns combined last-match-wins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from lanewarden.domain.scopes.pattern import Pattern, ScopeError, parse_pattern

__all__ = ["Scope"]


class Scope(NamedTuple):
    """The paths a lane may change: a path is in when the last pattern matching it is positive."""

    patterns: tuple[Pattern, ...]

    @classmethod
    def parse(cls, texts: Sequence[str]) -> Scope:
        """Parse and validate patterns; the :class:`ScopeError` names the bad one."""
        if isinstance(texts, str):
            raise ScopeError("a scope is a list of patterns, not one string")
        patterns: list[Pattern] = []
        for number, text in enumerate(texts, 1):
            try:
                patterns.append(parse_pattern(text))
            except ScopeError as error:
                raise ScopeError(f"{error} (pattern {number} of the scope)") from None
        if not patterns:
            raise ScopeError("a scope needs at least one pattern")
        if all(p.negated for p in patterns):
            raise ScopeError("a scope of only '!' patterns includes no path; add a positive one")
        return cls(tuple(patterns))

    def matches(self, path: str) -> bool:
        """Whether ``path`` is in the scope (the last matching pattern is positive)."""
        for pattern in reversed(self.patterns):
            if pattern.matches(path):
                return not pattern.negated
        return False

    def texts(self) -> tuple[str, ...]:
        """The patterns as written."""
        return tuple(p.text for p in self.patterns)

    def to_cache(self) -> list[tuple[str, bool, str, str, str, str, str]]:
        """Plain data for a cache; :meth:`from_cache` reads it back without pathspec."""
        return [p.to_cache() for p in self.patterns]

    @classmethod
    def from_cache(cls, data: Any) -> Scope:
        """Rebuild a scope from :meth:`to_cache` data."""
        if not isinstance(data, (list, tuple)):
            raise ScopeError(f"malformed cached scope: {data!r}")
        return cls(tuple(Pattern.from_cache(item) for item in data))

    def may_share_paths_with(self, other: Scope) -> list[tuple[str, str]]:
        """Pairs (my pattern, other's pattern) that may match one present or future path.

        Conservative, judged by literal prefixes: a pair is reported unless their
        prefixes cannot meet, or a later ``!`` pattern of either scope surely
        removes the whole area of one of the two. Empty list = cannot share.
        """
        pairs: list[tuple[str, str]] = []
        for i, mine in enumerate(self.patterns):
            if mine.negated:
                continue
            for j, theirs in enumerate(other.patterns):
                if theirs.negated or not _prefixes_meet(mine, theirs):
                    continue
                later = (*self.patterns[i + 1 :], *other.patterns[j + 1 :])
                if any(n.negated and (_covers(n, mine) or _covers(n, theirs)) for n in later):
                    continue
                pairs.append((mine.text, theirs.text))
        return pairs


def _prefixes_meet(a: Pattern, b: Pattern) -> bool:
    """Whether some path could start with both patterns' literal prefixes."""
    short, long = sorted((a, b), key=lambda p: len(p.literal_prefix))
    if not short.literal_prefix:
        return True
    if not long.literal_prefix.startswith(short.literal_prefix):
        return False
    if short.shape[0] != "exact":
        # A wildcard or a directory follows the short prefix: it can continue anywhere.
        return True
    # A literal name matches itself and what is under it, not longer names.
    rest = long.literal_prefix[len(short.literal_prefix) :]
    return not rest or rest.startswith("/")


def _covers(negation: Pattern, pattern: Pattern) -> bool:
    """Whether ``negation`` (positive form) surely matches every path ``pattern`` can match."""
    kind, key = negation.shape
    prefix = pattern.literal_prefix
    if not prefix or kind == "wild":
        return False
    if kind in ("exact", "dir"):
        return prefix.startswith(key + "/") or (kind == "exact" and pattern.shape == (kind, key))
    # Unanchored: a directory named in the prefix is above every path of the pattern.
    directories = prefix.split("/")[:-1]
    if kind == "suffix":
        return any(d.endswith(key) for d in directories)
    if kind == "prefix":
        return any(d.startswith(key) for d in directories)
    return key in directories
