"""Configuration: ``[tool.lanewarden]`` in ``pyproject.toml`` or a ``lanewarden.toml``.

Both files are read from the work tree's top level; ``lanewarden.toml`` wins
when both exist. Every key has a default that works on a fresh repository.
An unknown key or a bad value is an :class:`~lanewarden.errors.InputError`
naming the key and the file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, NamedTuple

from lanewarden.domain.times import parse_duration
from lanewarden.errors import InputError

__all__ = ["CONFIG_FILES", "DEFAULT_FULL_SUITE_TRIGGERS", "Config", "load_config"]

CONFIG_FILES = ("lanewarden.toml", "pyproject.toml")
MODES = ("single-branch", "worktrees")

# Gitignore-style globs whose change makes the pytest plugin run every test.
DEFAULT_FULL_SUITE_TRIGGERS = (
    "/conftest.py",
    "/pyproject.toml",
    "/setup.cfg",
    "/setup.py",
    "/tox.ini",
    "/pytest.ini",
    "/noxfile.py",
    "/lanewarden.toml",
    "requirements*.txt",
    "requirements*.in",
    "/requirements/",
    "*.lock",
    "/constraints*.txt",
)


# The defaults of the table-valued keys: shared, so read-only.
_NO_ENTRIES: Mapping[str, Any] = MappingProxyType({})


class Config(NamedTuple):
    """The validated configuration of one repository."""

    root: Path
    source: Path | None = None
    mode: str = "single-branch"
    target_branch: str = "main"
    policy_file: str = "AGENTS.md"
    ledger: str = "PLAN.md"
    decision_registers: tuple[str, ...] = ("DECISIONS.md",)
    hotspots: tuple[str, ...] = ()
    packages: tuple[str, ...] | None = None
    package_tests: Mapping[str, tuple[str, ...]] = _NO_ENTRIES
    full_suite_triggers: tuple[str, ...] = DEFAULT_FULL_SUITE_TRIGGERS
    full_suite_triggers_replace: bool = False  # the configured triggers drop the defaults
    lock_ttl: timedelta = timedelta(hours=1)
    heartbeat_stale_after: timedelta = timedelta(minutes=30)
    max_lock_ttl: timedelta = timedelta(hours=24)
    protected_branches: tuple[str, ...] = ()
    autonomous: bool = False
    gates: Mapping[str, Any] = _NO_ENTRIES
    required_gates: Mapping[str, str] = _NO_ENTRIES
    policies: Mapping[str, Any] = _NO_ENTRIES
    worktree_dir: str = "../{repo}-{lane}"
    brief_template: str | None = None
    # The registry across machines: "remote" keeps the lock table on a remote's ref.
    registry: str = "local"
    registry_remote: str = "origin"
    registry_ref: str | None = None  # default: the target branch (a protected one: a dedicated ref)
    registry_max_age: timedelta = timedelta(minutes=10)
    integrate_strategy: str = "cherry-pick"  # or "merge" (worktree mode): how lanes are applied
    untested_ok: tuple[str, ...] = ()  # changed files no test reaches that a gate run accepts
    record_coverage: bool = False  # a gate run of the whole suite records the coverage map

    @property
    def source_name(self) -> str:
        """The file the configuration came from, for error messages."""
        return self.source.name if self.source else "(defaults)"


def load_config(root: Path, *, cache: Path | None = None) -> Config:
    """Read and validate the configuration of the work tree at ``root``.

    With ``cache`` (a file lanewarden owns), the ``[tool.lanewarden]`` table is
    kept there in :mod:`marshal` form, keyed by the config file's change
    stamps: the hooks then skip importing a TOML parser (~10 ms here).
    """
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            if path.is_dir() or path.is_symlink():  # there, but no file to read
                raise InputError(
                    "the configuration is not a readable file (a folder, or a broken link)",
                    path=path,
                    hint=f"make {name} a TOML file, or remove it",
                )
            continue
        table = _cached_table(cache, path) if cache else _MISSING
        if table is _MISSING:
            table = _read_table(path)
            if cache:
                _store_table(cache, path, table)
        if table is not None:
            return _validate(root, path, table)
    return Config(root=root)


_MISSING: Any = object()


def _stamp(path: Path) -> list[Any]:
    from lanewarden import __version__
    from lanewarden.adapters.marshal_cache import file_stamp

    return [__version__, str(path), file_stamp(path)]


def _cached_table(cache: Path, path: Path) -> Any:
    from lanewarden.adapters import marshal_cache

    table = marshal_cache.load(cache, _stamp(path))
    return _MISSING if table is marshal_cache.MISSING else table


def _store_table(cache: Path, path: Path, table: Mapping[str, Any] | None) -> None:
    from lanewarden.adapters import marshal_cache

    # A TOML date or time is not marshal data: such a file is read each time.
    marshal_cache.store(cache, _stamp(path), None if table is None else dict(table))


def _read_table(path: Path) -> Mapping[str, Any] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as f:
            document = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML: {e}", path=path) from None
    except UnicodeDecodeError as e:  # tomllib decodes the whole file first
        raise InputError(
            f"not valid UTF-8 (byte {e.object[e.start]:#04x}): TOML files are UTF-8",
            path=path,
            line=e.object[: e.start].count(b"\n") + 1,
            hint="save the file as UTF-8",
        ) from None
    except RecursionError:
        raise InputError("not valid TOML: nested too deeply", path=path) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", path=path) from None
    if path.name == "lanewarden.toml":
        return dict(document)
    tool = document.get("tool", {})
    table = tool.get("lanewarden") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise InputError("[tool.lanewarden] must be a table", path=path)
    return dict(table)


def _validate(root: Path, path: Path, table: Mapping[str, Any]) -> Config:
    values: dict[str, Any] = {}
    for key, raw in table.items():
        check = _CHECKS.get(key)
        if check is None:
            known = ", ".join(sorted(_CHECKS))
            raise InputError(f"unknown key {key!r} (known keys: {known})", path=path)
        try:
            values[key] = check(raw)
        except (TypeError, ValueError) as e:
            raise InputError(f"bad value for {key!r}: {e}", path=path) from None
    # Configured triggers add to the defaults, so naming one more glob cannot
    # silently stop a changed pyproject.toml from running every test.
    base = () if values.get("full_suite_triggers_replace") else DEFAULT_FULL_SUITE_TRIGGERS
    extra = values.get("full_suite_triggers", ())
    values["full_suite_triggers"] = tuple(dict.fromkeys((*base, *extra)))
    return Config(root=root, source=path, **values)


def _string(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise TypeError(f"expected a non-empty string, got {raw!r}")
    return raw


def _strings(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise TypeError(f"expected a list of strings, got {raw!r}")
    return tuple(_string(item) for item in raw)


def _branch(raw: Any) -> str:
    # git check-ref-format's rules, for the ones a config value could break:
    # git would read a leading '-' as an option, and the rest is never a branch.
    name = _string(raw)
    bad = set(" ~^:?*[\\\x7f") | {chr(c) for c in range(32)}
    if (
        name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or ".." in name
        or "@{" in name
        or "//" in name
        or bad & set(name)
    ):
        raise ValueError(f"{name!r} is not a valid branch name (see git check-ref-format)")
    return name


def _repo_path(raw: Any) -> str:
    text = _string(raw)
    if any(ord(c) < 32 for c in text):
        raise ValueError(f"{text!r} must not contain control characters")
    posix = PurePosixPath(text.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or Path(text).is_absolute():
        raise ValueError(f"{text!r} must be a path inside the repository, relative to its top")
    return str(posix)


def _repo_paths(raw: Any) -> tuple[str, ...]:
    paths = _strings(raw)
    if not paths:
        raise ValueError("expected at least one path")
    return tuple(_repo_path(p) for p in paths)


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(raw: Any) -> str:
        if raw not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {raw!r}")
        return str(raw)

    return check


def _duration(raw: Any) -> timedelta:
    return parse_duration(_string(raw))


def _boolean(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise TypeError(f"expected true or false, got {raw!r}")
    return raw


def _table(raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(f"expected a table, got {raw!r}")
    return raw


def _package_tests(raw: Any) -> Mapping[str, tuple[str, ...]]:
    return {_string(name): _strings(globs) for name, globs in _table(raw).items()}


def _required_gates(raw: Any) -> Mapping[str, str]:
    # Branch glob -> gate name; an empty string requires no evidence.
    gates: dict[str, str] = {}
    for branch, gate in _table(raw).items():
        if not isinstance(gate, str):
            raise TypeError(f"expected a gate name for {branch!r}, got {gate!r}")
        gates[_string(branch)] = gate
    return gates


def _packages(raw: Any) -> tuple[str, ...] | None:
    if raw == "auto":
        return None
    return _strings(raw)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "mode": _choice(MODES),
    "target_branch": _branch,
    "policy_file": _repo_path,
    "ledger": _repo_path,
    "decision_registers": _repo_paths,
    "hotspots": _strings,
    "packages": _packages,
    "package_tests": _package_tests,
    "full_suite_triggers": _strings,
    "full_suite_triggers_replace": _boolean,
    "lock_ttl": _duration,
    "heartbeat_stale_after": _duration,
    "max_lock_ttl": _duration,
    "protected_branches": _strings,
    "autonomous": _boolean,
    "gates": _table,
    "required_gates": _required_gates,
    "policies": _table,
    "worktree_dir": _string,
    "brief_template": _repo_path,
    "registry": _choice(("local", "remote")),
    "registry_remote": _string,
    "registry_ref": _branch,  # a branch name, or a full ref (refs/...)
    "registry_max_age": _duration,
    "integrate_strategy": _choice(("cherry-pick", "merge")),
    "untested_ok": _strings,
    "record_coverage": _boolean,
}
