"""Reading back JSON anyone can edit: every value lanewarden never writes is a ValueError."""

from __future__ import annotations

import pytest

from lanewarden.domain.json_input import MAX_DEPTH, load_json


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # past the interpreter's stack
        '{"a": ' * 100_000 + "1" + "}" * 100_000,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),  # parses, but deeper than any record
        '{"passed": 1e999}',
        '{"passed": -1e999}',
        "[NaN]",
        "[Infinity]",
        "{",
    ],
    ids=lambda text: text[:20],
)
def test_what_lanewarden_never_writes_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"nested|too large|not a number|Expecting"):
        load_json(text)


def test_records_as_lanewarden_writes_them_load() -> None:
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_json(nested) is not None
    assert load_json(b'{"counts": {"passed": 3}, "duration": 1.5e2}') == {
        "counts": {"passed": 3},
        "duration": 150.0,
    }
