"""How checks and listings reach people (short text) and agents (one JSON object)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from lanewarden.domain.violations import Violation

__all__ = ["emit_json", "print_violations", "report"]


def emit_json(body: Mapping[str, Any]) -> None:
    """Print one JSON object on stdout (valid UTF-8, whatever the paths in it)."""
    import json  # not on the hooks' plain-text path

    text = json.dumps(body, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A path that is not UTF-8 holds surrogate escapes: escape every
        # non-ASCII character instead, so the output stays valid JSON text.
        text = json.dumps(body)
    sys.stdout.write(text + "\n")


def report(
    violations: Sequence[Violation],
    *,
    as_json: bool,
    ok_text: str,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Print a check's result; 0 when it passed, 1 when a policy was violated."""
    ok = not violations
    if as_json:
        emit_json({"ok": ok, "violations": [v.to_json() for v in violations], **(extra or {})})
    elif ok:
        print(ok_text)
    else:
        print_violations(violations, stream=sys.stderr)
    return 0 if ok else 1


def print_violations(violations: Sequence[Violation], *, stream: TextIO) -> None:
    """One line per violation (rule, path, message), then its fix, indented."""
    for violation in violations:
        where = f" {violation.path}:" if violation.path else ""
        print(f"lanewarden: {violation.rule}:{where} {violation.message}", file=stream)
        if violation.fix:
            print(f"  fix: {violation.fix}", file=stream)
