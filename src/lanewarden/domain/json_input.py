"""JSON that lanewarden reads back from files and notes anyone can edit.

Heartbeats, evidence records and notes, and audit log lines are written by
lanewarden, but they live where a person or a program can change them. Read
with plain :func:`json.loads`, a value nested 100,000 deep raises
``RecursionError`` and ``1e999`` becomes an infinite float that ``int()``
turns into ``OverflowError``: crashes, where the caller means to name a bad
file. :func:`load_json` turns every such value into a :class:`ValueError`,
which each reader already reports in its own words.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["MAX_DEPTH", "load_json"]

# lanewarden's own records nest four levels at most; anything far deeper was not
# written by it, and would take the stack of the code that walks it later.
MAX_DEPTH = 64


def load_json(data: bytes | str) -> Any:
    """The JSON value of ``data``; :class:`ValueError` for anything lanewarden never writes.

    Refused: text that is not JSON, ``NaN`` and ``Infinity`` and numbers too
    large for a float, values nested more than :data:`MAX_DEPTH` deep.
    """
    try:
        value = json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(value)
    return value


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:40]!r} is too large")
    return number


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number lanewarden writes")


def _check_depth(value: Any) -> None:
    """Walk ``value`` without recursion: nested deeper than MAX_DEPTH is a ValueError."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
        pending.extend((child, depth + 1) for child in children)
