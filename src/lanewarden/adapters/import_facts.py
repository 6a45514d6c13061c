"""The import graph's files and its caches: reading sources, keeping their facts.

Facts depend on a file's content only, so they are cached by a hash of it in
one JSON file; a repeated run parses only the files that changed.

The resolved graph (each file's dependencies, in both directions) is kept
too, beside the facts, keyed by every file's stat stamp (as git's index
keys its own): a run on an unchanged tree reads no source and resolves
nothing. A stamp taken less than two seconds before the cache was written
could hide a same-size rewrite within one clock tick, so such a cache is
not written (the next run writes it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanewarden.adapters.files import atomic_write
from lanewarden.domain.imports import CACHE_VERSION, Facts, ImportGraph, parse_facts
from lanewarden.domain.module_names import basedirs, module_names

if TYPE_CHECKING:
    from lanewarden.domain.packages import PackageMap

__all__ = ["build_graph", "load_facts"]


def load_facts(root: Path, paths: Iterable[str], cache_file: Path | None) -> dict[str, Facts]:
    """Facts of each existing file in ``paths``, parsing only what the cache lacks.

    The cache (a JSON object keyed by content hash) is rewritten, holding just
    the current files' entries, only when something new was parsed.
    """
    cached: dict[str, Facts] = {}
    if cache_file is not None:
        try:
            document = json.loads(cache_file.read_bytes())
            if document.get("version") == CACHE_VERSION:
                cached = document["facts"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            cached = {}
    top = os.fspath(root)
    result: dict[str, Facts] = {}
    used: dict[str, Facts] = {}
    parsed = False
    for path in paths:
        try:
            with open(os.path.join(top, path), "rb") as f:  # pathlib costs here
                data = f.read()
        except OSError:
            continue  # deleted or unreadable: it imports nothing now
        key = hashlib.blake2b(data, digest_size=16).hexdigest()
        facts = cached.get(key)
        if facts is None:
            facts = parse_facts(data)
            parsed = True
        result[path] = used[key] = facts
    if cache_file is not None and (parsed or len(used) != len(cached)):
        payload = json.dumps({"version": CACHE_VERSION, "facts": used}, separators=(",", ":"))
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            atomic_write(cache_file, payload)
    return result


def build_graph(root: Path, packages: PackageMap, cache_file: Path | None) -> ImportGraph:
    """The graph over every Python file: packages' modules, tests, helpers, scripts."""
    files = [p for p in packages.all_files if p.endswith(".py")]
    if cache_file is None:
        return _resolved(root, packages, files, None)
    graph_file = cache_file.with_name("graph.bin")
    layout = hashlib.blake2b(digest_size=16)
    layout.update(json.dumps(packages.to_json(), sort_keys=True).encode())
    layout.update("\0".join(files).encode(errors="surrogateescape"))
    key, youngest = _stamp_key(root, files)
    kept = _load_graph(graph_file, (_GRAPH_VERSION, layout.hexdigest(), key))
    if kept is not None:
        return ImportGraph.restore(*kept)
    graph = _resolved(root, packages, files, cache_file)
    if time.time_ns() - youngest > _RACY_NS:
        names, local = dict(graph.module_names), dict(graph.basedirs)
        tables = (names, local, graph.depends, graph.how, graph.fallbacks, graph.importers)
        payload = marshal.dumps(((_GRAPH_VERSION, layout.hexdigest(), key), tables))
        with contextlib.suppress(OSError):
            atomic_write(graph_file, payload)
    return graph


def _resolved(
    root: Path, packages: PackageMap, files: list[str], cache_file: Path | None
) -> ImportGraph:
    names = module_names(files, packages.module_name)
    local = basedirs(files, packages.is_test_path)
    return ImportGraph(load_facts(root, files, cache_file), names, local)


_RACY_NS = 2_000_000_000  # a stamp this recent may not tell two writes apart
_GRAPH_VERSION = f"{CACHE_VERSION}/{sys.version_info[:2]}"  # marshal's format is per Python


def _stamp_key(root: Path, files: list[str]) -> tuple[str, int]:
    """A digest of every file's stat stamp, and the youngest stamp.

    The change time moves on every write (nothing sets it back), so a
    rewrite keeping size and modification time still changes the key.
    """
    top = os.fspath(root)
    digest = hashlib.blake2b(digest_size=16)
    youngest = 0
    lines = []
    for path in files:
        try:
            st = os.stat(os.path.join(top, path))
        except OSError:
            lines.append(f"{path}\0-")
            continue
        youngest = max(youngest, st.st_mtime_ns, st.st_ctime_ns)
        lines.append(f"{path}\0{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}")
    digest.update("\n".join(lines).encode(errors="surrogateescape"))
    return digest.hexdigest(), youngest


def _load_graph(graph_file: Path, key: tuple[str, str, str]) -> Any:
    """The kept tables (names, basedirs, depends, how, fallbacks, importers) if ``key`` matches."""
    try:
        kept = marshal.loads(graph_file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(kept, tuple) or len(kept) != 2 or kept[0] != key:
        return None
    tables = kept[1]
    return tables if isinstance(tables, tuple) and len(tables) == 6 else None
