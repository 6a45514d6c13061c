"""What collecting the tests read: the inputs that decide which tests a file defines.

Collecting a test file imports it and runs whatever its top level, its
``conftest.py`` chain and the plugins do: that code decides which tests the
file defines (a test defined only under some Python version, a
``parametrize`` over a variable's value, a data file or a folder listing, an
option of the command line). When the code that ran is unchanged (the coverage
map says which lines collection ran) and none of what it read differs, the
file defines the same tests again, and a file every test of which the map
deselects can be left uncollected.

A recording run notes what collection read: the interpreter and the
installed distributions, the environment variables and command-line options
it looked up (with their values), and the repository's non-Python files it
opened or folders it listed. :meth:`CollectionInputs.differences` says what
differs now; any difference, or anything it could not follow (the whole
environment read at once), keeps every file collected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MISSING", "RUN_ENVIRONMENT", "VARIES", "CollectionInputs", "Now", "shown"]

VARIES = "\0varies"  # a value two processes of the recording run read differently
MISSING = "\0missing"  # an option or setting the run comparing does not have
_UNREPRESENTABLE = "\0unrepresentable"
# What decides how every test runs, not only what collection defines (the active pytest
# plugins, also kept, count for collection only).
RUN_ENVIRONMENT = (
    "interpreter",
    "platform",
    "set of installed distributions",
)  # a value without a repr: never equal to anything
# Options that change how a run reports, orders or filters what was collected, never which
# tests a file defines: their values may differ between the recording run and a selection.
IGNORED_OPTIONS = frozenset(
    {
        "verbose",
        "quiet",
        "color",
        "code_highlight",
        "reportchars",
        "tbstyle",
        "showlocals",
        "fulltrace",
        "capture",
        "showcapture",
        "durations",
        "durations_min",
        "disable_warnings",
        "keyword",
        "markexpr",
        "deselect",
        "exitfirst",
        "maxfail",
        "file_or_dir",
        "numprocesses",
        "maxprocesses",
        "dist",
        "tx",
        "rsyncdir",
        "rsyncignore",
        "looponfail",
        "basetemp",
        "lf",
        "failedfirst",
        "last_failed_no_failures",
        "newfirst",
        "cacheclear",
        "stepwise",
        "stepwise_skip",
        "runxfail",
        "log_level",
        "log_cli_level",
        "no_header",
        "no_summary",
        "collectonly",
        "setuponly",
        "setupplan",
        "setupshow",
        "debug",
        "traceconfig",
        "pastebin",
        "junitxml",
        "xmlpath",
        "resultlog",
        "usepdb",
        "usepdb_cls",
        "trace",
        "showfixtures",
        "show_fixtures_per_test",
        "help",
        "version",
    }
)


def shown(value: object) -> str:
    """``repr(value)``, as options are compared; a value without one never compares equal."""
    try:
        return repr(value)
    except Exception:
        return _UNREPRESENTABLE


@dataclass(frozen=True)
class Now:
    """What the inputs are now, for one selection (read by the caller)."""

    environment: Mapping[str, str]  # interpreter, platform, distributions, active plugins
    variable: Callable[[str], str | None]  # an environment variable's value
    option: Callable[[str], str]  # an option's (or ``ini:<name>`` setting's) value, shown
    content: Callable[[str], str | None]  # a file's digest (None: not readable)
    listing: Callable[[str], str | None]  # a folder's listing digest (None: not a folder)


@dataclass(frozen=True)
class CollectionInputs:
    """What collection read in the recording run."""

    environment: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str | None] = field(default_factory=dict)  # None: unset
    options: Mapping[str, str] = field(default_factory=dict)  # option dest -> repr(value)
    opened: Mapping[str, str | None] = field(default_factory=dict)  # file -> content digest
    listed: Mapping[str, str | None] = field(default_factory=dict)  # folder -> listing digest
    whole_environment: bool = False  # the environment was read at once (copied, iterated)

    def merged(self, other: CollectionInputs) -> CollectionInputs:
        """Both processes' inputs (xdist workers); a value they read differently varies."""

        def union(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
            both = dict(mine)
            for key, value in theirs.items():
                both[key] = value if both.get(key, value) == value else VARIES
            return both

        return CollectionInputs(
            union(self.environment, other.environment),
            union(self.variables, other.variables),
            union(self.options, other.options),
            union(self.opened, other.opened),
            union(self.listed, other.listed),
            self.whole_environment or other.whole_environment,
        )

    def differences(self, now: Now) -> list[str]:
        """Why collection may define other tests now; empty when nothing it read differs."""
        found = self.environment_differences(now, keys=sorted(self.environment))
        if self.whole_environment:
            found.append("collection read the whole environment at once")
        for name, variable in sorted(self.variables.items()):
            if variable == VARIES or now.variable(name) != variable:
                found.append(f"the environment variable {name} differs")
        for name, value in sorted(self.options.items()):
            if name not in IGNORED_OPTIONS and (value == VARIES or now.option(name) != value):
                found.append(f"the option {name} differs")
        for path, digest in sorted(self.opened.items()):
            if digest == VARIES or now.content(path) != digest:
                found.append(f"{path}, which collection read, changed")
        for folder, digest in sorted(self.listed.items()):
            if digest == VARIES or now.listing(folder) != digest:
                found.append(f"the folder {folder}, which collection listed, changed")
        return found

    def environment_differences(self, now: Now, *, keys: list[str] | None = None) -> list[str]:
        """How the interpreter, platform and installed distributions differ (``keys``: those).

        A map describes runs in one environment: a test may take another branch
        under another Python version or platform, or with other packages, so
        the map is not used at all where these differ.
        """
        found: list[str] = []
        for key in RUN_ENVIRONMENT if keys is None else keys:
            if key in self.environment and now.environment.get(key) != self.environment[key]:
                found.append(f"the {key} differs from the recording run's")
        return found

    def to_json(self) -> dict[str, Any]:
        """The form stored in the map."""
        return {
            "environment": dict(sorted(self.environment.items())),
            "variables": dict(sorted(self.variables.items())),
            "options": dict(sorted(self.options.items())),
            "opened": dict(sorted(self.opened.items())),
            "listed": dict(sorted(self.listed.items())),
            "whole_environment": self.whole_environment,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CollectionInputs:
        """The inverse of :meth:`to_json`; a malformed form raises TypeError or ValueError."""

        return cls(
            _strings(data["environment"]),
            _strings(data["variables"], nulls=True),
            _strings(data["options"]),
            _strings(data["opened"], nulls=True),
            _strings(data["listed"], nulls=True),
            bool(data["whole_environment"]),
        )


def _strings(value: object, *, nulls: bool = False) -> dict[str, Any]:
    """``value`` when it is an object of strings (or nulls, with ``nulls``), else TypeError."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and (isinstance(v, str) or (nulls and v is None))
        for k, v in value.items()
    ):
        raise TypeError("expected an object of strings")
    return dict(value)
