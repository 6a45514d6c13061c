"""Whether the ``git commit`` running a hook amends: its command line, read from ``/proc``.

Git tells prepare-commit-msg where the message comes from, not whether the
commit replaces HEAD: ``git commit --amend -m X`` and a plain ``git commit -m
X`` both pass ``message``, and ``git commit -C HEAD`` passes ``commit HEAD``
exactly as ``git commit --amend`` does; the environment is the same too. The
command line of the git process that runs the hook does say it. It is found by
walking up from this process (the pre-commit framework puts its own process in
between) to the nearest ``git``; an alias has been expanded by then (git runs
itself again with the alias's words). Where ``/proc`` is missing the answer is
"unknown" and the caller falls back on git's hook arguments.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = ["amends", "git_command_line", "invoking_git_amends"]

# How far up to look for git: lanewarden, the framework's process, its shell.
_MAX_DEPTH = 8

# git's own options (before the command) that take the next word as their value.
_GLOBAL_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env"}
)
# git commit's options that take a value: short ones (the rest of the word or
# the next word) and long ones (after "=" or the next word; git accepts any
# unambiguous abbreviation of a long option).
_SHORT_WITH_VALUE = frozenset("mFCct")
_LONG_WITH_VALUE = (
    "message",
    "file",
    "author",
    "date",
    "reuse-message",
    "reedit-message",
    "fixup",
    "squash",
    "template",
    "cleanup",
    "trailer",
    "pathspec-from-file",
)
# git commit has no other long option starting with "am".
_AMEND_PREFIXES = frozenset({"am", "ame", "amen", "amend"})


def invoking_git_amends(start: int | None = None) -> bool | None:
    """Whether the nearest ``git`` above process ``start`` (default: this one) is an amend.

    None when no git process is found: no ``/proc``, or lanewarden was not run by git.
    """
    argv = git_command_line(os.getpid() if start is None else start)
    return None if argv is None else amends(argv)


def git_command_line(pid: int) -> list[str] | None:
    """The arguments of the nearest ancestor of ``pid`` that is git, or None."""
    for _ in range(_MAX_DEPTH):
        parent = _parent(pid)
        if parent is None or parent <= 1:
            return None
        pid = parent
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                raw = f.read()
        except OSError:
            return None
        argv = [os.fsdecode(word) for word in raw.split(b"\0")[:-1]]
        if argv and os.path.basename(argv[0]) in ("git", "git-commit"):
            return argv
    return None


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may itself hold spaces and parentheses.
    fields = stat.rpartition(b")")[2].split()
    return int(fields[1]) if len(fields) > 1 else None


def amends(argv: Sequence[str]) -> bool:
    """Whether the git command line ``argv`` is a ``git commit`` that amends HEAD."""
    words = list(argv[1:])
    if os.path.basename(argv[0]) != "git-commit":
        command = _command_index(words)
        if command is None or words[command] != "commit":
            return False
        words = words[command + 1 :]
    amend = False
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            break
        if word.startswith("--"):
            name, has_value, _ = word[2:].partition("=")
            if name in _AMEND_PREFIXES:
                amend = True
            elif name.startswith("no-") and name[3:] in _AMEND_PREFIXES:
                amend = False
            elif (
                not has_value
                and len(name) >= 2
                and any(option.startswith(name) for option in _LONG_WITH_VALUE)
            ):
                i += 1  # the option's value is the next word
        elif word.startswith("-") and len(word) > 1:
            for j, letter in enumerate(word[1:], start=1):
                if letter in _SHORT_WITH_VALUE:
                    if j == len(word) - 1:
                        i += 1  # "-m X": the value is the next word; "-mX" holds it
                    break
    return amend


def _command_index(words: Sequence[str]) -> int | None:
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("-"):
            return i
        if word in _GLOBAL_WITH_VALUE:
            i += 1
        i += 1
    return None
