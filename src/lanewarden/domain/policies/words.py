"""Words as the policy detector compares them: lower case, split, lightly stemmed.

People write a policy in their own words, so "edits", "edited" and "editing"
must all count as "edit". A full stemmer would be a dependency for a job this
small; the few suffix rules here are applied to the policy's phrasings and to
the document alike, so they only have to be consistent, not linguistically
right ("ledger" becomes "ledg" on both sides).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["Phrase", "parse_alternatives", "stem", "words"]

# A phrase is a run of stemmed words that must appear contiguously.
Phrase = tuple[str, ...]

_WORD = re.compile(r"[a-z0-9]+")
# Longest first; a suffix is stripped only when at least three letters remain.
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ships",
    "ship",
    "ingly",
    "ings",
    "ing",
    "edly",
    "ers",
    "ed",
    "er",
    "es",
    "ly",
    "s",
)
# Forms the suffix rules cannot reach.
_IRREGULAR = {
    "written": "write",
    "wrote": "write",
    "ran": "run",
    "used": "use",
    "uses": "use",
    "using": "use",
    "done": "do",
    "does": "do",
    "did": "do",
    "held": "hold",
    "holds": "hold",
    "gone": "go",
    "goes": "go",
    "went": "go",
    "taken": "take",
    "took": "take",
}


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """The stem of one lower-case word: ``stem("editing") == stem("edits") == "edit"``."""
    word = _IRREGULAR.get(word, word)
    for suffix in _SUFFIXES:
        # "apply" must not lose "ly": it would not meet "applies" again.
        keep = 4 if suffix == "ly" else 3
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou0123456789":
        word = word[:-1]  # committed -> committ -> commit, passes -> pass -> pas
    return word


def words(text: str) -> tuple[str, ...]:
    """The stemmed words of ``text``; punctuation, hyphens and backticks separate words."""
    return tuple(stem(w) for w in _WORD.findall(text.lower()))


def parse_alternatives(spec: str) -> tuple[Phrase, ...]:
    """Parse ``"consult|look up|check"`` into the stemmed phrases it allows.

    Raises :class:`ValueError` for an empty alternative (``"a||b"``) or one
    with no word in it (``"|-|"``).
    """
    phrases = []
    for alternative in spec.split("|"):
        phrase = words(alternative)
        if not phrase:
            raise ValueError(f"{spec!r} has an alternative with no word in it")
        phrases.append(phrase)
    return tuple(phrases)
