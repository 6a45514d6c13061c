"""The import graph's files and its cache: reading sources, keeping their facts.

Facts depend on a file's content only, so they are cached by a hash of it in
one JSON file; a repeated run parses only the files that changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

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
    names = module_names(files, packages.module_name)
    local = basedirs(files, packages.is_test_path)
    return ImportGraph(load_facts(root, files, cache_file), names, local)
