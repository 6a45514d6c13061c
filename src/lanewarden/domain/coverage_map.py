"""The coverage map: which source lines each test executed, for one tree.

A map is recorded during a test run and bound to the tree that was tested.
Its encoded form is small and versioned: zlib-compressed JSON holding the
list of files once, and per test (``path::name`` from the repository top)
per file index the executed lines as ranges (``"3-7,12"``). Lines run
outside every test (imports during collection) are kept apart, and so are
the tests during which a module was imported for the first time: code they
ran may have run at import time, on behalf of every later test, and the tests
that xfailed (under ``--runxfail`` they are failing tests, which no map
covers). The test
files every collected test of which is in the map are listed (a file run
in part holds tests the map lacks), with what collection read
(:mod:`lanewarden.domain.collection_inputs`): only such a file, where none
of that differs, may be left uncollected when the map drops all its tests.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lanewarden.domain.collection_inputs import CollectionInputs

__all__ = [
    "FORMAT",
    "VERSION",
    "CoverageMap",
    "CoverageMapError",
    "parse_ranges",
    "ranges",
]

FORMAT = "lanewarden-coverage-map"
VERSION = 1
# Line ranges as written: "3-7,12". Line numbers have at most 7 digits (under 10,000,000
# lines), so a corrupt map cannot ask for a range too large to hold in memory.
_RANGES = re.compile(r"(?:[0-9]{1,7}(?:-[0-9]{1,7})?)(?:,[0-9]{1,7}(?:-[0-9]{1,7})?)*")
_INDEX = re.compile(r"0|[1-9][0-9]*")


class CoverageMapError(ValueError):
    """A map that cannot be read: corrupt, truncated, or of another version."""


def ranges(lines: Iterable[int]) -> str:
    """``{1, 2, 3, 7}`` as ``"1-3,7"``."""
    parts: list[str] = []
    start = end = None
    for line in sorted(set(lines)):
        if end is not None and line == end + 1:
            end = line
            continue
        if start is not None:
            parts.append(str(start) if start == end else f"{start}-{end}")
        start = end = line
    if start is not None:
        parts.append(str(start) if start == end else f"{start}-{end}")
    return ",".join(parts)


def parse_ranges(text: str) -> set[int]:
    """The inverse of :func:`ranges`; a malformed text is a CoverageMapError."""
    lines: set[int] = set()
    if not text:
        return lines
    _check_ranges(text)
    for part in text.split(","):
        first, _, last = part.partition("-")
        lines.update(range(int(first), int(last or first) + 1))
    return lines


def _check_ranges(text: object) -> str:
    """``text`` when it is line ranges as :func:`ranges` writes them, else a CoverageMapError."""
    if not isinstance(text, str) or (text and _RANGES.fullmatch(text) is None):
        raise CoverageMapError(f"bad line ranges {str(text)[:40]!r}")
    return text


@dataclass(frozen=True)
class CoverageMap:
    """Per test, per file, the lines it executed (as ranges), for ``tree``."""

    tree: str
    tests: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # test -> file -> ranges
    outside: Mapping[str, str] = field(default_factory=dict)  # file -> lines run outside tests
    importers: frozenset[str] = frozenset()  # tests during which a module was first imported
    complete: frozenset[str] = frozenset()  # test files every collected test of which is here
    collection: CollectionInputs | None = None  # what collection read (None: not known)
    xfailed: frozenset[str] = frozenset()  # tests that xfailed (their body ran)

    def files(self) -> set[str]:
        """Every file some line of which the map saw executed."""
        known = set(self.outside)
        for per_file in self.tests.values():
            known.update(per_file)
        return known

    def lines(self, test: str, path: str) -> set[int]:
        """The lines of ``path`` that ``test`` executed."""
        return parse_ranges(self.tests.get(test, {}).get(path, ""))

    def lines_outside(self, path: str) -> set[int]:
        """The lines of ``path`` run outside every test (imports during collection)."""
        return parse_ranges(self.outside.get(path, ""))

    def without(self, uncovered: Iterable[str]) -> CoverageMap:
        """This map no longer covering ``uncovered`` (such tests always stay), nor their files.

        What an importer among them ran at a first import served every later
        test that uses the module: those lines count as run outside every test.
        Only an importer's lines can have served others this way (shared fixtures
        already count outside), so a test that imported nothing first adds nothing.
        """
        dropped = set(uncovered)
        if not dropped:
            return self
        outside = dict(self.outside)
        for test in dropped & self.importers:
            for path, text in self.tests.get(test, {}).items():
                outside[path] = ranges(parse_ranges(outside.get(path, "")) | parse_ranges(text))
        return CoverageMap(
            self.tree,
            {test: lines for test, lines in self.tests.items() if test not in dropped},
            outside,
            self.importers - dropped,
            complete=self.complete - {test.partition("::")[0] for test in dropped},
            collection=self.collection,
            xfailed=self.xfailed - dropped,
        )

    def without_xfailed(self) -> CoverageMap:
        """This map as ``--runxfail`` sees it: an xfailed test is a failing one, not covered."""
        return self.without(self.xfailed)

    def merged(self, newer: CoverageMap) -> CoverageMap:
        """This map with ``newer``'s tests (same tree) replacing or adding to ours."""
        if newer.tree != self.tree:
            return newer
        outside = dict(self.outside)
        for path, text in newer.outside.items():
            outside[path] = ranges(parse_ranges(outside.get(path, "")) | parse_ranges(text))
        importers = (self.importers - set(newer.tests)) | newer.importers
        tests = {**self.tests, **newer.tests}
        collection = None
        if self.collection is not None and newer.collection is not None:
            collection = self.collection.merged(newer.collection)
        return CoverageMap(
            self.tree,
            tests,
            outside,
            importers,
            complete=self.complete | newer.complete,
            collection=collection,
            xfailed=(self.xfailed - set(newer.tests)) | newer.xfailed,
        )

    def encode(self) -> bytes:
        """The compressed, versioned form that is stored and shared."""
        files = sorted(self.files())
        index = {path: str(i) for i, path in enumerate(files)}
        body: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "tree": self.tree,
            "files": files,
            "tests": {
                test: {index[path]: text for path, text in sorted(per_file.items())}
                for test, per_file in sorted(self.tests.items())
            },
            "outside": {index[path]: text for path, text in sorted(self.outside.items())},
            "importers": sorted(self.importers),
            "complete": sorted(self.complete),
        }
        if self.collection is not None:
            body["collection"] = self.collection.to_json()
        if self.xfailed:
            body["xfailed"] = sorted(self.xfailed)
        # ASCII: a file name that is not UTF-8 (surrogate escapes) is written as \u escapes.
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=True)
        return zlib.compress(text.encode("utf-8"), 9)

    @classmethod
    def decode(cls, data: bytes) -> CoverageMap:
        """The inverse of :meth:`encode`; anything unreadable is a CoverageMapError."""
        try:
            body: Any = json.loads(zlib.decompress(data).decode("utf-8"))
        except (zlib.error, UnicodeDecodeError, ValueError) as error:
            raise CoverageMapError(f"not a coverage map ({error})") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise CoverageMapError("not a coverage map (no format marker)")
        if body.get("version") != VERSION:
            raise CoverageMapError(
                f"coverage map version {body.get('version')!r}; this lanewarden reads {VERSION}"
            )
        try:
            files = [str(path) for path in body["files"]]
            collection = body.get("collection")  # absent from maps of earlier versions

            def named(per_file: Mapping[str, Any]) -> dict[str, str]:
                return {_file(files, i): _check_ranges(text) for i, text in per_file.items()}

            return cls(
                tree=str(body["tree"]),
                tests={str(test): named(per_file) for test, per_file in body["tests"].items()},
                outside=named(body["outside"]),
                importers=frozenset(str(t) for t in body["importers"]),
                complete=frozenset(str(p) for p in body["complete"]),
                collection=None if collection is None else CollectionInputs.from_json(collection),
                xfailed=frozenset(str(t) for t in body.get("xfailed", ())),
            )
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            raise CoverageMapError(f"malformed coverage map ({error!r})") from None


def _file(files: list[str], index: object) -> str:
    """The file a map's index names; an index out of the list is a CoverageMapError."""
    if not isinstance(index, str) or _INDEX.fullmatch(index) is None or int(index) >= len(files):
        raise CoverageMapError(f"bad file index {str(index)[:20]!r} (of {len(files)} files)")
    return files[int(index)]
