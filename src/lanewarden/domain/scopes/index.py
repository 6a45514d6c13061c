"""Many named scopes matched against many paths in one pass per path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lanewarden.domain.scopes.pattern import Pattern
from lanewarden.domain.scopes.scope import Scope
from lanewarden.domain.scopes.translate import git_view

__all__ = ["ScopeIndex"]

# (scope number, pattern number within the scope, pattern is positive)
_Entry = tuple[int, int, bool]
# a regex and the entries of the patterns that share it
_WildGroup = tuple[Pattern, list[_Entry]]


class ScopeIndex:
    """Many named scopes matched against many paths, fast.

    Patterns are filed under the directory their literal prefix names, so a path
    only meets the patterns filed under its own ancestor directories: literal
    names and directories by dictionary lookup, the rest by their regex, each
    distinct regex tried once per path. Unanchored literal names (``vendor/``),
    endings (``*.py``) and beginnings (``test_*``) are looked up per path
    component, one lookup per distinct literal length.
    """

    def __init__(self, scopes: Mapping[str, Scope]) -> None:
        """Index ``scopes``; :meth:`owners` reports names in this mapping's order."""
        self._scope_names = list(scopes)
        # literal path -> entries matching that path and everything under it
        self._exact: dict[str, list[_Entry]] = {}
        # directory -> entries matching everything under it
        self._dirs: dict[str, list[_Entry]] = {}
        # directory ("" = root) -> [(pattern, entries sharing its regex)]
        self._wild: dict[str, list[_WildGroup]] = {}
        # any component / directory component / component ending -> entries
        self._names: dict[str, list[_Entry]] = {}
        self._dirnames: dict[str, list[_Entry]] = {}
        self._suffixes: dict[str, list[_Entry]] = {}
        self._prefixes: dict[str, list[_Entry]] = {}
        by_kind = {
            "exact": self._exact,
            "dir": self._dirs,
            "name": self._names,
            "dirname": self._dirnames,
            "suffix": self._suffixes,
            "prefix": self._prefixes,
        }
        wild_by_regex: dict[tuple[str, str, str], list[_Entry]] = {}
        for number, scope in enumerate(scopes.values()):
            for rank, pattern in enumerate(scope.patterns):
                entry = (number, rank, not pattern.negated)
                kind, key = pattern.shape
                if kind != "wild":
                    by_kind[kind].setdefault(key, []).append(entry)
                else:
                    same = (key, pattern.regex, pattern.glob)
                    group = wild_by_regex.get(same)
                    if group is None:
                        group = wild_by_regex[same] = []
                        self._wild.setdefault(key, []).append((pattern, group))
                    group.append(entry)
        self._suffix_lengths = sorted({len(k) for k in self._suffixes})
        self._prefix_lengths = sorted({len(k) for k in self._prefixes})
        self._by_component = bool(self._names or self._dirnames or self._suffixes or self._prefixes)
        self._folders: dict[str, tuple[list[_Entry], list[_WildGroup]]] = {}

    def owners(self, path: str) -> list[str]:
        """Names of the scopes that include ``path`` (last-match-wins within each scope)."""
        decided: dict[int, tuple[int, bool]] = {}
        if path in self._exact:
            _note(decided, self._exact[path])
        slash = path.rfind("/")
        entries, groups = self._above(path[:slash] if slash != -1 else "")
        if entries:
            _note(decided, entries)
        if groups:
            _try(decided, groups, path, git_view(path))
        if self._by_component:
            entries = self._component_entries(path[slash + 1 :], is_directory=False)
            if entries:
                _note(decided, entries)
        if not decided:
            return []
        names = self._scope_names
        return [names[n] for n in sorted(decided) if decided[n][1]]

    def _above(self, directory: str) -> tuple[list[_Entry], list[_WildGroup]]:
        """What the folders from the root down to ``directory`` contribute to a path in it.

        The literal entries that match every path below them (anchored ones filed
        under the folder, unanchored ones matching its name), and the regex groups
        filed under them; remembered per folder, as staged paths share folders.
        """
        known = self._folders.get(directory)
        if known is not None:
            return known
        # Walk up to the nearest folder already known, then fill in the way back down.
        missing = []
        folder = directory
        while folder and folder not in self._folders:
            missing.append(folder)
            slash = folder.rfind("/")
            folder = folder[:slash] if slash != -1 else ""
        if folder in self._folders:
            entries, groups = self._folders[folder]
        else:
            entries, groups = [], self._wild.get("", [])
            self._folders[""] = (entries, groups)
        for folder in reversed(missing):
            entries = entries + self._exact.get(folder, []) + self._dirs.get(folder, [])
            if self._by_component:
                name = folder[folder.rfind("/") + 1 :]
                entries = entries + self._component_entries(name, is_directory=True)
            groups = groups + self._wild.get(folder, [])
            self._folders[folder] = (entries, groups)
        return entries, groups

    def _component_entries(self, component: str, *, is_directory: bool) -> list[_Entry]:
        """The unanchored literal patterns matching one path component."""
        found: list[_Entry] = []
        if component in self._names:
            found += self._names[component]
        if is_directory and component in self._dirnames:
            found += self._dirnames[component]
        size = len(component)
        for length in self._suffix_lengths:
            if length > size:
                break
            if component[size - length :] in self._suffixes:
                found += self._suffixes[component[size - length :]]
        for length in self._prefix_lengths:
            if length > size:
                break
            if component[:length] in self._prefixes:
                found += self._prefixes[component[:length]]
        return found


def _note(decided: dict[int, tuple[int, bool]], entries: Iterable[_Entry]) -> None:
    """Record matching entries, keeping each scope's highest-ranked (last) match."""
    for number, rank, positive in entries:
        current = decided.get(number)
        if current is None or rank > current[0]:
            decided[number] = (rank, positive)


def _try(
    decided: dict[int, tuple[int, bool]],
    groups: list[_WildGroup],
    path: str,
    view: str,
) -> None:
    """Run each candidate regex whose entries could still change a scope's verdict."""
    for pattern, entries in groups:
        if not path.startswith(pattern.literal_prefix):
            continue
        if all(decided.get(n, (-1, False))[0] > rank for n, rank, _ in entries):
            continue
        if pattern.matches_view(view):
            _note(decided, entries)
