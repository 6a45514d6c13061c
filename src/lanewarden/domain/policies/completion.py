"""Completing a policy file: append what it lacks, after the user's text, untouched.

``lanewarden init`` uses this. The user's text is kept byte for byte (newline
style included) and the missing sections follow it. A file that ends inside
an unclosed code fence or HTML comment would swallow anything appended, so the
result is read back and refused, with the line to fix, when the appended
sections would not count: a second ``init`` must never append them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lanewarden.domain.policies.bootstrap import judge_policies
from lanewarden.domain.policies.configured import PolicySettings
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.domain.policies.model import Policy
from lanewarden.errors import InputError

__all__ = ["POLICY_HEADER", "append_markdown", "complete_policy_text", "swallowing_block"]

POLICY_HEADER = """# Agent policy

How coding agents work in parallel in this repository (runbook §16.1). The maintainers
accept every change to this file; commit it before starting a parallel run.
"""


def complete_policy_text(
    text: str, policies: Sequence[Policy], settings: PolicySettings, *, path: Path | str
) -> tuple[str, list[str]]:
    """``text`` with the sections of its failing policies appended, and those policies' ids.

    Raises :class:`InputError` when the appended sections would not be read as
    sections (the file ends inside a code fence or an HTML block).
    """
    results = judge_policies(policies, settings, PolicyDocument.parse(text))
    failing = [r.policy for r in results if r.failed]
    if not failing:
        return text, []
    new_text = append_markdown(text or POLICY_HEADER, "\n".join(p.text for p in failing))
    check_appended(text, new_text, policies, settings, path=path)
    return new_text, [p.id for p in failing]


def check_appended(
    old: str,
    new: str,
    policies: Sequence[Policy],
    settings: PolicySettings,
    *,
    path: Path | str,
) -> None:
    """Refuse ``new`` when the text appended to ``old`` does not satisfy every policy."""
    after = judge_policies(policies, settings, PolicyDocument.parse(new))
    if any(r.failed for r in after):
        raise InputError(
            "text appended here would not be read as policy sections",
            path=path,
            line=swallowing_block(old, new),
            hint="close the code block or HTML comment that runs to the end of the file, "
            "then run `lanewarden init` again",
        )


def append_markdown(text: str, addition: str) -> str:
    """``text``, untouched, then a blank line and ``addition`` in the file's newline style."""
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += newline
    separator = newline if text.strip() else ""
    return text + separator + addition.replace("\n", newline)


def swallowing_block(old: str, new: str) -> int | None:
    """The 1-based line of a block of ``old`` that runs on into what ``new`` appends."""
    from markdown_it import MarkdownIt  # lazy: 43 ms, off the hook path

    old_lines = len(old.splitlines())
    for token in MarkdownIt("commonmark").enable("table").parse(new):
        if token.map and token.level == 0 and token.map[0] < old_lines < token.map[1]:
            return token.map[0] + 1
    return None
