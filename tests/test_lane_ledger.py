"""Checkpoints and failures folded into the ledger: entries added, every other byte kept."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from conftest import Cli, git
from lanewarden.domain.ledger_sections import CHECKPOINTS, FAILURES, Entry, fold_entries
from scenario import ORCHESTRATOR, as_worker, make_parallel_ready, start_lane

ENTRY = Entry("L-001 CP-01", ("- checkpoint_id: CP-01", "- next command: `x`"))
ADDED = "\n### L-001 CP-01\n\n- checkpoint_id: CP-01\n- next command: `x`\n"


def test_an_entry_goes_at_the_end_of_its_section_and_nothing_else_moves() -> None:
    text = (
        "# Plan\n\n## Checkpoints\n\nhand-written  \nnote\n\n\n## Failures and remediation\n\n"
        "Failure: by hand\n"
    )
    folded = fold_entries(text, CHECKPOINTS, "Checkpoints", [ENTRY])
    at = text.index("note\n") + len("note\n")
    assert folded == text[:at] + ADDED + text[at:]


def test_folding_twice_adds_nothing_and_a_hand_written_entry_wins() -> None:
    text = "## Checkpoints\n\n### L-001 CP-01\n\nwritten by hand\n"
    assert fold_entries(text, CHECKPOINTS, "Checkpoints", [ENTRY]) == text
    once = fold_entries("## Checkpoints\n", CHECKPOINTS, "Checkpoints", [ENTRY])
    assert fold_entries(once, CHECKPOINTS, "Checkpoints", [ENTRY]) == once


def test_a_missing_section_is_added_at_the_end_keeping_line_endings() -> None:
    text = "# Plan\r\n\r\nno final newline"
    folded = fold_entries(text, FAILURES, "Failures and remediation", [ENTRY])
    assert folded.startswith(text + "\r\n")
    added = "\n\n## Failures and remediation\n" + ADDED
    assert folded[len(text) :] == added.replace("\n", "\r\n")


def test_headings_inside_code_blocks_are_text() -> None:
    text = "```\n## Checkpoints\n### L-001 CP-01\n```\n\n## Checkpoints\n\nmine\n\n## Next\n"
    folded = fold_entries(text, CHECKPOINTS, "Checkpoints", [ENTRY])
    at = text.index("mine\n") + len("mine\n")
    assert folded == text[:at] + ADDED + text[at:]


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    return repo


def test_the_orchestrators_next_write_folds_the_workers_records(cli: Cli, ready: Path) -> None:
    plan = ready / "PLAN.md"
    hand = (
        "\n### L-000 CP-07\n\n* written by hand, kept byte for byte  \r\n"
        "\n### L-000 request 1\n\nFailure: `make` by hand\n"
    )
    text = plan.read_bytes().decode()
    text = text.replace("next command (runbook §10).\n", "next command (runbook §10).\n" + hand)
    plan.write_bytes(text.encode())
    git(ready, "commit", "-qam", "hand-written", env={"LANEWARDEN_ROLE": "integrator"})
    start_lane(ready, "L-001", "src/app/")
    worker = as_worker("L-001")
    args = ("--done", "models", "--pending", "views", "--next", "pytest `-q`")
    assert cli(ready, "lane", "checkpoint", "L-001", *args, **worker).code == 0
    before = plan.read_bytes()
    cli(ready, "escalate", "L-001", "--command", "pip install x", "--reason", "r", **worker)
    assert plan.read_bytes() == before  # workers never write the ledger
    assert cli(ready, "approve", "--request", "1", **ORCHESTRATOR).code == 0
    after = plan.read_bytes().decode()
    assert hand in after
    checkpoints = after.index("## Checkpoints")
    failures = after.index("## Failures and remediation")
    entry = after.index("### L-001 CP-01")
    assert checkpoints < after.index("### L-000 CP-07") < entry < failures
    assert "- next command: `` pytest `-q` ``\n" in after
    assert "- pending steps: views\n" in after
    request = after.index("### L-001 request 1")
    assert request > failures
    assert "- Requested approval: pip install x\n" in after[request:]
    # Only insertions (the lock row and the entries): every line before is kept as it was.
    assert only_insertions(text, after)
    assert not only_insertions(text, after.replace("by hand\n", "by hand \n"))


def only_insertions(old: str, new: str) -> bool:
    matcher = difflib.SequenceMatcher(
        a=old.splitlines(keepends=True), b=new.splitlines(keepends=True), autojunk=False
    )
    return {op for op, *_ in matcher.get_opcodes()} <= {"equal", "insert"}
