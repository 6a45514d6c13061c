"""Scopes: the gitignore-style patterns naming the paths a lane may change.

A single pattern matches exactly the paths git's gitignore matching would
(``git check-ignore`` is the test oracle), including a match on any parent
directory of a path. Patterns of one scope combine last-match-wins per path,
so ``["src/app/", "!src/app/skip.py"]`` includes everything under ``src/app/``
except ``skip.py`` (unlike git, a parent directory match does not stop a later
``!`` pattern; the last match always decides).

Matching is on bytes like git: ``?`` and ``[...]`` consume one byte of a UTF-8
name. :attr:`Pattern.regex` therefore applies to ``git_view(path)`` (one
character per byte), which is the path itself for ASCII paths.

Like git, a ``**`` right after a slash pattern's literal start is a whole
``**`` (``/a**/b`` matches ``ax/y/b``); anywhere else a ``**`` glued to other
characters is a ``*``.

Matching time is bounded for every pattern: a pattern with several stars in
one segment or several ``**`` is matched by :mod:`.linear` (work at most about
len(path) x len(pattern)) instead of a regex that would backtrack for minutes.

Refused patterns (:class:`ScopeError`), where git would accept them:

- empty or whitespace-only: git ignores blank lines; in a scope it is a mistake.
- leading, or trailing unescaped, whitespace: git keeps leading spaces and drops
  trailing ones, which a table cell or a shell quote hides; write ``\\ `` for a
  real space at either end.
- control characters (tab, newline, ...): a scope is stored one pattern per
  line and cell; ``?`` or ``*`` still match such names.
- ``#...``: a gitignore comment, never a pattern; ``\\#`` matches a literal ``#``.
- ``!`` alone: negates nothing.
- ``/`` (and ``!/``): names the root, which git matches to nothing; ``**`` means
  every path.
- an empty segment (``a//b``, ``//a``): git matches nothing; a leading single
  ``/`` is anchoring and allowed.
- ``C:\\...`` or ``C:/...``: an OS-absolute path; scopes are repo-relative.
- ``.`` or ``..`` segments: git paths never contain them, so the pattern would
  silently match nothing (or seem to leave the repository).
- an unbalanced ``[`` (git silently matches nothing), a ``/`` inside ``[...]``
  (a bracket never matches ``/``), an unknown ``[:name:]`` class (git matches
  nothing), and a backslash before ``/`` or at the very end (git matches nothing).

A scope needs at least one positive pattern.
"""

from lanewarden.domain.scopes.index import ScopeIndex
from lanewarden.domain.scopes.pattern import Pattern, ScopeError, parse_pattern
from lanewarden.domain.scopes.scope import Scope
from lanewarden.domain.scopes.translate import git_view

__all__ = ["Pattern", "Scope", "ScopeError", "ScopeIndex", "git_view", "parse_pattern"]
