"""Violations: data with a known rule id, compared by value."""

from __future__ import annotations

import pytest

from lanewarden.domain.violations import Violation


def test_a_violation_is_a_value() -> None:
    one = Violation("out-of-scope", "outside", path="a.py", lock="L-1", fix="unstage it")
    same = Violation(
        rule="out-of-scope", message="outside", path="a.py", lock="L-1", fix="unstage it"
    )
    assert one == same
    assert hash(one) == hash(same)
    assert one != Violation("out-of-scope", "outside", path="b.py", lock="L-1", fix="unstage it")
    assert "rule='out-of-scope'" in repr(one)


def test_with_message_keeps_everything_else() -> None:
    one = Violation("force-push", "rewrites main", path="refs/heads/main", fix="ask")
    changed = one.with_message("rewrites main (approval expired)")
    assert changed.message == "rewrites main (approval expired)"
    assert (changed.rule, changed.path, changed.lock, changed.fix) == (
        "force-push", "refs/heads/main", None, "ask"
    )  # fmt: skip


def test_an_unknown_rule_id_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown rule id 'no-such-rule'"):
        Violation("no-such-rule", "message")
