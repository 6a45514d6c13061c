"""Approvals and the audit trail: narrow, short-lived, consumed; a tamper-evident chain."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import Cli
from lanewarden.domain.audit import (
    AuditEntry,
    chain_problems,
    entry_hash,
    find_approval,
    seal,
)
from lanewarden.domain.audit_trail import (
    Anchor,
    AnchorPoint,
    Trail,
    anchor_message,
    parse_anchor_message,
)
from lanewarden.domain.times import format_time

MAINTAINER = {"LANEWARDEN_ROLE": "maintainer"}
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


def chain(*bodies: dict[str, object]) -> list[AuditEntry]:
    entries = []
    previous = "0" * 64
    for number, body in enumerate(bodies, start=1):
        sealed = seal(body, previous)
        entries.append(AuditEntry(line=number, body=sealed))
        previous = sealed["hash"]
    return entries


def approval(action: str = "force-push", ref: str = "refs/heads/main") -> dict[str, object]:
    return {
        "kind": "approval",
        "time": format_time(T0),
        "action": action,
        "ref": ref,
        "reason": "r",
        "by": "maintainer m",
        "expires": format_time(T0 + timedelta(minutes=15)),
    }


def test_an_approval_is_narrow_short_lived_and_used_once() -> None:
    entries = chain(approval())
    found, why = find_approval(entries, "force-push", "refs/heads/main", T0 + timedelta(minutes=1))
    assert found is not None
    assert why is None
    assert find_approval(entries, "branch-delete", "refs/heads/main", T0) == (None, None)
    assert find_approval(entries, "force-push", "refs/heads/dev", T0) == (None, None)
    late, why = find_approval(entries, "force-push", "refs/heads/main", T0 + timedelta(hours=1))
    assert late is None
    assert why is not None
    assert "expired" in why
    used = chain(approval(), {"kind": "consumed", "time": "t", "approval": found.id})
    again, why = find_approval(used, "force-push", "refs/heads/main", T0)
    assert again is None
    assert why is not None
    assert "already used" in why


def test_the_chain_detects_edits_and_removals() -> None:
    entries = chain(approval(), approval(ref="refs/heads/dev"), approval(action="branch-delete"))
    assert chain_problems(entries) == []
    edited = list(entries)
    edited[1] = AuditEntry(line=2, body={**entries[1].body, "ref": "refs/heads/main"})
    assert chain_problems(edited) == [(2, "its content does not match its hash (edited)")]
    removed = [entries[0], entries[2]]
    assert chain_problems(removed)[0][1].startswith("does not follow")


def test_approve_records_and_audit_verify_checks(cli: Cli, repo: Path) -> None:
    denied = cli(
        repo,
        "approve",
        "--action",
        "force-push",
        "--ref",
        "main",
        "--reason",
        "x",
        "--json",
        LANEWARDEN_ROLE="integrator",
    )
    assert denied.code == 1
    assert denied.json["violations"][0]["rule"] == "wrong-role"
    done = cli(
        repo,
        "approve",
        "--action",
        "force-push",
        "--ref",
        "main",
        "--reason",
        "undo",
        "--ttl",
        "5m",
        "--json",
        **MAINTAINER,
    )
    assert done.code == 0, done.err
    assert done.json["approval"]["ref"] == "refs/heads/main"
    assert done.json["approval"]["by"].startswith("maintainer ")
    cli(
        repo,
        "approve",
        "--action",
        "branch-delete",
        "--ref",
        "refs/heads/old",
        "--reason",
        "gone",
        LANEWARDEN_ROLE="orchestrator",
    )
    ok = cli(repo, "audit", "verify", "--json")
    assert ok.code == 0
    assert ok.json["entries"] == 2


@pytest.mark.parametrize("bad_ref", ["a..b", "-x", "with space"])
def test_approve_refuses_a_bad_ref(cli: Cli, repo: Path, bad_ref: str) -> None:
    done = cli(
        repo, "approve", "--action", "force-push", "--ref", bad_ref, "--reason", "x", **MAINTAINER
    )
    assert done.code == 2


def test_a_tampered_audit_log_fails_verification(cli: Cli, repo: Path) -> None:
    for ref in ("main", "dev"):
        assert (
            cli(
                repo,
                "approve",
                "--action",
                "force-push",
                "--ref",
                ref,
                "--reason",
                "r",
                **MAINTAINER,
            ).code
            == 0
        )
    log = repo / ".git" / "lanewarden" / "audit.log"
    lines = log.read_text().splitlines()
    first = json.loads(lines[0])
    first["ttl_hack"] = True
    first["expires"] = "2099-01-01T00:00:00Z"
    log.write_text(json.dumps(first) + "\n" + lines[1] + "\n")
    done = cli(repo, "audit", "verify", "--json")
    assert done.code == 1
    problems = [(v["rule"], v["path"].rsplit(":", 1)[1]) for v in done.json["violations"]]
    assert problems == [("audit-tampered", "1")]
    # Re-hashing the edited entry does not help: it is still not the anchored entry.
    first["hash"] = entry_hash(first)
    log.write_text(json.dumps(first) + "\n" + lines[1] + "\n")
    rehashed = cli(repo, "audit", "verify", "--json")
    assert rehashed.code == 1
    assert [v["path"].rsplit(":", 1)[1] for v in rehashed.json["violations"]] == ["1"]
    assert "not anchored entry 1" in rehashed.json["violations"][0]["message"]
    log.write_text("not json\n")
    broken = cli(repo, "audit", "verify")
    assert broken.code == 1
    assert "audit-tampered" in broken.err


def test_the_parser_offers_exactly_the_approvable_actions() -> None:
    from lanewarden.cli.parser import build_parser
    from lanewarden.domain.audit import APPROVABLE

    args = build_parser().parse_args(
        ["approve", "--action", "force-push", "--ref", "main", "--reason", "x"]
    )
    assert args.action == "force-push"
    for action in APPROVABLE:
        parsed = build_parser().parse_args(
            ["approve", "--action", action, "--ref", "main", "--reason", "x"]
        )
        assert parsed.action == action
    with pytest.raises(SystemExit):
        build_parser().parse_args(["approve", "--action", "rm-rf", "--ref", "m", "--reason", "x"])


def anchored(entries: list[AuditEntry], *, parents: int = 1) -> Anchor:
    """An anchor as lanewarden writes it: one commit per entry, each naming its head."""
    history = tuple(
        AnchorPoint(f"c{n}", 0 if n == 1 else parents, (n, entries[n - 1].hash))
        for n in range(len(entries), 0, -1)
    )
    return Anchor(f"c{len(entries)}", tuple(entries), history)


def test_the_anchor_message_names_the_entries_and_the_head() -> None:
    entries = chain(approval(), approval(ref="refs/heads/dev"))
    assert parse_anchor_message(anchor_message(entries)) == (2, entries[-1].hash)
    assert parse_anchor_message("lanewarden audit\n\nEntries: two\nHead: x\n") is None
    assert parse_anchor_message("no fields") is None


def test_a_trail_honours_only_a_verified_anchor() -> None:
    entries = chain(approval(), approval(ref="refs/heads/dev"))
    whole = Trail(local=tuple(entries), anchor=anchored(entries))
    assert whole.problems == []
    assert whole.honoured() == entries
    assert Trail(local=None, anchor=None).problems == []
    # A merge in the anchor's history: lanewarden never writes one.
    merged = Trail(local=tuple(entries), anchor=anchored(entries, parents=2))
    assert [p.kind for p in merged.problems] == ["anchor"]
    assert merged.honoured() == []
    assert [e.line for e in merged.ignored_approvals()] == [1, 2]
    # Moved back: an earlier value of the ref that the anchor does not descend from.
    rewound = Anchor(
        "c1", (entries[0],), anchored(entries).history[1:], (AnchorPoint("c9", 1, (2, "h")),)
    )
    trail = Trail(local=(entries[0],), anchor=rewound)
    assert [p.kind for p in trail.problems] == ["rewound"]
    assert trail.problems[0].commit == "c9"
    assert trail.honoured() == []
    # A log with no anchor at all.
    bare = Trail(local=tuple(entries), anchor=None)
    assert [(p.kind, p.line) for p in bare.problems] == [("unanchored", 1)]
    assert bare.honoured() == []


def test_a_log_that_differs_from_its_anchor_honours_the_anchor() -> None:
    entries = chain(approval(), {"kind": "consumed", "time": "t", "approval": "x"})
    anchor = anchored(entries)
    truncated = Trail(local=(entries[0],), anchor=anchor)
    assert [(p.kind, p.line) for p in truncated.problems] == [("log", 1)]
    assert "after line 1" in truncated.problems[0].what
    assert truncated.honoured() == entries  # the consumed entry still counts
    deleted = Trail(local=None, anchor=anchor)
    assert "is missing (deleted)" in deleted.problems[0].what
    longer = chain(approval(), entries[1].body, approval(ref="refs/heads/x"))
    extra = Trail(local=tuple(longer), anchor=anchored(longer[:1]))
    assert "from line 2 on (2)" in extra.problems[0].what
