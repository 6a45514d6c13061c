"""The ``[tool.lanewarden.policies]`` table: disabling and adding policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lanewarden.domain.policies.configured import read_policy_settings
from lanewarden.domain.policies.detection import assess
from lanewarden.domain.policies.document import PolicyDocument
from lanewarden.errors import InputError

SOURCE = Path("/repo/pyproject.toml")
EXTRA: dict[str, Any] = {
    "id": "release-notes",
    "title": "Release notes",
    "headings": ["release notes|changelog"],
    "requires": {
        "a changelog entry per change": ["changelog|release note", "entry|line"],
        "the version is bumped": "version bump|bump the version",
    },
}


def test_an_empty_table_changes_nothing() -> None:
    settings = read_policy_settings({}, SOURCE)
    assert settings.disabled == {}
    assert settings.extra == ()


def test_disable_records_the_reason() -> None:
    settings = read_policy_settings({"disable": {"context7": "no Context7 here"}}, SOURCE)
    assert settings.disabled == {"context7": "no Context7 here"}


def test_an_extra_policy_without_text_gets_a_suggested_text_that_passes() -> None:
    (policy,) = read_policy_settings({"extra": [EXTRA]}, SOURCE).extra
    assert policy.id == "release-notes"
    assert policy.origin == "pyproject.toml"
    assert [e.name for e in policy.elements] == [
        "a changelog entry per change",
        "the version is bumped",
    ]
    assert policy.text.startswith("## Release notes\n")
    assert assess(policy, PolicyDocument.parse(policy.text)).status == "present"


def test_a_suggested_heading_matches_even_when_the_title_does_not() -> None:
    extra = {**EXTRA, "title": "Shipping"}
    (policy,) = read_policy_settings({"extra": [extra]}, SOURCE).extra
    assert policy.text.startswith("## Shipping (release notes)\n")
    assert assess(policy, PolicyDocument.parse(policy.text)).status == "present"


def test_a_given_text_must_satisfy_its_own_requirements() -> None:
    extra = {**EXTRA, "text": "## Release notes\n\nWe like changelogs.\n"}
    with pytest.raises(InputError, match="does not satisfy its own requirements") as caught:
        read_policy_settings({"extra": [extra]}, SOURCE)
    assert caught.value.path == str(SOURCE)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"disabled": {}}, r"unknown key policies\.disabled"),
        ({"disable": ["context7"]}, r"policies\.disable must be a table"),
        ({"disable": {"context7": ""}}, r"policies\.disable\.context7 needs the reason"),
        ({"disable": {"context7": True}}, r"policies\.disable\.context7 needs the reason"),
        ({"extra": {"id": "x"}}, r"policies\.extra must be an array"),
        ({"extra": ["x"]}, r"policies\.extra\[0\] must be a table"),
        ({"extra": [{**EXTRA, "colour": 1}]}, r"unknown key policies\.extra\[0\]\.colour"),
        ({"extra": [{"id": "x", "title": "X", "headings": ["x"]}]}, r"needs 'requires'"),
        ({"extra": [{**EXTRA, "id": 3}]}, r"id and title must be strings"),
        ({"extra": [{**EXTRA, "id": "Bad Id"}]}, r"lower-case"),
        ({"extra": [{**EXTRA, "headings": "x"}]}, r"headings must be a non-empty list"),
        ({"extra": [{**EXTRA, "requires": {}}]}, r"requires must be a table"),
        ({"extra": [{**EXTRA, "requires": {"r": ["a||b"]}}]}, r"requires\.r: .*no word"),
        ({"extra": [{**EXTRA, "requires": {"r": [1]}}]}, r"requires\.r must be a non-empty"),
        ({"extra": [{**EXTRA, "text": 5}]}, r"text must be a string"),
    ],
)
def test_bad_tables_name_the_key_and_the_file(table: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_policy_settings(table, SOURCE)
    assert caught.value.path == str(SOURCE)
