"""Names for every Python file of a repository, as the import graph knows them.

A package's module is named by its import name (``src/pkg/sub/a.py`` is
``pkg.sub.a``). Any other file, a test or a test helper in a top-level
``tests/`` folder, a script, is named by its path (``tests/utils.py`` is
``tests.utils``), so relative imports between test files resolve like any
other, unless a package module already has that name.

pytest imports a test file (and a ``conftest.py``) with the first folder
above it that holds no ``__init__.py`` put on ``sys.path`` (its *basedir*):
``import utils`` in ``tests/test_a.py`` reads ``tests/utils.py`` when
``tests/`` is no package. :func:`basedirs` gives that folder for each test
file so the graph can resolve such imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["basedirs", "module_names", "path_module_name"]


def module_names(
    paths: Iterable[str], package_name: Callable[[str], str | None]
) -> dict[str, str | None]:
    """Each ``.py`` path's module name: its package's name for it, else its path's."""
    files = [p for p in paths if p.endswith(".py")]
    names: dict[str, str | None] = {p: package_name(p) for p in files}
    taken = {name for name in names.values() if name}
    for path in files:
        if names[path] is None:
            name = path_module_name(path)
            if name is not None and name not in taken:
                names[path] = name
                taken.add(name)
    return names


def basedirs(paths: Iterable[str], is_test: Callable[[str], bool]) -> dict[str, str]:
    """For each test ``.py`` file, the folder pytest puts on ``sys.path`` to import it."""
    files = [p for p in paths if p.endswith(".py")]
    packages = {p.rpartition("/")[0] for p in files if p.rpartition("/")[2] == "__init__.py"}
    found: dict[str, str] = {}
    for path in files:
        if not is_test(path):
            continue
        folder = path.rpartition("/")[0]
        while folder and folder in packages:
            folder = folder.rpartition("/")[0]
        found[path] = folder
    return found


def path_module_name(path: str) -> str | None:
    """The module name a ``.py`` path spells (``tests/utils.py``: ``tests.utils``), if any."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)
