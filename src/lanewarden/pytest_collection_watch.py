"""Watching what collection reads, while a coverage map is recorded.

While a ``conftest.py`` is imported, and from the start of collection to
its end, the environment variables looked up or set (``os.environ[...]``,
``os.getenv``, ``setdefault``), the options read (``config.getoption``,
``config.option.name``) and ini settings (``config.getini``), the
repository's non-Python files opened and its folders listed are noted, as
:class:`lanewarden.domain.collection_inputs.CollectionInputs`. Reading the
whole environment at once (a copy, a loop over it) is noted as such.

Looking up is watched by wrapping ``os.environ``'s class and giving the
options' namespace a class that notes reads, and opening and listing through
an audit hook (:func:`sys.addaudithook`); all of it ends with collection (an
audit hook cannot be removed: it then returns at once).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import _pytest

from lanewarden.domain.collection_inputs import CollectionInputs, shown

if TYPE_CHECKING:
    import pytest

__all__ = ["CollectionWatch", "active_plugins", "content_digest", "listing_digest"]

_ENVIRON = type(os.environ)
_ORIGINAL = {name: _ENVIRON.__dict__[name] for name in ("__getitem__", "__setitem__", "__iter__")}
_PYTEST = os.path.dirname(_pytest.__file__) + os.sep
_STDLIB = (sysconfig.get_paths()["stdlib"] + os.sep, "<frozen ")
_IMPORT_SYSTEM = ("<frozen importlib._bootstrap>", "<frozen zipimport>")
# Python files are opened to be imported, rewritten or shown in tracebacks: their changes are
# the map's to judge (reading one as data during collection is not seen).
_CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pyd")
_NOT_LISTED = frozenset({"__pycache__", ".pytest_cache"})  # what runs themselves write
_watching: CollectionWatch | None = None  # the audit hook reports to it while it watches
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    watch = _watching
    if watch is None or watch.busy or not args:
        return
    if event not in ("open", "os.listdir", "os.scandir"):
        return
    try:
        if not _by_the_project(sys._getframe(1)):
            return
        if event == "open":
            if isinstance(args[0], (str, bytes)):
                watch.opened_path(args[0])
        else:
            watch.listed_path(args[0])
    except Exception:  # never fail the user's open(): an event unseen is a file not noted
        return


def _by_the_project(frame: FrameType | None) -> bool:
    """Whether the code that opened or listed is the project's (or a plugin's), not pytest's.

    The standard library's frames are passed over (``os.walk``, ``codecs.open``,
    ``pkgutil.get_data`` read for their callers); one of the import system
    among them is an import, and pytest's own code lists the folders it collects:
    a module or test file there is judged by the map and the static rule.
    """
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(_IMPORT_SYSTEM):
            return False
        if not name.startswith(_STDLIB):
            return not name.startswith(_PYTEST)
        frame = frame.f_back
    return False


def listing_digest(folder: Path) -> str | None:
    """A digest of the names in ``folder`` (None: not a folder), as collection saw them."""
    try:
        names = sorted(set(os.listdir(folder)) - _NOT_LISTED)
    except OSError:
        return None
    return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def content_digest(path: Path) -> str | None:
    """A digest of the file's bytes (None: it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def active_plugins(manager: Any) -> str:
    """The installed pytest plugins this run loaded (``-p no:x`` leaves one out), as one line."""
    names = {
        f"{getattr(dist, 'project_name', dist)}:{getattr(plugin, '__name__', '?')}"
        for plugin, dist in manager.list_plugin_distinfo()
    }
    return ", ".join(sorted(names))


class CollectionWatch:
    """Notes what collection reads; :meth:`stop` ends it and returns what was read."""

    def __init__(self, root: Path, options: argparse.Namespace, plugins: Any) -> None:
        self.root = root
        self._plugins = plugins  # the plugin manager: which plugins are active
        self.busy = False
        self.stopped = False
        self.variables: dict[str, str | None] = {}
        self.options: dict[str, str] = {}
        self.opened: set[str] = set()
        self.listed: set[str] = set()
        self.whole_environment = False
        self._namespace = options
        self._namespace_class = _watched_namespace(self)

    @classmethod
    def attach(cls, config: pytest.Config, root: Path) -> CollectionWatch | None:
        """A watch over ``config``'s conftest imports, options and ini settings.

        pytest imports conftests through one method of its plugin manager.
        Where a version has none, there is no watch (None): the map then says
        nothing of what collection read, and every test file is collected.
        Whatever ends the run, ``os.environ`` is restored.
        """
        manager = config.pluginmanager
        original = getattr(manager, "_importconftest", None)
        if not callable(original):
            return None
        watch = cls(root, config.option, manager)
        manager._importconftest = watch.watching(original)  # type: ignore[method-assign]
        config.getini = watch.reading_ini(config.getini)  # type: ignore[method-assign,assignment]
        config.add_cleanup(watch.pause)
        return watch

    def watching(self, call: Callable[..., Any]) -> Callable[..., Any]:
        """``call``, watched while it runs (importing a conftest.py before collection)."""

        def watched(*args: Any, **kwargs: Any) -> Any:
            if _watching is not None or self.stopped:
                return call(*args, **kwargs)
            self.resume()
            try:
                return call(*args, **kwargs)
            finally:
                self.pause()

        return watched

    def reading_ini(self, getini: Callable[[str], Any]) -> Callable[[str], Any]:
        """``config.getini``, noting each setting read while watching (as ``ini:<name>``)."""

        def read(name: str) -> Any:
            value = getini(name)
            if _watching is self:
                self.options.setdefault(f"ini:{name}", shown(value))
            return value

        return read

    def resume(self) -> None:
        """Watch (a conftest is imported, or collection starts)."""
        global _watching, _hooked
        if _watching is not None or self.stopped:
            return
        watch = self
        getitem, setitem, iterate = (
            _ORIGINAL[n] for n in ("__getitem__", "__setitem__", "__iter__")
        )

        def looked_up(environ: Any, key: Any) -> Any:
            try:
                value = getitem(environ, key)
            except KeyError:
                if environ is os.environ and isinstance(key, str):
                    watch.variables.setdefault(key, None)
                raise
            if environ is os.environ and isinstance(key, str):
                watch.variables.setdefault(key, value)
            return value

        def set_to(environ: Any, key: Any, value: Any) -> None:
            setitem(environ, key, value)
            if environ is os.environ and isinstance(key, str) and isinstance(value, str):
                # What the run sets itself (a conftest's setdefault) it finds set again later.
                watch.variables[key] = value

        def listed(environ: Any) -> Any:
            if environ is os.environ:
                watch.whole_environment = True
            return iterate(environ)

        _ENVIRON.__getitem__ = looked_up  # type: ignore[method-assign]
        _ENVIRON.__setitem__ = set_to  # type: ignore[method-assign]
        _ENVIRON.__iter__ = listed  # type: ignore[method-assign]
        self._namespace.__class__ = self._namespace_class
        _watching = self
        if not _hooked:
            sys.addaudithook(_audit)
            _hooked = True

    def pause(self) -> None:
        """Stop watching for now (between the first conftests and collection)."""
        global _watching
        if _watching is self:
            _watching = None
        for name, method in _ORIGINAL.items():
            setattr(_ENVIRON, name, method)
        if type(self._namespace) is self._namespace_class:
            self._namespace.__class__ = argparse.Namespace

    def stop(self) -> CollectionInputs:
        """Stop watching for good; what collection read, with the files' contents as now."""
        self.pause()
        self.stopped = True
        from lanewarden.adapters.interpreter import environment

        plugins = {"set of active pytest plugins": active_plugins(self._plugins)}
        return CollectionInputs(
            {**environment(), **plugins},
            dict(self.variables),
            dict(self.options),
            {path: content_digest(self.root / path) for path in sorted(self.opened)},
            {folder: listing_digest(self.root / folder) for folder in sorted(self.listed)},
            self.whole_environment,
        )

    def opened_path(self, path: str | bytes) -> None:
        name = os.fsdecode(path)
        if name.endswith(_CODE_SUFFIXES):
            return
        relative = self._relative(name)
        if relative:
            self.opened.add(relative)

    def listed_path(self, path: object) -> None:
        if path is None:
            path = "."
        if isinstance(path, (str, bytes)):
            relative = self._relative(os.fsdecode(path))
            if relative is not None:
                self.listed.add(relative)

    def _relative(self, name: str) -> str | None:
        """``name`` from the repository top, or None outside it (or inside ``.git``)."""
        self.busy = True
        try:
            relative = Path(os.path.realpath(name)).relative_to(self.root).as_posix()
        except (OSError, ValueError):
            return None
        finally:
            self.busy = False
        if relative == ".git" or relative.startswith(".git/"):
            return None
        return relative


def _watched_namespace(watch: CollectionWatch) -> type[argparse.Namespace]:
    """A class for the options' namespace that notes each option read, with its value."""

    class WatchedNamespace(argparse.Namespace):
        def __getattribute__(self, name: str) -> Any:
            value = super().__getattribute__(name)
            if not name.startswith("_") and name not in watch.options:
                watch.options[name] = shown(value)
            return value

    return WatchedNamespace
