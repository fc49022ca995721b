"""Realisation against the lift due by each quarter: the ramps, declared milestones, funded share, calibration.

Every expected lift below is hand-computed from docs/review.md ("Milestones"): quarter k = 1..H of the
horizon counted from the start quarter; linear k/H, back-loaded (k/H)^2, none 1, and 1 from k = H on;
times min(plan allocation / cost, 1); one division, rounded half-even to 12 places.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from review_helpers import decision, initiative, policy, reading

from budgetpolicy.errors import ReviewError
from budgetpolicy.model import CalibrationPolicy, MilestonePolicy
from budgetpolicy.review.milestones import ramp_share
from budgetpolicy.review.quarterly import review

QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1")


def kpi_lines(result, iid):
    """(period, priority) -> KpiRealisation over every quarter reviewed."""
    out = {}
    for quarter in (*result.history, result):
        for r in quarter.realisations:
            if r.initiative_id == iid:
                out.update({(r.period, k.priority): k for k in r.kpis})
    return out


def run(inits, plan, outcomes, period, **settings):
    return review(policy(milestones=MilestonePolicy(**settings) if settings else None), inits, plan, outcomes,
                  period)


@pytest.mark.parametrize("ramp,shares", [
    ("linear", [(1, 4), (2, 4), (3, 4), (1, 1), (1, 1)]),
    ("back-loaded", [(1, 16), (4, 16), (9, 16), (1, 1), (1, 1)]),
    ("none", [(1, 1)] * 5),
])
def test_each_ramp_share_per_quarter_of_a_four_quarter_horizon(ramp, shares):
    assert [ramp_share(ramp, k, 4) for k in range(1, 6)] == shares
    assert ramp_share(ramp, 0, 4) == shares[0]  # a reading before the start counts as the first quarter


@pytest.mark.parametrize("ramp,expected", [
    ("linear", ["0.5", "1", "1.5", "2", "2"]),             # 2 x 1/4, 2/4, 3/4, then the whole forecast
    ("back-loaded", ["0.125", "0.5", "1.125", "2", "2"]),  # 2 x 1/16, 4/16, 9/16
    ("none", ["2", "2", "2", "2", "2"]),
])
def test_expected_lift_per_quarter_through_the_review(ramp, expected):
    inits = [initiative("A1", forecast={"win-rate": "2"}, horizon=4)]
    outcomes = [reading("A1", q, {"win-rate": "1"}) for q in QUARTERS]
    lines = kpi_lines(run(inits, [decision("A1", "10000")], outcomes, "2027-Q1", ramp=ramp), "A1")
    assert [lines[(q, "win-rate")].expected for q in QUARTERS] == [D(e) for e in expected]
    assert [lines[(q, "win-rate")].ratio for q in QUARTERS] == [(D(1) / D(e)).quantize(D("0.0001"))
                                                                 for e in expected]


def test_thirds_are_rounded_to_twelve_places_and_named():
    inits = [initiative("A1", forecast={"win-rate": "1.5"}, horizon=3)]
    outcomes = [reading("A1", q, {"win-rate": "0.45"}) for q in QUARTERS[:3]]
    linear = kpi_lines(run(inits, [decision("A1", "10000")], outcomes, "2026-Q3", ramp="linear"), "A1")
    assert [(linear[(q, "win-rate")].expected, linear[(q, "win-rate")].due) for q in QUARTERS[:3]] == [
        (D("0.5"), "linear 1/3"), (D("1"), "linear 2/3"), (D("1.5"), "forecast")]
    assert linear[("2026-Q1", "win-rate")].ratio == D("0.9000")  # the INI-002: 0.30 before
    back = kpi_lines(run(inits, [decision("A1", "10000")], outcomes, "2026-Q3", ramp="back-loaded"), "A1")
    assert [(back[(q, "win-rate")].expected, back[(q, "win-rate")].due) for q in QUARTERS[:2]] == [
        (D("0.166666666667"), "back-loaded (1/3)^2"), (D("0.666666666667"), "back-loaded (2/3)^2")]
    # the ratio divides by the rounded due lift: 0.45 / 0.166666666667 = 2.69999999999 -> 2.7000
    assert back[("2026-Q1", "win-rate")].ratio == D("2.7000")


def test_the_default_ramp_is_linear():
    inits = [initiative("A1", forecast={"win-rate": "2"}, horizon=4)]
    result = run(inits, [decision("A1", "10000")], [reading("A1", "2026-Q1", {"win-rate": "1"})], "2026-Q1")
    # no [milestones] in the policy: 1 realised of 2 x 1/4 = 0.5 due
    assert (result.realisations[0].value, result.realisations[0].kpis[0].due) == (D("2.0000"), "linear 1/4")


def test_a_declared_milestone_wins_over_the_ramp_for_its_priority_only():
    a1 = initiative("A1", forecast={"win-rate": "2", "ttc": "10"}, horizon=4,
                    milestones={"2026-Q2": {"win-rate": "1.5"}, "2026-Q4": {"win-rate": "1.8"}})
    outcomes = [reading("A1", q, {"win-rate": "1.2", "ttc": "5"}) for q in QUARTERS[:4]]
    result = run([a1], [decision("A1", "10000")], outcomes, "2026-Q4", ramp="linear")
    lines = kpi_lines(result, "A1")
    win = [(lines[(q, "win-rate")].expected, lines[(q, "win-rate")].due, lines[(q, "win-rate")].ratio)
           for q in QUARTERS[:4]]
    assert win == [
        (None, "no milestone due by 2026-Q1", None),      # nothing declared up to Q1: nothing due yet
        (D("1.5"), "milestone 2026-Q2", D("0.8000")),
        (D("1.5"), "milestone 2026-Q2", D("0.8000")),     # the latest milestone at or before Q3
        (D("1.8"), "milestone 2026-Q4", D("0.6667")),     # the milestone, not the forecast 2, at the end
    ]
    assert lines[("2026-Q1", "win-rate")].note == "nothing due yet: realisation undefined"
    ttc = [(lines[(q, "ttc")].expected, lines[(q, "ttc")].due) for q in QUARTERS[:4]]
    assert ttc == [(D("2.5"), "linear 1/4"), (D("5"), "linear 2/4"), (D("7.5"), "linear 3/4"), (D("10"), "forecast")]
    # Q1: only ttc counts (5 / 2.5 = 2); Q2: (2 x 0.8 + 10 x 1) / 12 = 0.9667
    values = [r.value for q in (*result.history, result) for r in q.realisations]
    assert values[:2] == [D("2.0000"), D("0.9667")]


def test_a_partly_funded_bet_is_judged_on_its_funded_share():
    inits = [initiative("A1", cost="10000", forecast={"win-rate": "2"}, horizon=4),
             initiative("M1", cost="10000", forecast={"win-rate": "2"}, horizon=4,
                        milestones={"2026-Q1": {"win-rate": "1"}}),
             initiative("F1", cost="8000", forecast={"win-rate": "2"}, horizon=4)]
    plan = [decision("A1", "6000"), decision("M1", "2500"), decision("F1", "9000")]
    outcomes = [reading(i, "2026-Q1", {"win-rate": "0.3"}) for i in ("A1", "M1", "F1")]
    lines = {r.initiative_id: r.kpis[0] for r in run(inits, plan, outcomes, "2026-Q1").realisations}
    # A1: 2 x 1/4 x 6000/10000 = 0.3; M1: its milestone 1 x 0.25 = 0.25; F1: over its cost, share capped at 1
    assert (lines["A1"].expected, lines["A1"].due, lines["A1"].ratio) == \
        (D("0.3"), "linear 1/4 x 0.6 funded", D("1.0000"))
    assert (lines["M1"].expected, lines["M1"].due, lines["M1"].ratio) == \
        (D("0.25"), "milestone 2026-Q1 x 0.25 funded", D("1.2000"))
    assert (lines["F1"].expected, lines["F1"].due) == (D("0.5"), "linear 1/4")


def test_releases_and_mid_year_funding_do_not_move_what_is_due():
    from review_helpers import alloc

    from budgetpolicy.model import ReallocationPolicy

    inits = [initiative("A1", cost="10000", forecast={"win-rate": "2"}, horizon=4),
             initiative("W1", cost="10000", forecast={"win-rate": "2"}, horizon=4, start="2026-Q1")]
    plan = [decision("A1", "10000"), decision("W1", "0", outcome="deferred")]
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0.1"}, spend="1000"),   # 0.2 < 0.5: 9000 released
                reading("A1", "2026-Q2", {"win-rate": "1"}, spend="1000"),
                reading("W1", "2026-Q3", {"win-rate": "0.5"})]
    result = review(policy(reallocation=ReallocationPolicy(), allocation=alloc(min_viable_share=D("0.5")),
                           milestones=None), inits, plan, outcomes, "2026-Q3")
    assert [(m.initiative_id, m.amount) for m in result.history[0].reallocations] == [("W1", D("9000"))]
    lines = kpi_lines(result, "A1")
    assert lines[("2026-Q2", "win-rate")].expected == D("1")  # 2 x 2/4, not scaled by A1's 1000 left
    # W1 got 9000 of 10000 from a release in Q1 and starts in Q2: its plan funded nothing, so the full lift
    assert kpi_lines(result, "W1")[("2026-Q3", "win-rate")].due == "linear 2/4"


def test_a_finished_reading_is_judged_as_at_the_end_of_the_horizon():
    a1 = initiative("A1", forecast={"win-rate": "2"}, horizon=4, milestones={"2026-Q4": {"win-rate": "1.6"}})
    b2 = initiative("B2", forecast={"win-rate": "2"}, horizon=4)
    outcomes = [reading("A1", "2026-Q2", {"win-rate": "1.6"}, finished=True),
                reading("B2", "2026-Q2", {"win-rate": "1"}, finished=True)]
    result = run([a1, b2], [decision("A1", "10000"), decision("B2", "10000")], outcomes, "2026-Q2")
    lines = {r.initiative_id: r.kpis[0] for r in result.realisations}
    assert (lines["A1"].expected, lines["A1"].due, lines["A1"].ratio) == (D("1.6"), "milestone 2026-Q4", D("1"))
    assert (lines["B2"].expected, lines["B2"].due, lines["B2"].ratio) == (D("2"), "forecast", D("0.5"))
    assert [(c.initiative_id, c.status, c.cause) for c in result.completions] == [
        ("A1", "completed", "finished"), ("B2", "completed_below_target", "finished")]


def test_calibration_pools_the_ratios_against_what_was_due():
    # Two Sales bets, four-quarter horizons, read in Q1: I1 against its milestone 0.8, I2 against 2 x 1/4.
    inits = [initiative("I1", forecast={"win-rate": "2"}, milestones={"2026-Q1": {"win-rate": "0.8"}}),
             initiative("I2", forecast={"win-rate": "2"})]
    outcomes = [reading("I1", "2026-Q1", {"win-rate": "0.6"}), reading("I2", "2026-Q1", {"win-rate": "0.6"})]
    settings = CalibrationPolicy(shrinkage=D("0.5"), min_factor=D("0.5"), max_factor=D("1.5"))
    result = review(policy(calibration=settings, milestones=None), inits,
                    [decision("I1", "10000"), decision("I2", "10000")], outcomes, "2026-Q1")
    (sales,) = result.calibrations
    # I1: 0.6 / 0.8 = 0.75; I2: 0.6 / 0.5 = 1.2; weighted by |forecast|: (2 x 0.75 + 2 x 1.2) / 4 = 0.975
    assert (sales.realised, sales.forecast, sales.raw) == (D("3.9"), D("4"), D("0.9750"))
    assert sales.factor == D("0.9875")  # 0.5 + 0.5 x 0.975 = 0.9875; whole-horizon would give 0.3 -> 0.65


@pytest.mark.parametrize("milestones,code,field,hint", [
    ({"2026-Q2": {"win-rat": "1"}}, "BP710", "milestone.2026-Q2.win-rat", "did you mean 'win-rate'?"),
    ({"2026-Q2": {"ttc": "1"}}, "BP710", "milestone.2026-Q2.ttc", "add forecast.ttc, or drop the milestone"),
    ({"2026-Q5": {"win-rate": "1"}}, "BP701", "milestone.2026-Q5.win-rate", None),
    ({"2025-Q4": {"win-rate": "1"}}, "BP711", "milestone.2025-Q4.win-rate", None),
])
def test_bad_milestones_are_located_errors(milestones, code, field, hint):
    a1 = initiative("INI-001", forecast={"win-rate": "2"}, milestones=milestones)
    with pytest.raises(ReviewError) as exc:
        run([a1], [decision("INI-001", "1000")], [reading("INI-001", "2026-Q1", {"win-rate": "1"})], "2026-Q1")
    (d,) = exc.value.diagnostics
    assert (d.code, d.location.file, d.location.row, d.location.field) == (code, "initiatives.csv", 1, field)
    if hint is not None:
        assert d.hint == hint
