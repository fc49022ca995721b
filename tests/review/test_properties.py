"""Property: whatever the plan and the readings, reallocation conserves money to the cent."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st
from review_helpers import alloc, decision, initiative, policy, reading

from budgetpolicy.model import Caps, ReallocationPolicy, SunsetCriterion
from budgetpolicy.review.quarterly import review

CENTS = st.integers(min_value=0, max_value=5_000_000).map(lambda c: D(c) / 100)
SHARE = st.integers(min_value=0, max_value=100).map(lambda p: D(p) / 100)


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=1, max_value=7))
    inits, plan, outcomes = [], [], []
    for k in range(n):
        iid = f"I{k}"
        cost = draw(CENTS)
        inits.append(initiative(iid, department=draw(st.sampled_from(["A", "B"])), cost=str(cost),
                                forecast={"win-rate": str(draw(st.integers(1, 50)))},
                                horizon=draw(st.integers(1, 4))))
        funded = draw(st.booleans())
        plan.append(decision(iid, str(draw(CENTS)) if funded else "0", outcome="approved" if funded else "deferred",
                             ev=str(draw(st.integers(1, 100)) / 1000)))
        spend = D(0)
        for q in range(1, 4):
            if draw(st.booleans()):
                spend += draw(CENTS)
                outcomes.append(reading(iid, f"2026-Q{q}", {"win-rate": str(draw(st.integers(-10, 80)))},
                                        spend=str(spend), finished=draw(st.booleans()) and q > 1))
    if not outcomes:
        outcomes.append(reading("I0", "2026-Q1", {"win-rate": "1"}))
    pol = policy(
        reallocation=ReallocationPolicy(release_below=draw(SHARE) * 2, release_share=draw(SHARE),
                                        scale_above=draw(SHARE) * 2, scale_max_share=draw(SHARE),
                                        release_finished_unspent=draw(st.booleans())),
        sunset=(SunsetCriterion("low", "realisation_below", draw(SHARE), draw(st.integers(1, 2))),
                SunsetCriterion("gone", "no_measurement", None, 2), SunsetCriterion("over", "horizon_passed")),
        allocation=alloc(unit=draw(st.sampled_from([D("1"), D("0.01"), D("100")])),
                         partial=draw(st.booleans()), min_viable_share=draw(SHARE),
                         caps=Caps(per_initiative=draw(st.none() | CENTS), per_department={"A": draw(CENTS)})),
    )
    return pol, inits, plan, outcomes


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_released_equals_redistributed_plus_returned_to_the_cent(scenario):
    pol, inits, plan, outcomes = scenario
    result = review(pol, inits, plan, outcomes, "2026-Q3")
    for quarter in (*result.history, result):
        s = quarter.summary
        assert s.released == s.redistributed + s.returned_to_pool
        assert s.returned_to_pool >= 0
        assert all(r.amount > 0 and r.amount == r.amount.quantize(D("0.01")) for r in quarter.releases)
        assert all(r.amount <= r.unspent for r in quarter.releases)
        assert sum((m.amount for m in quarter.reallocations), D(0)) == s.redistributed
    planned = sum((p.planned for p in result.positions), D(0))
    allocated = sum((p.allocation for p in result.positions), D(0))
    assert allocated == planned - result.totals.returned_to_pool
    assert all(p.allocation >= 0 for p in result.positions)
