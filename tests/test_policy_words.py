"""Stemming and tokenising for the policy detector."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanewarden.domain.policies.words import parse_alternatives, stem, words


@pytest.mark.parametrize(
    "forms",
    [
        ("edit", "edits", "edited", "editing"),
        ("apply", "applies", "applied"),
        ("commit", "commits", "committed", "committing"),
        ("pass", "passes", "passed", "passing"),
        ("change", "changes", "changed", "changing"),
        ("write", "writes", "writing", "written", "wrote"),
        ("use", "uses", "used", "using"),
        ("lock", "locks", "locked", "locking"),
        ("file", "files"),
        ("scope", "scopes"),
    ],
)
def test_inflections_share_a_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(form) for form in forms}) == 1, [stem(f) for f in forms]


def test_short_words_keep_their_letters() -> None:
    assert stem("is") == "is"
    assert stem("red") == "red"
    assert stem("need") == "need"


def test_words_split_on_punctuation_hyphens_and_backticks() -> None:
    assert words("Run `just test-pkg <pkg>`, then Context7!") == (
        "run",
        "just",
        "test",
        "pkg",
        "pkg",
        "then",
        "context7",
    )


def test_alternatives_are_stemmed_phrases() -> None:
    assert parse_alternatives("look up|Checks") == (("look", "up"), ("check",))


@pytest.mark.parametrize("spec", ["a||b", "|", "- | x"])
def test_an_alternative_without_words_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="no word"):
        parse_alternatives(spec)


@given(st.text())
def test_words_are_lower_case_alphanumerics(text: str) -> None:
    for word in words(text):
        assert word
        assert word.isascii()
        assert word == word.lower()
        assert word.isalnum()


@given(st.from_regex(r"[a-z]{1,12}", fullmatch=True))
def test_stemming_only_shortens_a_word(word: str) -> None:
    stemmed = stem(word)
    assert 0 < len(stemmed) <= len(word)
    if word not in ("ran", "did", "went", "took", "held", "wrote"):
        # Only the y -> i rule changes a letter, and only the last one.
        assert word.startswith(stemmed[:-1])
