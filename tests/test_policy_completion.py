"""Appending the missing policy sections to any text a user may have written."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lanewarden.adapters.config import Config
from lanewarden.domain.policies.bootstrap import judge_policies
from lanewarden.domain.policies.builtin import builtin_policies
from lanewarden.domain.policies.completion import append_markdown, complete_policy_text
from lanewarden.domain.policies.configured import PolicySettings
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.errors import InputError

POLICIES = builtin_policies(Config(root=Path(".")))
NONE_OFF = PolicySettings(disabled={}, extra=())
markdownish = st.lists(
    st.sampled_from(
        [
            "# Title",
            "## Locks",
            "text",
            "- item",
            "  - nested",
            "```",
            "~~~",
            "<!--",
            "-->",
            "> quote",
            "    code",
            "| a | b |",
            "|---|---|",
            "",
            "\r",
            "**bold**",
            "<div>",
        ]
    )
).map("\n".join)


def test_append_keeps_the_text_and_separates_with_a_blank_line() -> None:
    assert append_markdown("a", "b\n") == "a\n\nb\n"
    assert append_markdown("a\r\n", "b\nc\n") == "a\r\n\r\nb\r\nc\r\n"
    assert append_markdown("", "b\n") == "b\n"


def test_nothing_is_appended_to_a_complete_file() -> None:
    text, _ = complete_policy_text("", POLICIES, NONE_OFF, path="AGENTS.md")
    assert complete_policy_text(text, POLICIES, NONE_OFF, path="AGENTS.md") == (text, [])


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), markdownish))
def test_completing_any_text_keeps_it_and_passes_or_refuses(user_text: str) -> None:
    refusal: InputError | None = None
    try:
        text, appended = complete_policy_text(user_text, POLICIES, NONE_OFF, path="AGENTS.md")
    except InputError as error:
        refusal = error
    if refusal is not None:
        # Refused only for a block that runs on into the appended text, and it says where.
        assert refusal.path == "AGENTS.md"
        assert refusal.line is not None
        return
    assert text.startswith(user_text)
    results = judge_policies(POLICIES, NONE_OFF, PolicyDocument.parse(text))
    assert not [r.policy.id for r in results if r.failed]
    # A second run appends nothing.
    assert complete_policy_text(text, POLICIES, NONE_OFF, path="AGENTS.md") == (text, [])
    assert set(appended) <= {p.id for p in POLICIES}
