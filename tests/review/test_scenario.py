"""From a plan to three quarterly reviews, every number hand-computed (docs/review.md, "Worked example").

Plan: S1 10000, S2 8000 (Sales, win-rate); E1 12000 (horizon 2), E2 6000 (Engineering, time to competence);
W1 (Sales, 4000, EV/cost 0.00002) and W2 (Engineering, 9000, EV/cost 0.00001) wait unfunded; R1 rejected.
Readings are compared with the whole-horizon forecast (``[milestones] ramp = "none"``, the helpers' default).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from review_helpers import alloc, decision, initiative, policy, reading

from budgetpolicy.model import CalibrationPolicy, Caps, ReallocationPolicy, SunsetCriterion
from budgetpolicy.review.quarterly import review

POLICY = policy(
    calibration=CalibrationPolicy(lookback_quarters=4, shrinkage=D("0.5"), min_factor=D("0.6"), max_factor=D("1.3")),
    reallocation=ReallocationPolicy(release_below=D("0.5"), release_share=D("1"), scale_above=D("1.0"),
                                    scale_max_share=D("0.5")),
    sunset=(SunsetCriterion("persistently-low", "realisation_below", D("0.4"), 2),
            SunsetCriterion("unmeasured", "no_measurement", None, 2),
            SunsetCriterion("horizon-over", "horizon_passed")),
    allocation=alloc(min_viable_share=D("0.5"), caps=Caps(per_initiative=D("20000"))),
)
INITS = [
    initiative("S1", cost="10000", forecast={"win-rate": "2"}),
    initiative("S2", cost="8000", forecast={"win-rate": "1"}),
    initiative("E1", department="Engineering", cost="12000", forecast={"ttc": "10"}, horizon=2),
    initiative("E2", department="Engineering", cost="6000", forecast={"ttc": "5"}),
    initiative("W1", cost="4000", forecast={"win-rate": "1"}, start="2026-Q2"),
    initiative("W2", department="Engineering", cost="9000", forecast={"ttc": "8"}, start="2026-Q2"),
    initiative("R1", cost="5000"),
]
PLAN = [decision("S1", "10000"), decision("S2", "8000"), decision("E1", "12000"), decision("E2", "6000"),
        decision("W1", "0", outcome="deferred", ev="0.08"), decision("W2", "0", outcome="deferred", ev="0.09"),
        decision("R1", None, outcome="rejected")]
OUTCOMES = [
    reading("S1", "2026-Q1", {"win-rate": "0.6"}, spend="3000"),            # 0.3: release 7000
    reading("S2", "2026-Q1", {"win-rate": "1.2"}, spend="2000"),            # 1.2: proven
    reading("E1", "2026-Q1", {"ttc": "5"}, spend="3000"),                   # 0.5: not below 0.5
    reading("E2", "2026-Q1", {"days_to_competence": "85"}, spend="1000"),   # raw 85 vs 90: lift 5, 1.0
    reading("S1", "2026-Q2", {"win-rate": "0.7"}, spend="3000"),            # 0.35: second low quarter
    reading("S2", "2026-Q2", {"win-rate": "1.5"}, spend="5000"),
    reading("E1", "2026-Q2", {"ttc": "6"}, spend="7000"),                   # horizon over at 0.6
    reading("W1", "2026-Q2", {"win-rate": "0.2"}, spend="1000"),            # 0.2: release 3000
    reading("S2", "2026-Q3", {"win-rate": "2"}, spend="9000", finished=True),
    reading("W1", "2026-Q3", {"win-rate": "0.3"}, spend="1000"),
    reading("S1", "2026-Q4", {"win-rate": "2"}, spend="3000"),              # after every review: ignored
]


@pytest.fixture(scope="module")
def reviews():
    return {p: review(POLICY, INITS, PLAN, OUTCOMES, p) for p in ("2026-Q1", "2026-Q2", "2026-Q3")}


def money(result):
    s = result.summary
    return s.released, s.redistributed, s.returned_to_pool


def test_q1_releases_the_laggard_funds_the_next_ranked_and_scales_the_proven(reviews):
    q1 = reviews["2026-Q1"]
    assert [(r.initiative_id, r.value) for r in q1.realisations] == [
        ("E1", D("0.5000")), ("E2", D("1.0000")), ("S1", D("0.3000")), ("S2", D("1.2000"))]
    assert [(r.initiative_id, r.cause, r.amount) for r in q1.releases] == [("S1", "below_threshold", D("7000.00"))]
    # W1 first (4000); W2 would get 3000 < 4500 minimum viable; S2 scales by min(0.5 x 8000, 3000 left)
    assert [(m.initiative_id, m.kind, m.amount) for m in q1.reallocations] == [
        ("W1", "next_ranked", D("4000")), ("S2", "scale_up", D("3000"))]
    assert [(s.initiative_id, s.headroom, s.granted) for s in q1.scale_ups] == [
        ("S2", D("4000.0"), D("3000")), ("E2", D("3000.0"), D("0"))]
    assert money(q1) == (D("7000.00"), D("7000"), D("0.00"))
    assert q1.sunsets == ()
    # Sales (2*0.3 + 1*1.2) / 3 = 0.6 -> 0.8; Engineering (10*0.5 + 5*1) / 15 = 0.6667 -> 0.83335 -> 0.8334
    assert [(c.group, c.raw, c.factor) for c in q1.calibrations] == [
        ("Engineering", D("0.6667"), D("0.8334")), ("Sales", D("0.6000"), D("0.8000"))]
    assert q1.history == ()


def test_q2_sunsets_one_completes_one_below_target_and_funds_the_waiting_one(reviews):
    q2 = reviews["2026-Q2"]
    assert [(s.initiative_id, s.criterion) for s in q2.sunsets] == [("S1", "persistently-low")]
    # E1's two-quarter horizon ends at 0.6: completed below the target 1, not sunset
    assert [(c.initiative_id, c.status, c.cause, c.latest, c.criterion) for c in q2.completions] == [
        ("E1", "completed_below_target", "horizon", D("0.6000"), "horizon-over")]
    assert [(r.initiative_id, r.cause, r.amount) for r in q2.releases] == [
        ("E1", "finished", D("5000.00")), ("W1", "below_threshold", D("3000.00"))]
    assert [(m.initiative_id, m.kind, m.amount) for m in q2.reallocations] == [("W2", "next_ranked", D("8000"))]
    assert [(s.initiative_id, s.headroom, s.granted) for s in q2.scale_ups] == [("S2", D("1000.0"), D("0"))]
    assert money(q2) == (D("8000.00"), D("8000"), D("0.00"))
    # Sales (0.6 + 1.2 + 0.7 + 1.5 + 0.2) / 7 = 0.6; Engineering (5 + 5 + 6) / 25 = 0.64 -> 0.82
    assert [(c.group, c.raw, c.factor) for c in q2.calibrations] == [
        ("Engineering", D("0.6400"), D("0.8200")), ("Sales", D("0.6000"), D("0.8000"))]
    assert [q.period for q in q2.history] == ["2026-Q1"]


def test_q3_completes_sunsets_and_returns_money_nobody_can_use(reviews):
    q3 = reviews["2026-Q3"]
    assert [(s.initiative_id, s.criterion) for s in q3.sunsets] == [("E2", "unmeasured"),
                                                                  ("W1", "persistently-low")]
    assert q3.sunsets[0].numbers["last_measured"] == "2026-Q1"
    assert [(c.initiative_id, c.status, c.cause, c.latest) for c in q3.completions] == [
        ("S2", "completed", "finished", D("2.0000"))]
    assert [(r.initiative_id, r.cause, r.amount) for r in q3.releases] == [
        ("E2", "sunset", D("5000.00")), ("S2", "finished", D("2000.00"))]
    assert q3.reallocations == ()
    assert money(q3) == (D("7000.00"), D("0"), D("7000.00"))
    assert (q3.totals.released, q3.totals.redistributed, q3.totals.returned_to_pool) == \
        (D("22000.00"), D("15000"), D("7000.00"))
    # Sales adds S2 2.0 and W1 0.3: 6.5 / 9 = 0.7222 -> 0.8611
    assert q3.factors == {"Engineering": D("0.8200"), "Sales": D("0.8611")}
    s1 = next(f for f in q3.forecasts if f.initiative_id == "S1")
    assert (s1.raw["win-rate"], s1.calibrated["win-rate"]) == (D("2"), D("1.7222"))


def test_q3_positions_and_money_conserved_overall(reviews):
    q3 = reviews["2026-Q3"]
    assert [(p.initiative_id, p.status, p.planned, p.allocation) for p in q3.positions] == [
        ("E1", "completed_below_target", D("12000"), D("7000.00")), ("E2", "sunset", D("6000"), D("1000.00")),
        ("R1", "ineligible", D("0"), D("0")), ("S1", "sunset", D("10000"), D("3000.00")),
        ("S2", "completed", D("8000"), D("9000.00")), ("W1", "sunset", D("0"), D("1000.00")),
        ("W2", "active", D("0"), D("8000"))]
    planned = sum(p.planned for p in q3.positions)
    assert planned - q3.totals.returned_to_pool == sum(p.allocation for p in q3.positions) == D("29000")


def test_each_review_replays_the_earlier_ones(reviews):
    q1, q2, q3 = reviews["2026-Q1"], reviews["2026-Q2"], reviews["2026-Q3"]
    assert q3.history[0].releases == q2.history[0].releases == q1.releases
    assert q3.history[1].sunsets == q2.sunsets
    assert review(POLICY, INITS, PLAN, list(reversed(OUTCOMES)), "2026-Q3") == q3  # input order irrelevant
