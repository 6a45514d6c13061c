"""The registry never reads as empty by accident, and a hand edit of its table is seen.

A ledger with no recognisable lock table is bad input everywhere the registry is
read; a lock table that lanewarden did not write is ``ledger-tampered`` in every
hook until the orchestrator accepts it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import git, write
from scenario import acquire_two_lanes, lanewarden, make_parallel_ready, set_lock_rows

WORKER_L1 = {"LANEWARDEN_LANE": "L-001"}
ORCH = {"LANEWARDEN_ROLE": "orchestrator"}
NO_TABLE = (
    "no lock table found: expected a table with columns "
    "lock_id | owner | scope | objective | start | heartbeat | expires"
)


@pytest.fixture
def ready(repo: Path) -> Path:
    """Hooks installed, L-001 on ``src/app/`` and L-002 on ``src/lib/``, a worker branch."""
    make_parallel_ready(repo)
    assert lanewarden(repo, "hooks", "install").returncode == 0
    acquire_two_lanes(repo)
    git(repo, "switch", "-q", "-c", "work")
    return repo


def commit(
    repo: Path, env: dict[str, str], lane: str = "L-001"
) -> subprocess.CompletedProcess[str]:
    """``git commit`` through the installed hooks."""
    return subprocess.run(
        ["git", "commit", "-q", "-m", f"change\n\nLane: {lane}"],
        cwd=repo, capture_output=True, text=True, env={**os.environ, **env}, check=False,
    )  # fmt: skip


def widen(repo: Path, scope: str = "`src/app/`, `docs/`") -> None:
    """The lane's agent edits the shared ledger by hand to widen its own scope."""
    plan = repo / "PLAN.md"
    text = plan.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| L-001 |"))
    plan.write_text(text.replace(row, row.replace("`src/app/`", scope)))


# --- hole 3: a registry that reads as empty ---------------------------------------


def _emptied(text: str) -> str:
    return ""


def _table_deleted(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("|")) + "\n"


def _header_renamed(text: str) -> str:
    return text.replace("| lock_id | owner | scope |", "| lock | owner | scope |", 1)


def _header_garbled(text: str) -> str:
    return text.replace("| heartbeat | expires |", "| heartbeat | expiry |", 1)


def _delimiter_broken(text: str) -> str:
    return text.replace("|---|---|---|---|---|---|---|\n", "|---|---|\n", 1)


@pytest.mark.parametrize(
    "damage", [_emptied, _table_deleted, _header_renamed, _header_garbled, _delimiter_broken]
)
def test_a_ledger_without_a_lock_table_is_bad_input_everywhere(ready: Path, damage) -> None:
    plan = ready / "PLAN.md"
    # A warm compiled cache must not answer for the damaged ledger.
    write(ready, "src/app/models.py", "warm\n")
    git(ready, "add", "src/app/models.py")
    assert commit(ready, WORKER_L1).returncode == 0
    plan.write_text(damage(plan.read_text()))
    for args, env in (
        (["lock", "check"], {}),
        (["lock", "list"], {}),
        (["lock", "who", "src/app/models.py"], {}),
        (["lock", "acquire", "L-3", "--owner", "a", "--objective", "o", "--scope", "/x/"], ORCH),
        (["lock", "heartbeat", "L-001"], WORKER_L1),
    ):
        done = lanewarden(ready, *args, env=env)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert f"PLAN.md: {NO_TABLE}" in done.stderr, args
        assert "Traceback" not in done.stderr
    checked = lanewarden(ready, "lock", "check", "--json")
    assert checked.returncode == 2
    assert json.loads(checked.stdout)["error"]["path"] == "PLAN.md"
    # And a commit outside every scope is not waved through.
    write(ready, "docs/guide.md", "changed\n")
    git(ready, "add", "docs/guide.md")
    refused = commit(ready, WORKER_L1)
    assert refused.returncode != 0
    assert NO_TABLE in refused.stderr


def test_an_explicit_empty_table_is_zero_locks(repo: Path) -> None:
    make_parallel_ready(repo)  # `lanewarden init` writes an empty lock table
    done = lanewarden(repo, "lock", "check")
    assert done.returncode == 0, done.stderr
    assert "0 lock(s)" in done.stdout


def test_a_byte_order_mark_before_the_table_is_ignored(ready: Path) -> None:
    plan = ready / "PLAN.md"
    text = plan.read_text()
    table = text.index("| lock_id |")
    for marked in ("\ufeff" + text[table:], text[:table] + "\ufeff" + text[table:]):
        plan.write_text(marked, encoding="utf-8")
        listed = lanewarden(ready, "lock", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [lock["lock_id"] for lock in json.loads(listed.stdout)["locks"]] == [
            "L-001",
            "L-002",
        ]
        # The hooks see the same table (the mark is no edit of it), and scopes hold.
        write(ready, "docs/guide.md", "changed\n")
        git(ready, "add", "docs/guide.md")
        refused = commit(ready, WORKER_L1)
        assert "out-of-scope: docs/guide.md" in refused.stderr
        git(ready, "reset", "-q", "--hard")
        plan.write_text(marked, encoding="utf-8")
    # A lanewarden write keeps the mark where it was.
    acquired = lanewarden(
        ready, "lock", "acquire", "L-3", "--owner", "a", "--objective", "o", "--scope", "/x/",
        env=ORCH,
    )  # fmt: skip
    assert acquired.returncode == 0, acquired.stderr
    after = plan.read_text(encoding="utf-8")
    assert "\ufeff| lock_id |" in after
    assert "| L-3 | a | `/x/` |" in after


# --- hole 4: the lane edits the shared ledger ---------------------------------------


def test_a_lane_widening_its_own_scope_by_hand_is_refused(ready: Path) -> None:
    write(ready, "docs/guide.md", "changed\n")
    git(ready, "add", "docs/guide.md")
    assert commit(ready, WORKER_L1).returncode != 0  # outside L-001's scope
    widen(ready)
    for _ in range(2):  # cold, then from the compiled cache
        refused = commit(ready, WORKER_L1)
        assert refused.returncode == 1, refused.stderr
        assert "ledger-tampered: PLAN.md:" in refused.stderr
        assert "changed L-001: scope `src/app/` -> `src/app/`, `docs/`" in refused.stderr
        assert "lanewarden lock accept-edit --note" in refused.stderr
    hooked = lanewarden(ready, "hook", "pre-commit", "--json", env=WORKER_L1)
    assert hooked.returncode == 1
    (violation,) = [v for v in json.loads(hooked.stdout)["violations"]]
    assert violation["rule"] == "ledger-tampered"
    assert violation["path"] == "PLAN.md"


def test_a_lane_removed_from_the_table_by_hand_is_tampering_not_an_unknown_lane(
    ready: Path,
) -> None:
    plan = ready / "PLAN.md"
    text = plan.read_text()
    row = next(line for line in text.splitlines(keepends=True) if line.startswith("| L-002 |"))
    plan.write_text(text.replace(row, ""))
    write(ready, "src/lib/core.py", "changed\n")
    git(ready, "add", "src/lib/core.py")
    refused = commit(ready, {"LANEWARDEN_LANE": "L-002"}, lane="L-002")
    assert refused.returncode == 1, refused.stderr
    assert "ledger-tampered: PLAN.md: the lock table was edited outside lanewarden: " in (
        refused.stderr
    )
    assert "removed L-002" in refused.stderr
    assert "unknown lane" not in refused.stderr


def test_the_commit_msg_hook_refuses_a_tampered_table_too(ready: Path) -> None:
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    message = ready / ".git" / "MSG"
    message.write_text("change\n\nLane: L-001\n")
    assert lanewarden(ready, "hook", "commit-msg", str(message), env=WORKER_L1).returncode == 0
    widen(ready)
    done = lanewarden(ready, "hook", "commit-msg", str(message), "--json", env=WORKER_L1)
    assert done.returncode == 1
    assert [v["rule"] for v in json.loads(done.stdout)["violations"]] == ["ledger-tampered"]


def test_added_and_removed_rows_are_shown(ready: Path) -> None:
    plan = ready / "PLAN.md"
    text = plan.read_text()
    l2 = next(line for line in text.splitlines() if line.startswith("| L-002 |"))
    forged = l2.replace("L-002", "L-666").replace("`src/lib/`", "`**`")
    plan.write_text(text.replace(l2, forged))
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    refused = commit(ready, WORKER_L1)
    assert refused.returncode == 1
    assert "added L-666 (owner a, scope `**`" in refused.stderr
    assert "removed L-002 (owner a, scope `src/lib/`" in refused.stderr


def test_layout_of_the_table_is_no_edit(ready: Path) -> None:
    plan = ready / "PLAN.md"
    lines = plan.read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("| L-001 |"))
    # Rows swapped, cells padded, the scope written without a code span.
    lines[first], lines[first + 1] = lines[first + 1], lines[first]
    lines[first + 1] = lines[first + 1].replace(" | ", "  |  ").replace("`src/app/`", "src/app/")
    plan.write_text("".join(lines))
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    done = commit(ready, WORKER_L1)
    assert done.returncode == 0, done.stderr


def test_a_write_on_a_tampered_table_is_refused_rather_than_laundered(ready: Path) -> None:
    widen(ready)
    tampered = (ready / "PLAN.md").read_text()
    for args in (
        ["lock", "acquire", "L-3", "--owner", "a", "--objective", "o", "--scope", "/x/"],
        ["lock", "release", "L-002"],
    ):
        done = lanewarden(ready, *args, "--json", env=ORCH)
        assert done.returncode == 1, (args, done.stderr)
        assert json.loads(done.stdout)["violations"][0]["rule"] == "ledger-tampered"
        assert (ready / "PLAN.md").read_text() == tampered
    checked = lanewarden(ready, "lock", "check", "--json")
    assert checked.returncode == 1
    assert "ledger-tampered" in [v["rule"] for v in json.loads(checked.stdout)["violations"]]
    for args in (["lock", "list"], ["lock", "who", "docs/guide.md"]):
        shown = lanewarden(ready, *args)
        assert shown.returncode == 0, shown.stderr
        assert "warning: PLAN.md: the lock table was edited outside lanewarden" in shown.stderr


def test_only_the_orchestrator_accepts_an_edit_and_it_is_audited(ready: Path) -> None:
    widen(ready)
    worker = lanewarden(ready, "lock", "accept-edit", "--note", "mine", "--json", env=WORKER_L1)
    assert worker.returncode == 1
    assert json.loads(worker.stdout)["violations"][0]["rule"] == "wrong-role"
    accepted = lanewarden(
        ready, "lock", "accept-edit", "--note", "docs join L-001", "--json", env=ORCH
    )
    assert accepted.returncode == 0, accepted.stderr
    body = json.loads(accepted.stdout)
    assert body["accepted"] is True
    assert body["changes"] == ["changed L-001: scope `src/app/` -> `src/app/`, `docs/`"]
    log = (ready / ".git" / "lanewarden" / "audit.log").read_text().splitlines()
    entry = json.loads(log[-1])
    assert entry["kind"] == "ledger-edit-accepted"
    assert entry["note"] == "docs join L-001"
    assert entry["changes"] == body["changes"]
    assert entry["sha256"] == body["sha256"]
    # From now on the edited table is the registry.
    write(ready, "docs/guide.md", "changed\n")
    git(ready, "add", "docs/guide.md")
    done = commit(ready, WORKER_L1)
    assert done.returncode == 0, done.stderr
    again = lanewarden(ready, "lock", "accept-edit", "--note", "again", "--json", env=ORCH)
    assert again.returncode == 0
    assert json.loads(again.stdout)["accepted"] is False
    assert len((ready / ".git" / "lanewarden" / "audit.log").read_text().splitlines()) == len(log)


def test_a_removed_record_trusts_only_an_empty_table(ready: Path) -> None:
    record = ready / ".git" / "lanewarden" / "ledger.digest"
    assert record.is_file()
    write(ready, "src/app/models.py", "changed\n")
    git(ready, "add", "src/app/models.py")
    record.unlink()  # after the hook's verdict was cached
    refused = commit(ready, WORKER_L1)
    assert refused.returncode == 1
    assert "lanewarden has no record of writing this lock table (2 lock(s))" in refused.stderr
    set_lock_rows(ready, [], accept=False)
    record.unlink(missing_ok=True)
    assert lanewarden(ready, "lock", "check").returncode == 0


def test_a_damaged_record_is_no_record(ready: Path) -> None:
    record = ready / ".git" / "lanewarden" / "ledger.digest"
    body = json.loads(record.read_text())
    body["rows"][0][2] = ["**"]  # the scope widened in the record, digest left as it was
    record.write_text(json.dumps(body))
    done = lanewarden(ready, "lock", "check", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["violations"][0]["rule"] == "ledger-tampered"


def test_a_staged_ledger_that_changes_the_table_is_refused_for_a_worker(ready: Path) -> None:
    # L-001's scope covers the ledger, so only the ledger rule can refuse it.
    lanewarden(ready, "lock", "release", "L-001", env=ORCH)
    done = lanewarden(
        ready, "lock", "acquire", "L-001", "--owner", "a", "--objective", "o",
        "--scope", "src/app/", "--scope", "/PLAN.md", env=ORCH,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan = ready / "PLAN.md"
    registry = plan.read_text()
    widen(ready, "`**`")
    git(ready, "add", "PLAN.md")
    plan.write_text(registry)  # the working-tree registry is untouched
    refused = commit(ready, WORKER_L1)
    assert refused.returncode == 1, refused.stderr
    assert "ledger-tampered: PLAN.md: the staged PLAN.md changes the lock table" in refused.stderr
    assert "git restore --staged -- PLAN.md" in refused.stderr
    # The staged deletion of the ledger, too.
    git(ready, "rm", "-q", "-f", "--cached", "PLAN.md")
    assert "has no lock table" in commit(ready, WORKER_L1).stderr
    # The integrator commits the ledger.
    git(ready, "add", "PLAN.md")
    done = commit(ready, {**WORKER_L1, "LANEWARDEN_ROLE": "integrator"})
    assert done.returncode == 0, done.stderr
