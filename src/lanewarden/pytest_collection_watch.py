"""Watching what collection reads, while a coverage map is recorded.

While a ``conftest.py`` is imported, and from the start of collection to
its end, the environment variables looked up (``os.environ[...]``,
``os.getenv``), the options read (``config.getoption``,
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
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _pytest

from lanewarden.domain.collection_inputs import CollectionInputs

__all__ = ["CollectionWatch"]

_NOT_THE_PROJECT = ("<frozen ", os.path.dirname(_pytest.__file__) + os.sep)
# Python files are opened to be imported, rewritten or shown in tracebacks: their changes are
# the map's to judge (reading one as data during collection is not seen).
_CODE = (".py", ".pyc", ".pyo", ".so", ".pyd")
_watching: CollectionWatch | None = None  # the audit hook reports to it while it watches
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    watch = _watching
    if watch is None or watch.busy:
        return
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    # Imports (and pytest rewriting what they import) open modules and list folders, and
    # pytest lists the folders it collects: a module or test file there is judged by the
    # map and the static rule. Only what the project's own code reads decides its tests.
    caller = sys._getframe(1).f_code.co_filename
    if caller.startswith(_NOT_THE_PROJECT):
        return
    if event == "open":
        if isinstance(args[0], (str, bytes)):
            watch.opened_path(args[0])
    else:
        watch.listed_path(args[0])


class CollectionWatch:
    """Notes what collection reads; :meth:`stop` ends it and returns what was read."""

    def __init__(self, root: Path, options: argparse.Namespace, *, paused: bool = False) -> None:
        self.root = root
        self.busy = False
        self.variables: dict[str, str | None] = {}
        self.options: dict[str, str] = {}
        self.opened: set[str] = set()
        self.listed: set[str] = set()
        self.whole_environment = False
        self.stopped = False
        self._namespace = options
        self._environ_class = type(os.environ)
        self._saved = {
            name: self._environ_class.__dict__[name] for name in ("__getitem__", "__iter__")
        }
        if not paused:
            self._start()

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
                self.options.setdefault(f"ini:{name}", _shown(value))
            return value

        return read

    def _start(self) -> None:
        global _watching, _hooked
        watch = self
        getitem, iterate = self._saved["__getitem__"], self._saved["__iter__"]

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

        def listed(environ: Any) -> Any:
            if environ is os.environ:
                watch.whole_environment = True
            return iterate(environ)

        self._environ_class.__getitem__ = looked_up  # type: ignore[method-assign]
        self._environ_class.__iter__ = listed  # type: ignore[method-assign]
        self._namespace.__class__ = _watched_namespace(self)
        _watching = self
        if not _hooked:
            sys.addaudithook(_audit)
            _hooked = True

    def pause(self) -> None:
        """Stop watching for now (between the first conftests and collection)."""
        global _watching
        if _watching is self:
            _watching = None
            for name, method in self._saved.items():
                setattr(self._environ_class, name, method)
            self._namespace.__class__ = argparse.Namespace

    def resume(self) -> None:
        """Watch again (collection starts)."""
        if _watching is None and not self.stopped:
            self._start()

    def stop(self) -> CollectionInputs:
        """Stop watching for good; what collection read."""
        self.pause()
        self.stopped = True
        from lanewarden.adapters.interpreter import environment

        return CollectionInputs(
            environment(),
            dict(self.variables),
            dict(self.options),
            frozenset(self.opened),
            frozenset(self.listed),
            self.whole_environment,
        )

    def opened_path(self, path: str | bytes) -> None:
        name = os.fsdecode(path)
        if name.endswith(_CODE):
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
                self.listed.add("" if relative == "." else relative)

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
                watch.options[name] = _shown(value)
            return value

    return WatchedNamespace


def _shown(value: object) -> str:
    """``repr(value)``, as options are compared; a value without one never compares equal."""
    try:
        return repr(value)
    except Exception:
        return "\0unrepresentable"
