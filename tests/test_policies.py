"""The policy model, the nine built-in policies, and how a section is judged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lanewarden.adapters.config import Config
from lanewarden.domain.policies import Element, Policy
from lanewarden.domain.policies.builtin import BUILTIN_IDS, builtin_policies
from lanewarden.domain.policies.detection import assess
from lanewarden.domain.policies.document import PolicyDocument

OWN_WORDS = (Path(__file__).parent / "data" / "agents_own_words.md").read_text()
POLICIES = builtin_policies(Config(root=Path(".")))
BY_ID = {p.id: p for p in POLICIES}
# The §16.1 bullets, word for word: the names of the policies and nothing more.
NAMES = [
    "single-writer worklog policy",
    "lock ownership rules",
    "integrator-only patch application for single-branch mode",
    "permission-failure escalation loop",
    "gate requirements (lane checks + final integration gate)",
    "explicit Context7 policy for worker prompts (pre-edit + post-failure re-check)",
    "explicit worker test policy (`just test-pkg` for lanes, full gate by integrator)",
    "orchestrator assignment contract requirements",
    "worker handoff evidence requirements",
]


def statuses(text: str) -> dict[str, str]:
    document = PolicyDocument.parse(text)
    return {p.id: assess(p, document).status for p in POLICIES}


def init_text() -> str:
    return "# Agent policy\n\n" + "\n".join(p.text for p in POLICIES)


def sections_of(text: str) -> list[str]:
    """The text cut before each level-2 heading (the title block first)."""
    return re.split(r"(?m)^(?=## )", text)


def test_there_are_nine_builtin_policies_in_runbook_order() -> None:
    assert tuple(p.id for p in POLICIES) == BUILTIN_IDS
    assert len(POLICIES) == 9
    assert {p.origin for p in POLICIES} == {"builtin"}


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.id)
def test_each_policy_text_satisfies_its_policy(policy: Policy) -> None:
    finding = assess(policy, PolicyDocument.parse(policy.text))
    assert finding.status == "present", [e.name for e in finding.lacks]
    assert finding.line == 1


def test_texts_name_the_configured_files_and_branch() -> None:
    config = Config(
        root=Path("."), ledger="ops/LEDGER.md", decision_registers=("adr/README.md", "D.md")
    )
    policies = {p.id: p for p in builtin_policies(config)}
    assert "`ops/LEDGER.md`" in policies["single-writer-worklog"].text
    assert "`adr/README.md`, `D.md`" in policies["single-writer-worklog"].text
    assert "`main`" in policies["integrator-only"].text


def test_the_empty_file_misses_every_policy() -> None:
    assert set(statuses("").values()) == {"missing"}


def test_init_text_has_every_policy() -> None:
    assert set(statuses(init_text()).values()) == {"present"}


def test_a_policy_in_other_words_passes() -> None:
    assert statuses(OWN_WORDS) == dict.fromkeys(BUILTIN_IDS, "present")


@pytest.mark.parametrize(
    "text",
    [
        "# Agent policy\n\n" + "".join(f"- {name}\n" for name in NAMES),
        "# Agent policy\n\n" + "".join(f"## {name}\n\n" for name in NAMES),
        "# Agent policy\n\n" + "".join(f"## {name}\n\n{name}.\n\n" for name in NAMES),
        "# Agent policy\n\n" + "".join(f"- **{name}:** {name}\n" for name in NAMES),
        "# Agent policy\n\n" + "".join(f"## {n}\n\n" for n in NAMES) + " ".join(NAMES) + "\n",
    ],
    ids=["list", "headings", "heading-and-name", "bold-items", "headings-then-all-names"],
)
def test_name_dropping_fails_every_policy(text: str) -> None:
    assert "present" not in statuses(text).values()


@pytest.mark.parametrize("source", ["init", "own-words"])
@pytest.mark.parametrize("index", range(9), ids=list(BUILTIN_IDS))
def test_removing_one_section_fails_that_policy_only(source: str, index: int) -> None:
    text = init_text() if source == "init" else OWN_WORDS
    parts = sections_of(text)
    del parts[index + 1]
    result = statuses("".join(parts))
    assert result.pop(BUILTIN_IDS[index]) in ("missing", "incomplete")
    assert set(result.values()) == {"present"}


def test_an_incomplete_policy_names_what_it_lacks_and_where_it_is() -> None:
    text = "# Rules\n\nintro\n\n## Locks\n\nNo edits outside your lock scope.\n"
    finding = assess(BY_ID["lock-ownership"], PolicyDocument.parse(text))
    assert finding.status == "incomplete"
    assert finding.line == 5
    assert finding.title == "Locks"
    assert [e.name for e in finding.lacks] == [
        "hotspots never have two owners at once",
        "locks expire and are kept alive by heartbeats",
        "stale or expired locks are reclaimed explicitly, with a note",
    ]


def test_a_policy_may_be_spread_over_several_sections() -> None:
    text = (
        "## Locks\n\nNo edits outside your lock scope. Hotspots: one owner at a time.\n\n"
        "## Lock lifetime\n\nLocks expire; reclaim a stale one with a note.\n"
    )
    finding = assess(BY_ID["lock-ownership"], PolicyDocument.parse(text))
    assert finding.status == "present"
    assert finding.line == 1  # the section stating the most


def test_requirements_must_share_a_paragraph() -> None:
    context7 = BY_ID["context7"]
    apart = "## Context7\n\nConsult it.\n\nBefore.\n\nThe first code edit.\n"
    together = "## Context7\n\nConsult it before the first code edit.\n"
    first = context7.elements[0]
    assert first in assess(context7, PolicyDocument.parse(apart)).lacks
    assert first not in assess(context7, PolicyDocument.parse(together)).lacks


def test_words_in_the_heading_do_not_state_a_requirement() -> None:
    text = "## Hotspots, TTL, heartbeat, reclaim, lock scope\n\nSee the team wiki.\n"
    finding = assess(BY_ID["lock-ownership"], PolicyDocument.parse(text))
    assert finding.status == "incomplete"
    assert len(finding.lacks) == 4


def test_element_and_policy_validate_their_definition() -> None:
    with pytest.raises(ValueError, match="at least one concept"):
        Element("nothing")
    with pytest.raises(ValueError, match="no word"):
        Element("bad", "a||b")
    element = Element("e", "x")
    with pytest.raises(ValueError, match="lower-case"):
        Policy.of("Bad Id", "T", headings=["x"], elements=[element], text="## T\n\nx\n")
    with pytest.raises(ValueError, match="heading"):
        Policy.of("ok", "T", headings=[], elements=[element], text="## T\n\nx\n")
    with pytest.raises(ValueError, match="element"):
        Policy.of("ok", "T", headings=["t"], elements=[], text="## T\n\nx\n")
    with pytest.raises(ValueError, match="text"):
        Policy.of("ok", "T", headings=["t"], elements=[element], text=" ")


def test_the_docs_describe_every_element() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "policies.md").read_text()
    for policy in POLICIES:
        assert f"### `{policy.id}`: {policy.title}" in docs
        for element in policy.elements:
            assert f"| {element.name} |" in docs
        assert policy.text.rstrip() in docs
