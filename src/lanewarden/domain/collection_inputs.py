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

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["VARIES", "CollectionInputs", "Now"]

VARIES = "\0varies"  # a value two processes of the recording run read differently
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


@dataclass(frozen=True)
class Now:
    """What the inputs are now, for one selection (read by the caller)."""

    environment: Mapping[str, str]  # interpreter, platform, installed distributions
    variable: Callable[[str], str | None]  # an environment variable's value
    option: Callable[[str], str] | None  # an option's value (repr); None outside pytest
    changed: Collection[str]  # files whose content differs from the map's tree
    added_or_removed: Collection[str]  # files that exist on one side only


@dataclass(frozen=True)
class CollectionInputs:
    """What collection read in the recording run."""

    environment: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str | None] = field(default_factory=dict)  # None: unset
    options: Mapping[str, str] = field(default_factory=dict)  # option dest -> repr(value)
    opened: frozenset[str] = frozenset()  # non-Python files of the repository opened
    listed: frozenset[str] = frozenset()  # folders of the repository listed ("" the top)
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
            self.opened | other.opened,
            self.listed | other.listed,
            self.whole_environment or other.whole_environment,
        )

    def differences(self, now: Now) -> list[str]:
        """Why collection may define other tests now; empty when nothing it read differs."""
        found: list[str] = []
        if self.whole_environment:
            found.append("collection read the whole environment at once")
        for key, value in sorted(self.environment.items()):
            if now.environment.get(key) != value:
                found.append(f"the {key} differs from the recording run's")
        for name, variable in sorted(self.variables.items()):
            if variable == VARIES or now.variable(name) != variable:
                found.append(f"the environment variable {name} differs")
        for name, value in sorted(self.options.items()):
            if name in IGNORED_OPTIONS:
                continue
            if now.option is None:
                found.append("the options of the pytest run are not known here")
                break
            if value == VARIES or now.option(name) != value:
                found.append(f"the option {name} differs")
        for path in sorted(set(now.changed) & self.opened):
            found.append(f"{path}, which collection read, changed")
        for path in sorted(now.added_or_removed):
            folder = path.rpartition("/")[0]
            if folder in self.listed:
                found.append(f"{path} was added or removed in a folder collection listed")
        return found

    def to_json(self) -> dict[str, Any]:
        """The form stored in the map."""
        return {
            "environment": dict(sorted(self.environment.items())),
            "variables": dict(sorted(self.variables.items())),
            "options": dict(sorted(self.options.items())),
            "opened": sorted(self.opened),
            "listed": sorted(self.listed),
            "whole_environment": self.whole_environment,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CollectionInputs:
        """The inverse of :meth:`to_json`; a malformed form raises TypeError or ValueError."""

        def strings(value: object) -> dict[str, str]:
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise TypeError("expected an object of strings")
            return dict(value)

        variables = data["variables"]
        if not isinstance(variables, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in variables.items()
        ):
            raise TypeError("expected an object of strings or nulls")
        opened, listed = data["opened"], data["listed"]
        if not all(isinstance(p, str) for p in [*opened, *listed]):
            raise TypeError("expected lists of strings")
        return cls(
            strings(data["environment"]),
            dict(variables),
            strings(data["options"]),
            frozenset(opened),
            frozenset(listed),
            bool(data["whole_environment"]),
        )
