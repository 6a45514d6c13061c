"""The lock registry's rules, on values: no git, no files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lanewarden.domain.locks import Lock
from lanewarden.domain.registry import Hotspots, LockRegistry, shell_quote
from lanewarden.domain.scopes import Scope

NOW = datetime(2026, 11, 28, 14, 0, tzinfo=timezone.utc)
TRACKED = ["src/app/a.py", "src/app/b.py", "src/lib/c.py", "docs/d.md", "pyproject.toml"]


def lock(lock_id: str, *patterns: str, hours: float = 1) -> Lock:
    return Lock(
        lock_id, "owner", Scope.parse(list(patterns)), "o", NOW, NOW, NOW + timedelta(hours=hours)
    )


def registry(*locks: Lock) -> LockRegistry:
    return LockRegistry(locks=locks)


def test_conflicts_name_the_other_lock_and_the_shared_paths() -> None:
    reg = registry(lock("L-1", "src/app/"))
    (conflict,) = reg.acquisition_conflicts(
        "L-2", Scope.parse(["src/**/*.py"]), Hotspots({}), lambda: TRACKED
    )
    assert conflict.rule == "lock-overlap"
    assert conflict.lock == "L-1"
    assert "src/app/a.py" in conflict.message


def test_future_paths_conflict_by_prefix_and_carve_outs_do_not() -> None:
    reg = registry(lock("L-1", "src/new/"))
    assert reg.acquisition_conflicts("L-2", Scope.parse(["src/new/x/"]), Hotspots({}), list)
    carved = registry(lock("L-1", "src/app/", "!src/app/b.py"))
    assert not carved.acquisition_conflicts(
        "L-2", Scope.parse(["src/app/b.py"]), Hotspots({}), lambda: TRACKED
    )


def test_the_tracked_paths_are_listed_only_when_needed() -> None:
    calls = []

    def tracked() -> list[str]:
        calls.append(1)
        return TRACKED

    registry(lock("L-1", "src/app/")).acquisition_conflicts(
        "L-2", Scope.parse(["/docs/"]), Hotspots({}), tracked
    )
    assert calls == []


def test_hotspot_areas_are_serialized() -> None:
    hotspots = Hotspots.parse(["src/app/"])
    reg = registry(lock("L-1", "src/app/a.py"))
    rules = [
        v.rule
        for v in reg.acquisition_conflicts(
            "L-2", Scope.parse(["src/app/b.py"]), hotspots, lambda: TRACKED
        )
    ]
    assert rules == ["hotspot"]


def test_health_reports_overlaps_hotspots_and_old_locks() -> None:
    reg = registry(
        lock("L-1", "src/app/", hours=-1),
        lock("L-2", "src/app/a.py", "pyproject.toml"),
        lock("L-3", "/pyproject.toml"),
    )
    found = {(v.rule, v.lock) for v in reg.health(TRACKED, Hotspots.parse(["/pyproject.toml"]), NOW,
                                                     timedelta(minutes=30))}  # fmt: skip
    assert found == {
        ("lock-overlap", "L-1"),
        ("lock-overlap", "L-2"),
        ("hotspot", "L-2"),
        ("lock-expired", "L-1"),
    }


def test_release_and_reclaim_keep_the_history() -> None:
    reg = registry(lock("L-1", "src/app/"), lock("L-2", "src/lib/"))
    released = reg.released("L-1", NOW)
    assert [lk.lock_id for lk in released.locks] == ["L-2"]
    assert released.history[-1].outcome == "released"
    later = NOW + timedelta(hours=2)
    reclaimed = released.reclaimed(
        "L-2", owner="b", note="crashed", at=later, ttl=timedelta(hours=1)
    )
    new = reclaimed.get("L-2")
    assert new is not None
    assert (new.owner, new.start, new.expires) == ("b", later, later + timedelta(hours=1))
    assert (reclaimed.history[-1].lock.owner, reclaimed.history[-1].note) == ("owner", "crashed")


def test_heartbeats_fold_in() -> None:
    reg = registry(lock("L-1", "src/app/"))
    beat = NOW + timedelta(minutes=5)
    folded = reg.with_heartbeats({"L-1": (beat, NOW + timedelta(hours=3))})
    folded_lock = folded.get("L-1")
    assert folded_lock is not None
    assert (folded_lock.heartbeat, folded_lock.expires) == (beat, NOW + timedelta(hours=3))


def test_shell_quote() -> None:
    assert shell_quote("src/a.py") == "src/a.py"
    assert shell_quote("it's here.py") == "'it'\"'\"'s here.py'"
    assert shell_quote("line\nbreak") == "'line\nbreak'"
