"""The command line's entry point: parse, dispatch, and give every ending its exit code.

Each subcommand module exposes a plain ``run(args) -> int`` (or a named
function) and is imported only when its command runs. Exit codes mean one
thing each: 0 done or passed, 1 refused by policy (returned by the command),
2 bad input (:class:`~lanewarden.errors.InputError`, turned into a message
here and only here; an :class:`OSError` naming a file too), 1 also for a
:class:`~lanewarden.errors.PolicyRefusal` raised midway, 3 an unexpected
error (a bug: one line, no traceback unless ``LANEWARDEN_DEBUG=1``), 130
interrupted (Ctrl-C), 141 the reader of the output went away (a closed pipe,
as a shell reports SIGPIPE). A crash never looks like a refusal. The words
of each ending are in :mod:`lanewarden.cli.endings`, loaded only then.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from types import SimpleNamespace

from lanewarden.errors import InputError, PolicyRefusal

# typing.TYPE_CHECKING would import typing (~3 ms) into every command's start-up;
# mypy reads the guarded import all the same.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

__all__ = ["entry", "main"]


# git runs the pre-commit hook on every commit, and its speed target leaves no
# room for argparse and a parser of every command: its exact argument lists are
# recognised directly. Anything else, --help included, goes through the parser.
_FAST_PATHS = {
    ("hook", "pre-commit"): "lanewarden.cli.precommit",
    ("hook", "pre-commit", "--json"): "lanewarden.cli.precommit",
}

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
    if _wants_json(argv):
        from lanewarden.cli import endings  # ~6 ms: not on every command's start-up

        args = endings.parse_for_json(parser, argv)
    else:
        args = parser.parse_args(argv)
    for dest, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if dest not in _BYTES_ALLOWED and isinstance(item, str) and not _is_utf8(item):
                from lanewarden.cli import endings

                name = endings.argument_name(parser, dest)
                raise InputError(
                    f"{name}: not valid UTF-8 ({os.fsencode(item)!r})",
                    hint="pass the text as UTF-8",
                )
    return args


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
    # Each ending's words live in lanewarden.cli.endings, loaded only when needed.
    except InputError as error:
        from lanewarden.cli import endings

        return endings.bad_input(error, as_json=as_json)
    except PolicyRefusal as refusal:  # found midway, as in a ledger transaction: exit 1
        from lanewarden.cli.output import report

        return report(refusal.violations, as_json=as_json, ok_text="")
    except BrokenPipeError:
        from lanewarden.cli import endings

        return endings.reader_gone()
    except OSError as error:
        from lanewarden.cli import endings

        command = endings.command_name(args, argv)
        return endings.file_error(error, as_json=as_json, command=command)
    except KeyboardInterrupt:
        from lanewarden.cli import endings

        return endings.interrupted(as_json=as_json)
    except Exception as error:  # the last resort: a bug must not look like a refusal
        from lanewarden.cli import endings

        return endings.crash(error, command=endings.command_name(args, argv), as_json=as_json)


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (``--json``, or ``verify --format json``)."""
    if "--json" in argv or "--format=json" in argv:
        return True
    return any(list(argv[i : i + 2]) == ["--format", "json"] for i in range(len(argv) - 1))


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
        from lanewarden.cli.endings import READER_GONE

        code = code or READER_GONE
    os._exit(code)
