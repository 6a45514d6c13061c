"""``lanewarden lock ...`` end to end, in real repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, git
from scenario import make_parallel_ready, set_lock_rows

ORCH = {"LANEWARDEN_ROLE": "orchestrator"}
OLD = "2020-01-01T00:00:00Z"
FAR = "2099-01-01T00:00:00Z"
FARTHER = "2099-01-02T00:00:00Z"


@pytest.fixture
def ready(repo: Path) -> Path:
    make_parallel_ready(repo)
    return repo


def acquire(cli: Cli, repo: Path, lock_id: str, *scopes: str, **extra: str):
    args = ["lock", "acquire", lock_id, "--owner", f"agent-{lock_id}", "--objective", "work"]
    for scope in scopes:
        args += ["--scope", scope]
    for flag, value in extra.items():
        args += [f"--{flag}", value]
    return cli(repo, *args, "--json", **ORCH)


def test_acquire_writes_the_lock_table_and_list_reads_it(cli: Cli, ready: Path) -> None:
    before = (ready / "PLAN.md").read_text()
    done = acquire(cli, ready, "L-001", "src/app/", "docs/with space.md")
    assert done.code == 0, done.err
    assert done.json["lock"]["scope"] == ["src/app/", "docs/with space.md"]
    after = (ready / "PLAN.md").read_text()
    assert "| L-001 | agent-L-001 | `src/app/`, `docs/with space.md` | work |" in after
    # Only the table's lines changed: everything before it is as it was.
    table = before.index("| lock_id")
    assert after[:table] == before[:table]
    listed = cli(ready, "lock", "list", "--json")
    assert listed.code == 0
    (lock,) = listed.json["locks"]
    assert set(lock) == {
        "lock_id",
        "owner",
        "scope",
        "objective",
        "start",
        "heartbeat",
        "expires",
        "status",
    }
    assert lock["status"] == "active"
    assert lock["start"].endswith("Z")


def test_acquire_refuses_a_scope_sharing_tracked_paths(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L-001", "src/app/").code == 0
    refused = acquire(cli, ready, "L-002", "src/**/*.py")
    assert refused.code == 1
    (violation,) = refused.json["violations"]
    assert violation["rule"] == "lock-overlap"
    assert violation["lock"] == "L-001"
    assert "src/app/models.py" in violation["message"]


def test_acquire_refuses_patterns_that_can_share_future_paths(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L-001", "src/new/").code == 0
    refused = acquire(cli, ready, "L-002", "src/new/feature/")
    assert refused.code == 1
    assert refused.json["violations"][0]["lock"] == "L-001"


def test_disjoint_scopes_and_carve_outs_are_allowed(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L-001", "src/app/", "!src/app/skip.py").code == 0
    assert acquire(cli, ready, "L-002", "src/lib/").code == 0
    assert acquire(cli, ready, "L-003", "src/app/skip.py").code == 0
    who = cli(
        ready, "lock", "who", "src/app/skip.py", "src/app/models.py", "docs/guide.md", "--json"
    )
    assert who.json == {
        "paths": [
            {"path": "src/app/skip.py", "locks": ["L-003"]},
            {"path": "src/app/models.py", "locks": ["L-001"]},
            {"path": "docs/guide.md", "locks": []},
        ]
    }


def test_two_locks_on_one_hotspot_are_refused(cli: Cli, ready: Path) -> None:
    (ready / "lanewarden.toml").write_text('hotspots = ["src/app/"]\n')
    git(ready, "add", "lanewarden.toml")
    git(ready, "commit", "-qm", "hotspot")
    assert acquire(cli, ready, "L-001", "src/app/models.py").code == 0
    refused = acquire(cli, ready, "L-002", "src/app/views.py")
    assert refused.code == 1
    assert [v["rule"] for v in refused.json["violations"]] == ["hotspot"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--scope", "src/[ab"], "bad glob"),
        (["--scope", "../outside"], "bad glob"),
        (["--scope", "src/x", "--ttl", "soon"], "--ttl"),
        (["--scope", ""], "bad glob"),
    ],
)
def test_bad_input_is_exit_2_and_writes_nothing(
    cli: Cli, ready: Path, args: list[str], words: str
) -> None:
    before = (ready / "PLAN.md").read_bytes()
    done = cli(ready, "lock", "acquire", "L-001", "--owner", "a", "--objective", "o", *args, **ORCH)
    assert done.code == 2
    assert words in done.err
    assert "Traceback" not in done.err
    assert (ready / "PLAN.md").read_bytes() == before


def test_bad_and_duplicate_lock_ids(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L 1", "src/app/").code == 2
    assert acquire(cli, ready, "L-001", "src/app/").code == 0
    again = acquire(cli, ready, "L-001", "src/lib/")
    assert again.code == 2
    assert "already exists" in again.json["error"]["message"]


def test_a_worker_cannot_write_the_ledger(cli: Cli, ready: Path) -> None:
    done = cli(
        ready,
        "lock",
        "acquire",
        "L-001",
        "--owner",
        "a",
        "--objective",
        "o",
        "--scope",
        "src/app/",
        "--json",
    )
    assert done.code == 1
    assert done.json["violations"][0]["rule"] == "wrong-role"


def test_acquire_refused_while_bootstrap_fails(cli: Cli, repo: Path) -> None:
    (repo / "PLAN.md").write_text(
        "| lock_id | owner | scope | objective | start | heartbeat | expires |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    done = acquire(cli, repo, "L-001", "src/app/")
    assert done.code == 1
    assert done.json["ok"] is False
    assert any(v["rule"] == "missing-policy" for v in done.json["violations"])


def test_heartbeat_never_writes_the_ledger(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L-001", "src/app/", ttl="10m").code == 0
    ledger = (ready / "PLAN.md").read_bytes()
    first = cli(ready, "lock", "list", "--json").json["locks"][0]
    beat = cli(
        ready, "lock", "heartbeat", "L-001", "--ttl", "2h", "--json", LANEWARDEN_LANE="L-001"
    )
    assert beat.code == 0, beat.err
    assert (ready / "PLAN.md").read_bytes() == ledger
    assert (ready / ".git" / "lanewarden" / "heartbeats" / "L-001.json").is_file()
    now = cli(ready, "lock", "list", "--json").json["locks"][0]
    assert now["expires"] > first["expires"]
    # The orchestrator's next write folds the heartbeat into the table.
    assert acquire(cli, ready, "L-002", "src/lib/").code == 0
    assert now["expires"] in (ready / "PLAN.md").read_text()


def test_heartbeat_of_another_lane_or_an_expired_lock_is_refused(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L-001", "src/app/").code == 0
    other = cli(ready, "lock", "heartbeat", "L-001", "--json", LANEWARDEN_LANE="L-002")
    assert other.code == 1
    set_lock_rows(ready, [f"| L-009 | a | `src/x/` | o | {OLD} | {OLD} | 2020-01-01T01:00:00Z |"])
    expired = cli(ready, "lock", "heartbeat", "L-009", "--json", LANEWARDEN_LANE="L-009")
    assert expired.code == 1
    assert expired.json["violations"][0]["rule"] == "lock-expired"
    assert cli(ready, "lock", "heartbeat", "L-404").code == 2


def test_release_moves_the_lock_to_history(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L-001", "src/app/").code == 0
    done = cli(ready, "lock", "release", "L-001", "--json", **ORCH)
    assert done.code == 0
    assert cli(ready, "lock", "list", "--json").json["locks"] == []
    (released,) = cli(ready, "lock", "list", "--all", "--json").json["locks"]
    assert released["status"] == "released"
    assert released["lock_id"] == "L-001"
    assert cli(ready, "lock", "release", "L-001", **ORCH).code == 2


def test_reclaim_only_an_old_lock_and_record_the_note(cli: Cli, ready: Path) -> None:
    assert acquire(cli, ready, "L-001", "src/app/").code == 0
    live = cli(
        ready, "lock", "reclaim", "L-001", "--owner", "b", "--note", "gone", "--json", **ORCH
    )
    assert live.code == 1
    assert live.json["violations"][0]["rule"] == "lock-live"
    set_lock_rows(ready, [f"| L-001 | a | `src/app/` | o | {OLD} | {OLD} | 2099-01-01T00:00:00Z |"])
    stale = cli(
        ready,
        "lock",
        "reclaim",
        "L-001",
        "--owner",
        "b",
        "--note",
        "agent a crashed",
        "--json",
        **ORCH,
    )
    assert stale.code == 0, stale.err
    assert stale.json["lock"]["owner"] == "b"
    assert "agent a crashed" in (ready / "PLAN.md").read_text()
    rows = cli(ready, "lock", "list", "--all", "--json").json["locks"]
    assert [(r["owner"], r["status"]) for r in rows] == [("b", "active"), ("a", "released")]
    no_note = cli(ready, "lock", "reclaim", "L-001", "--owner", "c", **ORCH)
    assert no_note.code == 2


def test_check_reports_overlaps_hotspots_and_old_locks(cli: Cli, ready: Path) -> None:
    assert cli(ready, "lock", "check").code == 0
    (ready / "lanewarden.toml").write_text('hotspots = ["src/lib/core.py"]\n')
    set_lock_rows(
        ready,
        [
            f"| L-001 | a | `src/app/` | o | {OLD} | {OLD} | 2020-01-01T01:00:00Z |",
            f"| L-002 | b | `src/app/models.py` `src/lib/` | o | {OLD} | {OLD} | {FAR} |",
            f"| L-003 | c | src/lib/core.py | o | {FAR} | {FAR} | {FARTHER} |",
        ],
    )
    done = cli(ready, "lock", "check", "--json")
    assert done.code == 1
    rules = sorted((v["rule"], v["lock"]) for v in done.json["violations"])
    assert ("lock-overlap", "L-001") in rules
    assert ("lock-expired", "L-001") in rules
    assert ("lock-stale", "L-002") in rules
    assert ("hotspot", "L-002") in rules


def test_malformed_rows_are_exit_2_with_file_and_line(cli: Cli, ready: Path) -> None:
    set_lock_rows(ready, ["| L-001 | a | `src/app/` | o | not-a-time | x | y |"])
    line = (ready / "PLAN.md").read_text().splitlines().index(
        "| L-001 | a | `src/app/` | o | not-a-time | x | y |"
    ) + 1
    for args in (
        ["lock", "list"],
        ["lock", "check"],
        ["lock", "acquire", "L-2", "--owner", "o", "--objective", "o", "--scope", "docs/"],
    ):
        done = cli(ready, *args, "--json", **ORCH)
        assert done.code == 2, args
        assert f"PLAN.md:{line}" in done.out + done.err
        assert "Traceback" not in done.err


def test_missing_ledger_and_not_a_repository(cli: Cli, repo: Path, tmp_path: Path) -> None:
    done = cli(repo, "lock", "list", "--json")
    assert done.code == 2
    assert done.json["error"]["path"] == "PLAN.md"
    assert "lanewarden init" in done.json["error"]["fix"]
    outside = tmp_path / "plain"
    outside.mkdir()
    assert cli(outside, "lock", "list").code == 2


def test_list_json_is_one_object(cli: Cli, ready: Path) -> None:
    acquire(cli, ready, "L-001", "src/app/")
    out = cli(ready, "lock", "list", "--json").out
    assert json.loads(out)["locks"][0]["lock_id"] == "L-001"
    assert out.count("\n") == 1


def test_an_unanchored_hotspot_only_touches_scopes_that_reach_it(cli: Cli, ready: Path) -> None:
    (ready / "lanewarden.toml").write_text('hotspots = ["guide.md", "src/lib/new_file.py"]\n')
    assert acquire(cli, ready, "L-001", "src/app/").code == 0
    assert acquire(cli, ready, "L-002", "docs/guide.md").code == 0
    refused = acquire(cli, ready, "L-003", "docs/*.md")
    assert {(v["rule"], v["lock"]) for v in refused.json["violations"]} >= {("hotspot", "L-002")}
    # A hotspot that does not exist yet is reached by its own name.
    assert acquire(cli, ready, "L-004", "src/lib/new_file.py").code == 0
    refused = acquire(cli, ready, "L-005", "/src/lib/*.py", "!src/lib/core.py")
    assert {v["rule"] for v in refused.json["violations"]} == {"lock-overlap", "hotspot"}
