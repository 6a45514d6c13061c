"""The command line's entry point: parse, dispatch, and give every ending its exit code.

Each subcommand module exposes a plain ``run(args) -> int`` (or a named
function) and is imported only when its command runs. Exit codes mean one
thing each: 0 done or passed, 1 refused by policy (returned by the command),
2 bad input (:class:`~lanewarden.errors.InputError`, turned into a message
here and only here; an :class:`OSError` naming a file too), 3 an unexpected
error (a bug: one line, no traceback unless ``LANEWARDEN_DEBUG=1``), 130
interrupted (Ctrl-C), 141 the reader of the output went away (a closed pipe,
as a shell reports SIGPIPE). A crash never looks like a refusal.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

from lanewarden.errors import InputError

# typing.TYPE_CHECKING would import typing (~3 ms) into every command's start-up;
# mypy reads the guarded import all the same.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import TextIO

__all__ = ["entry", "main"]


# git runs the pre-commit hook on every commit, and its speed target leaves no
# room for argparse and a parser of every command: its exact argument lists are
# recognised directly. Anything else, --help included, goes through the parser.
_FAST_PATHS = {
    ("hook", "pre-commit"): "lanewarden.cli.precommit",
    ("hook", "pre-commit", "--json"): "lanewarden.cli.precommit",
}

EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_READER_GONE = 141  # 128 + SIGPIPE, as shells report `lanewarden lock list | head -1`
DEBUG_VARIABLE = "LANEWARDEN_DEBUG"

# Arguments that name files or git objects: any bytes the system allows pass
# through (decoded with surrogate escapes, as os.fsdecode does). Every other
# argument is text lanewarden stores or compares, so it must be valid UTF-8.
_BYTES_ALLOWED = frozenset({"paths", "file", "directory", "remote", "url", "rev", "range"})


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace | SimpleNamespace:
    """The parsed command line (argparse exits 2 on a usage error).

    Text that is not valid UTF-8 (it reaches Python as surrogate escapes) is an
    :class:`InputError` naming the option, unless the argument is a path.
    """
    handler = _FAST_PATHS.get(tuple(argv))
    if handler is not None:
        command, action = argv[0], argv[1]  # like the parser's: command, hook_command
        return SimpleNamespace(
            handler=handler,
            json="--json" in argv,
            directory=None,
            command=command,
            **{f"{command}_command": action},
        )
    from lanewarden.cli.parser import build_parser

    parser = build_parser(argv)
    args = _parse(parser, argv) if _wants_json(argv) else parser.parse_args(argv)
    for dest, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if dest not in _BYTES_ALLOWED and isinstance(item, str) and not _is_utf8(item):
                raise InputError(
                    f"{_argument_name(parser, dest)}: not valid UTF-8 ({os.fsencode(item)!r})",
                    hint="pass the text as UTF-8",
                )
    return args


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (``--json``, or ``verify --format json``)."""
    if "--json" in argv or "--format=json" in argv:
        return True
    return any(list(argv[i : i + 2]) == ["--format", "json"] for i in range(len(argv) - 1))


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
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
            _say(_json({"ok": False, "error": body}), sys.stdout)
        sys.stderr.write(text)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code: 0 ok, 1 refused, 2 bad input, 3 a bug, 130 Ctrl-C."""
    argv = sys.argv[1:] if argv is None else argv
    as_json = _wants_json(argv)
    args: argparse.Namespace | SimpleNamespace | None = None
    try:
        _check_environment()
        args = parse_arguments(argv)
        as_json = bool(getattr(args, "json", False)) or getattr(args, "format", "") == "json"
        if args.directory:
            try:
                os.chdir(args.directory)
            except OSError as e:
                raise InputError(f"cannot enter: {e.strerror}", path=args.directory) from None
        module_name, _, function = args.handler.partition(":")
        module = importlib.import_module(module_name)
        code: int = getattr(module, function or "run")(args)
        return code
    except InputError as error:
        _report_error(error, as_json=as_json)
        return 2
    except BrokenPipeError:
        # The reader went away (`lanewarden lock list | head -1`). Point stdout at
        # /dev/null so the final flush at exit cannot fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_READER_GONE
    except OSError as error:
        if error.filename is None:  # no file to name: not something the user can fix
            return _report_crash(error, command=_command_name(args, argv), as_json=as_json)
        # A file lanewarden could not read or write (a folder where a file should
        # be, no permission, a full disk): the user's to fix, so exit 2 naming it.
        _report_error(_file_error(error), as_json=as_json)
        return 2
    except KeyboardInterrupt:
        _report_ending("interrupted", as_json=as_json, error={"message": "interrupted"})
        return EXIT_INTERRUPTED
    except Exception as error:  # the last resort: a bug must not look like a refusal
        return _report_crash(error, command=_command_name(args, argv), as_json=as_json)


# What to do about the usual reasons a file cannot be used, by errno name.
_FILE_FIXES = {
    "EISDIR": "a folder is where a file should be: move it away",
    "ENOTDIR": "a file is where a folder should be: move it away",
    "EEXIST": "something else is in the way: move it away",
    "ELOOP": "a symbolic link points at itself: fix or remove the link",
    "EACCES": "lanewarden may not use it: check its permissions",
    "EPERM": "lanewarden may not use it: check its permissions",
    "EROFS": "the file system is read-only",
    "ENOSPC": "the disk is full: free some space",
}


def _file_error(error: OSError) -> InputError:
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


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_environment() -> None:
    """Refuse a ``LANEWARDEN_*`` variable whose value is not valid UTF-8 text."""
    for name, value in os.environ.items():
        if name.startswith("LANEWARDEN_") and not _is_utf8(value):
            raise InputError(
                f"environment variable {name}: not valid UTF-8 ({os.fsencode(value)!r})",
                hint=f"set {name} to UTF-8 text, or unset it",
            )


def _argument_name(parser: argparse.ArgumentParser, dest: str) -> str:
    """How the command line spells the argument stored in ``dest``: --owner, or ID."""
    import argparse

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


def _command_name(args: argparse.Namespace | SimpleNamespace | None, argv: Sequence[str]) -> str:
    """The command that ran, like ``lock acquire`` (its words, without options)."""
    command = getattr(args, "command", None)
    if command is None:
        return " ".join(word for word in argv if not word.startswith("-"))[:60] or "lanewarden"
    action = getattr(args, f"{command}_command", None)
    return f"{command} {action}" if action else str(command)


def _report_crash(error: Exception, *, command: str, as_json: bool) -> int:
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
    return EXIT_INTERNAL_ERROR


def _report_ending(text: str, *, as_json: bool, error: Mapping[str, object]) -> None:
    """The last words of a command that did not finish: stderr, and JSON when asked."""
    if as_json:
        _say(_json({"ok": False, "error": error}), sys.stdout)
    _say(text, sys.stderr)


def _json(body: Mapping[str, object]) -> str:
    import json

    return json.dumps(body)


def _say(text: str, stream: TextIO) -> None:
    try:
        print(text, file=stream, flush=True)
    except OSError:
        # Nobody is listening any more, and the exit code still tells. Point the
        # stream at /dev/null so the flush at exit cannot fail a second time.
        import contextlib

        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def _report_error(error: InputError, *, as_json: bool) -> None:
    body = {
        "message": error.message,
        "path": error.path,
        "line": error.line,
        "fix": error.hint,
    }
    _report_ending(f"lanewarden: error: {error}", as_json=as_json, error=body)


def entry() -> None:
    """Console-script entry point."""
    argv = sys.argv[1:]
    _print_any_path()
    code = main(argv)
    if tuple(argv) in _FAST_PATHS:
        _exit_at_once(code)
    raise SystemExit(code)


def _print_any_path() -> None:
    """Let stdout print every path git can name, as the bytes it has on disk.

    A name that is not valid UTF-8 reaches Python as surrogate escapes (like
    :func:`os.fsdecode`); writing it back with the same error handler gives
    the original bytes, where the default would raise mid-output.
    """
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is None:  # not a text stream: nothing to configure
        return
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    reconfigure(errors="surrogateescape" if utf8 else "backslashreplace")


def _exit_at_once(code: int) -> None:
    """End the process without the interpreter's teardown.

    Freeing every module and object costs the pre-commit hook ~5 ms of each
    commit. The hook has nothing left to do by then: it writes its caches with
    ``atomic_write``, which closes them, and registers no ``atexit`` handler,
    so only the standard streams need flushing.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away: nothing is left to say to it
        code = code or EXIT_READER_GONE
    os._exit(code)
