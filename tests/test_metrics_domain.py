"""The metric definitions on a handcrafted history; every expected number is worked out by hand."""

from __future__ import annotations

from datetime import datetime, timezone

from lanewarden.domain.metrics import (
    EscalationFact,
    GateRun,
    HistoryFacts,
    HotspotHold,
    IntegrationFact,
    LaneStart,
    Rewrite,
    Window,
    compute,
    median,
    p90,
)


def t(hhmm: str) -> datetime:
    hour, minute = hhmm.split(":")
    return datetime(2026, 11, 28, int(hour), int(minute), tzinfo=timezone.utc)


AT = t("13:30")  # "now": ends the pending request and the held lock

FACTS = HistoryFacts(
    starts=[
        LaneStart("A", t("10:00")),
        LaneStart("B", t("10:10")),
        LaneStart("C", t("10:20")),
        LaneStart("D", t("10:30")),
    ],
    integrations=[
        IntegrationFact("A", 1, "r1", "integrated", "", t("11:00"), files=2, lines=30),
        IntegrationFact("B", 1, "r1", "reopened", "conflict", t("11:05"), files=3, lines=120),
        IntegrationFact("B", 2, "r2", "integrated", "", t("12:10"), files=3, lines=100),
        IntegrationFact("C", 2, "r2", "integrated", "", t("13:20"), files=1, lines=300),
        IntegrationFact("D", 2, "r2", "reverted", "gate-3", t("12:30"), files=1, lines=40),
    ],
    gate_runs=[
        GateRun("2", "t1", "failed", t("10:40"), "A"),
        GateRun("2", "t1", "passed", t("10:50"), "A"),
        GateRun("2", "t2", "passed", t("11:00"), "B"),
        GateRun("3", "t3", "failed", t("12:25"), None),
        GateRun("3", "t3", "narrowed", t("12:26"), None),
    ],
    escalations=[
        EscalationFact("A", 1, t("10:15"), t("10:45")),
        EscalationFact("C", 2, t("10:30"), None),
    ],
    holds=[
        HotspotHold("A", ("pyproject.toml",), t("10:00"), t("11:00")),
        HotspotHold("B", ("pyproject.toml",), t("11:30"), None),
    ],
)


def test_median_and_p90_by_hand() -> None:
    assert median([]) is None
    assert p90([]) is None
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5  # mean of the two middle ones
    # nearest rank: ceil(0.9 * 10) = 9th of 1..10; ceil(0.9 * 3) = 3rd of three
    assert p90([float(i) for i in range(10, 0, -1)]) == 9.0
    assert p90([1.0, 2.0, 3.0]) == 3.0


def test_every_metric_of_the_whole_history() -> None:
    m = compute(FACTS, Window(), AT).to_json()
    assert m["lanes"] == ["A", "B", "C", "D"]
    assert m["waves"] == [1, 2]
    # A 10:00 -> 11:00, B 10:10 -> 12:10 (its last integration), C 10:20 -> 13:20; D never
    assert m["cycle_time"]["per_lane_seconds"] == {"A": 3600.0, "B": 7200.0, "C": 10800.0}
    assert m["cycle_time"]["median_seconds"] == 7200.0
    assert m["cycle_time"]["p90_seconds"] == 10800.0  # ceil(2.7) = 3rd value
    # B conflicted once; A, B, C integrated: 1/3
    assert m["merge_conflict_rate"] == {
        "conflicted_lanes": ["B"],
        "integrated_lanes": 3,
        "rate": 0.3333,
    }
    gates = m["gate_pass_ratio"]
    # gate 2: runs failed, passed, passed -> 2/3; trees t1 (latest passed), t2 passed -> 2/2
    assert gates["per_gate"]["2"]["by_runs"] == 0.6667
    assert gates["per_gate"]["2"]["by_trees"] == 1.0
    assert gates["per_gate"]["2"]["runs_failed"] == 1
    # gate 3: failed then narrowed on t3: 0/2 runs, 0/1 trees
    assert gates["per_gate"]["3"]["by_runs"] == 0.0
    assert gates["per_gate"]["3"]["runs_narrowed"] == 1
    assert gates["per_gate"]["3"]["by_trees"] == 0.0
    # overall: 2 passed of 5 runs; 2 passed of 3 trees
    assert gates["overall"]["by_runs"] == 0.4
    assert gates["overall"]["by_trees"] == 0.6667
    blocks = m["approval_blocks"]
    # 2 requests over 4 lanes; A blocked 10:15 -> 10:45 = 1800 s, C 10:30 -> now 13:30 = 10800 s
    assert blocks["per_lane"] == 0.5
    assert blocks["pending"] == 1
    assert blocks["blocked_seconds"] == 12600.0
    assert blocks["by_lane"] == {
        "A": {"escalations": 1, "blocked_seconds": 1800.0},
        "C": {"escalations": 1, "blocked_seconds": 10800.0},
    }
    rework = m["rework"]
    # B reopened, D reverted: 2 of 4 lanes; 40 lines reverted of 30 + 100 + 300 = 430
    assert rework["reopened_lanes"] == ["B", "D"]
    assert rework["reopened_ratio"] == 0.5
    assert rework["lines_integrated"] == 430
    assert rework["lines_ratio"] == 0.093  # 40 / 430 = 0.09302
    size = m["lane_size"]
    assert [(r["lane"], r["files"], r["lines"]) for r in size["per_lane"]] == [
        ("A", 2, 30),
        ("B", 3, 100),  # the size that finally landed, not the 120 of the conflicted attempt
        ("C", 1, 300),
    ]
    assert [
        (b["lanes"], b["median_cycle_seconds"], b["conflict_rate"]) for b in size["buckets"]
    ] == [
        (1, 3600.0, 0.0),
        (1, 7200.0, 1.0),
        (1, 10800.0, 0.0),
    ]
    hot = m["hotspot_contention"]["pyproject.toml"]
    # A held it 10:00 -> 11:00, B from 11:30 and still at 13:30: 3600 + 7200
    assert hot["holds"] == 2
    assert hot["lanes"] == ["A", "B"]
    assert hot["held_seconds"] == 10800.0
    assert hot["contended"] is True


def test_one_wave_counts_only_that_wave() -> None:
    m = compute(FACTS, Window(wave=2), AT).to_json()
    assert m["lanes"] == ["B", "C", "D"]
    assert m["cycle_time"]["per_lane_seconds"] == {"B": 7200.0, "C": 10800.0}
    assert m["cycle_time"]["median_seconds"] == 9000.0  # (7200 + 10800) / 2
    assert m["cycle_time"]["p90_seconds"] == 10800.0  # ceil(1.8) = 2nd
    # B's conflict was in wave 1
    assert m["merge_conflict_rate"]["rate"] == 0.0
    assert m["rework"]["reopened_lanes"] == ["D"]
    assert m["rework"]["lines_ratio"] == 0.1  # 40 / (100 + 300)
    # escalation of C only (A is not in wave 2): 1 over 3 lanes
    assert m["approval_blocks"]["per_lane"] == 0.3333
    # gate runs tagged with lanes B: one passed run
    assert m["gate_pass_ratio"]["overall"]["runs"] == 1


def test_since_drops_older_facts() -> None:
    m = compute(FACTS, Window(since=t("11:02")), AT).to_json()
    # no lane acquired since 11:02, so no cycle can be measured from a start in the window
    assert m["cycle_time"]["lanes"] == 0
    assert m["cycle_time"]["median_seconds"] is None
    # integrations applied since 11:02: B (conflict, then integrated), C, D
    assert m["lanes"] == ["B", "C", "D"]
    assert m["merge_conflict_rate"]["rate"] == 0.5  # B conflicted; B and C integrated
    # A's hold ended before the window; B's counts from 11:30
    assert m["hotspot_contention"]["pyproject.toml"]["held_seconds"] == 7200.0
    assert m["approval_blocks"]["escalations"] == 0


def test_empty_history_has_no_ratio_rather_than_a_made_up_zero() -> None:
    m = compute(HistoryFacts(), Window(), AT).to_json()
    assert m["merge_conflict_rate"]["rate"] is None
    assert m["gate_pass_ratio"]["overall"]["by_runs"] is None
    assert m["rework"]["lines_ratio"] is None
    assert m["hotspot_contention"] == {}


def test_a_lane_handed_off_twice_was_reopened() -> None:
    facts = HistoryFacts(
        starts=FACTS.starts,
        integrations=FACTS.integrations,
        handoffs={"A": [t("10:30")], "C": [t("11:00"), t("12:00")]},
    )
    rework = compute(facts, Window(), AT).to_json()["rework"]
    # B and D from the integration records, C from its second handoff; A handed off once
    assert rework["reopened_lanes"] == ["B", "C", "D"]
    assert rework["reopened_ratio"] == 0.75
    # since 11:30 only C's second handoff is in the window: one handoff is no reopening
    later = compute(facts, Window(since=t("11:30")), AT).to_json()["rework"]
    assert "C" not in later["reopened_lanes"]


# Lines of integrated outcomes later rewritten, as git blame measured them (by hand here):
# A (run r1) had none rewritten by the end of r1, 12 by the end of r2; B and C (run r2)
# had 5 and 0 rewritten by the end of r2.
REWRITES = [
    Rewrite("A", "r1", "r1", 0),
    Rewrite("A", "r1", "r2", 12),
    Rewrite("B", "r2", "r2", 5),
    Rewrite("C", "r2", "r2", 0),
]


def with_rewrites(rewrites: list[Rewrite]) -> HistoryFacts:
    return HistoryFacts(starts=FACTS.starts, integrations=FACTS.integrations, rewrites=rewrites)


def test_rewritten_lines_count_at_the_end_of_the_window() -> None:
    rework = compute(with_rewrites(REWRITES), Window(), AT).to_json()["rework"]
    # the whole history ends with run r2 (C, 13:20): A 12 + B 5 + C 0 = 17 lines rewritten
    assert rework["lines_rewritten"] == 17
    assert rework["rewritten_by_lane"] == {"A": 12, "B": 5}
    assert rework["rewrites_unmeasured_lanes"] == []
    # (40 reverted + 17 rewritten) / 430 integrated = 0.132558
    assert rework["lines_ratio"] == 0.1326


def test_a_wave_counts_rewrites_by_its_own_end() -> None:
    first = compute(with_rewrites(REWRITES), Window(wave=1), AT).to_json()["rework"]
    # wave 1 ends with r1: A's lines were all there; B was reopened, not integrated
    assert (first["lines_rewritten"], first["lines_ratio"]) == (0, 0.0)
    second = compute(with_rewrites(REWRITES), Window(wave=2), AT).to_json()["rework"]
    # wave 2: B 5 + C 0 rewritten, D's 40 reverted, of 100 + 300: 45 / 400
    assert (second["lines_rewritten"], second["lines_ratio"]) == (5, 0.1125)


def test_an_outcome_without_a_measure_is_named_not_counted_as_zero() -> None:
    rework = compute(with_rewrites(REWRITES[:3]), Window(), AT).to_json()["rework"]
    assert rework["rewrites_unmeasured_lanes"] == ["C"]
    assert rework["lines_rewritten"] == 17
    # a measure for another end than the window's does not count
    only_r1 = compute(with_rewrites(REWRITES[:1]), Window(), AT).to_json()["rework"]
    assert only_r1["rewrites_unmeasured_lanes"] == ["A", "B", "C"]
    assert only_r1["lines_rewritten"] == 0
