"""``lanewarden audit anchor``: adopting an audit log written before anchors existed.

Such a log has an intact chain but no ``refs/lanewarden/audit``: ``audit
verify`` reports it (``audit-tampered``) and ``approve`` appends nothing to
it. An approver adopts it explicitly, with a note the log records; nothing
else is ever adopted.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import Cli, git
from lanewarden.domain.audit import GENESIS, seal
from lanewarden.domain.times import format_time, now

ANCHOR = "refs/lanewarden/audit"
ORCHESTRATOR = {"LANEWARDEN_ROLE": "orchestrator"}
APPROVE = ("approve", "--action", "force-push", "--ref", "main", "--reason", "r")


def log_of(repo: Path) -> Path:
    return repo / ".git" / "lanewarden" / "audit.log"


def write_old_log(repo: Path, count: int = 2) -> list[dict[str, object]]:
    """A chained log as lanewarden wrote it before it anchored its logs."""
    previous, bodies = GENESIS, []
    for number in range(count):
        at = now()
        body = seal(
            {
                "kind": "approval",
                "time": format_time(at),
                "action": "force-push",
                "ref": "refs/heads/main",
                "reason": f"old {number}",
                "by": "maintainer m",
                "expires": format_time(at + timedelta(hours=1)),
            },
            previous,
        )
        bodies.append(body)
        previous = str(body["hash"])
    log_of(repo).parent.mkdir(parents=True, exist_ok=True)
    log_of(repo).write_text("".join(json.dumps(b, sort_keys=True) + "\n" for b in bodies))
    return bodies


def has_anchor(repo: Path) -> bool:
    return bool(git(repo, "for-each-ref", ANCHOR).strip())


def test_an_old_log_is_adopted_explicitly_and_the_adoption_is_recorded(
    cli: Cli, repo: Path
) -> None:
    old = write_old_log(repo)
    verified = cli(repo, "audit", "verify", "--json")
    assert verified.code == 1
    assert verified.json["violations"][0]["rule"] == "audit-tampered"
    assert "audit anchor --note" in verified.json["violations"][0]["fix"]
    assert cli(repo, *APPROVE, **ORCHESTRATOR).code == 2  # nothing appended to it
    # Only an approver adopts it, and only with a reason.
    refused = cli(repo, "audit", "anchor", "--note", "x", "--json", LANEWARDEN_ROLE="worker")
    assert refused.code == 1
    assert refused.json["violations"][0]["rule"] == "wrong-role"
    assert cli(repo, "audit", "anchor", "--note", "  ", **ORCHESTRATOR).code == 2
    assert not has_anchor(repo)

    done = cli(repo, "audit", "anchor", "--note", "kept from before 0.2", "--json", **ORCHESTRATOR)
    assert done.code == 0, done.err
    assert done.json["adopted"] == 2
    lines = [json.loads(line) for line in log_of(repo).read_text().splitlines()]
    assert lines[:2] == old
    assert lines[2]["kind"] == "audit-adopted"
    assert lines[2]["note"] == "kept from before 0.2"
    assert lines[2]["prev"] == old[-1]["hash"]
    verified = cli(repo, "audit", "verify", "--json")
    assert verified.code == 0, verified.out
    assert verified.json["entries"] == 3
    assert cli(repo, *APPROVE, **ORCHESTRATOR).code == 0
    assert cli(repo, "audit", "verify").code == 0
    # Adopted once: an anchored trail is never adopted again.
    again = cli(repo, "audit", "anchor", "--note", "again", **ORCHESTRATOR)
    assert again.code == 2
    assert "already anchored" in again.err


def test_a_log_whose_own_chain_is_broken_is_not_adopted(cli: Cli, repo: Path) -> None:
    write_old_log(repo, 3)
    lines = log_of(repo).read_text().splitlines()
    del lines[1]  # an entry removed from the middle
    log_of(repo).write_text("\n".join(lines) + "\n")
    done = cli(repo, "audit", "anchor", "--note", "n", "--json", **ORCHESTRATOR)
    assert done.code == 1
    [violation] = done.json["violations"]
    assert violation["rule"] == "audit-tampered"
    assert violation["path"].endswith("audit.log:2")
    assert not has_anchor(repo)
    assert len(log_of(repo).read_text().splitlines()) == 2  # left as it was


@pytest.mark.parametrize("text", ["not json\n", ""])
def test_a_log_that_is_not_a_log_or_is_empty_is_not_adopted(
    cli: Cli, repo: Path, text: str
) -> None:
    log_of(repo).parent.mkdir(parents=True, exist_ok=True)
    log_of(repo).write_text(text)
    done = cli(repo, "audit", "anchor", "--note", "n", **ORCHESTRATOR)
    assert done.code == (1 if text else 2), done.err
    assert ("audit-tampered" if text else "nothing to adopt") in done.err
    assert not has_anchor(repo)
