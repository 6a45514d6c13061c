"""How a command that did not finish ends: its message, its JSON, its exit code.

Imported only on those paths, so the commands that finish (the pre-commit
hook above all) do not pay for loading it. :func:`lanewarden.cli.main.main`
sends every ending here:

* bad input (:class:`~lanewarden.errors.InputError`, or an :class:`OSError`
  naming a file the user must fix) is exit 2 naming the file, line or option;
* an unexpected exception is a bug: one line naming the command and the
  exception, asking for a report, exit 3 (``LANEWARDEN_DEBUG=1`` adds the
  traceback);
* Ctrl-C is exit 130, and a reader that went away exit 141, as a shell
  reports SIGINT and SIGPIPE.

Under ``--json`` each also prints one JSON object: ``{"ok": false, "error": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from lanewarden.errors import InputError

__all__ = [
    "BAD_INPUT",
    "DEBUG_VARIABLE",
    "INTERNAL_ERROR",
    "INTERRUPTED",
    "READER_GONE",
    "argument_name",
    "bad_input",
    "crash",
    "file_error",
    "interrupted",
    "parse_for_json",
    "reader_gone",
]

BAD_INPUT = 2
INTERNAL_ERROR = 3
INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
READER_GONE = 141  # 128 + SIGPIPE, as shells report `lanewarden lock list | head -1`
DEBUG_VARIABLE = "LANEWARDEN_DEBUG"


def bad_input(error: InputError, *, as_json: bool) -> int:
    """Report ``error`` (where, what, the fix); exit 2."""
    body = {"message": error.message, "path": error.path, "line": error.line, "fix": error.hint}
    _report_ending(f"lanewarden: error: {error}", as_json=as_json, error=body)
    return BAD_INPUT


def file_error(error: OSError, *, as_json: bool, command: str) -> int:
    """A file lanewarden could not use: exit 2 naming it, or 3 when no file is named.

    A folder where a file should be, no permission, a full disk: the user's to
    fix. An error with no file to name is nothing the user can fix: a bug.
    """
    if error.filename is None:
        return crash(error, command=command, as_json=as_json)
    return bad_input(_file_input_error(error), as_json=as_json)


def interrupted(*, as_json: bool) -> int:
    """Ctrl-C: say so, and exit 130 without a traceback."""
    _report_ending("interrupted", as_json=as_json, error={"message": "interrupted"})
    return INTERRUPTED


def reader_gone() -> int:
    """The reader of stdout went away: end quietly, exit 141."""
    _silence(sys.stdout)
    return READER_GONE


# What to do about the usual reasons a file cannot be used, by errno name.
_FILE_FIXES = {
    "EISDIR": "a folder is where a file should be: move it away",
    "ENOTDIR": "a file is where a folder should be: move it away",
    "EEXIST": "something else is in the way: move it away",
    "ELOOP": "a symbolic link leads back to itself: fix or remove the link",
    "EACCES": "lanewarden may not use it: check its permissions",
    "EPERM": "lanewarden may not use it: check its permissions",
    "EROFS": "the file system is read-only",
    "ENOSPC": "the disk is full: free some space",
}


def _file_input_error(error: OSError) -> InputError:
    """An :class:`InputError` naming the file of ``error``, what went wrong, and the fix."""
    import errno

    # A rename names its source, then its target: the target is the user's file.
    name = error.filename if error.filename2 is None else error.filename2
    code = errno.errorcode.get(error.errno or 0, "")
    return InputError(
        f"cannot use this file: {error.strerror or type(error).__name__}",
        path=os.fsdecode(name),
        hint=_FILE_FIXES.get(code, "check that lanewarden can read and write it"),
    )


def argument_name(parser: argparse.ArgumentParser, dest: str) -> str:
    """How the command line spells the argument stored in ``dest``: --owner, or ID."""
    pending = [parser]
    while pending:
        for action in pending.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(action.choices.values())
            elif action.dest == dest:
                if action.option_strings:
                    return max(action.option_strings, key=len)
                return str(action.metavar or dest)
    return dest


def command_name(args: object, argv: Sequence[str]) -> str:
    """The command that ran, like ``lock acquire`` (its words, without options)."""
    command = getattr(args, "command", None)
    if command is None:
        return " ".join(word for word in argv if not word.startswith("-"))[:60] or "lanewarden"
    action = getattr(args, f"{command}_command", None)
    return f"{command} {action}" if action else str(command)


def crash(error: Exception, *, command: str, as_json: bool) -> int:
    """Say in one line that ``command`` failed with ``error``, a bug to report; exit 3."""
    debug = os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    if debug:
        import traceback

        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    kind = type(error).__name__
    how = "" if debug else f"; {DEBUG_VARIABLE}=1 shows the traceback"
    text = (
        f"lanewarden: internal error in `lanewarden {command}`: {kind}: {error} "
        f"(a bug: please report it{how})"
    )
    body = {
        "message": f"internal error: {kind}: {error}",
        "command": command,
        "exception": kind,
        "path": None,
        "line": None,
        "fix": f"report this bug, with the output of {DEBUG_VARIABLE}=1 lanewarden {command}",
    }
    _report_ending(text.replace("\n", " "), as_json=as_json, error=body)
    return INTERNAL_ERROR


def parse_for_json(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line that asks for JSON: a usage error prints one JSON object too."""
    import contextlib
    import io

    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            return parser.parse_args(argv)
    except SystemExit as exit:
        text = said.getvalue()
        if exit.code == 2:  # argparse's usage error; its own words are the last lines
            message = text[text.find("lanewarden: error: ") :].removeprefix("lanewarden: error: ")
            words, _, fix = message.partition("\n  fix: ")
            body = {"message": words.strip(), "path": None, "line": None, "fix": fix.strip()}
            _say(json.dumps({"ok": False, "error": body}), sys.stdout)
        sys.stderr.write(text)
        raise


def _report_ending(text: str, *, as_json: bool, error: Mapping[str, object]) -> None:
    """The last words of a command that did not finish: stderr, and JSON when asked."""
    if as_json:
        _say(json.dumps({"ok": False, "error": error}), sys.stdout)
    _say(text, sys.stderr)


def _say(text: str, stream: TextIO) -> None:
    try:
        print(text, file=stream, flush=True)
    except OSError:  # nobody is listening any more: the exit code still tells
        _silence(stream)


def _silence(stream: TextIO) -> None:
    """Point ``stream`` at /dev/null, so the flush at exit cannot fail a second time."""
    import contextlib

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
