"""The command line's entry point: parse, dispatch, turn input errors into exit 2.

Each subcommand module exposes a plain ``run(args) -> int`` (or a named
function) and is imported only when its command runs.
:class:`~lanewarden.errors.InputError` becomes a message and exit code 2 here,
and only here.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from types import SimpleNamespace

from lanewarden.errors import InputError

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


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace | SimpleNamespace:
    """The parsed command line (argparse exits 2 on a usage error)."""
    handler = _FAST_PATHS.get(tuple(argv))
    if handler is not None:
        return SimpleNamespace(handler=handler, json="--json" in argv, directory=None)
    from lanewarden.cli.parser import build_parser

    return build_parser(argv).parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (0 ok, 1 refused, 2 bad input)."""
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
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
        _report_error(error, as_json=getattr(args, "json", False))
        return 2
    except BrokenPipeError:
        # The reader went away (`lanewarden lock list | head -1`). Point stdout at
        # /dev/null so the final flush at exit cannot fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _report_error(error: InputError, *, as_json: bool) -> None:
    if as_json:
        import json

        body = {
            "ok": False,
            "error": {
                "message": error.message,
                "path": error.path,
                "line": error.line,
                "fix": error.hint,
            },
        }
        print(json.dumps(body))
    print(f"lanewarden: error: {error}", file=sys.stderr)


def entry() -> None:
    """Console-script entry point."""
    argv = sys.argv[1:]
    code = main(argv)
    if tuple(argv) in _FAST_PATHS:
        _exit_at_once(code)
    raise SystemExit(code)


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
        code = code or 1
    os._exit(code)
